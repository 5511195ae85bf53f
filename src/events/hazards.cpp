#include "binlogkit/events/hazards.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "binlogkit/core/overloaded.hpp"
#include "binlogkit/events/compression.hpp"
#include "binlogkit/events/reader.hpp"
#include "xa_ids.hpp"

namespace binlogkit {

namespace {

std::string quoted_name(std::string_view schema, std::string_view table) {
  std::string out = "`";
  for (char c : schema) out += c == '`' ? std::string("``") : std::string(1, c);
  out += "`.`";
  for (char c : table) out += c == '`' ? std::string("``") : std::string(1, c);
  return out + "`";
}

// The table a LOAD DATA statement loads ("... INTO TABLE [db.]t ..."), as schema and table.
void load_target(std::string_view sql, std::string_view database, std::string& schema, std::string& table) {
  std::string lowered(sql.substr(0, std::min<std::size_t>(sql.size(), 4096)));
  for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto at = lowered.find(" into table ");
  if (at == std::string::npos) return;
  auto drop = parse_table_drop(fmt::format("DROP TABLE {}", sql.substr(at + 12)), database);
  if (!drop || drop->names.empty()) return;
  split_table_name(drop->names.front(), schema, table);
}

std::string temp_advice(const hazard& h) {
  return fmt::format(
      "start at or before {}:{} (its CREATE) or recreate {} in session {} first: a replica restarted since the "
      "point, or a replay starting at it, lacks the table (error 1146)",
      h.opened.file, h.opened.pos, quoted_name(h.schema, h.table), h.pseudo_thread_id);
}

std::string load_advice(const hazard& h, std::uint32_t file_id) {
  return fmt::format(
      "start at or before {}:{} (the first block of LOAD DATA file id {}): from the point on the file is half-sent "
      "and its execute fails or loads part of the data",
      h.opened.file, h.opened.pos, file_id);
}

std::string xa_advice(const hazard& h) {
  return fmt::format(
      "XA transaction {} was prepared at {}:{} and is neither committed nor rolled back at the point: make sure the "
      "target holds it prepared (XA RECOVER) before resuming, or its XA COMMIT fails (error 1397)",
      h.xid, h.opened.file, h.opened.pos);
}

std::string group_advice(const hazard& h, std::string_view reason) {
  return fmt::format(
      "the point is inside the group that starts at {}:{}, which {}: resuming here loses the group's transactional "
      "changes before the point, resuming at its start applies its non-transactional changes twice; check the "
      "tables it changed by hand",
      h.opened.file, h.opened.pos, reason);
}

bool is_load_block(event_type t) {
  return t == event_type::begin_load_query || t == event_type::append_block || t == event_type::exec_load ||
         t == event_type::delete_file || t == event_type::create_file;
}

}  // namespace

std::string_view to_string(hazard_kind k) noexcept {
  switch (k) {
    case hazard_kind::temporary_table: return "temporary_table";
    case hazard_kind::load_data: return "load_data";
    case hazard_kind::xa_prepared: return "xa_prepared";
    case hazard_kind::non_transactional: return "non_transactional";
  }
  return "unknown";
}

namespace {

// An event that starts a transaction the way a complete log does (a GTID, BEGIN or XA
// START), not a Table_map standing for an old non-transactional statement.
bool opens_transaction(event_type t, const any_event& d) {
  if (is_gtid_event(t)) return true;
  const auto* q = std::get_if<query_event>(&d);
  if (q == nullptr || q->compressed) return false;
  const auto k = classify_statement(q->query);
  return k == statement_kind::begin || k == statement_kind::xa_start;
}

}  // namespace

void hazard_tracker::begin_file(std::string_view name) { file_.assign(name); }

hazard_place hazard_tracker::here(const event_view& ev) const { return {file_, ev.offset, txn_.gtid().text()}; }

// The source restarted (a format description with `created` != 0 from the server that
// wrote the binlog): its sessions ended. A source sending from the middle of a binlog (a
// replica reconnecting) zeroes `created` in the format description it sends, so that the
// replica keeps its temporary tables: only a real start counts.
void hazard_tracker::sessions_ended() {
  temps_.close_all();
  std::erase_if(followed_, [](const tracked& x) { return x.h.kind == hazard_kind::temporary_table && !x.h.needed_by; });
}

result<void> hazard_tracker::feed(const event_view& ev, const any_event& d) {
  const auto t = ev.type();
  if (const auto* fd = std::get_if<format_description_event>(&d)) {
    // A format description inside a transaction: a relay log after the receiver
    // reconnected; the transaction is sent again whole.
    if (txn_.abandon()) group_.open = false;
    if (fd->format != nullptr && fd->format->create_timestamp() != 0) {
      // The writer of the file started: at offset 4 it may be a replica's own relay log
      // (the replica restarted, which loses its SQL thread's temporary tables: a hazard,
      // not an end), told by the next event, a Rotate from the source's server id.
      if (ev.offset == 4) start_pending_ = ev.header.server_id;
      else sessions_ended();
    }
    return {};
  }
  if (start_pending_) {
    const bool relay_log = t == event_type::rotate && ev.header.server_id != *start_pending_;
    start_pending_.reset();
    if (!relay_log) sessions_ended();
  }
  if (!any_transaction_) note_start_state(ev, d);
  const auto step = txn_.feed(ev, d);
  if (step.violation && !seen_start_) {
    // No GTID, BEGIN or XA START yet: the input starts inside a transaction whose first
    // events are in a log not given (a relay log set after relay_log_purge). Its tail is
    // skipped; what it opened cannot be seen, and the report says so.
    if (!started_inside_) started_inside_ = here(ev);
    (void)txn_.abandon();
    group_ = {};
    return {};
  }
  if (step.violation) return unexpected<error>(*step.violation);
  if (step.begins && opens_transaction(t, d)) seen_start_ = true;
  if (step.begins) any_transaction_ = true;
  if (step.completes) add_to_state();
  on_group_step(ev, d, step);
  if (const auto* q = std::get_if<query_event>(&d); q != nullptr && !q->compressed) {
    if (t == event_type::execute_load_query) BK_TRY_VOID(on_load_event(ev, d));
    BK_TRY_VOID(on_query(ev, *q));
  } else if (q != nullptr) {  // MariaDB QUERY_COMPRESSED: the statement inflated
    BK_TRY(auto text, inflate_mariadb({reinterpret_cast<const std::uint8_t*>(q->query.data()), q->query.size()},
                                      ev.offset, ev.header.type_code));
    query_event plain = *q;
    plain.query = {reinterpret_cast<const char*>(text.data()), text.size()};
    plain.compressed = false;
    BK_TRY_VOID(on_query(ev, plain));
  } else if (const auto* p = std::get_if<transaction_payload_event>(&d)) {
    BK_TRY_VOID(on_payload(ev, *p));
  } else if (is_load_block(t)) {
    BK_TRY_VOID(on_load_event(ev, d));
  } else if (const auto* xp = std::get_if<xa_prepare_event>(&d); xp != nullptr && !xp->one_phase) {
    on_xa_prepared(ev, detail::xa_key(xp->format_id, xp->gtrid, xp->bqual),
                   detail::xa_text(xp->format_id, xp->gtrid, xp->bqual));
  }
  if (following_ && step.completes) follow_group_end(ev, step);
  if (step.completes) group_.open = false;
  return {};
}

void hazard_tracker::note_start_state(const event_view& ev, const any_event& d) {
  if (const auto* list = std::get_if<mariadb_gtid_list_event>(&d)) {
    for (std::size_t i = 0; i < list->count; ++i) mariadb_state_.set(list->at(i));
  } else if (const auto* prev = std::get_if<previous_gtids_event>(&d)) {
    (void)for_each_sid(*prev, ev.offset, [&](const uuid_bytes& sid, std::string_view tag, bytes iv) {
      std::string lowered(tag);
      for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      for (std::size_t i = 0; i + 16 <= iv.size(); i += 16) {
        const auto a = static_cast<std::int64_t>(detail::load_le(iv.data() + i, 8));
        const auto b = static_cast<std::int64_t>(detail::load_le(iv.data() + i + 8, 8));
        if (b > a && b > 1) {
          mysql_state_.add(mysql_gtid_source{sid, lowered},
                           {static_cast<std::uint64_t>(std::max<std::int64_t>(a, 1)), static_cast<std::uint64_t>(b - 1)});
        }
      }
    });
  }
}

void hazard_tracker::add_to_state() {
  const gtid_ref& g = txn_.gtid();
  if (g.k == gtid_ref::kind::mariadb) mariadb_state_.set({g.domain_id, g.server_id, g.seq_no});
  else if (g.k == gtid_ref::kind::mysql) mysql_state_.add(g);
}

std::string hazard_tracker::gtid_state() const {
  std::string out = mariadb_state_.text();
  const std::string mysql = mysql_state_.text(",");
  if (!out.empty() && !mysql.empty()) out += ",";
  return out + mysql;
}

// A MySQL TRANSACTION_PAYLOAD: its statements (statement-format changes to a temporary
// table, XA statements) count as the outer event's, where a resume or a replay can stand.
result<void> hazard_tracker::on_payload(const event_view& ev, const transaction_payload_event& p) {
  BK_TRY(auto reader, payload_reader::open(ev, p));
  for (;;) {
    BK_TRY(auto inner, reader.next());
    if (!inner) return {};
    if (inner->type() != event_type::query) continue;
    BK_TRY(auto decoded, decode(*inner));
    if (const auto* q = std::get_if<query_event>(&decoded)) BK_TRY_VOID(on_query(ev, *q));
  }
}

result<void> hazard_tracker::on_query(const event_view& ev, const query_event& q) {
  if (following_) follow_query(ev, q);
  temps_.on_statement(q.query, q.database, q.thread_id, file_, ev.offset, txn_.gtid().text());
  if (temps_.open().size() > temp_table_tracker::max_open) return too_many(ev, "more than 4096 temporary tables open at once: too many to follow");
  const auto kind = classify_statement(q.query);
  if (kind == statement_kind::xa_prepare || kind == statement_kind::xa_commit ||
      kind == statement_kind::xa_rollback) {
    auto id = detail::parse_xa_statement(q.query);
    if (!id) return {};
    if (kind == statement_kind::xa_prepare) on_xa_prepared(ev, std::move(id->key), std::move(id->text));
    else on_xa_end(ev, id->key);
  }
  if (xas_.size() > max_open_each) return too_many(ev, "more than 4096 prepared XA transactions open at once: too many to follow");
  return {};
}

// More open at once than the tracker follows (a hostile or broken log: following each
// would cost time in proportion to their number at every later statement). An error, not
// a shorter list: "no hazard" must never come from a list that was cut.
static_assert(temp_table_tracker::max_open == 4096 && hazard_tracker::max_open_each == 4096,
              "the too_many texts name the limit");
unexpected<error> hazard_tracker::too_many(const event_view& ev, std::string_view static_detail) {
  return unexpected<error>(error{errc::bad_body, ev.offset, static_cast<std::int16_t>(ev.header.type_code),
                                 static_detail});
}
result<void> hazard_tracker::on_load_event(const event_view& ev, const any_event& d) {
  const auto t = ev.type();
  const auto unknown = [&](std::string_view what) {
    return unexpected<error>(error{errc::bad_body, ev.offset, static_cast<std::int16_t>(ev.header.type_code), what});
  };
  if (const auto* ld = std::get_if<load_event>(&d)) {
    if (t == event_type::create_file) loads_[ld->file_id] = {here(ev), ld->thread_id, std::string(ld->database),
                                                               std::string(ld->table)};
    if (loads_.size() > max_open_each) return too_many(ev, "more than 4096 LOAD DATA files open at once: too many to follow");
    return {};
  }
  if (const auto* q = std::get_if<query_event>(&d)) {  // Execute_load_query
    auto it = loads_.find(q->file_id);
    if (it == loads_.end()) return unknown("Execute_load_query for a file id no Begin_load_query opened");
    if (following_) follow_load(ev, q->file_id, q);
    loads_.erase(it);
    return {};
  }
  const auto* b = std::get_if<file_block_event>(&d);
  if (b == nullptr) return {};
  if (t == event_type::begin_load_query) {
    loads_[b->file_id] = {here(ev), 0, {}, {}};
    if (loads_.size() > max_open_each) return too_many(ev, "more than 4096 LOAD DATA files open at once: too many to follow");
    return {};
  }
  auto it = loads_.find(b->file_id);
  if (t == event_type::delete_file) {  // the load was given up: nothing needs the file
    if (it == loads_.end()) return {};
    if (following_) std::erase_if(followed_, [&](const tracked& x) { return x.load && x.file_id == b->file_id && !x.h.needed_by; });
    loads_.erase(it);
    return {};
  }
  if (it == loads_.end()) {
    return unknown(t == event_type::append_block ? "Append_block for a file id no Begin_load_query or Create_file opened"
                                                  : "Exec_load for a file id no Create_file opened");
  }
  if (t == event_type::exec_load) {
    if (following_) follow_load(ev, b->file_id, nullptr);
    loads_.erase(it);
  }
  return {};
}

void hazard_tracker::on_xa_prepared(const event_view& ev, std::string key, std::string xid) {
  std::erase_if(xas_, [&](const xa_open& x) { return x.key == key; });
  xas_.push_back({std::move(key), std::move(xid), group_.thread_id, here(ev)});
}

void hazard_tracker::on_xa_end(const event_view& ev, const std::string& key) {
  std::erase_if(xas_, [&](const xa_open& x) { return x.key == key; });
  if (!following_) return;
  for (auto& x : followed_) {
    if (x.h.kind == hazard_kind::xa_prepared && x.key == key && !x.h.needed_by) need(x.h, ev);
  }
}

void hazard_tracker::on_group_step(const event_view& ev, const any_event& d, const transaction_tracker::step& s) {
  if (s.begins) {
    group_.has_statements = false;
    group_.reason.clear();
    group_.thread_id = 0;
    group_.open = true;
    // Kept cheap (once per transaction): the GTID is the group's own until it ends, so
    // its text is made only when a hazard names the group.
    if (group_.start_file != file_) group_.start_file = file_;
    group_.start_pos = ev.offset;
    if (const auto* g = std::get_if<mariadb_gtid_event>(&d)) {
      const bool standalone = (g->flags2 & mariadb_gtid_event::fl_standalone) != 0;
      if (!standalone && (g->flags2 & mariadb_gtid_event::fl_transactional) == 0) {
        group_.reason = "changed non-transactional tables (its GTID lacks FL_TRANSACTIONAL)";
      }
    }
  }
  if (const auto* q = std::get_if<query_event>(&d)) {
    const auto kind = q->compressed ? statement_kind::other : classify_statement(q->query);
    group_.thread_id = q->thread_id;
    if (kind == statement_kind::other) group_.has_statements = true;
    if (q->error_code != 0 && group_.reason.empty()) {
      group_.reason = fmt::format("holds a statement that ended with error {} on the source at {}:{}", q->error_code,
                                  file_, ev.offset);
    }
  } else if (std::holds_alternative<rows_event>(d)) {
    group_.has_statements = true;
  }
}

void hazard_tracker::follow_query(const event_view& ev, const query_event& q) {
  std::optional<table_drop> drop;
  bool parsed = false;
  for (auto it = followed_.begin(); it != followed_.end();) {
    hazard& h = it->h;
    if (h.kind != hazard_kind::temporary_table || h.needed_by || h.pseudo_thread_id != q.thread_id) {
      ++it;
      continue;
    }
    if (!parsed) {
      drop = parse_table_drop(q.query, q.database);
      parsed = true;
    }
    const std::string name = quoted_name(h.schema, h.table);
    if (drop && std::find(drop->names.begin(), drop->names.end(), name) != drop->names.end()) {
      if (drop->if_exists) {  // dropped with no use in between: nothing needs it
        it = followed_.erase(it);
        continue;
      }
      need(h, ev);
    } else if (statement_names_table(q.query, q.database, h.schema, h.table)) {
      need(h, ev);
    }
    ++it;
  }
}

void hazard_tracker::follow_load(const event_view& ev, std::uint32_t file_id, const query_event* execute) {
  for (auto& x : followed_) {
    if (!x.load || x.file_id != file_id || x.h.needed_by) continue;
    need(x.h, ev);
    if (execute != nullptr && x.h.table.empty()) {
      load_target(execute->query, execute->database, x.h.schema, x.h.table);
      x.h.pseudo_thread_id = execute->thread_id;
    }
  }
}

void hazard_tracker::follow_group_end(const event_view& ev, const transaction_tracker::step& s) {
  for (auto it = followed_.begin(); it != followed_.end(); ++it) {
    if (it->h.kind != hazard_kind::non_transactional || it->h.needed_by) continue;
    std::string reason = it->reason;
    if (reason.empty() && s.rolled_back) reason = "ends in ROLLBACK with statements in it (what changed non-transactional tables stayed)";
    if (reason.empty() && !s.rolled_back && ev.type() == event_type::query) reason = "ends in a COMMIT query rather than an XID (non-transactional tables)";
    if (reason.empty()) {
      followed_.erase(it);
      return;
    }
    it->conditional = false;
    it->h.advice = group_advice(it->h, reason);
    need(it->h, ev);
    return;
  }
}

void hazard_tracker::need(hazard& h, const event_view& ev) { h.needed_by = here(ev); }

std::vector<hazard> hazard_tracker::open_at() const {
  std::vector<hazard> out;
  for (const auto& x : collect()) {
    if (x.conditional) continue;
    out.push_back(x.h);
  }
  return out;
}

std::vector<hazard_tracker::tracked> hazard_tracker::collect() const {
  std::vector<tracked> out;
  for (const auto& t : temps_.open()) {
    tracked x;
    x.h.kind = hazard_kind::temporary_table;
    x.h.schema = t.schema;
    x.h.table = t.table;
    x.h.pseudo_thread_id = t.thread_id;
    x.h.opened = {t.file, t.offset, t.gtid};
    x.h.advice = temp_advice(x.h);
    out.push_back(std::move(x));
  }
  for (const auto& [id, l] : loads_) {
    tracked x;
    x.load = true;
    x.file_id = id;
    x.h.kind = hazard_kind::load_data;
    x.h.schema = l.schema;
    x.h.table = l.table;
    x.h.pseudo_thread_id = l.thread_id;
    x.h.opened = l.opened;
    x.h.advice = load_advice(x.h, id);
    out.push_back(std::move(x));
  }
  for (const auto& a : xas_) {
    tracked x;
    x.key = a.key;
    x.h.kind = hazard_kind::xa_prepared;
    x.h.xid = a.xid;
    x.h.pseudo_thread_id = a.thread_id;
    x.h.opened = a.opened;
    x.h.advice = xa_advice(x.h);
    out.push_back(std::move(x));
  }
  if (group_.open && group_.has_statements) {
    tracked x;
    x.conditional = group_.reason.empty();
    x.reason = group_.reason;
    x.h.kind = hazard_kind::non_transactional;
    x.h.pseudo_thread_id = group_.thread_id;
    x.h.opened = {group_.start_file, group_.start_pos, txn_.gtid().text()};
    x.h.advice = group_advice(x.h, x.conditional ? "may have changed non-transactional tables" : group_.reason);
    out.push_back(std::move(x));
  }
  return out;
}

void hazard_tracker::mark_point() {
  followed_ = collect();
  following_ = true;
}

std::vector<hazard> hazard_tracker::followed() const {
  std::vector<hazard> out;
  for (const auto& x : followed_) {
    if (!x.conditional || x.h.needed_by) out.push_back(x.h);
  }
  return out;
}

bool hazard_tracker::settled() const noexcept {
  return std::all_of(followed_.begin(), followed_.end(), [](const tracked& x) { return x.h.needed_by.has_value(); });
}

}  // namespace binlogkit
