// --parallel-batches auto: which way the parallel applier takes transactions, batches of
// one connection or its N connections, decided by measuring both in turns. A long turn of
// the way found faster, then a short trial of the other, then a call on the two rates (the
// latest of each way): the faster gets the next long turn. The run starts with a long turn
// of batches whose first 0.5 s are a warm-up, not measured (the target's caches are cold:
// the first 0.3 s of a replay ran at a quarter of the rate of later ones, whichever way
// went first); a replay shorter than that turn never pays for a trial. A long turn is 3 s;
// it doubles (up to 24 s) after each call where one rate is at least a quarter above the
// other, and is 3 s again after a close call.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace binlogkit::detail {

class batch_pace {
 public:
  using clock = std::chrono::steady_clock;
  static constexpr std::chrono::milliseconds trial_time{300}, warm_up{500};
  static constexpr int first_turn_s = 3, longest_turn_s = 24;

  enum class step : std::uint8_t { none, trial, call };

  // The run starts (with batches, warming up).
  void start(clock::time_point now) {
    batching_ = true;
    warming_ = true;
    started_ = now;
    until_ = now + warm_up;
  }

  // After each commit: `committed`, the transactions committed so far. `trial` when a
  // trial of the other way starts, `call` when a trial ended in a call (batching() then
  // says which way has the next long turn), else `none`.
  step tick(clock::time_point now, std::uint64_t committed) {
    if (now < until_) return step::none;
    if (warming_) {
      // Batches are measured from here to the end of the first long turn.
      warming_ = false;
      since_ = now;
      from_ = committed;
      until_ = started_ + std::chrono::seconds(turn_s_);
      return step::none;
    }
    const double secs = std::chrono::duration<double>(now - since_).count();
    if (secs > 0) rate_[batching_ ? 1 : 0] = static_cast<double>(committed - from_) / secs;
    since_ = now;
    from_ = committed;
    if (trial_) {
      trial_ = false;
      batching_ = rate_[1] > rate_[0];
      const double lo = std::min(rate_[0], rate_[1]), hi = std::max(rate_[0], rate_[1]);
      turn_s_ = hi >= 1.25 * lo ? std::min(turn_s_ * 2, longest_turn_s) : first_turn_s;
      until_ = now + std::chrono::seconds(turn_s_);
      return step::call;
    }
    trial_ = true;
    batching_ = !batching_;
    until_ = now + trial_time;
    return step::trial;
  }

  [[nodiscard]] bool batching() const { return batching_; }
  // The latest rate of a way, in committed transactions per second.
  [[nodiscard]] double rate(bool batches) const { return rate_[batches ? 1 : 0]; }
  // The length of the current (or last) long turn, in seconds.
  [[nodiscard]] int turn_s() const { return turn_s_; }

 private:
  bool batching_ = true;
  bool warming_ = false;
  bool trial_ = false;
  double rate_[2] = {0, 0};
  clock::time_point started_{}, since_{}, until_{};
  std::uint64_t from_ = 0;
  int turn_s_ = first_turn_s;
};

}  // namespace binlogkit::detail
