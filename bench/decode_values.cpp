// Decodes every value of every row of a binlog through the library (output discarded) and
// prints the throughput. Used by bench/bench-dump.
#include <chrono>
#include <cstdio>
#include <map>

#include "binlogkit/events/compression.hpp"
#include "binlogkit/events/events.hpp"
#include "binlogkit/events/reader.hpp"
#include "binlogkit/rows/rows.hpp"
#include "binlogkit/core/source.hpp"

using namespace binlogkit;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: decode_values FILE\n");
    return 2;
  }
  auto src = source::open(argv[1]);
  if (!src) {
    std::fprintf(stderr, "%s: %s\n", argv[1], src.error().message().c_str());
    return 2;
  }
  src->advise_sequential();
  const auto t0 = std::chrono::steady_clock::now();
  event_reader reader(src->data());
  std::map<std::uint64_t, table_schema> tables;
  std::map<std::uint64_t, std::vector<std::uint8_t>> seen;
  std::uint64_t events = 0, rows = 0, values = 0, checksum = 0;
  event_view ev;
  for (;;) {
    const read_status st = reader.read(ev);
    if (st == read_status::error) {
      std::fprintf(stderr, "%s\n", reader.last_error().message().c_str());
      if (reader.last_error().code != errc::truncated) return 1;
      break;  // a cut sample file: measure what is there
    }
    if (st == read_status::end) break;
    ++events;
    if (ev.type() == event_type::table_map) {
      auto tm = decode_table_map(ev);
      if (!tm) return 1;
      auto& body = seen[tm->table_id];
      if (!std::equal(body.begin(), body.end(), ev.body.begin(), ev.body.end())) {
        auto s = decode_table_schema(*tm, ev.offset, ev.format->flavor());
        if (!s) return 1;
        tables[tm->table_id] = std::move(*s);
        body.assign(ev.body.begin(), ev.body.end());
      }
    } else if (is_rows_event(ev.type())) {
      auto r = decode_rows(ev);
      if (!r) return 1;
      const auto& schema = tables.at(r->table_id);
      std::vector<std::uint8_t> inflated;
      if (r->compressed) {
        auto x = inflate_mariadb(r->rows, ev.offset, ev.header.type_code);
        if (!x) return 1;
        inflated = std::move(*x);
      }
      row_reader rr = r->compressed ? row_reader(*r, schema, {inflated.data(), inflated.size()}, ev.offset)
                                    : row_reader(*r, schema, ev.offset);
      for (;;) {
        auto row = rr.next();
        if (!row) {
          std::fprintf(stderr, "%s\n", row.error().message().c_str());
          return 1;
        }
        if (!*row) break;
        ++rows;
        const row_change& change = **row;
        const row_image* images[2] = {change.before ? &*change.before : nullptr,
                                      change.after ? &*change.after : nullptr};
        for (const row_image* img : images) {
          if (img == nullptr) continue;
          for (const field_view& f : *img) {
            auto v = f.decode();
            if (!v) return 1;
            ++values;
            checksum += v->as_uint64() + v->data().size();  // keep the decode observable
          }
        }
      }
    }
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%llu events, %llu rows, %llu values in %.3f s: %.2f GB/s (%llu)\n",
              static_cast<unsigned long long>(events), static_cast<unsigned long long>(rows),
              static_cast<unsigned long long>(values), s, static_cast<double>(src->data().size()) / s / 1e9,
              static_cast<unsigned long long>(checksum % 1000));
  return 0;
}
