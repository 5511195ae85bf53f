// Several functions run as fibers on one thread, each sleeping on a socket or on a wake-up
// (the parallel applier's connections). A hand-off between two of them is a switch of
// stacks on one thread (Boost.Context: a few registers, no system call), not a futex
// wake-up of another thread and two context switches.
#pragma once

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <boost/context/fiber.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <stdexcept>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define BINLOGKIT_ASAN_FIBERS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BINLOGKIT_ASAN_FIBERS 1
#endif
#endif
#ifdef BINLOGKIT_ASAN_FIBERS
#include <sanitizer/common_interface_defs.h>
#endif

namespace binlogkit::detail {

namespace bc = boost::context;

class fiber_loop {
 public:
  static constexpr std::size_t max_fibers = 64;
  using clock = std::chrono::steady_clock;

  explicit fiber_loop(std::size_t stack_bytes = 512 * 1024) : stack_bytes_(stack_bytes) {
    efd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (efd_ < 0) throw std::runtime_error("eventfd failed");
  }
  fiber_loop(const fiber_loop&) = delete;
  fiber_loop& operator=(const fiber_loop&) = delete;
  ~fiber_loop() { ::close(efd_); }

  // Before run(): `fn` becomes the next fiber (numbered from 0 in the order added).
  void add(std::function<void()> fn) {
    if (fibers_.size() == max_fibers) throw std::length_error("too many fibers");
    auto f = std::make_unique<fiber>();
    f->fn = std::move(fn);
    f->stack = std::make_unique<char[]>(stack_bytes_);
    fibers_.push_back(std::move(f));
  }

  // Runs the fibers on the calling thread until every one has returned. A fiber's
  // exception ends the program, as it would from a thread of its own.
  void run();

  // Whether the caller runs in a fiber of this loop.
  [[nodiscard]] bool in_fiber() const { return tl_loop_ == this && tl_current_ != nullptr; }

  // From a fiber: sleeps until `fd` is ready for `events` (poll's flags) or `timeout_ms`
  // passed (negative: no limit). Returns poll's revents, 0 when the time ran out.
  short wait_fd(int fd, short events, int timeout_ms) {
    fiber& f = *tl_current_;
    set_deadline(f, timeout_ms);
    return wait_fd_until(f, fd, events);
  }
  // The same with a limit finer than a millisecond (a paced read's short sleeps).
  short wait_fd_for(int fd, short events, clock::duration timeout) {
    fiber& f = *tl_current_;
    f.has_deadline = true;
    f.deadline = clock::now() + timeout;
    return wait_fd_until(f, fd, events);
  }

  // From fiber `i`: sleeps until wake(i) or until `timeout` passed; false when it ran out.
  // A wake-up sent while the fiber was not asleep is not kept (the caller looks at the
  // state it waits for before each sleep, under the lock the waker changed it under).
  bool wait_wake(std::size_t i, std::chrono::milliseconds timeout) {
    fiber& f = *tl_current_;
    const std::uint64_t bit = std::uint64_t{1} << i;
    if ((wakes_.load() & bit) != 0) {
      wakes_.fetch_and(~bit);
      return true;
    }
    set_deadline(f, static_cast<int>(timeout.count()));
    f.state = fiber_state::wait_wake;
    f.timed_out = false;
    yield(f);
    return !f.timed_out;
  }

