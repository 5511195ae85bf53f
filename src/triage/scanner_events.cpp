// The scanner's steps for one decoded event: source coordinates, the GTID summary, the
// skip to a boundary after damage, the reconnect and duplicate checks, and the transaction grammar with what each boundary records.
#include <algorithm>

#include "binlogkit/core/sql_quote.hpp"
#include "binlogkit/events/events.hpp"
#include "triage/scanner.hpp"

namespace binlogkit::detail {

namespace {

constexpr std::size_t max_listed_after_damage = 1000;

// Adds the table a table map names to `into` (once; at most 64).
void note_table(const any_event& d, std::vector<std::string>& into) {
  const auto* tm = std::get_if<table_map_event>(&d);
  if (tm == nullptr || into.size() >= 64) return;
  std::string name = sql_identifier(tm->database) + "." + sql_identifier(tm->table);
  if (std::find(into.begin(), into.end(), name) == into.end()) into.push_back(std::move(name));
}

// Sets a flag for the life of the scope.
struct flag_scope {
  bool& flag;
  explicit flag_scope(bool& f) : flag(f) { flag = true; }
  ~flag_scope() { flag = false; }
  flag_scope(const flag_scope&) = delete;
  flag_scope& operator=(const flag_scope&) = delete;
};

}  // namespace

void scanner::on_event(const triage_input& in, const event_view& ev, const any_event& d) {
  const flag_scope scope(in_event_);
  source_file_before_ = coords_.file();
  source_pos_before_ = coords_.pos();
  const auto t = ev.type();
  const bool after_rotate = after_rotate_;
  after_rotate_ = t == event_type::rotate;
  if (const source_rotate* r = coords_.advance(in, ev, d, relay_, relay_server_id_)) on_source_rotate(*r);
  // The GTID state before the first transaction comes from the file's own summary:
  // MySQL's PREVIOUS_GTIDS, MariaDB's GTID_LIST (binlog state at the start of the file).
  if (!any_transaction_ && !tracker_.in_transaction()) gtids_.start_from(d, ev.offset);
  const bool is_gtid = is_gtid_event(t);
  if (is_gtid) saw_gtid_ = true;
  if (skip_to_boundary_ && !reached_boundary(ev, d, is_gtid)) return;
  if (source_format_damaged(in, ev, after_rotate)) return;
  if (duplicated(in, ev)) return;
  on_grammar_step(in, ev, d);
}

// Right after the SQL thread applied a source's rotate, the server shows the new name with
// the old position: the point where the old file's last transaction ended.
void scanner::on_source_rotate(const source_rotate& r) {
  if (!opt_.executed_position || executed_capture || opt_.executed_position->file != r.to_file ||
      opt_.executed_position->pos != r.from_pos) {
    return;
  }
  const source_position left{r.from_file, r.from_pos};
  if (last_completed_input_ != nullptr && last_completed_source_ == left) {
    capture_at(*last_completed_input_, last_completed_end_, left);
  }
}

// After damage, the events up to the next transaction boundary belong to a transaction
// whose start (or part) was lost: none of them counts. The boundary is the next GTID
// event; in logs without GTIDs, the end of the broken transaction or the next BEGIN.
bool scanner::reached_boundary(const event_view& ev, const any_event& d, bool is_gtid) {
  if (!rep_.damaged_transactions.empty() && !is_gtid) note_table(d, rep_.damaged_transactions.back().tables);
  if (is_gtid) {
    skip_to_boundary_ = false;
    tracker_ = transaction_tracker{};
    return true;
  }
  if (saw_gtid_) return false;
  const auto* q = std::get_if<query_event>(&d);
  const auto kind = q != nullptr && !q->compressed ? classify_statement(q->query) : statement_kind::other;
  const bool begins = kind == statement_kind::begin;
  const bool ends = ev.type() == event_type::xid || kind == statement_kind::commit || kind == statement_kind::rollback;
  if (begins || ends) {
    skip_to_boundary_ = false;
    tracker_ = transaction_tracker{};
  }
  return begins;  // the event that ends the broken transaction counts for nothing either
}

// A real format description from the source (not the receiver's artificial copy, not the
// relay log's own) inside a transaction: the receiver reconnected and the source sends the
// open transaction again from its start.
bool scanner::source_format_damaged(const triage_input& in, const event_view& ev, bool after_rotate) {
  if (!relay_ || ev.type() != event_type::format_description || ev.header.server_id == relay_server_id_ ||
      ev.header.log_pos == 0 || (ev.header.flags & flag_artificial) != 0) {
    return false;
  }
  // A receiver's reconnect always writes the source's rotate first.
  if (!after_rotate) {
    add_event_damage(in, ev, errc::bad_body,
                     "format description from the source without the rotate that precedes a reconnect");
    return true;
  }
  if (tracker_.abandon()) ++rep_.abandoned_partial_transactions;
  return false;
}

// An event identical to the one before it is a duplicated block: no server writes the same
// event twice in a row (timestamps, positions and checksums differ).
bool scanner::duplicated(const triage_input& in, const event_view& ev) {
  if (prev_raw_.size() == ev.raw.size() && !prev_raw_.empty() &&
      std::equal(prev_raw_.begin(), prev_raw_.end(), ev.raw.begin())) {
    prev_raw_ = {};
    add_event_damage(in, ev, errc::bad_body, "event repeats the one before it byte for byte (a duplicated block)");
    return true;
  }
  prev_raw_ = ev.raw;
  return false;
}

void scanner::on_grammar_step(const triage_input& in, const event_view& ev, const any_event& d) {
  const auto t = ev.type();
  auto step = tracker_.feed(ev, d);
  // In a log with GTIDs every transaction starts with one: rows without it are damage.
  if (!step.violation && step.begins && saw_gtid_ && tracker_.gtid().k == gtid_ref::kind::none &&
      (t == event_type::table_map || is_rows_event(t))) {
    step.violation = error{errc::bad_body, ev.offset, static_cast<std::int16_t>(ev.header.type_code),
                           "rows outside a transaction in a log whose transactions carry GTIDs"};
  }
  if (step.violation) return on_violation(in, ev, *step.violation);
  if (step.begins) txn_tables_.clear();
  note_table(d, txn_tables_);
  if (step.begins) on_transaction_begin(in, ev);
  if (step.completes && step.extends) return on_transaction_extended(in, ev);
  if (step.completes) on_transaction_end(in, ev, step.begins);
}

// A terminator with no open transaction means its start was lost: the statements counted
// as transactions of their own since the last explicit boundary may be the middle of it.
// Resume before them.
void scanner::on_violation(const triage_input& in, const event_view& ev, const error& violation) {
  if (!damaged_ && loose_since_boundary_ > 0) {
    last_good_ = last_strict_good_;
    rep_.transactions_before_damage -= loose_since_boundary_;
  }
  add_damage(in, ev.offset, ev.raw.size(), violation);
}

void scanner::on_transaction_begin(const triage_input& in, const event_view& ev) {
  any_transaction_ = true;
  txn_input_ = &in;
  txn_begin_ = ev.offset;
  txn_source_file_ = source_file_before_;
  txn_source_pos_ = source_pos_before_;
}

void scanner::on_transaction_extended(const triage_input& in, const event_view& ev) {
  capture_executed(in, ev.end_offset());
  if (!damaged_ && last_good_) {
    last_good_ = point_after(in, ev.end_offset());
  } else if (damaged_ && !rep_.intact_after_damage.empty()) {
    auto& tr = rep_.intact_after_damage.back();
    tr.end_file = in.name;
    tr.end = ev.end_offset();
    tr.source_end = coords_.here();
  }
}

void scanner::on_transaction_end(const triage_input& in, const event_view& ev, bool began_here) {
  last_completed_gtid_ = tracker_.gtid().text();
  if (!damaged_) {
    count_before_damage(in, ev, began_here);
  } else {
    record_after_damage(in, ev);
  }
  capture_executed(in, ev.end_offset());
  last_completed_input_ = &in;
  last_completed_end_ = ev.end_offset();
  last_completed_source_ = coords_.here();
}

void scanner::count_before_damage(const triage_input& in, const event_view& ev, bool began_here) {
  gtids_.add(tracker_.gtid());
  ++rep_.transactions_before_damage;
  last_good_prior_ = std::move(last_good_);
  completed_input_ = &in;
  completed_offset_ = ev.offset;
  last_good_ = point_after(in, ev.end_offset());
  // A statement that opened and closed itself (no GTID, no BEGIN) is a weaker boundary.
  if (began_here && tracker_.gtid().k == gtid_ref::kind::none) {
    ++loose_since_boundary_;
  } else {
    loose_since_boundary_ = 0;
    last_strict_good_ = last_good_;
  }
}

void scanner::record_after_damage(const triage_input& in, const event_view& ev) {
  ++rep_.intact_after_damage_count;
  if (rep_.intact_after_damage.size() >= max_listed_after_damage) return;
  transaction_record tr;
  tr.file = txn_input_ != nullptr ? txn_input_->name : in.name;
  tr.begin = txn_begin_;
  tr.end_file = in.name;
  tr.end = ev.end_offset();
  tr.source_end = coords_.here();
  tr.gtid = tracker_.gtid().text();
  rep_.intact_after_damage.push_back(std::move(tr));
}

// ---- points ---------------------------------------------------------------------------

scanner::compact_point scanner::point_after(const triage_input& in, std::uint64_t end) const {
  compact_point p;
  p.input = &in;
  p.end = end;
  p.source_file = coords_.file();
  p.source_pos = coords_.pos();
  p.gtid = tracker_.gtid();
  return p;
}

// The GTID state is that of the reported point: it stops growing at the first damage, and
// undo() takes back the one transaction a rollback to last_good_prior_ drops.
resume_point scanner::render(const compact_point& c) const {
  resume_point p;
  p.relay_file = c.input->name;
  p.relay_pos = c.end;
  p.source = coords_.at(c.source_file, c.source_pos);
  p.gtid = c.gtid.text();
  p.gtid_state = gtids_.text(rep_.flavor);
  return p;
}

// ---- the executed point ---------------------------------------------------------------

// Called where a transaction completes: if the options' executed position (or, on
// MariaDB, the executed GTID of a single domain) is this point, keep it complete.
void scanner::capture_executed(const triage_input& in, std::uint64_t end) {
  const source_position here = coords_.here();
  // The SQL thread's relay-log position is where it reads: it wins over the source
  // position recorded beside it, which CHANGE MASTER ... RELAY_LOG_FILE sets to the
  // receiver's read position (MariaDB, MySQL) until the next source rotate.
  if (opt_.executed_relay_position && !relay_executed_source &&
      base_name(in.name) == base_name(opt_.executed_relay_position->file) && end == opt_.executed_relay_position->pos) {
    relay_executed_source = here;
    executed_capture.reset();
    capture_at(in, end, here);
    return;
  }
  if (executed_capture) return;
  bool match = opt_.executed_position && opt_.executed_position->file == here.file &&
               opt_.executed_position->pos == here.pos;
  const gtid_ref& g = tracker_.gtid();
  if (!match && g.k == gtid_ref::kind::mariadb) {
    const mariadb_gtid* one = executed_single_gtid();
    match = one != nullptr && one->domain_id == g.domain_id && one->server_id == g.server_id && one->seq_no == g.seq_no;
  }
  if (match) capture_at(in, end, here);
}

const mariadb_gtid* scanner::executed_single_gtid() {
  if (!executed_single_parsed_) {
    executed_single_parsed_ = true;
    if (opt_.executed_gtids) {
      auto p = mariadb_gtid_position::parse(*opt_.executed_gtids);
      if (p && p->domains().size() == 1) executed_single_ = p->domains().begin()->second;
    }
  }
  return executed_single_ ? &*executed_single_ : nullptr;
}

// The executed point at `end` of `in` (source `here`): before damage with the state the
// files reached; after it (MariaDB) with the state its GTID sets.
void scanner::capture_at(const triage_input& in, std::uint64_t end, const source_position& here) {
  const gtid_ref& g = tracker_.gtid();
  resume_point p;
  p.relay_file = in.name;
  p.relay_pos = end;
  p.source = here;
  p.gtid = g.text();
  if (!damaged_) {
    p.gtid_state = gtids_.text(rep_.flavor);
  } else if (g.k == gtid_ref::kind::mariadb) {
    gtid_state after = gtids_;
    after.mariadb.set({g.domain_id, g.server_id, g.seq_no});
    p.gtid_state = after.text(flavor::mariadb);
  }
  executed_capture = std::move(p);
}

}  // namespace binlogkit::detail
