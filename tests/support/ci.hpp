// A test input that is not there: skipped on a developer's machine, a failure in CI.
//
// The corpus beside the checkout (../shared/corpus), testdata/relay and mariadb-binlog
// (the oracle of the row-value tests) may be absent on a developer's machine; a test that
// needs one says so and returns. Under CI (the CI environment variable set to anything but
// "", "0" or "false", as CI services set it) a partial fixture set must not pass unnoticed:
// the same absence fails the test.
#pragma once

#include <doctest/doctest.h>

#include <cstdlib>
#include <string_view>

namespace bk_test {

inline bool in_ci() {
  const char* v = std::getenv("CI");
  if (v == nullptr) return false;
  const std::string_view s(v);
  return !s.empty() && s != "0" && s != "false";
}

}  // namespace bk_test

// Ends the current test case: FAIL under CI, a MESSAGE and a return elsewhere. `what`
// names what is missing.
#define BK_MISSING_INPUT(what)                                                   \
  do {                                                                           \
    if (::bk_test::in_ci()) FAIL("missing test input under CI: " << what);       \
    MESSAGE("missing test input, skipped (a failure when CI is set): " << what); \
    return;                                                                      \
  } while (false)
