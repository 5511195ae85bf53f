#include "binlogkit/triage/triage.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>

#include "binlogkit/core/binlog_name.hpp"
#include "binlogkit/core/exit_code.hpp"
#include "binlogkit/core/crc32.hpp"
#include "binlogkit/core/encoding.hpp"
#include "binlogkit/events/events.hpp"
#include "binlogkit/events/gtid_set.hpp"
#include "binlogkit/events/reader.hpp"
#include "binlogkit/core/sql_quote.hpp"
#include "triage/damaged_rows.hpp"
#include "binlogkit/events/temp_tables.hpp"

namespace binlogkit {

namespace {

constexpr std::size_t max_listed_after_damage = 1000;

// ---- GTID state -----------------------------------------------------------------------

// What the files' transactions executed so far: MySQL a GTID set, MariaDB a position.
struct gtid_state {
  gtid_set mysql;
  mariadb_gtid_position mariadb;

  // What the last add() changed, so that it can be undone (resuming one transaction
  // earlier): the domain's previous GTID, or the MySQL number that was added.
  struct undo_record {
    enum class kind : std::uint8_t { none, mysql, mariadb } k = kind::none;
    std::optional<mariadb_gtid> previous;
    std::uint32_t domain = 0;
    mysql_gtid_source key;
    std::uint64_t gno = 0;
  } undo_;

  void add(const gtid_ref& g) {
    undo_.k = undo_record::kind::none;
    if (g.k == gtid_ref::kind::mysql) {
      if (!mysql.add(g)) return;  // already in the set: nothing to undo
      undo_.k = undo_record::kind::mysql;
      undo_.key = {g.uuid, lower_tag(g.tag)};
      undo_.gno = static_cast<std::uint64_t>(g.gno);
    } else if (g.k == gtid_ref::kind::mariadb) {
      const auto* before = mariadb.find(g.domain_id);
      undo_.k = undo_record::kind::mariadb;
      undo_.domain = g.domain_id;
      undo_.previous = before == nullptr ? std::nullopt : std::optional<mariadb_gtid>(*before);
      mariadb.set({g.domain_id, g.server_id, g.seq_no});
    }
  }
  // Takes back the last add() (once).
  void undo() {
    if (undo_.k == undo_record::kind::mariadb) {
      if (undo_.previous) mariadb.set(*undo_.previous);
      else mariadb.erase(undo_.domain);
    } else if (undo_.k == undo_record::kind::mysql) {
      mysql.remove(undo_.key, {undo_.gno, undo_.gno});
    }
    undo_.k = undo_record::kind::none;
  }
  std::string text(flavor f) const { return f == flavor::mariadb ? mariadb.text() : mysql.text(); }

