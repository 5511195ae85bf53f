// The MariaDB 10.11 relay-log set of testdata/relay/mariadb-10.11 (13 files, in the order
// of relay-bin.index), as copies a test may change, and the point where that replica
// stood: testdata/relay/mariadb-10.11/expected.json (SHOW SLAVE STATUS): Relay_Log_File
// relay-bin.000013, Relay_Log_Pos 1113, Exec_Master_Log_Pos binlog.000005:817,
// Gtid_Slave_Pos 0-1-22.
#pragma once

#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <vector>

#include "binlogkit/triage/triage.hpp"
#include "support/binlog_builder.hpp"
#include "support/ci.hpp"

namespace bk_test {

struct relay_copies {
  std::vector<std::string> names;
  std::vector<std::vector<std::uint8_t>> data;
  std::vector<bk::triage_input> inputs() const {
    std::vector<bk::triage_input> in;
    for (std::size_t i = 0; i < names.size(); ++i) in.push_back({names[i], as_bytes(data[i])});
    return in;
  }
};

// The set, or no files when relay-bin.index is absent (RELAY_SET_OR_SKIP decides).
inline relay_copies load_relay_copies() {
  relay_copies s;
  const auto index = read_text(testdata_path("relay/mariadb-10.11/relay-bin.index"));
  std::string line;
  for (char c : index) {
    if (c != '\n') {
      line += c;
      continue;
    }
    if (!line.empty()) s.names.push_back(line);
    line.clear();
  }
  for (const auto& n : s.names) {
    s.data.push_back(read_file(testdata_path("relay/mariadb-10.11/" + n)));
    REQUIRE_MESSAGE(!s.data.back().empty(), n);
  }
  return s;
}

// The replica's point after the whole set (expected.json).
inline void check_relay_end_point(const std::optional<bk::resume_point>& p) {
  REQUIRE(p.has_value());
  CHECK(p->relay_file == "relay-bin.000013");
  CHECK(p->relay_pos == 1113);
  CHECK(p->source.file == "binlog.000005");
  CHECK(p->source.pos == 817);
  CHECK(p->gtid == "0-1-22");
}

}  // namespace bk_test

// Declares `set`, the 13 relay logs; without them: skipped, or failed under CI.
#define RELAY_SET_OR_SKIP()                                                                         \
  auto set = ::bk_test::load_relay_copies();                                                        \
  if (set.names.empty()) BK_MISSING_INPUT("testdata/relay/mariadb-10.11/relay-bin.index");          \
  REQUIRE(set.names.size() == 13)
