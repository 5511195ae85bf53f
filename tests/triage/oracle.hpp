// The expected transaction boundaries of the triage and transaction tests, as
// tests/triage/make-oracle wrote them from mariadb-binlog / SHOW RELAYLOG EVENTS output
// (see tests/triage/README.md). Nothing here comes from binlogkit.
#pragma once

#include <cstdint>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "support/binlog_builder.hpp"

namespace bk_test {

// "testdata/x" or "corpus/x" (the oracle's names for files) to a path.
inline std::string oracle_path(const std::string& name) {
  if (name.rfind("testdata/", 0) == 0) return testdata_path(name.substr(9));
  if (name.rfind("corpus/", 0) == 0) return corpus_path(name.substr(7));
  return name;
}

// One row of transactions.tsv. Files are named as in the TSV: "testdata/<path>" or
// "corpus/<path>".
struct oracle_txn {
  std::string file;        // where its last event is
  std::string begin_file;  // where its first event is
  std::uint64_t begin = 0;
  std::uint64_t end = 0;   // end offset of its last event
  std::string gtid;        // "d-s-n", "uuid:n", "ANONYMOUS", "tagged" (not decoded), "" (none)
  std::string ending;      // xid, commit, rollback, ddl, statement, autocommit_xid, xa_prepare, ...
  std::string source_file;
  std::uint64_t source_pos = 0;
};

// One row of gtid-lists.tsv: a MariaDB GTID_LIST event and the GTIDs it holds.
struct oracle_gtid_list {
  std::string file;
  std::uint64_t offset = 0;
  std::string gtids;  // "0-1-23,2-1-1" or ""
};

inline std::vector<std::vector<std::string>> read_tsv(const std::string& path) {
  std::vector<std::vector<std::string>> rows;
  std::ifstream in(path);
  std::string line;
  bool header = true;
  while (std::getline(in, line)) {
    if (header) {
      header = false;
      continue;
    }
    std::vector<std::string> cols;
    std::string col;
    std::istringstream s(line);
    while (std::getline(s, col, '\t')) cols.push_back(col);
    if (!line.empty() && line.back() == '\t') cols.emplace_back();
    rows.push_back(std::move(cols));
  }
  return rows;
}

inline std::string oracle_dir() { return std::string(BINLOGKIT_SOURCE_DIR) + "/tests/triage"; }

// Every transaction, in file order within each set, keyed by the file it ends in.
inline const std::vector<oracle_txn>& oracle_transactions() {
  static const std::vector<oracle_txn> all = [] {
    std::vector<oracle_txn> v;
    for (auto& c : read_tsv(oracle_dir() + "/transactions.tsv")) {
      if (c.size() < 8) continue;
      oracle_txn t;
      t.file = c[0];
      t.begin_file = c[1];
      t.begin = std::stoull(c[2]);
      t.end = std::stoull(c[3]);
      t.gtid = c[4];
      t.ending = c[5];
      t.source_file = c[6];
      t.source_pos = std::stoull(c[7]);
      v.push_back(std::move(t));
    }
    return v;
  }();
  return all;
}

inline const std::vector<oracle_gtid_list>& oracle_gtid_lists() {
  static const std::vector<oracle_gtid_list> all = [] {
    std::vector<oracle_gtid_list> v;
    for (auto& c : read_tsv(oracle_dir() + "/gtid-lists.tsv")) {
      if (c.size() < 2) continue;
      v.push_back({c[0], std::stoull(c[1]), c.size() > 2 ? c[2] : ""});
    }
    return v;
  }();
  return all;
}

// The rows of one file (in the order of the TSV, which is file order).
inline std::vector<oracle_txn> oracle_transactions_ending_in(const std::string& file) {
  std::vector<oracle_txn> v;
  for (const auto& t : oracle_transactions()) {
    if (t.file == file) v.push_back(t);
  }
  return v;
}

}  // namespace bk_test
