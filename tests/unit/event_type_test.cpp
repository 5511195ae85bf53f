// Event type classes (binlogkit/core/event_type.hpp) that several layers test by.
#include <doctest/doctest.h>

#include "binlogkit/core/event_type.hpp"

using namespace binlogkit;

TEST_SUITE("event_type") {
  TEST_CASE("is_gtid_event: MySQL's GTID, anonymous and tagged GTID, MariaDB's GTID; no other code") {
    int count = 0;
    for (int code = 0; code < 256; ++code) {
      const auto t = static_cast<event_type>(code);
      const bool expected = code == 33 || code == 34 || code == 42 || code == 162;
      CAPTURE(code);
      CHECK(is_gtid_event(t) == expected);
      count += is_gtid_event(t) ? 1 : 0;
    }
    CHECK(count == 4);
    // Not a GTID: the summaries and lists of GTIDs.
    CHECK_FALSE(is_gtid_event(event_type::previous_gtids));
    CHECK_FALSE(is_gtid_event(event_type::mariadb_gtid_list));
  }
}
