// --parallel-batches auto's turns (src/replay/batch_pace.hpp): which way gets the next turn, for
// how long, from the rates measured in the turns before.
#include <doctest/doctest.h>

#include <chrono>

#include "replay/batch_pace.hpp"

using binlogkit::detail::batch_pace;
using namespace std::chrono_literals;
using step = batch_pace::step;

TEST_CASE("batch_pace: a first turn of batches, warmed up, then a trial of the connections, then the faster") {
  batch_pace p;
  const auto t0 = batch_pace::clock::time_point{} + 100s;
  p.start(t0);
  CHECK(p.batching());
  // The warm-up: 0.5 s of batches, not measured (slow here: 50 commits).
  CHECK(p.tick(t0 + 499ms, 49) == step::none);
  CHECK(p.tick(t0 + 500ms, 50) == step::none);
  CHECK(p.batching());
  CHECK(p.rate(true) == 0);
  // Batches measured from there to the end of the first 3 s: 5000 commits in 2.5 s,
  // 2000/s; the connections are tried.
  CHECK(p.tick(t0 + 2999ms, 5040) == step::none);
  CHECK(p.tick(t0 + 3000ms, 5050) == step::trial);
  CHECK_FALSE(p.batching());
  CHECK(p.rate(true) == doctest::Approx(2000));
  CHECK(p.tick(t0 + 3200ms, 5250) == step::none);
  // 300 in 0.3 s: 1000/s for the connections, clearly slower: batches for 6 s (3 s doubled).
  CHECK(p.tick(t0 + 3300ms, 5350) == step::call);
  CHECK(p.batching());
  CHECK(p.rate(false) == doctest::Approx(1000));
  CHECK(p.turn_s() == 6);
  CHECK(p.tick(t0 + 9299ms, 17000) == step::none);
  // The long turn ends: its own rate is noted (12000 in 6 s), the connections are tried.
  CHECK(p.tick(t0 + 9300ms, 17350) == step::trial);
  CHECK_FALSE(p.batching());
  CHECK(p.rate(true) == doctest::Approx(2000));
  // 480 in 0.3 s (1600/s): 2000 is a quarter above it, batches again for 12 s.
  CHECK(p.tick(t0 + 9600ms, 17830) == step::call);
  CHECK(p.batching());
  CHECK(p.rate(false) == doctest::Approx(1600));
  CHECK(p.turn_s() == 12);
}

TEST_CASE("batch_pace: a close call keeps turns at 3 s; the connections win when faster; turns stop at 24 s") {
  batch_pace p;
  const auto t0 = batch_pace::clock::time_point{} + 10s;
  p.start(t0);
  CHECK(p.tick(t0 + 500ms, 100) == step::none);    // warmed up
  CHECK(p.tick(t0 + 3000ms, 2850) == step::trial);  // batches 1100/s
  // The connections 1000/s: batches are faster, but by less than a quarter.
  CHECK(p.tick(t0 + 3300ms, 3150) == step::call);
  CHECK(p.batching());
  CHECK(p.turn_s() == 3);
  // Batches' long turn at 1000/s; then the connections at 1500/s win.
  CHECK(p.tick(t0 + 6300ms, 6150) == step::trial);
  CHECK_FALSE(p.batching());
  CHECK(p.tick(t0 + 6600ms, 6600) == step::call);
  CHECK_FALSE(p.batching());
  CHECK(p.rate(true) == doctest::Approx(1000));
  CHECK(p.rate(false) == doctest::Approx(1500));
  CHECK(p.turn_s() == 6);
  // Clear calls for the connections double the turn up to 24 s and no further.
  auto t = t0 + 6600ms + 6s;
  std::uint64_t n = 6600 + 9000;  // 1500/s for 6 s
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
