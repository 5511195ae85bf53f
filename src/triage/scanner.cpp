// The scanner's file walk: framing, read errors, re-synchronisation and damage records.
// The steps for one decoded event are in scanner_events.cpp.
#include "triage/scanner.hpp"

#include <fmt/format.h>

#include "binlogkit/core/encoding.hpp"
#include "binlogkit/events/events.hpp"

namespace binlogkit::detail {

void scanner::add_damage(const triage_input& in, std::uint64_t offset, std::uint64_t length, const error& e,
                         bool tail) {
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

void scanner::add_event_damage(const triage_input& in, const event_view& ev, errc code, std::string_view detail) {
  add_damage(in, ev.offset, ev.raw.size(), error{code, ev.offset, static_cast<std::int16_t>(ev.header.type_code), detail});
}

// The first damage: where the transaction it falls in began, else the source position
// before the damaged event (after the last event read when the damage was found by the
// reader).
void scanner::note_source_at_damage() {
  if (damaged_ || coords_.pos() == 0) return;
  if (tracker_.in_transaction() && txn_source_pos_ != 0) {
    rep_.source_at_damage = coords_.at(txn_source_file_, txn_source_pos_);
  } else if (in_event_) {
    if (source_pos_before_ != 0) rep_.source_at_damage = coords_.at(source_file_before_, source_pos_before_);
  } else {
    rep_.source_at_damage = coords_.here();
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
  if (e.code == errc::checksum_mismatch) return on_checksum_error(in, reader, e);
  if (reader.format() == nullptr) {
    rep_.unreadable = true;
    add_damage(in, e.offset, in.data.size() - e.offset, e, e.code == errc::truncated);
    return read_step::abandon;
  }
  return on_framing_error(in, reader, e, last_file);
}

scanner::read_step scanner::on_checksum_error(const triage_input& in, event_reader& reader, const error& e) {
  const auto* fd = reader.format();
  // The frame may still be right: if the event's log_pos says so, skip just it.
  const std::uint64_t at = e.offset;
  const std::uint32_t size = le32(in.data.data() + at + 9);
  const std::uint32_t log_pos = le32(in.data.data() + at + 13);
  const bool frame_ok = relay_ || log_pos == 0 || log_pos == at + size;
  const bool next_ok = at + size <= in.data.size() &&
                       (at + size == in.data.size() || chain_holds(in.data, *fd, at + size, opt_.resync_chain, framing()));
  if (frame_ok && next_ok) {
    add_damage(in, at, size, e);
    return read_step::next;  // the reader already stands after the event
  }
  auto again = next_chain(in.data, *fd, at + 1, opt_.resync_chain, framing());
  add_damage(in, at, (again ? *again : in.data.size()) - at, e);
  if (!again) return read_step::stop;
  reader.seek(*again);
  return read_step::next;
}

// Framing error: the file ends inside an event (a torn tail) or the chain broke. Without
// checksums the event before a broken chain is suspect too: its size field, or bytes
// dropped inside it, may be what broke the chain (which shows only at the next frame).
// Resume before it: one transaction early is safe, one late is not.
scanner::read_step scanner::on_framing_error(const triage_input& in, event_reader& reader, const error& e,
                                             bool last_file) {
  const auto* fd = reader.format();
  error at = e;
  // A binlog's torn tail still has an honest header: its log_pos is where the event
  // would have ended. A header that says otherwise is damage, not an unfinished write.
  if (e.code == errc::truncated && !relay_ && fd->binlog_version() >= 4 &&
      in.data.size() - e.offset >= fd->header_length()) {
    const auto* h = in.data.data() + e.offset;
    const std::uint32_t lp = le32(h + 13);
    if (lp != 0 && lp != e.offset + le32(h + 9)) {
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
  auto again = next_chain(in.data, *fd, e.offset + 1, opt_.resync_chain, framing());
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
  if (!log_pos_plausible(ev, framing())) {
    // A binlog event's log_pos is its end. If log_pos names a later plausible frame, the
    // size field is what broke; otherwise log_pos itself did.
    error e{errc::bad_log_pos, ev.offset, static_cast<std::int16_t>(ev.header.type_code),
            "log_pos does not equal the event's end offset"};
    const std::uint64_t claimed = ev.header.log_pos;
    if (claimed > ev.offset + ev.format->header_length() && claimed <= in.data.size() &&
        (claimed == in.data.size() || chain_holds(in.data, *ev.format, claimed, opt_.resync_chain, framing()))) {
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
      coords_.last_log_pos() != 0 && ev.format->version() >= version_triple{5, 1, 0} &&
      ev.type() != event_type::format_description &&
      ev.type() != event_type::rotate && ev.header.log_pos < coords_.last_log_pos() + ev.header.event_size) {
    add_event_damage(in, ev, errc::bad_log_pos, "source log_pos goes backwards or overlaps the previous event");
    return false;
  }
  return true;
}

void scanner::note_format(const event_view& ev) {
  if (first_fd_seen_) return;
  first_fd_seen_ = true;
  relay_server_id_ = ev.header.server_id;
  rep_.flavor = ev.format->flavor();
  rep_.server_version = std::string(ev.format->server_version());
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
    const std::uint64_t nth = event_in_file++;
    if (ev.type() == event_type::format_description || ev.type() == event_type::start_v3) {
      note_format(ev);
      if (nth == 0) saw_checksums = ev.format->has_checksums();
    }
    if (nth == 0 && opt_.relay.has_value()) relay_ = *opt_.relay;
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
  if (coords_.pos() != 0) rep_.source_end = coords_.here();
  rep_.relay = relay_;
  rep_.checksums = any_file_ && all_checksums_;
  rep_.unverifiable = !rep_.checksums;
}

}  // namespace binlogkit::detail
