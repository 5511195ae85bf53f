// The parallel applier's fiber loop (src/replay/fiber_loop.hpp): fibers that hand work to each
// other with wake / wait_wake, sleep on descriptors, time out, and are woken from another
// thread while the loop sleeps.
#include <doctest/doctest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "replay/fiber_loop.hpp"

using binlogkit::detail::fiber_loop;
using namespace std::chrono_literals;

TEST_CASE("fiber_loop: fibers take turns through wake and wait_wake, in order") {
  fiber_loop loop;
  std::string log;
  int turn = 0;  // whose turn: 0 or 1, three rounds each
  for (int me = 0; me < 2; ++me) {
    loop.add([&, me] {
      for (int round = 0; round < 3; ++round) {
        while (turn != me) REQUIRE(loop.wait_wake(static_cast<std::size_t>(me), 10s));
        log += static_cast<char>('a' + me);
        log += static_cast<char>('0' + round);
        turn = 1 - me;
        loop.wake(static_cast<std::size_t>(1 - me));
      }
    });
  }
  CHECK_FALSE(loop.in_fiber());
  loop.run();
  CHECK(log == "a0b0a1b1a2b2");
}

TEST_CASE("fiber_loop: a fiber sleeps on a descriptor another fiber makes readable") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  fiber_loop loop;
  std::vector<std::string> steps;
  bool inside = false;
  loop.add([&] {
    inside = loop.in_fiber();
    steps.emplace_back("reader waits");
    const short re = loop.wait_fd(fds[0], POLLIN, 10000);
    char c = 0;
    REQUIRE(::read(fds[0], &c, 1) == 1);
    steps.push_back(std::string("reader got ") + c + ((re & POLLIN) != 0 ? " (POLLIN)" : " (?)"));
  });
  loop.add([&] {
    steps.emplace_back("writer writes");
    REQUIRE(::write(fds[1], "x", 1) == 1);
  });
  loop.run();
  ::close(fds[0]);
  ::close(fds[1]);
  CHECK(inside);
  CHECK(steps == std::vector<std::string>{"reader waits", "writer writes", "reader got x (POLLIN)"});
}

TEST_CASE("fiber_loop: limits finer than a millisecond") {
  // ppoll is given the nearest limit to the nanosecond, not rounded up to milliseconds.
  const timespec a = fiber_loop::poll_timeout(300us);
  CHECK(a.tv_sec == 0);
  CHECK(a.tv_nsec == 300000);
  const timespec b = fiber_loop::poll_timeout(std::chrono::seconds(2) + 1500ns);
  CHECK(b.tv_sec == 2);
  CHECK(b.tv_nsec == 1500);
  // Each sleep lasts at least its limit and ends with nothing ready (revents 0).
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  fiber_loop loop;
  std::string ended;
  std::chrono::steady_clock::duration slept[3]{};
  const std::chrono::microseconds limits[3] = {900us, 300us, 600us};
  for (int i = 0; i < 3; ++i) {
    loop.add([&, i] {
      const auto t0 = std::chrono::steady_clock::now();
      // No events on a descriptor nobody writes: only the limit ends the sleep.
      const short re = loop.wait_fd_for(fds[0], 0, limits[i]);
      slept[i] = std::chrono::steady_clock::now() - t0;
      ended += re == 0 ? "." : "!";
    });
  }
  loop.run();
  ::close(fds[0]);
  ::close(fds[1]);
  CHECK(ended == "...");
  for (int i = 0; i < 3; ++i) CHECK(slept[i] >= limits[i]);
}

TEST_CASE("fiber_loop: time limits") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  fiber_loop loop;
  bool woken = true;
  short re = -1;
  loop.add([&] { woken = loop.wait_wake(0, 20ms); });
  loop.add([&] { re = loop.wait_fd(fds[0], POLLIN, 20); });
  const auto t0 = std::chrono::steady_clock::now();
  loop.run();
  const auto took = std::chrono::steady_clock::now() - t0;
  ::close(fds[0]);
  ::close(fds[1]);
  CHECK_FALSE(woken);  // nobody woke it: the limit ended the wait
  CHECK(re == 0);      // nothing to read: the limit ended the wait
  CHECK(took >= 20ms);
}

TEST_CASE("fiber_loop: a time limit ends its wait while another fiber's descriptor is always ready") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  REQUIRE(::write(fds[1], "x", 1) == 1);  // stays unread: the descriptor is always ready
  fiber_loop loop;
  bool woken = true, done = false, seen_done = false;
  long polls = 0;
  loop.add([&] {
    woken = loop.wait_wake(0, 20ms);
    done = true;
  });
  loop.add([&] {
    // Sleeps on the ready pipe again and again (each sleep is a poll that returns at once)
    // until the other fiber's limit ended its wait; 10 s at most.
    const auto t0 = std::chrono::steady_clock::now();
    while (!done && std::chrono::steady_clock::now() - t0 < 10s) {
      REQUIRE(loop.wait_fd(fds[0], POLLIN, 10000) != 0);
      ++polls;
    }
    seen_done = done;  // ended by the other fiber's limit, not by its own 10 s
  });
  loop.run();
  ::close(fds[0]);
  ::close(fds[1]);
  CHECK(seen_done);
  CHECK_FALSE(woken);
  CHECK(polls > 0);
}

TEST_CASE("fiber_loop: a wake-up from another thread reaches a loop asleep in poll") {
  fiber_loop loop;
  std::atomic<bool> go{false};
  int rounds = 0;
  loop.add([&] {
    while (rounds < 100) {
      while (!go.exchange(false)) REQUIRE(loop.wait_wake(0, 10s));
      ++rounds;
    }
  });
  std::thread other([&] {
    for (int i = 0; i < 100; ++i) {
      // Each time the flag is taken before it is set again.
      while (go.load()) std::this_thread::sleep_for(100us);
      go.store(true);
      loop.wake(0);
      if (i % 10 == 0) std::this_thread::sleep_for(2ms);  // the loop is asleep in poll by then
    }
  });
  loop.run();
  other.join();
  CHECK(rounds == 100);
}

TEST_CASE("fiber_loop: a wake-up sent before the fiber sleeps is not lost") {
  fiber_loop loop;
  bool woken = false;
  loop.add([&] {
    loop.wake(0);  // as another thread would between the fiber's look and its sleep
    woken = loop.wait_wake(0, 10s);
  });
  loop.run();
  CHECK(woken);
}
