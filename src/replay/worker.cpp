// One connection of the parallel applier: send, read deferred results, roll back.
#include <fmt/format.h>

#include <algorithm>

#include "replay/worker.hpp"

namespace binlogkit::detail::parallel {

bool session_state::send(const piece& p) {
  if (p.sets == 0) {
    forget();  // what it sets is not known
    return true;
  }
  if ((p.sets & transaction_session_vars) != 0) return true;
  entry* same = nullptr;
  for (auto it = sent_.begin(); it != sent_.end();) {
    if (it->sets == p.sets) {
      if (it->text == p.text) return false;  // the session has it
      same = &*it;
      ++it;
    } else if ((it->sets & p.sets) != 0) {
      it = sent_.erase(it);  // it sets some of the same variables: no longer what the session has
    } else {
      ++it;
    }
  }
  // Remembered once sent; forgotten again if the packet fails (worker::failed).
  if (same == nullptr) same = &sent_.emplace_back(entry{p.sets, {}});
  same->text.assign(p.text);
  return true;
}

exec_result worker::send(job& j, const std::vector<job_piece>& list, std::size_t head_upto, const send_hooks& h) {
  exec_result r;
  bool reached = h.on_reached == nullptr;
  std::size_t i = 0;
  // Session statements the connection already has are left out.
  auto& todo = todo_;
  todo.clear();
  for (const auto& p : list) {
    if (p.session && !state_.send(p)) continue;
    todo.push_back(&p);
  }
  while (i < todo.size()) {
    const auto at = [&](std::size_t x) -> const piece& { return *todo[x]; };
    const std::size_t k = fill_packet(i, todo.size(), at, packet_room_, packet_, flag_loss_);
    const bool alone = todo[i]->alone;
    if (alone) db->serve_load_data(&j.tx);
    auto on_result = [&, i, k](std::size_t done) {
      if (!reached && todo[std::min(i + done, k) - 1] >= h.reach) {
        reached = true;
        (*h.on_reached)();
      }
      if (h.on_progress != nullptr && done > 0) (*h.on_progress)(todo[std::min(i + done, k) - 1]);
    };
    const session::result_hook hook(on_result);
    // The results after reach's, in the last packet: read later (read_deferred).
    std::size_t stop_after = 0;
    if (h.defer && h.reach != nullptr && k == todo.size() && !alone) {
      for (std::size_t x = i; x + 1 < k; ++x) {
        if (todo[x] >= h.reach) {
          stop_after = x - i + 1;
          break;
        }
      }
    }
    auto o = db->run(packet_, k - i, flag_loss_, alone, reached && h.on_progress == nullptr ? nullptr : &hook,
                       stop_after);
    db->serve_load_data(nullptr);
    if (o.pending) {
      todo_from_ = i;
      r.deferred = true;
      return r;  // reached: the hook ran for h.reach's result
    }
    if (o.desync || o.extra) return failed(o, i);
    if (o.err != 0) {
      const job_piece& p = *todo[std::min(i + o.done, todo.size() - 1)];
      const bool expected = !p.ours && p.expected_error != 0 && p.expected_error == o.err;
      const bool skippable = !p.ours && std::find(skip_errors_.begin(), skip_errors_.end(), o.err) !=
                                            skip_errors_.end();
      const bool head = static_cast<std::size_t>(&p - list.data()) < head_upto;
      if (connection_lost(o.err) || !head || lock_error(o.err) || !(expected || skippable)) return failed(o, i);
      state_.forget();  // what the failed packet set is not known
      if (!expected && h.on_skipped != nullptr) (*h.on_skipped)(p, o);
      i = i + o.done + 1;
      continue;
    }
    i = k;
  }
  if (!reached) {
    reached = true;
    (*h.on_reached)();
  }
  return r;
}

exec_result worker::read_deferred() {
  exec_result r;
  if (!db->pending()) return r;
  auto o = db->read_rest();
  if (o.err == 0 && !o.desync && !o.extra) return r;
  return failed(o, todo_from_);
}

// A packet that failed (o.err or o.desync) as the result of the statement it stopped at;
// `from`: the index in todo_ of the packet's first statement.
exec_result worker::failed(sql_connection::outcome& o, std::size_t from) {
  state_.forget();  // what the failed packet set is not known
  exec_result r;
  r.ok = false;
  r.desync = o.desync || o.extra;
  r.extra = o.extra;
  r.err = o.err;
  r.message = std::move(o.message);
  // With extra results, the packet's last statement (the one known to have run as more).
  const std::size_t at = o.extra && o.done > 0 ? from + o.done - 1 : from + o.done;
  r.at = todo_[std::min(at, todo_.size() - 1)];
  return r;
}

void worker::rollback() {
  (void)db->run("ROLLBACK", 1);
  db->serve_load_data(nullptr);
  state_.forget();  // GTID variables may or may not survive a rollback: set them again
}

std::unique_ptr<worker> open_worker(apply_context& ctx, std::size_t w, fiber_loop* loop, replay_failure& failure) {
  const replay_options& opt = *ctx.options;
  const std::size_t n = opt.parallel;
  std::string err;
  auto conn = (*ctx.connect)(opt.connection, connection_use{false, loop}, err);
  if (!err.empty()) {
    failure.message = fmt::format("connection {} of {}: {}", w + 1, n, err);
    return nullptr;
  }
  auto wk = std::make_unique<worker>(std::move(conn), ctx.packet_room, opt.skip_errors);
  // A short lock wait timeout: a wait the watcher does not resolve ends in error 1205
  // and the transaction runs again (as the next to commit, with the later ones rolled
  // back) instead of stalling for the server's default 50 s.
  const auto setup = session_setup(opt.disable_log_bin, 2);
  auto o = wk->db->run(setup.sql, setup.count);
  if (o.err != 0) {
    failure.message = "cannot prepare the session";
    failure.server_errno = o.err;
    failure.server_error = o.message;
    return nullptr;
  }
  auto l = wk->db->query_row("SELECT GET_LOCK(" + string_literal(worker_lock_name(ctx.id, w)) + ", 10)");
  if (!l.ok || l.cols.empty() || l.cols[0].value_or("0") != "1") {
    failure.message = fmt::format("connection {} of {}: cannot take lock '{}' (another replay with this id?)", w + 1,
                                  n, worker_lock_name(ctx.id, w));
    return nullptr;
  }
  return wk;
}

}  // namespace binlogkit::detail::parallel
