// A connection to no server, for the appliers' unit tests: it records every packet the
// applier sends (split into its statements) and answers as a scripted target would.
//
// The script (shared by the test and every connection the applier opens) says what the
// target reports about itself (version, server_id, max_allowed_packet, log_bin), what its
// progress table holds, and which statements fail: an error (a duplicate key, a deadlock,
// a lock wait timeout, a lost connection: later packets then fail with 2006), more
// results than statements, or results that stop early. A statement matches a failure
// when its text contains the failure's text; a failure fires `times` times, after passing
// over `skip` matching statements.
#pragma once

#include <cstdint>
#include <algorithm>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "replay/progress_rows.hpp"
#include "replay/sql_connection.hpp"
#include "replay/replay_session.hpp"

namespace binlogkit::test {

struct fake_script {
  // The parallel applier's workers (one thread) and its watcher (another) share it.
  std::mutex m;
  std::string version = "10.11.19-MariaDB-log";
  std::string server_id = "100";
  std::string max_allowed_packet = "268435456";
  std::string log_bin = "0";
  // The progress table's row for the replay id: file, end_pos, gtid, transactions (the
  // query also counts the id's own row and its slots' rows: "1", "0" are added).
  std::optional<std::vector<std::string>> progress_row;
  // The progress table's columns (empty: not ours, the progress row goes as UPDATEs).
  std::vector<std::string> progress_columns;

  struct failure {
    std::string contains;     // the statement's text holds this
    unsigned err = 0;         // server error (0 with extra/desync)
    std::string message;
    bool extra = false;       // answers one more result than statements
    bool desync = false;      // stops announcing results after this statement
    int delay_ms = 0;         // with err 0: succeeds, but only after this long (other
                              // connections' fibers run meanwhile)
    int times = 1;
    int skip = 0;             // matching statements passed over before it fires
  };
  std::vector<failure> failures;

  struct packet {
    std::vector<std::string> statements;
    bool alone = false;       // sent with multi-statements off
    unsigned connection = 0;  // which connection sent it (0: the first opened)
  };
  std::vector<packet> packets;         // every packet sent, in order (setup included)
  std::vector<std::string> executed;   // the statements that succeeded, in the order they ran
  std::vector<std::string> queries;    // query_row / query_column texts
  std::vector<std::string> load_data;  // LOAD DATA names served: the transaction's load_names
  bool lost = false;                   // a failure with 2013 happened: later sends fail
  unsigned connections = 0;            // opened so far

  // Every statement sent, in order.
  [[nodiscard]] std::vector<std::string> statements() const {
    std::vector<std::string> out;
    for (const auto& p : packets) out.insert(out.end(), p.statements.begin(), p.statements.end());
    return out;
  }
};

class fake_connection final : public detail::sql_connection {
 public:
  fake_connection(std::shared_ptr<fake_script> s, detail::fiber_loop* loop) : s_(std::move(s)), loop_(loop) {
    const std::lock_guard lk(s_->m);
    id_ = s_->connections++;
  }

  bool send(const std::string& packet, outcome& o, bool alone) override {
    const std::lock_guard lk(s_->m);
    if (s_->lost) {
      o.err = 2006;
      o.message = "MySQL server has gone away";
      return false;
    }
    fake_script::packet p;
    p.alone = alone;
    std::string_view rest(packet);
    for (;;) {
      const auto at = rest.find("\n;\n");
      p.statements.emplace_back(rest.substr(0, at));
      if (at == std::string_view::npos) break;
      rest.remove_prefix(at + 3);
    }
    current_ = p.statements;
    p.connection = id_;
    s_->packets.push_back(std::move(p));
    next_ = 0;
    return true;
  }

  outcome read(std::size_t count, const std::vector<char>&, bool, const result_hook* on_result = nullptr,
               std::size_t stop_after = 0) override {
    wait_if_slow();
    outcome o;
    count_ = count;
    const std::lock_guard lk(s_->m);
    return answer(o, on_result, stop_after);
  }
  void await_reply() override {}
  [[nodiscard]] bool pending() const override { return pending_; }
  outcome read_rest() override {
    outcome o;
    if (!pending_) return o;
    pending_ = false;
    o.done = next_;
    const std::lock_guard lk(s_->m);
    return answer(o, nullptr, 0);
  }

