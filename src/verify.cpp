#include "binlogkit/verify.hpp"

#include "binlogkit/events.hpp"
#include "binlogkit/reader.hpp"

namespace binlogkit {

verify_report verify_bytes(bytes data, const verify_options& options) noexcept {
  verify_report report;
  reader_options ro;
  ro.allow_unknown_types = options.allow_unknown_types;
  event_reader reader(data, ro);
  std::uint64_t next_progress = options.progress_interval;
  for (;;) {
    auto next = reader.next();
    if (!next) {
      // Encrypted events (no key given) are framed but not checked: one problem names
      // where encryption starts; the count says how many were skipped.
      if (next.error().code == errc::encrypted) {
        if (report.encrypted_events++ == 0) report.problems.push_back(next.error());
        ++report.events;
        report.bytes_checked = reader.position();
        continue;
      }
      report.problems.push_back(next.error());
      // A checksum error leaves the frame intact: go on after it.
      if (next.error().code == errc::checksum_mismatch) {
        ++report.events;
        report.bytes_checked = reader.position();
        continue;
      }
      break;
    }
    if (!next->has_value()) break;
    const event_view& ev = **next;
    if (report.events == 0) report.in_use = (ev.header.flags & flag_binlog_in_use) != 0;
    ++report.events;
    if (options.progress && ev.offset >= next_progress) {
      options.progress(ev.offset);
      next_progress = ev.offset + options.progress_interval;
    }
    if (ev.checksum == checksum_status::ok) ++report.checksums_verified;
    report.bytes_checked = ev.end_offset();
    auto decoded = decode(ev);
    if (!decoded) report.problems.push_back(decoded.error());
  }
  if (options.progress) options.progress(report.bytes_checked);
  if (!reader.formats().empty()) {
    const auto& fd = reader.formats().front();
    report.has_checksums = fd.has_checksums();
    report.flavor = fd.flavor();
    report.server_version = std::string(fd.server_version());
  }
  return report;
}

}  // namespace binlogkit
