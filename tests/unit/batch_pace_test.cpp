// --parallel-batches auto's turns (src/batch_pace.hpp): which way gets the next turn, for
// how long, from the rates measured in the turns before.
#include <doctest/doctest.h>

#include <chrono>

#include "batch_pace.hpp"

using binlogkit::detail::batch_pace;
using namespace std::chrono_literals;
using step = batch_pace::step;

TEST_CASE("batch_pace: batches first, warmed up, then a trial of the connections, then the faster for a turn") {
  batch_pace p;
  const auto t0 = batch_pace::clock::time_point{} + 100s;
  p.start(t0);
  CHECK(p.batching());
  // The warm-up: 0.5 s of batches, not measured (slow here: 50 commits).
  CHECK(p.tick(t0 + 499ms, 49) == step::none);
  CHECK(p.tick(t0 + 500ms, 50) == step::none);
  CHECK(p.batching());
  CHECK(p.rate(true) == 0);
  // Batches measured from there: 600 commits in 0.3 s, 2000/s; the connections are tried.
  CHECK(p.tick(t0 + 799ms, 640) == step::none);
  CHECK(p.tick(t0 + 800ms, 650) == step::trial);
  CHECK_FALSE(p.batching());
  CHECK(p.rate(true) == doctest::Approx(2000));
  CHECK(p.tick(t0 + 1000ms, 850) == step::none);
  // 300 in 0.3 s: 1000/s for the connections, clearly slower: batches for 6 s (3 s doubled).
  CHECK(p.tick(t0 + 1100ms, 950) == step::call);
  CHECK(p.batching());
  CHECK(p.rate(false) == doctest::Approx(1000));
  CHECK(p.turn_s() == 6);
  CHECK(p.tick(t0 + 7099ms, 12000) == step::none);
  // The long turn ends: its own rate is noted (12000 in 6 s), the connections are tried.
  CHECK(p.tick(t0 + 7100ms, 12950) == step::trial);
  CHECK_FALSE(p.batching());
  CHECK(p.rate(true) == doctest::Approx(2000));
  // 480 in 0.3 s (1600/s): 2000 is a quarter above it, batches again for 12 s.
  CHECK(p.tick(t0 + 7400ms, 13430) == step::call);
  CHECK(p.batching());
  CHECK(p.rate(false) == doctest::Approx(1600));
  CHECK(p.turn_s() == 12);
}

TEST_CASE("batch_pace: a close call keeps turns at 3 s; the connections win when faster; turns stop at 24 s") {
  batch_pace p;
  const auto t0 = batch_pace::clock::time_point{} + 10s;
  p.start(t0);
  CHECK(p.tick(t0 + 500ms, 100) == step::none);   // warmed up
  CHECK(p.tick(t0 + 800ms, 430) == step::trial);  // batches 1100/s
  // The connections 1000/s: batches are faster, but by less than a quarter.
  CHECK(p.tick(t0 + 1100ms, 730) == step::call);
  CHECK(p.batching());
  CHECK(p.turn_s() == 3);
  // Batches' long turn at 1000/s; then the connections at 1500/s win.
  CHECK(p.tick(t0 + 4100ms, 3730) == step::trial);
  CHECK_FALSE(p.batching());
  CHECK(p.tick(t0 + 4400ms, 4180) == step::call);
  CHECK_FALSE(p.batching());
  CHECK(p.rate(true) == doctest::Approx(1000));
  CHECK(p.rate(false) == doctest::Approx(1500));
  CHECK(p.turn_s() == 6);
  // Clear calls for the connections double the turn up to 24 s and no further.
  auto t = t0 + 4400ms + 6s;
  std::uint64_t n = 4180 + 9000;  // 1500/s for 6 s
  int want[] = {12, 24, 24};
  for (int w : want) {
    CHECK(p.tick(t, n) == step::trial);
    CHECK(p.batching());
    t += 300ms;
    n += 150;  // batches at 500/s
    CHECK(p.tick(t, n) == step::call);
    CHECK_FALSE(p.batching());
    CHECK(p.turn_s() == w);
    t += std::chrono::seconds(w);
    n += 1500 * static_cast<std::uint64_t>(w);
  }
}
