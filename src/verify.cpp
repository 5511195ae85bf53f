#include "binlogkit/verify.hpp"

#include "binlogkit/compression.hpp"
#include "binlogkit/events.hpp"
#include "binlogkit/crc32.hpp"
#include "binlogkit/reader.hpp"

#include <algorithm>
#include <condition_variable>
#include <optional>
#include <system_error>
#include <type_traits>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace binlogkit {

namespace {

// Events whose CRC32 a second thread checks while the first frames and decodes the next.
struct crc_job {
  const std::uint8_t* raw;
  std::uint32_t size;
  std::uint16_t type;
  std::uint64_t offset;
};

class crc_worker {
 public:
  crc_worker() : thread_([this] { run(); }) {}
  crc_worker(const crc_worker&) = delete;
  crc_worker& operator=(const crc_worker&) = delete;
  ~crc_worker() { finish(); }

  void add(const event_view& ev) {
    batch_.push_back({ev.raw.data(), static_cast<std::uint32_t>(ev.raw.size()), ev.header.type_code, ev.offset});
    if (batch_.size() == batch_size) flush();
  }
  // Waits for every job; returns the mismatches (offset, type) in file order.
  std::vector<error> finish() {
    if (thread_.joinable()) {
      flush();
      {
        std::lock_guard<std::mutex> lock(mutex_);
        done_ = true;
      }
      cv_.notify_one();
      thread_.join();
    }
    return std::move(bad_);
  }
  std::uint64_t verified() const { return verified_; }

 private:
  static constexpr std::size_t batch_size = 4096;
  void flush() {
    if (batch_.empty()) return;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.push_back(std::move(batch_));
    }
    batch_ = {};
    batch_.reserve(batch_size);
    cv_.notify_one();
  }
  void run() {
    for (;;) {
      std::vector<crc_job> jobs;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait(lock, [this] { return done_ || !queue_.empty(); });
        if (queue_.empty()) return;
        jobs = std::move(queue_.front());
        queue_.pop_front();
      }
      for (const auto& j : jobs) {
        const auto stored = detail::le32(j.raw + j.size - checksum_size);
        if (crc32(bytes(j.raw, j.size - checksum_size)) == stored) {
          ++verified_;
        } else {
          bad_.push_back(error{errc::checksum_mismatch, j.offset, static_cast<std::int16_t>(j.type),
                               "CRC32 stored in the event does not match its bytes"});
        }
      }
    }
  }

  std::vector<crc_job> batch_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::vector<crc_job>> queue_;
  bool done_ = false;
  std::uint64_t verified_ = 0;  // written by the worker only, read after join
  std::vector<error> bad_;      // likewise
  std::thread thread_;
};

}  // namespace

verify_report verify_bytes(bytes data, const verify_options& options) noexcept {
  verify_report report;
  reader_options ro;
  ro.allow_unknown_types = options.allow_unknown_types;
  std::optional<crc_worker> worker;
  if (options.parallel_checksums && data.size() > (8u << 20)) {
    try {
      worker.emplace();
      ro.checksum_format_descriptions_only = true;
    } catch (const std::system_error&) {
      worker.reset();  // no thread to be had: check them here
    }
  }
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
    if (worker && ev.checksum == checksum_status::none && ev.format->has_checksums() &&
        ev.type() != event_type::format_description) {
      worker->add(ev);
    }
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
  if (worker) {
    // Merge the second thread's findings in file order. An event whose checksum failed
    // is reported for that alone, as the sequential reader does.
    auto bad = worker->finish();
    report.checksums_verified += worker->verified();
    if (!bad.empty()) {
      std::vector<error> merged;
      merged.reserve(report.problems.size() + bad.size());
      auto has_bad_crc = [&bad](std::uint64_t offset) {
        return std::binary_search(bad.begin(), bad.end(), offset,
                                  [](const auto& a, const auto& b) {
                                    if constexpr (std::is_same_v<std::decay_t<decltype(a)>, error>) return a.offset < b;
                                    else return a < b.offset;
                                  });
      };
      for (const auto& p : report.problems) {
        if (p.code != errc::checksum_mismatch && has_bad_crc(p.offset)) continue;
        merged.push_back(p);
      }
      merged.insert(merged.end(), bad.begin(), bad.end());
      std::stable_sort(merged.begin(), merged.end(), [](const error& a, const error& b) { return a.offset < b.offset; });
      report.problems = std::move(merged);
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
