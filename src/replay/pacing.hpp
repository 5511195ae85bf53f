// Paced reading of a packet's results (session::enable_pacing, session::pace_in_fiber):
// what it learns from each packet.
#pragma once

#include <algorithm>

namespace binlogkit::detail {

// Paced reading's estimate of the server's time per statement (seconds), after a packet
// whose results were all read: `old` the estimate before (0: none yet). The server finished
// the packet after the last look that found results due (`lo`, as time per statement since
// the packet was sent; only when `waited`) and before the end of the read (`hi`). Found
// complete at the first look, the packet only bounds it from above. Else the estimate
// moves towards the middle and stays inside the bounds: a sleep that overshot (the
// estimate too high) halves it at once instead of being measured as the server's time.
// The sleep between two looks at the socket while `due` seconds of statements are still
// to answer: about a third of it, 20 us to 1 ms.
inline double short_sleep_s(double due) { return std::clamp(0.3 * due, 20e-6, 1e-3); }

inline double next_per_statement(double old, bool waited, double lo, double hi) {
  if (!waited) return old == 0 ? hi : std::min(old, hi);
  const double mid = (lo + hi) / 2;
  return old == 0 ? mid : std::clamp(0.7 * old + 0.3 * mid, lo, hi);
}

}  // namespace binlogkit::detail