  static std::string lower_tag(std::string_view t) {
    std::string out(t);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
  }
};

std::string base_name(std::string_view path) {
  auto slash = path.find_last_of('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

// Standard input's name: no source binlog is called that, and no file/position statement is
// written for a binlog read from it.
constexpr std::string_view stdin_name = "-";

// The source binlog that a binlog read from `path` is: its base name, without the .gz of a
// compressed copy.
std::string source_binlog_name(std::string_view path) {
  std::string n = base_name(path);
  if (n.size() > 3 && n.ends_with(".gz")) n.resize(n.size() - 3);
  return n;
}

// A name from the files (a source binlog) as a string literal that reads the same in
// every client character set and sql_mode (sql_quote.hpp's plain literal: printable
// ASCII, quotes doubled). CHANGE MASTER takes no hex literal, so a name that would need
// one (a byte outside printable ASCII, or a backslash: no server writes such a name) gets
// no plan at all: std::nullopt.
std::optional<std::string> plan_literal(std::string_view s) {
  std::string out;
  if (s.empty() || s == stdin_name || !append_plain_literal(out, s)) return std::nullopt;
  return out;
}

// ---- the scan ------------------------------------------------------------------------

class scanner {
 public:
  scanner(const triage_options& o, triage_report& r) : opt_(o), rep_(r) {}

  void scan_file(const triage_input& in, std::size_t index, bool last_file);
  void finish(const std::vector<triage_input>& inputs);
  // Each switch of source binlog seen in a relay log: the file and position left (the end
  // of the last source event before the rotate) and the file entered.
  struct source_rotate {
    std::string from_file;
    std::uint64_t from_pos = 0;
    std::string to_file;
  };
  const std::vector<source_rotate>& source_rotates() const { return source_rotates_; }

 private:
  void on_event(const triage_input& in, const event_view& ev, const any_event& d);
  // How the scan of a file goes on after a read error.
  enum class read_step { next, stop, abandon };
  read_step on_read_error(const triage_input& in, event_reader& reader, bool last_file);
  // A second format description or a rotate from another server makes the set a relay log.
  void detect_relay(const event_view& ev, std::uint64_t nth);
  bool log_pos_intact(const triage_input& in, const event_view& ev, event_reader& reader);
  void note_source_at_damage();
  void add_damage(const triage_input& in, std::uint64_t offset, std::uint64_t length, const error& e,
                  bool tail = false);
  // The next offset after `from` where a valid event begins and `resync_chain` events chain.
  std::optional<std::uint64_t> resync(bytes data, const format_description& fd, std::uint64_t from) const;
  bool probe(bytes data, const format_description& fd, std::uint64_t at) const;
  bool log_pos_plausible(const event_view& ev) const;
  // A transaction boundary, kept without text: names and GTIDs are rendered only for the
  // point that is reported (finish()).
  struct compact_point {
    const triage_input* input = nullptr;
    std::uint64_t end = 0;
    std::uint32_t source_file = 0;  // index into source_names_
    std::uint64_t source_pos = 0;
    gtid_ref gtid;
  };
  compact_point point_after(const triage_input& in, std::uint64_t end) const;
  resume_point render(const compact_point& p) const;
  std::uint32_t source_name_index(std::string_view name);

  const triage_options& opt_;
  triage_report& rep_;
  std::vector<source_rotate> source_rotates_;
  transaction_tracker tracker_;
  gtid_state gtids_;
  bool damaged_ = false;          // damage seen: later transactions are "after damage"
  bool skip_to_boundary_ = false; // after damage: ignore events until a transaction starts
  bool saw_gtid_ = false;
  bool after_rotate_ = false;     // the previous event was a rotate
  bytes prev_raw_{};              // the previous event's bytes (duplicate detection)
  std::uint64_t loose_since_boundary_ = 0;
  std::optional<compact_point> last_good_;
  std::optional<compact_point> last_strict_good_;
  bool any_transaction_ = false;         // the log has GTID events: they mark every boundary
  bool relay_ = false;
  std::uint32_t relay_server_id_ = 0;
  bool first_fd_seen_ = false;
  // Source coordinates after the last event: a name (index into source_names_) and a position.
  std::vector<std::string> source_names_{std::string()};
  std::uint32_t source_file_ = 0;
  std::uint64_t source_pos_ = 0;
  const triage_input* source_input_ = nullptr;  // the binlog source_.file names
  std::uint64_t last_source_log_pos_ = 0;  // log_pos of the previous source event (relay)
  const triage_input* txn_input_ = nullptr;
  std::uint64_t txn_begin_ = 0;
  // Source coordinates before the event being read, and where the open transaction
  // began: the first damage is at or after them (rep_.source_at_damage).
  std::uint32_t source_file_before_ = 0;
  std::uint64_t source_pos_before_ = 0;
  bool in_event_ = false;
  std::uint32_t txn_source_file_ = 0;
  std::uint64_t txn_source_pos_ = 0;
  bool all_checksums_ = true;
  bool any_file_ = false;
  // The last event read before any damage, and the report as it stood before it.
  std::uint64_t prev_event_offset_ = 0;
  std::uint64_t prev_event_end_ = 0;
  const triage_input* prev_input_ = nullptr;
  // The event that closed the latest transaction, and the last good point before it.
  const triage_input* completed_input_ = nullptr;
  std::uint64_t completed_offset_ = 0;
  std::optional<compact_point> last_good_prior_;
  // Tables mapped by the open transaction (and by the one lost at the latest damage).
  std::vector<std::string> txn_tables_;
  std::string last_completed_gtid_;
  void note_table(const any_event& d, std::vector<std::string>& into) const;
  void capture_executed(const triage_input& in, std::uint64_t end);
  // The executed GTIDs given, when they are one MariaDB GTID (a single domain: with several,
  // one position cannot stand for the state); parsed on first use.
  const mariadb_gtid* executed_single_gtid();
  std::optional<mariadb_gtid> executed_single_;
  bool executed_single_parsed_ = false;
  void capture_at(const triage_input& in, std::uint64_t end);
  const triage_input* last_completed_input_ = nullptr;
  std::uint64_t last_completed_end_ = 0;
  source_position last_completed_source_;

 public:
  // The point where the executed position given in the options ends a transaction, with
  // the GTID state there (MariaDB: also after damage; MySQL: before it).
  std::optional<resume_point> executed_capture;
  // The source coordinates where the executed relay position (relay-log.info's, or
  // Relay_Log_File:Relay_Log_Pos) ends a transaction in these files.
  std::optional<source_position> relay_executed_source;
  // The temporary tables open at the executed point (statement-format sessions).
  std::vector<open_temp_table> executed_temp_tables;

 private:
  temp_table_tracker temps_;
};

scanner::compact_point scanner::point_after(const triage_input& in, std::uint64_t end) const {
  compact_point p;
  p.input = &in;
  p.end = end;
  p.source_file = source_file_;
  p.source_pos = source_pos_;
  p.gtid = tracker_.gtid();
  return p;
}

// The GTID state is that of the reported point: it stops growing at the first damage, and
// undo() takes back the one transaction a rollback to last_good_prior_ drops.
resume_point scanner::render(const compact_point& c) const {
  resume_point p;
  p.relay_file = c.input->name;
  p.relay_pos = c.end;
  p.source = {source_names_[c.source_file], c.source_pos};
  p.gtid = c.gtid.text();
  p.gtid_state = gtids_.text(rep_.flavor);
  return p;
}

void scanner::note_table(const any_event& d, std::vector<std::string>& into) const {
  const auto* tm = std::get_if<table_map_event>(&d);
  if (tm == nullptr || into.size() >= 64) return;
  std::string name = sql_identifier(tm->database) + "." + sql_identifier(tm->table);
  if (std::find(into.begin(), into.end(), name) == into.end()) into.push_back(std::move(name));
}

// Called where a transaction completes: if the options' executed position (or, on
// MariaDB, the executed GTID of a single domain) is this point, keep it complete.
void scanner::capture_executed(const triage_input& in, std::uint64_t end) {
  const source_position here{source_names_[source_file_], source_pos_};
  // The SQL thread's relay-log position is where it reads: it wins over the source
  // position recorded beside it, which CHANGE MASTER ... RELAY_LOG_FILE sets to the
  // receiver's read position (MariaDB, MySQL) until the next source rotate.
  if (opt_.executed_relay_position && !relay_executed_source &&
      base_name(in.name) == base_name(opt_.executed_relay_position->file) && end == opt_.executed_relay_position->pos) {
    relay_executed_source = here;
    executed_capture.reset();
    capture_at(in, end);
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
  if (match) capture_at(in, end);
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

void scanner::capture_at(const triage_input& in, std::uint64_t end) {
  const source_position here{source_names_[source_file_], source_pos_};
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
  executed_temp_tables = temps_.open();
}

std::uint32_t scanner::source_name_index(std::string_view name) {
  if (source_names_[source_file_] == name) return source_file_;
  source_names_.emplace_back(name);
  return static_cast<std::uint32_t>(source_names_.size() - 1);
}

void scanner::add_damage(const triage_input& in, std::uint64_t offset, std::uint64_t length,
                         const error& e, bool tail) {
  damage_range d;
  d.file = in.name;
  d.offset = offset;
  d.length = length;
  d.code = e.code;
  d.event_type = e.event_type;
  d.detail = e.detail;
  d.tail = tail;
  rep_.damage.push_back(std::move(d));
  note_source_at_damage();
  // The transaction the damage falls in (one record per lost transaction).
  if ((tracker_.in_transaction() || !skip_to_boundary_) && rep_.damaged_transactions.size() < 1000) {
    damaged_transaction t;
    t.file = in.name;
    t.offset = offset;
    if (tracker_.in_transaction()) {
      t.gtid = tracker_.gtid().text();
      t.tables = txn_tables_;
      if (txn_input_ != nullptr) t.begin_file = txn_input_->name, t.begin = txn_begin_;
    }
    t.after_gtid = last_completed_gtid_;
    rep_.damaged_transactions.push_back(std::move(t));
  }
  damaged_ = true;
  // Whatever transaction was open is lost: wait for the next one to begin.
  if (tracker_.in_transaction()) tracker_ = transaction_tracker{};
  skip_to_boundary_ = true;
}

bool scanner::log_pos_plausible(const event_view& ev) const {
  if (ev.header.log_pos == 0 || ev.format->binlog_version() < 4) return true;
  if (!relay_) return ev.header.log_pos == ev.end_offset();
  // In a relay log the receiver's own events (its format description, rotates, stop)
  // carry their end offset in the relay file; the source's carry source positions.
  if (ev.header.server_id == relay_server_id_ && (ev.header.flags & flag_artificial) == 0) {
    return ev.header.log_pos == ev.end_offset();
  }
  return true;
}

bool scanner::probe(bytes data, const format_description& fd, std::uint64_t at) const {
  reader_options ro;
  event_reader r(data, fd, at, ro);
  for (std::size_t i = 0; i < opt_.resync_chain; ++i) {
    auto next = r.next();
    if (!next) return false;
    if (!next->has_value()) return i > 0;  // reached the end exactly after a valid event
    const event_view& ev = **next;
    if (!log_pos_plausible(ev)) return false;
    if (!decode(ev)) return false;
    if (!fd.has_checksums() && !is_known_type(ev.header.type_code)) return false;
  }
  return true;
}

std::optional<std::uint64_t> scanner::resync(bytes data, const format_description& fd,
                                             std::uint64_t from) const {
  for (std::uint64_t at = from; at + fd.header_length() <= data.size(); ++at) {
    // Cheap filters first: a known type this format defines, a size that fits.
    std::uint8_t type = fd.canonical_type(data[at + 4]);
    if (!is_known_type(type) || !fd.defines(type)) continue;
    std::uint32_t size = detail::le32(data.data() + at + 9);
    if (size < fd.header_length() || size > data.size() - at) continue;
    if (!relay_ && fd.binlog_version() >= 4) {
      std::uint32_t log_pos = detail::le32(data.data() + at + 13);
      if (log_pos != 0 && log_pos != at + size) continue;
    }
    if (probe(data, fd, at)) return at;
  }
  return std::nullopt;
}

// The first damage: where the transaction it falls in began, else the source position
// before the damaged event (after the last event read when the damage was found by the
// reader).
void scanner::note_source_at_damage() {
  if (damaged_ || source_pos_ == 0) return;
  if (tracker_.in_transaction() && txn_source_pos_ != 0) {
    rep_.source_at_damage = source_position{source_names_[txn_source_file_], txn_source_pos_};
  } else if (in_event_) {
    if (source_pos_before_ != 0) rep_.source_at_damage = source_position{source_names_[source_file_before_], source_pos_before_};
  } else {
    rep_.source_at_damage = source_position{source_names_[source_file_], source_pos_};
  }
}

void scanner::on_event(const triage_input& in, const event_view& ev, const any_event& d) {
  struct in_event_scope {
    bool& flag;
    explicit in_event_scope(bool& f) : flag(f) { flag = true; }
    ~in_event_scope() { flag = false; }
  } scope(in_event_);
  source_file_before_ = source_file_;
  source_pos_before_ = source_pos_;
  const auto t = ev.type();
  const bool after_rotate = after_rotate_;
  after_rotate_ = t == event_type::rotate;
  // Source coordinates.
  if (t == event_type::rotate) {
    const auto& r = std::get<rotate_event>(d);
    // In a relay log, a rotate from another server names the source's binlog; a
    // binlog's own rotate (and the relay log's) names only the next file of the set.
    if (relay_ && ev.header.server_id != relay_server_id_) {
      source_input_ = nullptr;
      const std::uint32_t next = source_name_index(r.next_file);
      if (next != source_file_ && source_file_ != 0 && source_pos_ > binlog_magic_size) {
        source_rotates_.push_back({source_names_[source_file_], source_pos_, source_names_[next]});
        // Right after the SQL thread applied this rotate, the server shows the new name
        // with the old position: the point where the old file's last transaction ended.
        if (opt_.executed_position && !executed_capture && opt_.executed_position->file == r.next_file &&
            opt_.executed_position->pos == source_pos_) {
          if (last_completed_input_ != nullptr && last_completed_source_ == source_position{source_names_[source_file_], source_pos_}) {
            capture_at(*last_completed_input_, last_completed_end_);
          }
        }
      }
      source_file_ = next;
      source_pos_ = r.position;
      last_source_log_pos_ = 0;
    }
  } else if (relay_) {
    if (ev.header.server_id != relay_server_id_ && ev.header.log_pos != 0 &&
        t != event_type::format_description) {
      source_pos_ = ev.header.log_pos;
      last_source_log_pos_ = ev.header.log_pos;
    }
  } else {
    if (source_input_ != &in) {  // once per file, not per event
      source_file_ = source_name_index(source_binlog_name(in.name));
      source_input_ = &in;
    }
    source_pos_ = ev.end_offset();
  }

  // The GTID state before the first transaction comes from the file's own summary:
  // MySQL's PREVIOUS_GTIDS, MariaDB's GTID_LIST (binlog state at the start of the file).
  if (!any_transaction_ && !tracker_.in_transaction()) {
    if (const auto* list = std::get_if<mariadb_gtid_list_event>(&d)) {
      for (std::size_t i = 0; i < list->count; ++i) {
        auto g = list->at(i);
        gtids_.mariadb.set(g);
      }
    } else if (const auto* prev = std::get_if<previous_gtids_event>(&d)) {
      (void)for_each_sid(*prev, ev.offset, [&](const uuid_bytes& sid, std::string_view tag, bytes iv) {
        for (std::size_t i = 0; i + 16 <= iv.size(); i += 16) {
          auto a = static_cast<std::int64_t>(detail::load_le(iv.data() + i, 8));
          auto b = static_cast<std::int64_t>(detail::load_le(iv.data() + i + 8, 8));
          // Numbers start at 1: a hostile interval below that keeps its valid part.
          if (b > a && b > 1) {
            gtids_.mysql.add(mysql_gtid_source{sid, gtid_state::lower_tag(tag)},
                             {static_cast<std::uint64_t>(std::max<std::int64_t>(a, 1)), static_cast<std::uint64_t>(b - 1)});
          }
        }
      });
    }
  }

  if (const auto* q = std::get_if<query_event>(&d); q != nullptr && !q->compressed) {
    temps_.on_statement(q->query, q->database, q->thread_id, in.name, ev.offset);
  }
  const bool is_gtid = t == event_type::gtid || t == event_type::anonymous_gtid ||
                       t == event_type::gtid_tagged || t == event_type::mariadb_gtid;
  if (is_gtid) saw_gtid_ = true;
  // After damage, the events up to the next transaction boundary belong to a transaction
  // whose start (or part) was lost: none of them counts. The boundary is the next GTID
  // event; in logs without GTIDs, the end of the broken transaction or the next BEGIN.
  if (skip_to_boundary_ && !rep_.damaged_transactions.empty() && !is_gtid) {
    note_table(d, rep_.damaged_transactions.back().tables);
  }
  if (skip_to_boundary_) {
    if (is_gtid) {
      skip_to_boundary_ = false;
      tracker_ = transaction_tracker{};
    } else if (!saw_gtid_) {
      const auto* q = std::get_if<query_event>(&d);
      const auto kind = q != nullptr && !q->compressed ? classify_statement(q->query) : statement_kind::other;
      if (kind == statement_kind::begin) {
        skip_to_boundary_ = false;
        tracker_ = transaction_tracker{};
      } else {
        if (t == event_type::xid || kind == statement_kind::commit || kind == statement_kind::rollback) {
          skip_to_boundary_ = false;
          tracker_ = transaction_tracker{};
        }
        return;
      }
    } else {
      return;
    }
  }

  // A real format description from the source (not the receiver's artificial copy, not
  // the relay log's own) inside a transaction: the receiver reconnected and the source
  // sends the open transaction again from its start.
  if (relay_ && t == event_type::format_description && ev.header.server_id != relay_server_id_ &&
      ev.header.log_pos != 0 && (ev.header.flags & flag_artificial) == 0) {
    // A receiver's reconnect always writes the source's rotate first.
    if (!after_rotate) {
      add_damage(in, ev.offset, ev.raw.size(),
                 error{errc::bad_body, ev.offset, static_cast<std::int16_t>(ev.header.type_code),
                       "format description from the source without the rotate that precedes a reconnect"});
      return;
    }
    if (tracker_.abandon()) ++rep_.abandoned_partial_transactions;
  }

  // An event identical to the one before it is a duplicated block: no server writes the
  // same event twice in a row (timestamps, positions and checksums differ).
  if (prev_raw_.size() == ev.raw.size() && !prev_raw_.empty() &&
      std::equal(prev_raw_.begin(), prev_raw_.end(), ev.raw.begin())) {
    prev_raw_ = {};
    add_damage(in, ev.offset, ev.raw.size(),
               error{errc::bad_body, ev.offset, static_cast<std::int16_t>(ev.header.type_code),
                     "event repeats the one before it byte for byte (a duplicated block)"});
    return;
  }
  prev_raw_ = ev.raw;

  // Transaction grammar.
  auto step = tracker_.feed(ev, d);
  // In a log with GTIDs every transaction starts with one: rows without it are damage.
  if (!step.violation && step.begins && saw_gtid_ && tracker_.gtid().k == gtid_ref::kind::none &&
      (t == event_type::table_map || is_rows_event(t))) {
    step.violation = error{errc::bad_body, ev.offset, static_cast<std::int16_t>(ev.header.type_code),
                           "rows outside a transaction in a log whose transactions carry GTIDs"};
  }
  if (step.violation) {
    // A terminator with no open transaction means its start was lost: the statements
    // counted as transactions of their own since the last explicit boundary may be the
    // middle of it. Resume before them.
    if (!damaged_ && loose_since_boundary_ > 0) {
      last_good_ = last_strict_good_;
      rep_.transactions_before_damage -= loose_since_boundary_;
    }
    add_damage(in, ev.offset, ev.raw.size(), *step.violation);
    return;
  }
  if (step.begins) txn_tables_.clear();
  note_table(d, txn_tables_);
  if (step.begins) {
    any_transaction_ = true;
    txn_input_ = &in;
    txn_begin_ = ev.offset;
    txn_source_file_ = source_file_before_;
    txn_source_pos_ = source_pos_before_;
  }
  if (step.completes && step.extends) {
    // The transaction that just closed ends at this XID instead.
    capture_executed(in, ev.end_offset());
    if (!damaged_ && last_good_) {
      last_good_ = point_after(in, ev.end_offset());
    } else if (damaged_ && !rep_.intact_after_damage.empty()) {
      auto& tr = rep_.intact_after_damage.back();
      tr.end_file = in.name;
      tr.end = ev.end_offset();
      tr.source_end = {source_names_[source_file_], source_pos_};
    }
    return;
  }
  if (step.completes) {
    last_completed_gtid_ = tracker_.gtid().text();
    if (!damaged_) {
      gtids_.add(tracker_.gtid());
      ++rep_.transactions_before_damage;
      last_good_prior_ = std::move(last_good_);
      completed_input_ = &in;
      completed_offset_ = ev.offset;
      last_good_ = point_after(in, ev.end_offset());
      // A statement that opened and closed itself (no GTID, no BEGIN) is a weaker boundary.
      if (step.begins && tracker_.gtid().k == gtid_ref::kind::none) {
        ++loose_since_boundary_;
      } else {
        loose_since_boundary_ = 0;
        last_strict_good_ = last_good_;
      }
    } else {
      ++rep_.intact_after_damage_count;
      if (rep_.intact_after_damage.size() < max_listed_after_damage) {
        transaction_record tr;
        tr.file = txn_input_ != nullptr ? txn_input_->name : in.name;
        tr.begin = txn_begin_;
        tr.end_file = in.name;
        tr.end = ev.end_offset();
        tr.source_end = {source_names_[source_file_], source_pos_};
        tr.gtid = tracker_.gtid().text();
        rep_.intact_after_damage.push_back(std::move(tr));
      }
    }
    capture_executed(in, ev.end_offset());
    last_completed_input_ = &in;
    last_completed_end_ = ev.end_offset();
    last_completed_source_ = {source_names_[source_file_], source_pos_};
  }
}

// The reader stopped at a read error in `in`: records the damage and says how the scan
// goes on (reading after it, stopping the file, or abandoning the file as unreadable).
scanner::read_step scanner::on_read_error(const triage_input& in, event_reader& reader, bool last_file) {
  const error e = reader.last_error();
  if (e.code == errc::bad_magic || (e.code == errc::truncated && e.offset == 0)) {
    rep_.unreadable = true;
    add_damage(in, 0, in.data.size(), e);
    return read_step::abandon;
  }
  if (e.code == errc::encrypted) {
    rep_.notes.push_back(fmt::format("{}: events from offset {} are encrypted; no key given", in.name, e.offset));
    rep_.unreadable = true;
    return read_step::abandon;
  }
  const auto* fd = reader.format();
  if (e.code == errc::checksum_mismatch) {
    // The frame may still be right: if the event's log_pos says so, skip just it.
    const std::uint64_t at = e.offset;
    const std::uint32_t size = detail::le32(in.data.data() + at + 9);
    const std::uint32_t log_pos = detail::le32(in.data.data() + at + 13);
    const bool frame_ok = relay_ || log_pos == 0 || log_pos == at + size;
    if (frame_ok && at + size <= in.data.size() && (at + size == in.data.size() || probe(in.data, *fd, at + size))) {
      add_damage(in, at, size, e);
      return read_step::next;  // the reader already stands after the event
    }
    auto again = resync(in.data, *fd, at + 1);
    add_damage(in, at, (again ? *again : in.data.size()) - at, e);
    if (!again) return read_step::stop;
    reader.seek(*again);
    return read_step::next;
  }
  if (fd == nullptr) {
    rep_.unreadable = true;
    add_damage(in, e.offset, in.data.size() - e.offset, e, e.code == errc::truncated);
    return read_step::abandon;
  }
  // Framing error: the file ends inside an event (a torn tail) or the chain broke.
  // Without checksums the event before a broken chain is suspect too: its size field,
  // or bytes dropped inside it, may be what broke the chain (which shows only at the
  // next frame). Resume before it: one transaction early is safe, one late is not.
  error at = e;
  // A binlog's torn tail still has an honest header: its log_pos is where the event
  // would have ended. A header that says otherwise is damage, not an unfinished write.
  if (e.code == errc::truncated && !relay_ && fd->binlog_version() >= 4 &&
      in.data.size() - e.offset >= fd->header_length()) {
    const auto* h = in.data.data() + e.offset;
    const std::uint32_t lp = detail::le32(h + 13);
    if (lp != 0 && lp != e.offset + detail::le32(h + 9)) {
      at.code = errc::bad_event_length;
      at.detail = "event header runs past the end of the file and its log_pos disagrees with its size";
    }
  }
  const bool honest_tail = at.code == errc::truncated && !relay_ && fd->binlog_version() >= 4;
  if (!fd->has_checksums() && !honest_tail && prev_event_end_ == e.offset && prev_input_ == &in) {
    at.offset = prev_event_offset_;
    if (!damaged_ && completed_input_ == &in && completed_offset_ == prev_event_offset_) {
      // That event closed a transaction: the transaction is not to be trusted either.
      last_good_ = last_good_prior_;
      gtids_.undo();
      rep_.transactions_before_damage -= 1;
    }
  }
  auto again = resync(in.data, *fd, e.offset + 1);
  if (!again) {
    const bool tail = at.code == errc::truncated;
    add_damage(in, at.offset, in.data.size() - at.offset, at, tail);
    if (tail && !last_file) {
      rep_.notes.push_back(fmt::format(
          "{} ends inside an event (a crash while writing); later files were opened after a restart",
          in.name));
    }
    return read_step::stop;
  }
  add_damage(in, at.offset, *again - at.offset, at);
  reader.seek(*again);
  return read_step::next;
}

// Relay-log detection: a second format description, or a rotate from another server:
// the receiver's fake rotate naming the source's binlog (log_pos 0 or artificial), or
// the source's own rotate (log_pos: the end of the binlog it closes) as the first event
// after the relay log's format description. MariaDB writes it there when the source's
// rotate arrives: after relay_log_purge removed the relay log before, it heads the set.
void scanner::detect_relay(const event_view& ev, std::uint64_t nth) {
  if (!opt_.relay.has_value() && !relay_ && ev.offset > 4 &&
      ((ev.type() == event_type::format_description && ev.header.server_id != relay_server_id_) ||
       (ev.type() == event_type::rotate && ev.header.server_id != relay_server_id_ &&
        (ev.header.log_pos == 0 || (ev.header.flags & flag_artificial) != 0 || nth == 1)))) {
    relay_ = true;
  }
}

// The log_pos checks of a decoded event: false when it is damage (recorded, and the
// reader moved past it when log_pos names a later frame).
bool scanner::log_pos_intact(const triage_input& in, const event_view& ev, event_reader& reader) {
  if (!log_pos_plausible(ev)) {
    // A binlog event's log_pos is its end. If log_pos names a later plausible frame, the
    // size field is what broke; otherwise log_pos itself did.
    error e{errc::bad_log_pos, ev.offset, static_cast<std::int16_t>(ev.header.type_code),
            "log_pos does not equal the event's end offset"};
    const std::uint64_t claimed = ev.header.log_pos;
    if (claimed > ev.offset + ev.format->header_length() && claimed <= in.data.size() &&
        (claimed == in.data.size() || probe(in.data, *ev.format, claimed))) {
      add_damage(in, ev.offset, claimed - ev.offset, e);
      reader.seek(claimed);
      return false;
    }
    add_damage(in, ev.offset, ev.raw.size(), e);
    return false;
  }
  // MySQL 5.0 wrote events of a transaction with log_pos relative to the transaction's
  // start, so continuity is checked for sources from 5.1 on. Artificial events are not
  // checked: a MariaDB source sends a fake Gtid_list (LOG_EVENT_ARTIFICIAL_F) on each
  // GTID connect, log_pos the position connected at, so a receiver that reconnects
  // without new events between writes the same log_pos again.
  if (relay_ && ev.header.server_id != relay_server_id_ && ev.header.log_pos != 0 &&
      (ev.header.flags & flag_artificial) == 0 &&
      last_source_log_pos_ != 0 && ev.format->version() >= version_triple{5, 1, 0} &&
      ev.type() != event_type::format_description &&
      ev.type() != event_type::rotate && ev.header.log_pos < last_source_log_pos_ + ev.header.event_size) {
    add_damage(in, ev.offset, ev.raw.size(),
               error{errc::bad_log_pos, ev.offset, static_cast<std::int16_t>(ev.header.type_code),
                     "source log_pos goes backwards or overlaps the previous event"});
    return false;
  }
  return true;
}

void scanner::scan_file(const triage_input& in, std::size_t index, bool last_file) {
  rep_.files.push_back(in.name);
  if (in.missing) {
    // Its events are lost, as if every byte were damaged: what follows is after damage.
    add_damage(in, 0, 0, error{errc::io_error, 0, -1, "listed in the index but missing: every event in it is lost"});
    return;
  }
  any_file_ = true;
  event_reader reader(in.data);
  bool first_event = true;
  std::uint64_t event_in_file = 0;  // 0: the file's first event (its format description)
  bool saw_checksums = false;
  std::uint64_t next_progress = opt_.progress_interval;
  event_view current;
  for (;;) {
    if (opt_.progress && reader.position() >= next_progress) {
      opt_.progress(index, reader.position());
      next_progress = reader.position() + opt_.progress_interval;
    }
    const read_status st = reader.read(current);
    if (st == read_status::error) {
      const read_step step = on_read_error(in, reader, last_file);
      if (step == read_step::next) continue;
      if (step == read_step::stop) break;
      return;
    }
    if (st == read_status::end) break;
    const event_view& ev = current;
    ++rep_.events;
    if (!damaged_) {
      prev_event_offset_ = ev.offset;
      prev_event_end_ = ev.end_offset();
      prev_input_ = &in;
    }

    if (ev.type() == event_type::format_description || ev.type() == event_type::start_v3) {
      if (!first_fd_seen_) {
        first_fd_seen_ = true;
        relay_server_id_ = ev.header.server_id;
        rep_.flavor = ev.format->flavor();
        rep_.server_version = std::string(ev.format->server_version());
      }
      if (first_event) saw_checksums = ev.format->has_checksums();
    }
    if (first_event && opt_.relay.has_value()) relay_ = *opt_.relay;
    first_event = false;
    const std::uint64_t nth = event_in_file++;

    detect_relay(ev, nth);

    auto decoded = decode(ev);
    if (!decoded) {
      add_damage(in, ev.offset, ev.raw.size(), decoded.error());
      continue;
    }
    if (!log_pos_intact(in, ev, reader)) continue;
    on_event(in, ev, *decoded);
  }
  if (!saw_checksums) all_checksums_ = false;
}

void scanner::finish(const std::vector<triage_input>& inputs) {
  // The set ends inside a transaction: its start is there, its end never came (a crash
  // while writing, or a receiver stopped mid-transaction). Report it as a torn tail.
  if (tracker_.in_transaction() && !skip_to_boundary_ && !inputs.empty()) {
    const auto& last = inputs.back();
    const bool same_file = txn_input_ == &last;
    damage_range d;
    d.file = last.name;
    d.offset = same_file ? txn_begin_ : binlog_magic_size;
    d.length = last.data.size() - d.offset;
    d.code = errc::truncated;
    d.detail = "the files end inside a transaction: its end was never written";
    d.tail = true;
    rep_.damage.push_back(std::move(d));
    note_source_at_damage();
    damaged_ = true;
  }
  if (last_good_) rep_.last_good = render(*last_good_);
  if (source_pos_ != 0) rep_.source_end = source_position{source_names_[source_file_], source_pos_};
  rep_.relay = relay_;
  rep_.checksums = any_file_ && all_checksums_;
  rep_.unverifiable = !rep_.checksums;
}

// ---- plans ---------------------------------------------------------------------------
// Statements only (the JSON lists them to be run in order); triage_report_text prints the
// comments beside them.

// MariaDB, the GTID state known: the relay logs go (RESET SLAVE), the replica fetches again
// from that state.
std::vector<std::string> mariadb_plan_gtid(const std::string& state) {
  auto lit = plan_literal(state);
  if (!lit) return {};
  return {"STOP SLAVE", "RESET SLAVE", fmt::format("SET GLOBAL gtid_slave_pos = {}", *lit),
          "CHANGE MASTER TO MASTER_USE_GTID = slave_pos", "START SLAVE"};
}

// MariaDB, the executed position unknown: the server's own gtid_slave_pos (crash-safe, kept
// by the SQL thread in both replication modes) decides.
std::vector<std::string> mariadb_plan_server_state() {
  return {"STOP SLAVE", "RESET SLAVE", "CHANGE MASTER TO MASTER_USE_GTID = slave_pos", "START SLAVE"};
}

// MySQL, the executed set decides: RESET also forgets the retrieved set of the damaged relay
// logs, which auto-positioning would otherwise not fetch again.
std::vector<std::string> mysql_plan_auto_position(bool mysql8) {
  if (mysql8) {
    return {"STOP REPLICA", "RESET REPLICA", "CHANGE REPLICATION SOURCE TO SOURCE_AUTO_POSITION = 1", "START REPLICA"};
  }
  return {"STOP SLAVE", "RESET SLAVE", "CHANGE MASTER TO MASTER_AUTO_POSITION = 1", "START SLAVE"};
}

// File/position (CHANGE MASTER with a position discards the relay logs); names are quoted
// for every sql_mode and read as utf8mb4.
std::vector<std::string> plan_position_legacy(const resume_point& p, bool mariadb) {
  auto file = plan_literal(p.source.file);
  if (!file) return {};
  return {"SET NAMES utf8mb4", "STOP SLAVE",
          fmt::format("CHANGE MASTER TO MASTER_LOG_FILE = {}, MASTER_LOG_POS = {}{}", *file, p.source.pos,
                      mariadb ? ", MASTER_USE_GTID = no" : ""),
          "START SLAVE"};
}

std::vector<std::string> plan_position_mysql8(const resume_point& p) {
  auto file = plan_literal(p.source.file);
  if (!file) return {};
  return {"SET NAMES utf8mb4", "STOP REPLICA",
          fmt::format("CHANGE REPLICATION SOURCE TO SOURCE_AUTO_POSITION = 0, SOURCE_LOG_FILE = {}, SOURCE_LOG_POS = {}",
                      *file, p.source.pos),
          "START REPLICA"};
}

// A MySQL set (MariaDB items are not one): std::nullopt when the text is none.
std::optional<gtid_set> parse_mysql_set(std::string_view text) {
  // Only blanks and commas: the empty set (a replica that executed nothing).
  if (std::all_of(text.begin(), text.end(), [](char c) { return c == ',' || std::isspace(static_cast<unsigned char>(c)); })) {
    return gtid_set{};
  }
  auto s = gtid_set::parse(text);
  if (!s || !s->mariadb().empty()) return std::nullopt;
  return std::move(*s);
}

std::optional<mariadb_gtid_position> parse_mariadb_position(std::string_view text) {
  auto p = mariadb_gtid_position::parse(text);
  if (!p) return std::nullopt;
  return std::move(*p);
}

std::string_view trim_blanks(std::string_view v) {
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front()))) v.remove_prefix(1);
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.remove_suffix(1);
  return v;
}

}  // namespace

std::optional<mysql_gtid_intervals> parse_mysql_gtid_set(std::string_view text) {
  auto set = parse_mysql_set(text);
  if (!set) return std::nullopt;
  mysql_gtid_intervals out;
  for (const auto& [src, iv] : set->mysql()) {
    auto& list = out[{format_uuid(src.uuid), src.tag}];
    for (auto x : iv) list.emplace_back(static_cast<std::int64_t>(x.first), static_cast<std::int64_t>(x.last));
  }
  return out;
}

int compare_positions(const source_position& a, const source_position& b) noexcept {
  if (a.file != b.file) return compare_binlog_names(a.file, b.file) < 0 ? -1 : 1;
  if (a.pos == b.pos) return 0;
  return a.pos < b.pos ? -1 : 1;
}

std::optional<source_position> parse_source_position(std::string_view text) {
  auto colon = text.find_last_of(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  source_position p;
  p.file = std::string(text.substr(0, colon));
  auto num = text.substr(colon + 1);
  auto [ptr, ec] = std::from_chars(num.data(), num.data() + num.size(), p.pos);
  if (ec != std::errc() || ptr != num.data() + num.size()) return std::nullopt;
  return p;
}

int triage_report::exit_code() const noexcept {
  if (unreadable && !last_good) return exit_code::unreadable;
  if (damage.empty()) return exit_code::ok;
  return resume_mode != resume_mode::none ? exit_code::damaged : exit_code::no_answer;
}

namespace {

// Right after the SQL thread has applied the source's Rotate, MariaDB (and relay-log.info)
// shows the new binlog's name with the old binlog's position. Such a position is read as
// the point in the old file it means (taken literally it lies past transactions the replica
// never applied); relay-log.info's relay position wins over its source position where it is
// the last good point.
std::optional<source_position> normalise_executed_position(triage_report& rep, const scanner& sc,
                                                           const triage_options& options) {
  std::optional<source_position> executed_pos = options.executed_position;
  if (executed_pos && executed_pos->file.empty()) {
    rep.notes.push_back(fmt::format("the executed position names no source binlog (:{}; a replica reset or never "
                                    "started): ignored",
                                    executed_pos->pos));
    return std::nullopt;
  }
  if (!executed_pos) return executed_pos;
  for (const auto& r : sc.source_rotates()) {
    if (executed_pos->file == r.to_file && executed_pos->pos == r.from_pos) {
      rep.notes.push_back(fmt::format(
          "the executed position {}:{} names the binlog after the source's rotate with the position "
          "where {} ended (as the server shows it right after a rotate): read as {}:{}",
          executed_pos->file, executed_pos->pos, r.from_file, r.from_file, r.from_pos));
      executed_pos = source_position{r.from_file, r.from_pos};
      break;
    }
  }
  if (sc.relay_executed_source && *sc.relay_executed_source != *executed_pos) {
    const auto& r = *options.executed_relay_position;
    rep.notes.push_back(fmt::format(
        "the executed relay position {}:{} ends a transaction at source {}:{}, not at the source position "
        "recorded with it ({}:{}; CHANGE MASTER ... RELAY_LOG_FILE records the receiver's position there): "
        "using the relay position",
        r.file, r.pos, sc.relay_executed_source->file, sc.relay_executed_source->pos, executed_pos->file,
        executed_pos->pos));
    return sc.relay_executed_source;
  }
  if (options.executed_relay_position && rep.last_good &&
      base_name(options.executed_relay_position->file) == base_name(rep.last_good->relay_file) &&
      options.executed_relay_position->pos == rep.last_good->relay_pos &&
      compare_positions(*executed_pos, rep.last_good->source) != 0) {
    rep.notes.push_back(fmt::format(
        "relay-log.info's relay position {}:{} is the last good point; its source position {}:{} is not "
        "that point's ({}:{}): using the relay position",
        options.executed_relay_position->file, options.executed_relay_position->pos, executed_pos->file,
        executed_pos->pos, rep.last_good->source.file, rep.last_good->source.pos));
    executed_pos = rep.last_good->source;
  }
  return executed_pos;
}

// The executed point as complete as the files allow: the transaction end that the given
// position (or a single-domain MariaDB GTID) names, with its GTID state; the given GTIDs
// win over a state computed from the files.
std::optional<executed_point> executed_from(triage_report& rep, const scanner& sc, const triage_options& options,
                                            const std::optional<source_position>& pos) {
  std::optional<std::string> gtids;
  if (options.executed_gtids) {
    const bool ok = rep.flavor == flavor::mariadb ? parse_mariadb_position(*options.executed_gtids).has_value()
                                                  : parse_mysql_set(*options.executed_gtids).has_value();
    if (ok) {
      gtids = std::string(trim_blanks(*options.executed_gtids));
    } else {
      rep.notes.push_back(fmt::format("--executed-gtids '{}' is not a {}: ignored", *options.executed_gtids,
                                      rep.flavor == flavor::mariadb ? "d-s-n list" : "MySQL GTID set"));
    }
  }
  if (!pos && !gtids) return std::nullopt;
  executed_point e;
  e.origin = !options.executed_origin.empty() ? options.executed_origin
             : gtids                          ? "--executed-gtids"
                                              : "--executed-position";
  const bool captured = sc.executed_capture &&
                        (!pos || (sc.executed_capture->source == *pos));
  if (captured) {
    e.point = *sc.executed_capture;
  } else if (pos && rep.last_good && rep.last_good->source == *pos) {
    e.point = *rep.last_good;
  } else if (pos) {
    e.point.source = *pos;
    if (options.executed_relay_position) {
      e.point.relay_file = options.executed_relay_position->file;
      e.point.relay_pos = options.executed_relay_position->pos;
    }
  }
  if (gtids) e.point.gtid_state = *gtids;
  return e;
}

// Where the executed point stands against the last good one: -1 before, 0 at, 1 past;
// nullopt when the two cannot be compared (GTIDs of other sources only).
std::optional<int> executed_vs_last_good(triage_report& rep, const executed_point& ex) {
  const resume_point& good = *rep.last_good;
  if (!ex.point.source.file.empty()) return compare_positions(ex.point.source, good.source);
  if (ex.point.gtid_state.empty()) return std::nullopt;
  bool behind = false, ahead = false;
  if (rep.flavor == flavor::mariadb) {
    auto executed = parse_mariadb_position(ex.point.gtid_state);
    if (!executed) {
      rep.notes.push_back(fmt::format("the executed GTIDs '{}' are not a d-s-n list: ignored", ex.point.gtid_state));
      return std::nullopt;
    }
    auto last = parse_mariadb_position(good.gtid_state).value_or(mariadb_gtid_position{});
    for (const auto& [domain, g] : executed->domains()) {
      const auto* at = last.find(domain);
      if (at == nullptr) continue;
      behind = behind || g.seq_no < at->seq_no;
      ahead = ahead || g.seq_no > at->seq_no;
    }
    // A domain of these files that the executed GTIDs do not name: the replica executed
    // nothing of it, so it is behind there (resuming at the last good state would skip
    // that domain's transactions up to it).
    for (const auto& [domain, g] : last.domains()) behind = behind || executed->find(domain) == nullptr;
  } else {
    // A MySQL executed set against the set at the last good point, per source UUID (and
    // tag) that these files carry: the replica's own transactions are not compared.
    auto executed = parse_mysql_set(ex.point.gtid_state);
    if (!executed) {
      rep.notes.push_back(fmt::format("the executed GTIDs '{}' are not a MySQL GTID set: ignored", ex.point.gtid_state));
      return std::nullopt;
    }
    auto last = parse_mysql_set(good.gtid_state).value_or(gtid_set{});
    behind = !executed->contains(last);
    ahead = !last.contains(executed->only_sources_of(last));
  }
  if (behind) return -1;  // behind in one domain: resuming there skips nothing
  return ahead ? 1 : 0;
}

void note_unknown_executed(triage_report& rep, bool sql_running) {
  const bool mariadb = rep.flavor == flavor::mariadb;
  rep.notes.insert(rep.notes.begin(),
                   fmt::format("the replica's executed position is unknown ({}): the last good received point is no "
                               "resume point, the SQL thread may be far behind it. The plan lets the server resume from "
                               "its own executed state ({}); or learn the position with {} and run triage again with {}",
                               sql_running ? "--replica: its SQL thread is running, no position was taken"
                                           : "no relay-log.info, --executed-position, --executed-gtids or --replica given",
                               mariadb ? "gtid_slave_pos" : "gtid_executed with GTID auto-positioning",
                               mariadb ? "SHOW SLAVE STATUS and SELECT @@GLOBAL.gtid_slave_pos"
                                       : "SHOW REPLICA STATUS and SELECT @@GLOBAL.gtid_executed",
                               mariadb ? "--executed-gtids" : "--executed-gtids or --executed-position"));
  rep.learn_executed_sql = mariadb ? std::vector<std::string>{"SHOW SLAVE STATUS", "SELECT @@GLOBAL.gtid_slave_pos"}
                                   : std::vector<std::string>{"SHOW REPLICA STATUS", "SELECT @@GLOBAL.gtid_executed"};
}

// The resume rule: never past what the replica executed (nothing skipped), never before it
// (nothing applied twice). Without the executed point a relay-log set gets the server's own
// state, never the last good received point.
void choose_resume(triage_report& rep, const triage_options& options, const std::optional<source_position>& pos) {
  const bool mariadb = rep.flavor == flavor::mariadb;
  if (!rep.executed && rep.damage.empty()) {
    rep.resume = rep.last_good;  // nothing to resume: kept for scripts that read it
    return;
  }
  if (!rep.executed) {
    if (!rep.relay) {
      // A server's own binlog: its last good transaction is what a reader can trust.
      if (rep.last_good) {
        rep.resume = rep.last_good;
        rep.resume_mode = resume_mode::position;
      } else {
        rep.notes.push_back("no complete transaction precedes the first damage: no resume point can be trusted");
      }
      return;
    }
    note_unknown_executed(rep, options.replica_sql_running);
    if (options.replica_sql_running) {
      rep.notes.insert(rep.notes.begin(),
                       "the replica's SQL thread is running: its executed position moves while triage reads, so none "
                       "was taken; STOP SLAVE SQL_THREAD and run triage again for a position, or follow the plan "
                       "that lets the server decide");
    }
    const bool has_gtids = mariadb || (rep.last_good && !rep.last_good->gtid_state.empty());
    if (has_gtids) {
      rep.resume_mode = resume_mode::server_state;
    } else {
      rep.notes.push_back(
          "these relay logs carry no GTIDs: no plan can let the server decide; run triage again with the "
          "executed position (relay-log.info, or Relay_Master_Log_File:Exec_Master_Log_Pos)");
    }
    return;
  }
  const executed_point& ex = *rep.executed;
  if (options.executed_relay_position && !options.executed_gtids && !options.executed_origin.starts_with("the replica")) {
    rep.notes.push_back(
        "relay-log.info is written every sync_relay_log_info transactions and at STOP SLAVE: after a crash it may "
        "lag what the replica applied (the plan then applies transactions twice); on a GTID replica pass "
        "--executed-gtids (SELECT @@GLOBAL.gtid_slave_pos / gtid_executed, crash-safe) instead");
  }
  std::optional<int> c;
  if (rep.last_good) c = executed_vs_last_good(rep, ex);
  if (rep.last_good && c && *c == 0) {
    rep.resume = rep.last_good;  // its GTID state is the source's (a MySQL replica's own GTIDs left out)
  } else {
    rep.resume = ex.point;
  }
  rep.resume_mode = rep.resume->source.file.empty() ? resume_mode::gtid_only : resume_mode::position;
  if (rep.resume_mode == resume_mode::gtid_only && rep.resume->gtid_state.empty()) {
    rep.resume.reset();
    rep.resume_mode = resume_mode::none;
    return;
  }
  if (!rep.last_good || !c) return;
  const std::string ex_text = ex.point.source.file.empty()
                                  ? fmt::format("GTIDs {}", ex.point.gtid_state)
                                  : fmt::format("position {}:{}", ex.point.source.file, ex.point.source.pos);
  const std::string good_text = fmt::format("{}:{}{}", rep.last_good->source.file, rep.last_good->source.pos,
                                            rep.last_good->gtid.empty() ? "" : " (GTID " + rep.last_good->gtid + ")");
  if (*c < 0) {
    rep.notes.push_back(fmt::format("the replica's executed point ({}, from {}) is before the last good point {}: "
                                    "resuming at the executed point so that nothing is skipped",
                                    ex_text, ex.origin, good_text));
  } else if (*c > 0) {
    if (pos && rep.source_at_damage && compare_positions(*pos, *rep.source_at_damage) <= 0) {
      rep.notes.push_back(fmt::format(
          "the replica's executed point ({}) is past the last good point {} only by events that belong to "
          "no transaction (binlog checkpoints, GTID lists): nothing at or after the damage (from {}:{}) was "
          "applied; resuming there",
          ex_text, good_text, rep.source_at_damage->file, rep.source_at_damage->pos));
    } else {
      rep.notes.push_back(fmt::format(
          "the replica's executed point ({}, from {}) is past the last good point {}: the replica applied events at or "
          "after the damage; resuming there so that nothing is applied twice, but check the data the damaged events "
          "touched",
          ex_text, ex.origin, good_text));
      rep.executed_past_damage = true;
    }
  }
}

// Which damaged transactions the replica applied: MariaDB by GTID (a lost GTID event by the
// transaction before it), else every one when the executed position is past the damage.
void mark_applied_damage(triage_report& rep) {
  if (!rep.executed || rep.damaged_transactions.empty()) return;
  std::optional<mariadb_gtid_position> executed;
  if (rep.flavor == flavor::mariadb && !rep.executed->point.gtid_state.empty()) {
    executed = parse_mariadb_position(rep.executed->point.gtid_state);
  }
  for (auto& t : rep.damaged_transactions) {
    if (executed) {
      auto applied_past = [&](const std::string& gtid, bool inclusive) {
        auto g = parse_mariadb_position(gtid);
        if (!g || g->domains().size() != 1) return false;
        const auto& one = g->domains().begin()->second;
        const auto* at = executed->find(one.domain_id);
        return at != nullptr && (inclusive ? at->seq_no >= one.seq_no : at->seq_no > one.seq_no);
      };
      t.applied = !t.gtid.empty() ? applied_past(t.gtid, true) : applied_past(t.after_gtid, false);
    } else {
      t.applied = rep.executed_past_damage;
    }
    if (!t.applied) continue;
    for (const auto& name : t.tables) {
      if (std::find(rep.check_tables.begin(), rep.check_tables.end(), name) == rep.check_tables.end()) {
        rep.check_tables.push_back(name);
      }
    }
    rep.notes.push_back(fmt::format(
        "the replica applied {} from damaged events ({} offset {}){}: its data may be wrong; compare {} with the "
        "source (CHECKSUM TABLE ... EXTENDED on both) and re-sync what differs, or re-clone the replica",
        t.gtid.empty() ? (t.after_gtid.empty() ? std::string("a transaction whose GTID event was lost")
                                               : "the transaction after " + t.after_gtid)
                       : "transaction " + t.gtid,
        t.file, t.offset, t.tables.empty() ? std::string(" (tables unknown: statement events or lost table maps)")
                                           : fmt::format(", tables {}", fmt::join(t.tables, ", ")),
        t.tables.empty() ? std::string("every table") : fmt::format("{}", fmt::join(t.tables, ", "))));
  }
}

// The replica stopped while statement-format sessions held temporary tables: only its SQL
// thread has them, in memory.
void note_temp_tables(triage_report& rep, const std::vector<open_temp_table>& open) {
  std::string list;
  for (const auto& t : open) {
    if (!list.empty()) list += ", ";
    list += fmt::format("{} (session {}, created at {} offset {})", t.name, t.thread_id, t.file, t.offset);
  }
  rep.notes.push_back(fmt::format(
      "the replica stopped inside the life of temporary table(s) {}: only its SQL thread holds them, in memory, so a "
      "replica restarted since has lost them, and statements after the resume point that use them fail (error "
      "1146) or change a permanent table of the same name; if it was restarted, no resume point both has them and "
      "applies nothing twice: re-sync the tables those statements write from the source, or re-clone",
      list));
}

void write_plans(triage_report& rep) {
  const bool mariadb = rep.flavor == flavor::mariadb;
  const bool gtid_files = rep.last_good ? !rep.last_good->gtid_state.empty() : mariadb;
  switch (rep.resume_mode) {
    case resume_mode::none:
      return;
    case resume_mode::server_state:
      if (mariadb) {
        rep.resume_sql = mariadb_plan_server_state();
      } else {
        rep.resume_sql = mysql_plan_auto_position(false);
        rep.resume_sql_mysql = mysql_plan_auto_position(true);
      }
      return;
    case resume_mode::gtid_only:
      if (mariadb) {
        rep.resume_sql = mariadb_plan_gtid(rep.resume->gtid_state);
      } else {
        rep.resume_sql = mysql_plan_auto_position(false);
        rep.resume_sql_mysql = mysql_plan_auto_position(true);
      }
      return;
    case resume_mode::position:
      break;
  }
  rep.resume_sql_position = plan_position_legacy(*rep.resume, mariadb);
  if (rep.resume_sql_position.empty() && rep.resume->source.file == stdin_name) {
    rep.notes.push_back(
        "the binlog was read from standard input, so the name of the source binlog is not known: the "
        "statements that resume by file and position are left out");
  } else if (rep.resume_sql_position.empty()) {
    rep.notes.push_back(fmt::format(
        "the source file name {} cannot be quoted as CHANGE MASTER takes it (not printable ASCII, or a "
        "backslash: no server names a binlog so): no file/position plan",
        string_literal(rep.resume->source.file)));
  }
  if (mariadb && !rep.resume->gtid_state.empty()) {
    rep.resume_sql = mariadb_plan_gtid(rep.resume->gtid_state);
  } else {
    rep.resume_sql = rep.resume_sql_position;
  }
  if (!mariadb) rep.resume_sql_mysql = plan_position_mysql8(*rep.resume);
  if (gtid_files && !rep.resume_sql_position.empty()) {
    // A file/position plan leaves a GTID replica in file/position mode: once caught up, back.
    rep.after_catch_up_sql = mariadb
                                 ? std::vector<std::string>{"STOP SLAVE", "CHANGE MASTER TO MASTER_USE_GTID = slave_pos",
                                                            "START SLAVE"}
                                 : std::vector<std::string>{"STOP SLAVE", "CHANGE MASTER TO MASTER_AUTO_POSITION = 1",
                                                            "START SLAVE"};
    if (!mariadb) {
      rep.after_catch_up_sql_mysql = {"STOP REPLICA", "CHANGE REPLICATION SOURCE TO SOURCE_AUTO_POSITION = 1",
                                      "START REPLICA"};
    }
  }
}

}  // namespace

std::string_view to_string(resume_mode m) noexcept {
  switch (m) {
    case resume_mode::none: return "none";
    case resume_mode::position: return "position";
    case resume_mode::gtid_only: return "gtid";
    case resume_mode::server_state: return "server_state";
  }
  return "none";
}

triage_report triage(const std::vector<triage_input>& inputs, const triage_options& options) {
  triage_report rep;
  scanner sc(options, rep);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    sc.scan_file(inputs[i], i, i + 1 == inputs.size());
    if (options.progress) options.progress(i, inputs[i].data.size());
  }
  sc.finish(inputs);

  const std::optional<source_position> executed_pos = normalise_executed_position(rep, sc, options);
  rep.executed = executed_from(rep, sc, options, executed_pos);
  if (rep.executed && !sc.executed_temp_tables.empty()) note_temp_tables(rep, sc.executed_temp_tables);
  choose_resume(rep, options, executed_pos);
  mark_applied_damage(rep);
  read_applied_damaged_rows(inputs, rep);
  write_plans(rep);
  if (options.executed_relay_position) {
    const auto& r = *options.executed_relay_position;
    rep.notes.push_back(fmt::format("the SQL thread had executed up to {}:{} in the relay logs{}", r.file, r.pos,
                                    executed_pos && !executed_pos->file.empty()
                                        ? fmt::format(" (source {}:{})", executed_pos->file, executed_pos->pos)
                                        : std::string()));
  }
  if (options.read_position && options.read_position->file.empty()) {
    rep.notes.push_back("master.info names no source binlog (a replica reset or never started): its read position "
                        "is ignored");
  } else if (options.read_position && rep.source_end) {
    const int c = compare_positions(*rep.source_end, *options.read_position);
    if (c < 0) {
      rep.notes.push_back(fmt::format(
          "the receiver had read up to {}:{} from the source, but the relay logs end at {}:{}: what lies "
          "between was fetched and lost; the source sends it again when replication resumes",
          options.read_position->file, options.read_position->pos, rep.source_end->file, rep.source_end->pos));
    } else if (c > 0) {
      rep.notes.push_back(fmt::format(
          "the relay logs reach {}:{}, past the position the receiver recorded ({}:{}): the position file "
          "lags behind the relay logs",
          rep.source_end->file, rep.source_end->pos, options.read_position->file, options.read_position->pos));
    }
  }

  if (rep.unverifiable && !rep.unreadable) {
    rep.notes.push_back(
        "the files carry no checksums: a changed byte that leaves every length intact cannot be "
        "detected, so an undamaged verdict means unverifiable, not clean");
  }
  return rep;
}

result<std::vector<std::uint8_t>> salvage_copy(bytes data, std::uint64_t end) {
  if (end > data.size() || end < binlog_magic_size) {
    return make_error(errc::bad_body, end, -1, "salvage end lies outside the file");
  }
  std::vector<std::uint8_t> out(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(end));
  // Clear LOG_EVENT_BINLOG_IN_USE_F in the first format description. Its CRC32 is computed
  // with the flag cleared, so it stays valid.
  event_reader r({out.data(), out.size()});
  auto first = r.next();
  if (first && first->has_value()) {
    const event_view& ev = **first;
    if (ev.type() == event_type::format_description && (ev.header.flags & flag_binlog_in_use) != 0) {
      out[ev.offset + 17] = static_cast<std::uint8_t>(out[ev.offset + 17] & ~flag_binlog_in_use);
    }
  }
  return out;
}

}  // namespace binlogkit
