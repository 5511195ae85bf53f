// `triage --replica` without files: where the replica's relay-log index is, from the
// variables the server reports, and the check that the files read here are its own.
#include <doctest/doctest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "binlogkit/replay/replica_probe.hpp"

using namespace binlogkit;

namespace {

// A relay log of `size` bytes whose first event is a format description of `server_id`
// (only its common header: the check reads no further).
std::string write_relay_log(const std::string& name, std::uint32_t server_id, std::size_t size) {
  const auto dir = std::filesystem::temp_directory_path() / "binlogkit-replica-discovery-test";
  std::filesystem::create_directories(dir);
  const auto path = (dir / name).string();
  std::string bytes = "\xfe" "bin";
  bytes += std::string(4, '\0');  // timestamp
  bytes += '\x0f';                 // FORMAT_DESCRIPTION_EVENT
  for (int i = 0; i < 4; ++i) bytes += static_cast<char>((server_id >> (8 * i)) & 0xff);
  bytes.resize(size, '\0');
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

}  // namespace

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

  TEST_CASE("relay logs match: the current relay log here is written by the replica's server id") {
    // Another replica's relay logs at the same path (another host, a copy) carry the same
    // names: its own format description at the start of each says whose they are.
    const auto mine = write_relay_log("relay-bin.000007", 2, 1113);
    replica_status s;
    s.mariadb = true;
    s.server_id = 2;
    s.relay_executed = {"relay-bin.000007", 1113};
    CHECK(check_relay_logs_match(s, {mine}).empty());
    s.server_id = 3;
    CHECK(check_relay_logs_match(s, {mine}) ==
          mine + " begins with a format description of server id 2, the replica is server id 3: these are not this "
                 "replica's relay logs (is the server on another host?)");
    // Shorter than the position the server reads at: not its file either.
    s.server_id = 2;
    s.relay_executed = {"relay-bin.000007", 1114};
    CHECK(check_relay_logs_match(s, {mine}) ==
          mine + " is 1113 bytes long, the replica reports Relay_Log_Pos 1114 in it: these are not this replica's "
                 "relay logs (is the server on another host?)");
    // Listed but absent here: refused, not triaged blind.
    const auto gone = mine + ".gone";
    s.relay_executed = {"relay-bin.000007.gone", 4};
    CHECK(check_relay_logs_match(s, {gone}) ==
          gone + " cannot be read here: it cannot be checked to be this replica's relay log");
    std::filesystem::remove(mine);
  }

  TEST_CASE("named connections: the plan's gtid_slave_pos sets their domains too: a note says so") {
    replica_status s;
    CHECK(named_connections_note(s).empty());
    s.named_connections = {"a", "b\nc"};  // a name is one line in the note
    CHECK(named_connections_note(s) ==
          "the replica also replicates over named connection(s) 'a', 'b\\nc': @@gtid_slave_pos holds their domains "
          "too, and SET GLOBAL gtid_slave_pos sets them as well, to the value read when triage ran. Stop every "
          "connection (STOP ALL SLAVES), run triage --replica again and follow that plan, or the other connections "
          "re-apply what they applied since");
  }
}
