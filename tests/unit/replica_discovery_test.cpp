// `triage --replica` without files: where the replica's relay-log index is, from the
// variables the server reports, and the check that the files read here are its own.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "binlogkit/replay/replica_probe.hpp"

using namespace binlogkit;

TEST_SUITE("replica_discovery") {
  TEST_CASE("relay index: @@relay_log_index as reported, absolute") {
    replica_status s;
    s.relay_log_index = "/srv/db/relay/relay-bin.index";
    s.relay_log_basename = "/srv/db/relay/other";
    s.datadir = "/var/lib/mysql/";
    std::string from;
    CHECK(relay_log_index_path(s, from) == "/srv/db/relay/relay-bin.index");
    CHECK(from == "@@relay_log_index");
  }

  TEST_CASE("relay index: a relative name is relative to @@datadir") {
    replica_status s;
    s.relay_log_index = "./host-relay-bin.index";
    s.datadir = "/var/lib/mysql/";
    std::string from;
    CHECK(relay_log_index_path(s, from) == "/var/lib/mysql/host-relay-bin.index");
    CHECK(from == "@@relay_log_index and @@datadir");
  }

  TEST_CASE("relay index: without @@relay_log_index, the basename's .index") {
    replica_status s;
    s.relay_log_basename = "/var/lib/mysql/host-relay-bin";
    s.datadir = "/var/lib/mysql/";
    std::string from;
    CHECK(relay_log_index_path(s, from) == "/var/lib/mysql/host-relay-bin.index");
    CHECK(from == "@@relay_log_basename");
  }

  TEST_CASE("relay index: none reported is empty, not a guess") {
    replica_status s;
    s.datadir = "/var/lib/mysql/";
    std::string from = "x";
    CHECK(relay_log_index_path(s, from).empty());
    CHECK(from.empty());
  }

  TEST_CASE("relay logs match: the current relay log must be listed") {
    replica_status s;
    s.relay_executed = {"relay-bin.000007", 4};
    const std::vector<std::string> listed{"/srv/relay/relay-bin.000006", "/srv/relay/relay-bin.000007"};
    CHECK(check_relay_logs_match(s, listed).empty());
    s.relay_executed = {"relay-bin.000009", 4};
    CHECK(check_relay_logs_match(s, listed) ==
          "the replica's current relay log relay-bin.000009 (Relay_Log_File) is not among the 2 file(s) the index "
          "here lists: these are not this replica's relay logs (is the server on another host?)");
    CHECK_FALSE(check_relay_logs_match(s, {}).empty());
    // A name with a directory (MySQL before 5.6 printed it) compares by its file name.
    s.relay_executed = {"./relay-bin.000006", 4};
    CHECK(check_relay_logs_match(s, listed).empty());
  }
}
