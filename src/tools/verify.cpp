#include "binlogkit/tools/verify.hpp"

#include "binlogkit/events/compression.hpp"
#include "binlogkit/core/crc32.hpp"
#include "binlogkit/events/events.hpp"
#include "binlogkit/events/reader.hpp"
#include "segments.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <vector>

namespace binlogkit {

namespace {

constexpr std::size_t no_segment = static_cast<std::size_t>(-1);

// What one reader found over one segment (or, when it had to go on, over several).
struct segment_result {
  std::uint64_t events = 0;
  std::uint64_t checksums_verified = 0;
  std::uint64_t encrypted_events = 0;
  std::uint64_t bytes_checked = 0;
  std::vector<error> problems;
  bool in_use = false;
  // The segment whose start this reader reached exactly, with the same layout in force:
  // the results continue there. no_segment when this reader ended the walk (end of data
  // or a framing error).
  std::size_t continues_at = no_segment;
  std::optional<format_description> first_format;  // segment 0 only
};

// Body checks beyond framing: the typed decode, and compressed contents inflated and
// decoded in turn. Appends what is wrong. The commonest types are decoded by their own
// functions: the any_event variant is as large as its largest member (a query event),
// and building one per event costs more than decoding a row event.
void check_body(const event_view& ev, std::vector<error>& problems, bool inside_payload = false) {
  const auto fail = [&](const error& e) {
    if (!inside_payload) {
      problems.push_back(e);
      return;
    }
    error outer = e;
    outer.detail = "an event inside the transaction payload does not decode";
    problems.push_back(outer);
  };
  switch (ev.type()) {
    case event_type::table_map:
      if (auto r = decode_table_map(ev); !r) fail(r.error());
      return;
    case event_type::mariadb_gtid:
      if (auto r = decode_mariadb_gtid(ev); !r) fail(r.error());
      return;
    case event_type::xid:
      if (auto r = decode_xid(ev); !r) fail(r.error());
      return;
    case event_type::gtid:
    case event_type::anonymous_gtid:
    case event_type::gtid_tagged:
      if (auto r = decode_gtid(ev); !r) fail(r.error());
      return;
    case event_type::query:
    case event_type::execute_load_query:
    case event_type::query_compressed: {
      auto q = decode_query(ev);
      if (!q) {
        fail(q.error());
      } else if (q->compressed) {
        auto text = inflate_mariadb({reinterpret_cast<const std::uint8_t*>(q->query.data()), q->query.size()},
                                    ev.offset, ev.header.type_code);
        if (!text) fail(text.error());
      }
      return;
    }
    default: break;
  }
  if (is_rows_event(ev.type())) {
    auto r = decode_rows(ev);
    if (!r) {
      fail(r.error());
    } else if (r->compressed) {
      auto rows = inflate_mariadb(r->rows, ev.offset, ev.header.type_code);
      if (!rows) fail(rows.error());
    }
    return;
  }
  auto decoded = decode(ev);
  if (!decoded) {
    fail(decoded.error());
    return;
  }
  const auto* tp = std::get_if<transaction_payload_event>(&*decoded);
  if (tp == nullptr || inside_payload) return;
  auto inner = payload_reader::open(ev, *tp);
  if (!inner) {
    problems.push_back(inner.error());
    return;
  }
  for (;;) {
    auto in = inner->next();
    if (!in) {
      problems.push_back(in.error());
      return;
    }
    if (!in->has_value()) return;
    const std::size_t before = problems.size();
    check_body(**in, problems, true);
    if (problems.size() != before) {
      problems.back().offset = ev.offset;  // name the payload event that holds it
      return;
    }
  }
}

struct plan {
  bytes data;
  const verify_options* options;
  detail::segment_plan segments;  // one start (0) when the file is read by one thread
  std::mutex progress_mutex;
  std::atomic<std::uint64_t> bytes_done{0};
  std::uint64_t next_progress = 0;  // under progress_mutex
  std::uint64_t last_progress = 0;  // likewise
};

void report_progress(plan& pl, std::uint64_t add) {
  pl.bytes_done.fetch_add(add, std::memory_order_relaxed);
  if (!pl.options->progress) return;
  std::lock_guard<std::mutex> lock(pl.progress_mutex);
  // Read under the lock, so that the values reported never go backwards.
  const auto done = pl.bytes_done.load(std::memory_order_relaxed);
  if (done >= pl.next_progress) {
    pl.options->progress(done);
    pl.last_progress = done;
    pl.next_progress = done + pl.options->progress_interval;
  }
}

segment_result read_segment(plan& pl, std::size_t index) {
  segment_result r;
  reader_options ro;
  ro.allow_unknown_types = pl.options->allow_unknown_types;
  const std::uint64_t start = pl.segments.starts[index];
  event_reader reader = index == 0 ? event_reader(pl.data, ro)
                                   : event_reader(pl.data, pl.segments.first, start, ro);
  // The next segment start at or after which this reader may hand over.
  std::size_t next = index + 1;
  std::uint64_t released = start;
  std::uint64_t reported = start;
  constexpr std::uint64_t step = 4ull << 20;
  event_view e;
  for (;;) {
    const std::uint64_t pos = reader.position();
    if (auto to = detail::handover(pl.segments, next, reader)) {
      r.continues_at = *to;
      break;
    }
    if (pos - reported >= step) {
      report_progress(pl, pos - reported);
      reported = pos;
      if (pl.options->release && pos - released >= 4 * step) {
        pl.options->release(released, pos);
        released = pos;
      }
    }
    const read_status st = reader.read(e);
    if (st == read_status::end) break;
    if (st == read_status::error) {
      const error& err = reader.last_error();
      // Encrypted events (no key given) are framed but not checked: one problem names
      // where encryption starts; the count says how many were skipped.
      if (err.code == errc::encrypted) {
        if (r.encrypted_events++ == 0) r.problems.push_back(err);
        ++r.events;
        r.bytes_checked = reader.position();
        continue;
      }
      r.problems.push_back(err);
      // A checksum error leaves the frame intact: go on after it.
      if (err.code == errc::checksum_mismatch) {
        ++r.events;
        r.bytes_checked = reader.position();
        continue;
      }
      break;
    }
    if (r.events == 0 && index == 0) r.in_use = (e.header.flags & flag_binlog_in_use) != 0;
    ++r.events;
    if (e.checksum == checksum_status::ok) ++r.checksums_verified;
    r.bytes_checked = e.end_offset();
    check_body(e, r.problems);
  }
  report_progress(pl, reader.position() - reported);
  if (pl.options->release) pl.options->release(released, reader.position());
  if (index == 0 && !reader.formats().empty()) r.first_format = reader.formats().front();
  return r;
}

}  // namespace

verify_report verify_bytes(bytes data, const verify_options& options) noexcept {
  plan pl;
  pl.data = data;
  pl.options = &options;
  pl.next_progress = 0;
  pl.segments.starts.push_back(0);
  const unsigned threads = detail::thread_count(options.threads);
  if (threads > 1) {
    if (auto plan = detail::plan_segments(data, options.segment_size, detail::segment_start::event)) {
      pl.segments = std::move(*plan);
    }
  }

  std::vector<std::optional<segment_result>> results(pl.segments.starts.size());
  std::atomic<std::size_t> next_index{0};
  auto work = [&] {
    for (;;) {
      const std::size_t i = next_index.fetch_add(1);
      if (i >= pl.segments.starts.size()) return;
      results[i] = read_segment(pl, i);
    }
  };
  std::vector<std::thread> pool;
  if (pl.segments.starts.size() > 1) {
    for (unsigned t = 1; t < threads; ++t) {
      try {
        pool.emplace_back(work);
      } catch (const std::system_error&) {
        break;  // fewer threads: the rest is read here
      }
    }
  }
  work();
  for (auto& t : pool) t.join();

  verify_report report;
  report.segments = 0;
  for (std::size_t i = 0; i != no_segment;) {
    auto& r = *results[i];
    ++report.segments;
    report.events += r.events;
    report.checksums_verified += r.checksums_verified;
    report.encrypted_events += r.encrypted_events;
    if (r.bytes_checked != 0) report.bytes_checked = r.bytes_checked;
    if (i == 0) report.in_use = r.in_use;
    for (auto& p : r.problems) report.problems.push_back(std::move(p));
    i = r.continues_at;
  }
  // Segments read past a framing error count in bytes_done: never report less than before.
  if (options.progress) options.progress(std::max(pl.last_progress, report.bytes_checked));
  if (const auto& fd = results[0]->first_format) {
    report.has_checksums = fd->has_checksums();
    report.flavor = fd->flavor();
    report.server_version = std::string(fd->server_version());
  }
  return report;
}

}  // namespace binlogkit
