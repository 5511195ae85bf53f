// Transaction selection for `dump` (see dump_select.hpp).
#include "dump_select.hpp"

#include <algorithm>
#include <string>
#include <variant>

#include "binlogkit/events/events.hpp"
#include "binlogkit/events/reader.hpp"
#include "binlogkit/events/transaction.hpp"

namespace bk = binlogkit;

namespace binlogkit_cli {

namespace {

struct open_transaction {
  std::uint64_t begin = 0;
  std::uint32_t first_timestamp = 0;
  bk::gtid_ref gtid;
  bool database_listed = false;
};

// The database an event names for --database: a statement's default database (not BEGIN,
// COMMIT and the like) or a table map's.
std::optional<std::string_view> event_database(const bk::any_event& e) {
  if (const auto* q = std::get_if<bk::query_event>(&e)) {
    if (bk::classify_statement(q->query) != bk::statement_kind::other) return std::nullopt;
    return q->database;
  }
  if (const auto* tm = std::get_if<bk::table_map_event>(&e)) return tm->database;
  return std::nullopt;
}

bool left_out(const open_transaction& t, const bk::sql_filter& f) {
  if (f.start_datetime && static_cast<std::int64_t>(t.first_timestamp) < *f.start_datetime) return true;
  if (f.include_gtids && !f.include_gtids->contains(t.gtid)) return true;
  if (f.exclude_gtids && f.exclude_gtids->contains(t.gtid)) return true;
  return !f.databases.empty() && !t.database_listed;
}

}  // namespace

bool selects_transactions(const bk::sql_filter& f) {
  return f.start_datetime || f.stop_datetime || f.include_gtids || f.exclude_gtids || !f.databases.empty();
}

dump_selection select_transactions(bk::bytes data, const bk::sql_filter& filter) {
  dump_selection sel;
  bk::reader_options ro;
  ro.verify_checksums = false;
  ro.allow_unknown_types = true;
  bk::event_reader reader(data, ro);
  bk::transaction_tracker tracker;
  std::optional<open_transaction> tx;
  for (;;) {
    auto next = reader.next();
    if (!next || !next->has_value()) break;
    const bk::event_view& ev = **next;
    auto decoded = bk::decode(ev);
    if (!decoded) continue;
    // As sql decides: every event but a format description, rotate or stop counts for
    // --stop-datetime (mariadb-binlog stops there too); nothing from its transaction on
    // is printed.
    const auto type = ev.type();
    const bool meta = type == bk::event_type::format_description || type == bk::event_type::start_v3 ||
                      type == bk::event_type::rotate || type == bk::event_type::stop;
    if (!meta && filter.stop_datetime && static_cast<std::int64_t>(ev.header.timestamp) >= *filter.stop_datetime) {
      sel.stop = tx ? tx->begin : ev.offset;
      break;
    }
    auto step = tracker.feed(ev, *decoded);
    if (step.begins) tx = open_transaction{ev.offset, ev.header.timestamp, tracker.gtid(), false};
    if (tx && !tx->database_listed && !filter.databases.empty()) {
      if (auto db = event_database(*decoded)) {
        tx->database_listed =
            std::find(filter.databases.begin(), filter.databases.end(), *db) != filter.databases.end();
      }
    }
    if (step.completes && tx) {
      if (left_out(*tx, filter)) sel.skip.emplace_back(tx->begin, ev.end_offset());
      tx.reset();
    }
  }
  return sel;
}

}  // namespace binlogkit_cli
