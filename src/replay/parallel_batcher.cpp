// Batches of the parallel applier: consecutive transactions sent in the packets of one
// connection (--parallel-batches), and the turns of --parallel-batches auto.
#include <fmt/format.h>

#include <algorithm>

#include "replay/batcher.hpp"
#include "replay/scheduler.hpp"

namespace binlogkit::detail::parallel {

void batcher::start(clock_type::time_point now) {
  pace_.start(now);
  on_ = mode_ == replay_options::batch_mode::always ||
        (mode_ == replay_options::batch_mode::automatic && pace_.batching());
}

bool batcher::after_commit(clock_type::time_point now, std::uint64_t committed) {
  const auto turn = pace_.tick(now, committed);
  if (turn == batch_pace::step::none) return false;
  if (pace_.batching() != on_) ++switches_;
  on_ = pace_.batching();
  return turn == batch_pace::step::call;
}

// Under m_, after each commit (--parallel-batches auto): the turns of the two ways.
void scheduler::pace() {
  if (!batches_.after_commit(clock_type::now(), committed_run_) || !opt_.verbose) return;
  const batch_pace& p = batches_.pace();
  note(fmt::format("batches {:.0f}/s, {} connections {:.0f}/s: {} for {} s", p.rate(true), workers_.size(),
                   p.rate(false), batches_.on() ? "batches" : "the connections", p.turn_s()));
}

bool batcher::batchable(const job& j, std::size_t w) {
  if (j.streamed || !j.tx.commit || (j.pinned && w != 0)) return false;
  return std::none_of(j.body.begin(), j.body.end(), [](const job_piece& p) { return p.alone; });
}



}  // namespace binlogkit::detail::parallel
