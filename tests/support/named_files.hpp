// Test inputs read whole and named by their base name, as a set's inputs name them: a file
// of testdata/ or of the shared corpus. A file that cannot be read fails the test case.
#pragma once

#include <doctest/doctest.h>

#include <string>

#include "support/binlog_builder.hpp"

namespace bk_test {

inline named_file readable(named_file f) {
  REQUIRE_MESSAGE(!f.data.empty(), f.name);
  return f;
}
inline named_file testdata_file(const std::string& rel) { return readable(read_named(testdata_path(rel))); }
inline named_file corpus_file(const std::string& rel) { return readable(read_named(corpus_path(rel))); }

}  // namespace bk_test
