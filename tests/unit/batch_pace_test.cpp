// --parallel-batches auto's turns (src/batch_pace.hpp): which way gets the next turn, for
// how long, from the rates measured in the turns before.
#include <doctest/doctest.h>

#include <chrono>

#include "batch_pace.hpp"

using binlogkit::detail::batch_pace;
using namespace std::chrono_literals;
using step = batch_pace::step;

TEST_CASE("batch_pace: N connections first, then a trial of batches, then the faster for a turn") {
  batch_pace p;
  const auto t0 = batch_pace::clock::time_point{} + 100s;
  p.start(t0);
  CHECK_FALSE(p.batching());
  // Nothing happens before the first 0.3 s are over.
  CHECK(p.tick(t0 + 299ms, 290) == step::none);
  CHECK_FALSE(p.batching());
  // 300 commits in 0.3 s: 1000/s for the connections; batches are tried.
  CHECK(p.tick(t0 + 300ms, 300) == step::trial);
  CHECK(p.batching());
  CHECK(p.rate(false) == doctest::Approx(1000));
  CHECK(p.tick(t0 + 500ms, 500) == step::none);
  // 600 more in 0.3 s: 2000/s, clearly faster: batches for 6 s (3 s doubled).
  CHECK(p.tick(t0 + 600ms, 900) == step::call);
  CHECK(p.batching());
  CHECK(p.rate(true) == doctest::Approx(2000));
  CHECK(p.turn_s() == 6);
  CHECK(p.tick(t0 + 6599ms, 12000) == step::none);
  // The long turn ends: its own rate is noted (12000 in 6 s), the connections are tried.
  CHECK(p.tick(t0 + 6600ms, 12900) == step::trial);
  CHECK_FALSE(p.batching());
  CHECK(p.rate(true) == doctest::Approx(2000));
  // 480 in 0.3 s (1600/s): 2000 is a quarter above it, batches again for 12 s.
  CHECK(p.tick(t0 + 6900ms, 13380) == step::call);
  CHECK(p.batching());
  CHECK(p.rate(false) == doctest::Approx(1600));
  CHECK(p.turn_s() == 12);
}

TEST_CASE("batch_pace: a close call keeps turns at 3 s; the connections win when faster; turns stop at 24 s") {
  batch_pace p;
  const auto t0 = batch_pace::clock::time_point{} + 10s;
  p.start(t0);
  CHECK(p.tick(t0 + 300ms, 300) == step::trial);  // connections 1000/s
  // Batches 1100/s: faster, but by less than a quarter.
  CHECK(p.tick(t0 + 600ms, 630) == step::call);
  CHECK(p.batching());
  CHECK(p.turn_s() == 3);
  // Batches' long turn at 1000/s; then the connections at 1500/s win.
  CHECK(p.tick(t0 + 3600ms, 3630) == step::trial);
  CHECK_FALSE(p.batching());
  CHECK(p.tick(t0 + 3900ms, 4080) == step::call);
  CHECK_FALSE(p.batching());
  CHECK(p.rate(true) == doctest::Approx(1000));
  CHECK(p.rate(false) == doctest::Approx(1500));
  CHECK(p.turn_s() == 6);
  // Clear calls for the connections double the turn up to 24 s and no further.
  auto t = t0 + 3900ms + 6s;
  std::uint64_t n = 4080 + 9000;  // 1500/s for 6 s
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
