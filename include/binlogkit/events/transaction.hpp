// The transaction grammar, as a state machine fed one event at a time.
//
//   outside ──GTID / ANONYMOUS_GTID (MySQL)──► after_gtid ──BEGIN / XA START──► inside
//      │                                          └──any other statement──► (complete)
//      ├──MariaDB GTID (not standalone)──► inside        (the GTID stands for BEGIN)
//      ├──MariaDB GTID (standalone)──► after_gtid ──statement──► (complete)
//      ├──BEGIN (servers without GTIDs)──► inside
//      ├──TABLE_MAP (old non-transactional rows)──► inside until STMT_END_F
//      └──any other statement──► (complete)        INTVAR/RAND/USER_VAR attach to it
//   inside ──XID / COMMIT / ROLLBACK / XA_PREPARE / XA PREPARE──► (complete)
//
// Events outside the grammar (format descriptions, rotates, previous GTIDs, GTID lists,
// checkpoints, heartbeats, stop) may appear anywhere: relay logs rotate inside
// transactions. A format description from the source inside a transaction means the
// receiver restarted and the partial transaction will be sent again: the caller, which
// knows who wrote the format description, calls abandon().
//
// Ownership: a tracker copies what it keeps (the GTID, a few table ids); it holds no view of
// the events it is fed. Errors: an event that cannot stand where it is comes back as
// step::violation; feed() never fails otherwise. Threads: a tracker is used by one thread at
// a time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "binlogkit/events/event.hpp"
#include "binlogkit/events/events.hpp"
#include "binlogkit/core/result.hpp"

namespace binlogkit {

// A transaction's GTID in either server's form.
struct gtid_ref {
  enum class kind : std::uint8_t { none, mysql, mysql_anonymous, mariadb } k = kind::none;
  uuid_bytes uuid{};
  std::string tag;
  std::int64_t gno = 0;
  std::uint32_t domain_id = 0, server_id = 0;
  std::uint64_t seq_no = 0;
  std::uint8_t mariadb_flags = 0;
  // MySQL logical clock / MariaDB group commit id, for parallel apply.
  std::int64_t last_committed = 0, sequence_number = 0;
  std::optional<std::uint64_t> commit_id;

  [[nodiscard]] std::string text() const;  // "uuid:gno", "uuid:tag:gno", "d-s-n", "" (none)
};

enum class statement_kind : std::uint8_t {
  other, begin, commit, rollback, rollback_to_savepoint, savepoint,
  xa_start, xa_end, xa_prepare, xa_commit, xa_rollback
};
// Classifies a statement by its first words (case-insensitive, leading blanks and
// comments skipped).
[[nodiscard]] statement_kind classify_statement(std::string_view sql) noexcept;

class transaction_tracker {
 public:
  enum class state : std::uint8_t { outside, after_gtid, inside };

  struct step {
    bool begins = false;      // this event opened a transaction
    bool completes = false;   // this event closed one (it is the transaction's last event)
    bool rolled_back = false; // it closed with ROLLBACK
    bool extends = false;     // an XID right after a statement logged without BEGIN (MySQL
                              // 5.0 autocommit): the transaction that closed ends here
    std::optional<error> violation;  // the event cannot stand here
  };

  // Feeds one event and its decoded form (decode(ev) must have succeeded).
  [[nodiscard]] step feed(const event_view& ev, const any_event& decoded) noexcept;
  // One tracker follows a whole relay-log set: a relay log may rotate inside a
  // transaction, so a new file changes nothing here.
  // The receiver restarted (a relay log holds a real format description from the source
  // after a reconnect): an open transaction will be sent again whole. True if one was open.
  bool abandon() noexcept;

  state current() const noexcept { return state_; }
  bool in_transaction() const noexcept { return state_ != state::outside; }
  const gtid_ref& gtid() const noexcept { return gtid_; }

 private:
  step open(step s) noexcept;
  state state_ = state::outside;
  bool rows_without_begin_ = false;
  bool loose_statement_ = false;  // last transaction was a statement without BEGIN
  std::vector<std::uint64_t> tables_;  // table ids mapped in this statement (a few; kept allocated)
  gtid_ref gtid_;
};

}  // namespace binlogkit
