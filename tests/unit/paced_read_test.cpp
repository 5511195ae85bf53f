// Paced reading's estimate of the server's time per statement (src/replay/pacing.hpp):
// it stays between what the last look and the end of the read prove.
#include <doctest/doctest.h>

#include "replay/pacing.hpp"

using binlogkit::detail::next_per_statement;

TEST_CASE("next_per_statement: the first packet sets it, a packet found complete only lowers it") {
  // No estimate yet: the end of the read if nothing was waited for, else the middle.
  CHECK(next_per_statement(0, false, 0, 40e-6) == doctest::Approx(40e-6));
  CHECK(next_per_statement(0, true, 20e-6, 40e-6) == doctest::Approx(30e-6));
  // Complete at the first look: at most what the read took, never raised.
  CHECK(next_per_statement(30e-6, false, 0, 50e-6) == doctest::Approx(30e-6));
  CHECK(next_per_statement(30e-6, false, 0, 10e-6) == doctest::Approx(10e-6));
}

TEST_CASE("next_per_statement: waited for, it moves towards the middle inside the bounds") {
  // Inside the bounds: 0.7 of the old and 0.3 of the middle.
  CHECK(next_per_statement(100e-6, true, 90e-6, 130e-6) == doctest::Approx(0.7 * 100e-6 + 0.3 * 110e-6));
  // A sleep that overshot: the estimate of 1 ms per statement slept until 500 us per
  // statement and found everything done (the last look, right after the send, found
  // results due): the server took at most 500 us, and the estimate is that, not 850 us.
  CHECK(next_per_statement(1e-3, true, 0, 500e-6) == doctest::Approx(500e-6));
  // A server slower than the estimate: results were still due at 300 us per statement,
  // so the estimate is at least that.
  CHECK(next_per_statement(100e-6, true, 300e-6, 320e-6) == doctest::Approx(300e-6));
}

TEST_CASE("short_sleep_s: a third of the time due, 20 us to 1 ms") {
  using binlogkit::detail::short_sleep_s;
  CHECK(short_sleep_s(1e-3) == doctest::Approx(0.3e-3));
  CHECK(short_sleep_s(10e-6) == doctest::Approx(20e-6));  // never a busy loop
  CHECK(short_sleep_s(1.0) == doctest::Approx(1e-3));     // a long packet is looked at every ms
}
