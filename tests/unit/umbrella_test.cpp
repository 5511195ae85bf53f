// The umbrella header compiles on its own with every layer's headers, and the version it
// carries is the project's (CMakeLists.txt project(VERSION), generated version.hpp).
#include "binlogkit/binlogkit.hpp"

#include <doctest/doctest.h>

#include <string>

TEST_SUITE("umbrella") {
  TEST_CASE("umbrella: binlogkit.hpp brings every layer and the version") {
    CHECK(binlogkit::version_string == std::string(BINLOGKIT_TEST_PROJECT_VERSION));
    CHECK(std::to_string(binlogkit::version_major) + "." + std::to_string(binlogkit::version_minor) + "." +
              std::to_string(binlogkit::version_patch) ==
          BINLOGKIT_TEST_PROJECT_VERSION);
    // One name from each layer: core, events, rows, tools, sql, triage, replay.
    CHECK(binlogkit::crc32(binlogkit::bytes()) == 0u);
    CHECK(sizeof(binlogkit::event_reader) > 0);
    CHECK(binlogkit::decimal_binary_size(5, 2) == 3u);
    CHECK(sizeof(binlogkit::verify_report) > 0);
    CHECK(sizeof(binlogkit::transaction_stream) > 0);
    CHECK(sizeof(binlogkit::triage_report) > 0);
    CHECK(binlogkit::client_option_groups().size() == 5u);
  }
}