  // The time limit given to ppoll for the nearest of the fibers' limits: to the
  // nanosecond, not rounded to milliseconds (a paced read sleeps 20 us to 1 ms).
  static timespec poll_timeout(clock::duration left) {
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
    return timespec{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
  }

  // Any thread: fiber `i` goes on if it sleeps in wait_wake.
  void wake(std::size_t i) {
    wakes_.fetch_or(std::uint64_t{1} << i);
    if (sleeping_.load()) {
      const std::uint64_t one = 1;
      (void)!::write(efd_, &one, sizeof one);
    }
  }

 private:
  enum class fiber_state : std::uint8_t { runnable, wait_fd, wait_wake, done };
  // The fiber's stack is its own memory (its bounds are known for AddressSanitizer).
  struct own_stack {
    char* base;
    std::size_t size;
    bc::stack_context allocate() {
      bc::stack_context sc;
      sc.sp = base + size;
      sc.size = size;
      return sc;
    }
    void deallocate(bc::stack_context&) noexcept {}
  };
  struct fiber {
    bc::fiber self;    // resumes the fiber
    bc::fiber caller;  // (in the fiber) resumes the loop
    std::unique_ptr<char[]> stack;
    std::function<void()> fn;
    fiber_state state = fiber_state::runnable;
    int fd = -1;
    short events = 0, revents = 0;
    bool has_deadline = false, timed_out = false;
    clock::time_point deadline{};
#ifdef BINLOGKIT_ASAN_FIBERS
    void* fake_stack = nullptr;
#endif
  };

  short wait_fd_until(fiber& f, int fd, short events) {
    f.fd = fd;
    f.events = events;
    f.revents = 0;
    f.state = fiber_state::wait_fd;
    yield(f);
    return f.revents;
  }
  static void set_deadline(fiber& f, int timeout_ms) {
    f.has_deadline = timeout_ms >= 0;
    if (f.has_deadline) f.deadline = clock::now() + std::chrono::milliseconds(timeout_ms);
  }
  void resume(fiber& f);
  void yield(fiber& f);

  std::size_t stack_bytes_;
  std::vector<std::unique_ptr<fiber>> fibers_;
  int efd_ = -1;
  std::atomic<std::uint64_t> wakes_{0};
  std::atomic<bool> sleeping_{false};
#ifdef BINLOGKIT_ASAN_FIBERS
  void* main_fake_stack_ = nullptr;
  const void* main_stack_bottom_ = nullptr;
  std::size_t main_stack_size_ = 0;
#endif
  static inline thread_local fiber_loop* tl_loop_ = nullptr;
  static inline thread_local fiber* tl_current_ = nullptr;
};

inline void fiber_loop::resume(fiber& f) {
  tl_current_ = &f;
#ifdef BINLOGKIT_ASAN_FIBERS
  __sanitizer_start_switch_fiber(&main_fake_stack_, f.stack.get(), stack_bytes_);
#endif
  f.self = std::move(f.self).resume();
#ifdef BINLOGKIT_ASAN_FIBERS
  __sanitizer_finish_switch_fiber(main_fake_stack_, nullptr, nullptr);
#endif
  tl_current_ = nullptr;
}

inline void fiber_loop::yield(fiber& f) {
#ifdef BINLOGKIT_ASAN_FIBERS
  __sanitizer_start_switch_fiber(&f.fake_stack, main_stack_bottom_, main_stack_size_);
#endif
  f.caller = std::move(f.caller).resume();
#ifdef BINLOGKIT_ASAN_FIBERS
  __sanitizer_finish_switch_fiber(f.fake_stack, &main_stack_bottom_, &main_stack_size_);
#endif
}

inline void fiber_loop::run() {
  tl_loop_ = this;
  for (auto& fp : fibers_) {
    fiber& f = *fp;
    f.self = bc::fiber(std::allocator_arg, own_stack{f.stack.get(), stack_bytes_}, [this, &f](bc::fiber&& caller) {
#ifdef BINLOGKIT_ASAN_FIBERS
      __sanitizer_finish_switch_fiber(nullptr, &main_stack_bottom_, &main_stack_size_);
#endif
      f.caller = std::move(caller);
      try {
        f.fn();
      } catch (const bc::detail::forced_unwind&) {
        throw;  // the fiber is being destroyed
      } catch (...) {
        std::terminate();
      }
      f.state = fiber_state::done;
#ifdef BINLOGKIT_ASAN_FIBERS
      __sanitizer_start_switch_fiber(nullptr, main_stack_bottom_, main_stack_size_);
#endif
      return std::move(f.caller);
    });
  }
  std::vector<pollfd> pfds;
  std::vector<fiber*> waiting;
  for (;;) {
    // Wake-ups: a fiber asleep in wait_wake goes on.
    if (const std::uint64_t bits = wakes_.exchange(0); bits != 0) {
      for (std::size_t i = 0; i < fibers_.size(); ++i) {
        if ((bits >> i & 1) != 0 && fibers_[i]->state == fiber_state::wait_wake) {
          fibers_[i]->state = fiber_state::runnable;
        }
      }
    }
    bool ran = false, alive = false;
    for (auto& fp : fibers_) {
      if (fp->state == fiber_state::runnable) {
        resume(*fp);
        ran = true;
      }
      alive = alive || fp->state != fiber_state::done;
    }
    if (!alive) break;
    if (ran) continue;  // what they did may have woken others
    // Nothing to run: sleep on the sockets, the wake-up descriptor and the nearest limit.
    pfds.clear();
    waiting.clear();
    pfds.push_back({efd_, POLLIN, 0});
    auto now = clock::now();
    bool limited = false;
    clock::duration timeout{};
    for (auto& fp : fibers_) {
      fiber& f = *fp;
      if (f.state == fiber_state::wait_fd) {
        pfds.push_back({f.fd, f.events, 0});
        waiting.push_back(&f);
      }
      if ((f.state == fiber_state::wait_fd || f.state == fiber_state::wait_wake) && f.has_deadline) {
        const auto left = std::max(f.deadline - now, clock::duration::zero());
        timeout = limited ? std::min(timeout, left) : left;
        limited = true;
      }
    }
    sleeping_.store(true);
    int r = 0;
    if (wakes_.load() == 0) {
      const timespec ts = poll_timeout(timeout);
      r = ::ppoll(pfds.data(), pfds.size(), limited ? &ts : nullptr, nullptr);
    }
    sleeping_.store(false);
    if (r < 0 && errno != EINTR) throw std::runtime_error("poll failed");
    if (r > 0 && (pfds[0].revents & POLLIN) != 0) {
      std::uint64_t drain = 0;
      (void)!::read(efd_, &drain, sizeof drain);
    }
    for (std::size_t k = 0; k < waiting.size(); ++k) {
      if (r > 0 && pfds[k + 1].revents != 0) {
        waiting[k]->revents = pfds[k + 1].revents;
        waiting[k]->state = fiber_state::runnable;
      }
    }
    // Time limits are looked at when poll ran out of time or one had passed before it: one
    // that passes while poll returns for a socket is met on the next pass (whose timeout is
    // then 0), not missed.
    if (r != 0 && !(limited && timeout == clock::duration::zero())) continue;
    now = clock::now();
    for (auto& fp : fibers_) {
      fiber& f = *fp;
      if ((f.state == fiber_state::wait_fd || f.state == fiber_state::wait_wake) && f.has_deadline &&
          now >= f.deadline) {
        f.timed_out = f.state == fiber_state::wait_wake;
        if (f.state == fiber_state::wait_fd) f.revents = 0;
        f.state = fiber_state::runnable;
      }
    }
  }
  tl_loop_ = nullptr;
}

}  // namespace binlogkit::detail
