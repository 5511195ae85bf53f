#include "binlogkit/verify.hpp"

#include "binlogkit/compression.hpp"
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
    if (!decoded) {
      report.problems.push_back(decoded.error());
      continue;
    }
    // Compressed content is inflated and checked too.
    if (const auto* tp = std::get_if<transaction_payload_event>(&*decoded)) {
      auto inner = payload_reader::open(ev, *tp);
      if (!inner) {
        report.problems.push_back(inner.error());
        continue;
      }
      for (;;) {
        auto in = inner->next();
        if (!in) {
          report.problems.push_back(in.error());
          break;
        }
        if (!in->has_value()) break;
        auto d = decode(**in);
        if (!d) {
          error e = d.error();
          e.offset = ev.offset;  // name the payload event that holds it
          e.detail = "an event inside the transaction payload does not decode";
          report.problems.push_back(e);
          break;
        }
      }
    } else if (const auto* q = std::get_if<query_event>(&*decoded); q != nullptr && q->compressed) {
      auto text = inflate_mariadb({reinterpret_cast<const std::uint8_t*>(q->query.data()), q->query.size()},
                                  ev.offset, ev.header.type_code);
      if (!text) report.problems.push_back(text.error());
    } else if (const auto* r = std::get_if<rows_event>(&*decoded); r != nullptr && r->compressed) {
      auto rows = inflate_mariadb(r->rows, ev.offset, ev.header.type_code);
      if (!rows) report.problems.push_back(rows.error());
    }
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