  row_result query_row(const std::string& sql) override {
    const std::lock_guard lk(s_->m);
    s_->queries.push_back(sql);
    row_result r;
    r.ok = true;
    auto row = [&](std::vector<std::optional<std::string>> cols) {
      r.found = true;
      r.cols = std::move(cols);
    };
    if (sql.find("@@server_id, @@max_allowed_packet, @@log_bin") != std::string::npos) {
      row({s_->server_id, s_->max_allowed_packet, s_->log_bin});
    } else if (sql.find("@@server_uuid") != std::string::npos) {
      row({std::string("00000000-0000-0000-0000-000000000000")});
    } else if (sql.starts_with("SELECT GET_LOCK(")) {
      row({std::string("1"), std::string("7")});
    } else if (sql.starts_with("SELECT COALESCE(NULL")) {
      row({std::nullopt});
    } else if (sql.find("information_schema.TABLES") != std::string::npos) {
      row({std::string("1")});
    } else if (sql.find("FROM `binlogkit`.`replay_progress` WHERE `replay_id` IN") != std::string::npos) {
      if (s_->progress_row) {
        std::vector<std::optional<std::string>> cols(s_->progress_row->begin(), s_->progress_row->end());
        cols.emplace_back("1");
        cols.emplace_back("0");
        row(std::move(cols));
      }
    }
    return r;
  }
  bool query_column(const std::string& sql, std::vector<std::string>& out) override {
    const std::lock_guard lk(s_->m);
    s_->queries.push_back(sql);
    if (sql == progress_columns_query) out = s_->progress_columns;
    else out.clear();  // no lock waits
    return true;
  }
  void serve_load_data(const rendered_transaction* tx) override {
    const std::lock_guard lk(s_->m);
    if (tx != nullptr) s_->load_data.insert(s_->load_data.end(), tx->load_names.begin(), tx->load_names.end());
  }
  [[nodiscard]] std::string server_version() const override { return s_->version; }
  [[nodiscard]] unsigned long thread_id() const override { return 7; }

 private:
  // A packet with a slow statement: the reply comes after its delay.
  void wait_if_slow() {
    int ms = 0;
    {
      const std::lock_guard lk(s_->m);
      for (const auto& f : s_->failures) {
        if (f.delay_ms <= 0 || f.times <= 0) continue;
        for (std::size_t k = next_; k < current_.size(); ++k) {
          if (current_[k].find(f.contains) != std::string::npos) ms = std::max(ms, f.delay_ms);
        }
      }
    }
    if (ms == 0) return;
    if (loop_ != nullptr && loop_->in_fiber()) (void)loop_->wait_fd_for(-1, 0, std::chrono::milliseconds(ms));
    else std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  }
  // Answers the statements of the last packet from next_ on.
  outcome answer(outcome o, const result_hook* on_result, std::size_t stop_after) {
    const auto& st = current_;
    for (; next_ < st.size(); ++next_) {
      fake_script::failure* f = failure_for(st[next_]);
      if (f != nullptr && f->err != 0) {
        o.err = f->err;
        o.message = f->message;
        if (o.err == 2013) s_->lost = true;
        return o;
      }
      s_->executed.push_back(st[next_]);
      ++o.done;
      if (on_result != nullptr) (*on_result)(o.done);
      if (f != nullptr && f->desync && next_ + 1 < count_) {
        ++next_;
        o.desync = true;
        return o;
      }
      if (f != nullptr && f->extra) {
        o.extra = true;
        return o;
      }
      if (stop_after != 0 && o.done == stop_after && o.done < count_) {
        ++next_;
        pending_ = true;
        o.pending = true;
        return o;
      }
    }
    if (o.done > count_) o.extra = true;
    return o;
  }
  fake_script::failure* failure_for(const std::string& statement) {
    for (auto& f : s_->failures) {
      if (f.times > 0 && statement.find(f.contains) != std::string::npos) {
        if (f.skip > 0) {
          --f.skip;
          continue;
        }
        --f.times;
        return &f;
      }
    }
    return nullptr;
  }

  std::shared_ptr<fake_script> s_;
  detail::fiber_loop* loop_ = nullptr;
  unsigned id_ = 0;
  std::vector<std::string> current_;  // the statements of the packet being answered
  std::size_t next_ = 0;
  std::size_t count_ = 0;
  bool pending_ = false;
};

// A factory for replay_with: every connection it opens plays `script`.
inline detail::connection_factory fake_factory(const std::shared_ptr<fake_script>& script) {
  return [script](const connection_options&, detail::connection_use use,
                  std::string&) -> std::unique_ptr<detail::sql_connection> {
    return std::make_unique<fake_connection>(script, use.loop);
  };
}

}  // namespace binlogkit::test
