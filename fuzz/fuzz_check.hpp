// Properties the fuzz harnesses check on every input, whatever its bytes: a violation
// aborts (a crash for libFuzzer, a failing test for the corpus replayers), so a harness
// that runs a seed also asserts something about it rather than only that it did not crash.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace binlogkit_fuzz {

[[noreturn]] inline void check_failed(const char* what, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: fuzz property violated: %s\n", file, line, what);
  std::abort();
}

}  // namespace binlogkit_fuzz

#define BK_FUZZ_CHECK(cond) ((cond) ? (void)0 : ::binlogkit_fuzz::check_failed(#cond, __FILE__, __LINE__))
