// Row values of real binlogs against oracles that did not come from this decoder:
//
//  * `mariadb-binlog -vv --base64-output=decode-rows` (MariaDB's own client, run here at
//    test time through popen; the case is skipped when it is not installed). It decodes
//    MySQL and MariaDB row events alike, except MySQL's JSON, VECTOR and partial
//    updates, where it stops printing a row: those rows are compared up to that point.
//    Every value line is compared, with the -vv comment that carries the column type,
//    metadata and nullability, so the table-map decoding is checked as well.
//  * The mysqlbinlog -v text in MariaDB's binlog_row_mysqlbinlog_verbose.result for the
//    four NDB row files it was recorded from.
//  * Values asserted by rust_mysql_common's binlog tests (src/binlog/mod.rs,
//    binlog_event_roundtrip) for json-opaque.binlog, time_issue.000001,
//    minimal_row_metadata.000001, vector.binlog and mariadb-bin.000001.
//  * json.binlog.000001 (MySQL 8.0.22) has no recorded values; its table has generated
//    columns name = json_col->>'$.name' and age = json_col->'$.age', computed by the
//    server, so each row's JSON must agree with the row's own generated columns — also
//    after applying the partial-update diffs to the before image.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "binlogkit/events/events.hpp"
#include "binlogkit/rows/json_binary.hpp"
#include "binlogkit/events/reader.hpp"
#include "binlogkit/rows/row_text.hpp"
#include "binlogkit/rows/rows.hpp"
#include "binlogkit/core/source.hpp"
#include "support/walk_rows.hpp"
#include "support/ci.hpp"

using namespace binlogkit;

namespace {

std::string corpus_path(std::string_view rel) {
  return std::string(BINLOGKIT_CORPUS_DIR) + "/" + std::string(rel);
}

using bk_test::rows_visit;
using bk_test::walk_rows;

// mariadb-binlog's -vv type names come from the library's printer (row_text.hpp), so this
// comparison checks the printer too.
std::string mariadb_typestr(const column_def& c) { return verbose_type_name(c); }

std::string quoted_ident(std::string_view s) {
  std::string out = "`";
  for (char ch : s) {
    out += ch;
    if (ch == '`') out += '`';
  }
  return out + "`";
}

// The ### lines mysqlbinlog -v / -vv prints for one rows event.
std::vector<std::string> render_event(const rows_visit& v, text_style style, bool vv) {
  std::vector<std::string> out;
  row_reader rr(v.rows, v.schema, v.ev.offset);
  const std::string table = quoted_ident(v.schema.database) + "." + quoted_ident(v.schema.table);
  auto image = [&](const row_image& img, const char* clause) {
    out.emplace_back(clause);
    for (const field_view& f : img) {
      auto val = f.decode();
      REQUIRE_MESSAGE(val.has_value(), "value at ", v.ev.offset, " column ", f.index + 1, ": ",
                      val.error().message());
      auto text = val->to_text(style);
      REQUIRE_MESSAGE(text.has_value(), "text at ", v.ev.offset, " column ", f.index + 1);
      std::string line = "###   @" + std::to_string(f.index + 1) + "=" + *text;
      if (vv) {
        line += " /* " + mariadb_typestr(*f.column) + " meta=" + std::to_string(f.column->meta) +
                " nullable=" + std::to_string(f.column->nullable ? 1 : 0) +
                " is_null=" + std::to_string(f.null ? 1 : 0) + " */";
      }
      out.push_back(std::move(line));
    }
  };
  for (;;) {
    auto row = rr.next();
    REQUIRE_MESSAGE(row.has_value(), "rows event at ", v.ev.offset, ": ", row.error().message());
    if (!*row) break;
    const row_change& rc = **row;
    switch (rc.kind) {
      case rows_kind::write:
        out.push_back("### INSERT INTO " + table);
        image(*rc.after, "### SET");
        break;
      case rows_kind::erase:
        out.push_back("### DELETE FROM " + table);
        image(*rc.before, "### WHERE");
        break;
      case rows_kind::update:
        out.push_back("### UPDATE " + table);
        image(*rc.before, "### WHERE");
        image(*rc.after, "### SET");
        break;
      default:
        break;
    }
  }
  return out;
}

bool have_mariadb_binlog() {
  return std::system("mariadb-binlog --version >/dev/null 2>&1") == 0;
}

// ### lines of mariadb-binlog -vv, by the offset of the event that printed them. An
// event whose last value line is cut short (a type the client cannot print) keeps its
// complete lines and is marked.
struct oracle_event {
  std::vector<std::string> lines;
  bool cut = false;
};

std::map<std::uint64_t, oracle_event> run_mariadb_binlog(const std::string& path) {
  std::map<std::uint64_t, oracle_event> events;
  // mariadb-binlog writes the data of LOAD DATA events as files into TMPDIR unless told
  // where: a directory of our own, removed again.
  std::string load = (std::filesystem::temp_directory_path() / "bk-values-load.XXXXXX").string();
  if (::mkdtemp(load.data()) == nullptr) return events;
  const std::string cmd = "mariadb-binlog --no-defaults --local-load='" + load +
                          "' -vv --base64-output=decode-rows '" + path + "' 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) {
    std::filesystem::remove_all(load);
    return events;
  }
  std::string all;
  char buf[65536];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) all.append(buf, n);
  pclose(p);
  std::filesystem::remove_all(load);
  std::uint64_t at = 0;
  std::size_t pos = 0;
  while (pos < all.size()) {
    std::size_t eol = all.find('\n', pos);
    if (eol == std::string::npos) eol = all.size();
    std::string line = all.substr(pos, eol - pos);
    pos = eol + 1;
    if (line.rfind("# at ", 0) == 0) {
      at = std::stoull(line.substr(5));
      continue;
    }
    if (line.rfind("###", 0) != 0) continue;
    auto& e = events[at];
    if (line.rfind("###   @", 0) == 0 && (line.size() < 2 || line.compare(line.size() - 2, 2, "*/") != 0)) {
      e.cut = true;  // the client gave up inside this value
      continue;
    }
    if (!e.cut) e.lines.push_back(std::move(line));
  }
  return events;
}

// Files of the corpus whose rows mariadb-binlog prints (MANIFEST features RBR).
const char* const mariadb_oracle_files[] = {
    "stoneatom+stonedb/mysql-test__std_data__binlog_56_gtid_reserved_word.000001",
    "stoneatom+stonedb/mysql-test__suite__binlog__std_data__bug32407.001",
    "stoneatom+stonedb/mysql-test__suite__binlog__std_data__update-full-row.binlog",
    "stoneatom+stonedb/mysql-test__suite__binlog__std_data__update-partial-row.binlog",
    "stoneatom+stonedb/mysql-test__suite__binlog__std_data__ver_5_1_23.001",
    "stoneatom+stonedb/mysql-test__suite__binlog__std_data__ver_trunk_row_v2.001",
    "stoneatom+stonedb/mysql-test__suite__binlog__std_data__write-full-row.binlog",
    "stoneatom+stonedb/mysql-test__suite__binlog__std_data__write-partial-row.binlog",
    "debian+mariadb-test-data/mysql-test__std_data__mdev35643_mysql_80_binlog.000001",
    "debian+mariadb-test-data/mysql-test__std_data__mdev6020-mysql-bin.000001",
    "debian+mariadb-test-data/mysql-test__std_data__rpl__master-bin-seq_10.3.36.000001",
    "blackbeam+rust_mysql_common/test-data__binlogs__binlog-invisible-columns.000001",
    "blackbeam+rust_mysql_common/test-data__binlogs__mariadb-bin.000001",
    "blackbeam+rust_mysql_common/test-data__binlogs__minimal_row_metadata.000001",
    "blackbeam+rust_mysql_common/test-data__binlogs__mysql-enum-string-set.000001",
    "blackbeam+rust_mysql_common/test-data__binlogs__mysql_type_bit.000001",
    "blackbeam+rust_mysql_common/test-data__binlogs__rpl_unfiltered_hidden_gcol.000001",
    "blackbeam+rust_mysql_common/test-data__binlogs__time_issue.000001",
    "rust-us+mysql-cdc-rs/tests__events__5.7__16_xid__log.bin",
    "rust-us+mysql-cdc-rs/tests__events__5.7__19_table_map__log.bin",
    "rust-us+mysql-cdc-rs/tests__events__5.7__29_row_query__log.bin",
    "rust-us+mysql-cdc-rs/tests__events__5.7__30_write_rows_v2__log.bin",
    "rust-us+mysql-cdc-rs/tests__events__5.7__31_update_rows_v2__log.bin",
    "rust-us+mysql-cdc-rs/tests__events__5.7__32_delete_rows_v2__log.bin",
    "rust-us+mysql-cdc-rs/tests__events__5.7__33_35_gtid_prev_gtid__log.bin",
    "rust-us+mysql-cdc-rs/tests__events__5.7__34_anonymous_gtid__log.bin",
    "rust-us+mysql-cdc-rs/tests__events__8.0__02_query_bigger__binlog.000733",
    "rust-us+mysql-cdc-rs/tests__events__8.0__19_30_Table_map_event_Write_rows_log_event__binlog.000018",
    "rust-us+mysql-cdc-rs/tests__events__8.0__31_update_rows_v2__binlog.000001",
    "rust-us+mysql-cdc-rs/tests__events__8.0__32_delete_rows_v2__binlog.000001",
    "osheroff+mysql-binlog-connector-java/src__test__resources__mysql-bin.sakila",
    "alibaba+canal/dbsync__src__test__resources__binlog__mysql-bin.000001",
    "alibaba+canal/parse__src__test__resources__binlog__mysql-bin.000002",
    "alibaba+canal/parse__src__test__resources__binlog__tsdb__mysql-bin.000002",
    "alibaba+canal/parse__src__test__resources__binlog__tsdb__mysql-bin.000003",
    "Meituan-Dianping+MyFlash/binlog_output_base.flashback",
    "apecloud+mysql-binlog-connector-rust/tests__parse_file_tests__mysql-bin.000080",
    "go-mysql-org+go-mysql/replication__t__tcb-eval002c-bin.003320",
    "zendesk+maxwell/src__test__resources__sql__replay__binlog.000004",
};

}  // namespace

TEST_SUITE("values_corpus") {
  TEST_CASE("values: every row of the corpus prints as mariadb-binlog -vv prints it") {
    if (!have_mariadb_binlog()) BK_MISSING_INPUT("mariadb-binlog on PATH (the oracle)");
    std::size_t values = 0, events = 0, cut = 0;
    for (const char* rel : mariadb_oracle_files) {
      const std::string path = corpus_path(rel);
      auto oracle = run_mariadb_binlog(path);
      const std::string file = rel;
      CAPTURE(file);
      CHECK_MESSAGE(!oracle.empty(), "mariadb-binlog printed no rows for ", file);
      // The client buffers the rows events of a statement and prints them all under the
      // "# at" of the one that ends it (STMT_END_F).
      std::vector<std::string> pending;
      bool opened = walk_rows(path, [&](const rows_visit& v) {
        auto lines = render_event(v, text_style::mariadb_binlog, true);
        pending.insert(pending.end(), lines.begin(), lines.end());
        if ((v.rows.flags & rows_event::stmt_end_f) == 0) return;
        std::vector<std::string> ours;
        ours.swap(pending);
        auto it = oracle.find(v.ev.offset);
        if (it == oracle.end()) return;  // the client did not print this statement
        const auto& theirs = it->second;
        ++events;
        if (theirs.cut) ++cut;
        if (theirs.lines.size() > ours.size()) {
          FAIL_CHECK("event at ", v.ev.offset, ": the client printed ", theirs.lines.size(), " lines, we ", ours.size());
          return;
        }
        if (!theirs.cut) CHECK_MESSAGE(theirs.lines.size() == ours.size(), "event at ", v.ev.offset);
        for (std::size_t i = 0; i < theirs.lines.size(); ++i) {
          if (ours[i] != theirs.lines[i]) {
            FAIL_CHECK("event at ", v.ev.offset, " line ", i, "\n ours:   ", ours[i], "\n theirs: ", theirs.lines[i]);
            break;
          }
          if (ours[i].rfind("###   @", 0) == 0) ++values;
        }
      });
      CHECK(opened);
    }
    MESSAGE("compared ", values, " values in ", events, " rows events (", cut, " cut short by the client)");
    CHECK(values > 300000);
  }

  TEST_CASE("values: the NDB row files print as binlog_row_mysqlbinlog_verbose.result records") {
    std::ifstream in(corpus_path("debian+mariadb-test-data/mysql-test__suite__binlog__r__binlog_row_mysqlbinlog_verbose.result"));
    REQUIRE(in.good());
    std::map<std::string, std::vector<std::string>> expected;
    std::string line, current;
    while (std::getline(in, line)) {
      const std::string marker = "Verbose statements from : ";
      if (line.rfind(marker, 0) == 0) current = line.substr(marker.size());
      else if (line.rfind("###", 0) == 0 && !current.empty()) expected[current].push_back(line);
    }
    REQUIRE(expected.size() == 4);
    for (const auto& [name, lines] : expected) {
      CAPTURE(name);
      std::vector<std::string> ours;
      REQUIRE(walk_rows(corpus_path("stoneatom+stonedb/mysql-test__suite__binlog__std_data__" + name),
                        [&](const rows_visit& v) {
                          auto l = render_event(v, text_style::mariadb_binlog, false);
                          ours.insert(ours.end(), l.begin(), l.end());
                        }));
      CHECK(ours == lines);
    }
  }

  TEST_CASE("values: json-opaque.binlog holds the documents rust_mysql_common asserts") {
    // rust_mysql_common compares each document after converting it to serde_json, where
    // decimals become strings; MySQL's own JSON text prints them as numbers.
    const std::vector<std::string> expected = {
        R"({"a": "base64:type15:VQ=="})",       R"({"b": "2012-03-18"})",
        R"({"c": "2012-03-18 11:30:45.000000"})", R"({"c": "87:31:46.654321"})",
        R"({"d": 123.456})",                      R"({"e": 9.00})",
        R"({"e": [0, 1, true, false]})",          R"({"e": null})",
    };
    std::vector<std::string> got;
    REQUIRE(walk_rows(corpus_path("blackbeam+rust_mysql_common/test-data__binlogs__json-opaque.binlog"),
                      [&](const rows_visit& v) {
                        row_reader rr(v.rows, v.schema, v.ev.offset);
                        auto row = rr.next();
                        REQUIRE(row.has_value());
                        REQUIRE(row->has_value());
                        const row_image& after = *(*row)->after;
                        // the last column of the first row, as the Rust test pops it
                        std::optional<field_view> last;
                        for (const auto& f : after) last = f;
                        REQUIRE(last.has_value());
                        auto val = last->decode();
                        REQUIRE(val.has_value());
                        auto text = val->to_text(text_style::sql);
                        REQUIRE(text.has_value());
                        got.push_back(*text);
                      }));
    CHECK(got == expected);
  }

  TEST_CASE("values: time_issue.000001 holds the negative TIME rust_mysql_common asserts") {
    // Value::Time(true, 21, 3, 48, 27, 0): negative, 21 days 3:48:27.
    std::vector<std::string> got;
    REQUIRE(walk_rows(corpus_path("blackbeam+rust_mysql_common/test-data__binlogs__time_issue.000001"),
                      [&](const rows_visit& v) {
                        row_reader rr(v.rows, v.schema, v.ev.offset);
                        auto row = rr.next();
                        REQUIRE(row.has_value());
                        REQUIRE(row->has_value());
                        for (const auto& f : *(*row)->after) {
                          auto val = f.decode();
                          REQUIRE(val.has_value());
                          CHECK(val->kind() == value_kind::time);
                          CHECK(val->as_temporal().negative);
                          CHECK(val->as_temporal().hour == 21 * 24 + 3);
                          got.push_back(*val->to_text(text_style::sql));
                        }
                      }));
    CHECK(got == std::vector<std::string>{"-507:48:27"});
  }

  TEST_CASE("values: minimal_row_metadata.000001 reads an unsigned INT by its SIGNEDNESS") {
    // rust_mysql_common names the columns of the (minimal) image by 0-based table index:
    // "@4" is Value::Int(3230202323), "@2" has collation 255 (utf8mb4_0900_ai_ci).
    int rows = 0;
    REQUIRE(walk_rows(corpus_path("blackbeam+rust_mysql_common/test-data__binlogs__minimal_row_metadata.000001"),
                      [&](const rows_visit& v) {
                        CHECK(v.schema.has_signedness);
                        CHECK(v.schema.columns[2].charset == std::optional<std::uint32_t>(255));
                        row_reader rr(v.rows, v.schema, v.ev.offset);
                        auto row = rr.next();
                        REQUIRE(row.has_value());
                        REQUIRE(row->has_value());
                        auto val = (*row)->after->at(4);
                        REQUIRE(val.has_value());
                        CHECK(val->is_unsigned() == std::optional<bool>(true));
                        CHECK(val->as_uint64() == 3230202323u);
                        CHECK(*val->to_text(text_style::sql) == "3230202323");
                        CHECK(*val->to_text(text_style::mysqlbinlog) == "3230202323");
                        CHECK(*val->to_text(text_style::mariadb_binlog) == "-1064764973 (3230202323)");
                        ++rows;
                      }));
    CHECK(rows == 1);
  }

  TEST_CASE("values: vector.binlog holds the float32 vectors rust_mysql_common asserts") {
    const std::vector<std::vector<std::uint8_t>> expected = {
        {205, 204, 140, 63, 205, 204, 12, 64, 51, 51, 83, 64},
        {0, 0, 128, 63, 0, 0, 128, 191, 0, 0, 0, 0},
    };
    std::vector<std::vector<std::uint8_t>> got;
    std::map<std::string, std::vector<std::uint32_t>> dims;
    REQUIRE(walk_rows(corpus_path("blackbeam+rust_mysql_common/test-data__binlogs__vector.binlog"),
                      [&](const rows_visit& v) {
                        auto& d = dims[v.schema.table];
                        d.clear();
                        for (const auto& c : v.schema.columns) {
                          if (c.vector_dimensions) d.push_back(*c.vector_dimensions);
                        }
                        // the first rows event of table foo (the Rust test's event 12)
                        if (v.schema.table != "foo" || !got.empty()) return;
                        row_reader rr(v.rows, v.schema, v.ev.offset);
                        for (;;) {
                          auto row = rr.next();
                          REQUIRE(row.has_value());
                          if (!*row) break;
                          auto val = (*row)->after->at(1);
                          REQUIRE(val.has_value());
                          REQUIRE(val->kind() == value_kind::vector);
                          got.emplace_back(val->data().begin(), val->data().end());
                        }
                      }));
    CHECK(got == expected);
    CHECK(dims["foo"] == std::vector<std::uint32_t>{3});
  }

  TEST_CASE("values: mariadb-bin.000001 table map carries the names and charsets rust_mysql_common asserts") {
    int maps = 0;
    REQUIRE(walk_rows(corpus_path("blackbeam+rust_mysql_common/test-data__binlogs__mariadb-bin.000001"),
                      [&](const rows_visit& v) {
                        if (v.schema.table != "outbox") return;
                        REQUIRE(v.schema.columns.size() == 5);
                        const char* names[] = {"id", "topic", "event_type", "event", "created"};
                        for (int i = 0; i < 5; ++i) CHECK(v.schema.columns[i].name == names[i]);
                        CHECK(v.schema.columns[0].primary_key);
                        for (int i = 1; i < 5; ++i) CHECK_FALSE(v.schema.columns[i].primary_key);
                        CHECK_FALSE(v.schema.columns[0].charset.has_value());
                        CHECK(v.schema.columns[1].charset == std::optional<std::uint32_t>(45));
                        CHECK(v.schema.columns[2].charset == std::optional<std::uint32_t>(45));
                        CHECK(v.schema.columns[3].charset == std::optional<std::uint32_t>(63));
                        CHECK_FALSE(v.schema.columns[4].charset.has_value());
                        ++maps;
                      }));
    CHECK(maps > 0);
  }

  TEST_CASE("values: json.binlog.000001 documents agree with their generated columns, partial updates included") {
    // The partial update's before image holds only the key (binlog_row_image=MINIMAL), so
    // each diff is applied to the row's last full document seen earlier in the file.
    std::map<std::int64_t, std::string> docs;  // id -> binary document
    int full = 0, partial = 0;
    auto check_doc = [&](const std::string& text, const row_image& img) {
      // name = json_col->>'$.name', age = json_col->'$.age' (table columns 2 and 3)
      auto name = img.at(2);
      auto age = img.at(3);
      REQUIRE(name.has_value());
      REQUIRE(age.has_value());
      CHECK_MESSAGE(text.find("\"name\": \"" + std::string(name->text()) + "\"") != std::string::npos, text);
      CHECK_MESSAGE(text.find("\"age\": " + *age->to_text(text_style::sql)) != std::string::npos, text);
    };
    const bool opened = walk_rows(
        corpus_path("blackbeam+rust_mysql_common/test-data__binlogs__json.binlog.000001"), [&](const rows_visit& v) {
          row_reader rr(v.rows, v.schema, v.ev.offset);
          for (;;) {
            auto row = rr.next();
            REQUIRE_MESSAGE(row.has_value(), row.error().message());
            if (!*row) break;
            const row_change& rc = **row;
            if (!rc.after) continue;
            const row_image& img = rc.before && !rc.after->present(0) ? *rc.before : *rc.after;
            auto id = img.at(0);
            REQUIRE(id.has_value());
            auto j = rc.after->at(1);
            REQUIRE(j.has_value());
            if (j->kind() == value_kind::json) {
              auto text = j->to_text(text_style::sql);
              REQUIRE(text.has_value());
              check_doc(*text, *rc.after);
              docs[id->as_int64()] = std::string(j->text());
              ++full;
            } else {
              REQUIRE(j->kind() == value_kind::json_diff);
              auto before = docs.find(id->as_int64());
              REQUIRE(before != docs.end());
              bytes b(reinterpret_cast<const std::uint8_t*>(before->second.data()), before->second.size());
              auto applied = apply_json_diff(b, j->data());
              REQUIRE_MESSAGE(applied.has_value(), applied.error().message());
              check_doc(*applied, *rc.after);
              ++partial;
            }
          }
        });
    REQUIRE(opened);
    MESSAGE(full, " full documents, ", partial, " partial updates");
    CHECK(full >= 12);
    CHECK(partial >= 6);
  }

  TEST_CASE("values: every row event of every corpus file decodes or fails cleanly") {
    // Files without an oracle: decode every value of every row; errors must be values.
    std::ifstream manifest(corpus_path("MANIFEST.tsv"));
    REQUIRE(manifest.good());
    std::string line;
    std::getline(manifest, line);
    std::size_t decoded = 0;
    while (std::getline(manifest, line)) {
      std::string rel = line.substr(0, line.find('\t'));
      walk_rows(corpus_path(rel), [&](const rows_visit& v) {
        row_reader rr(v.rows, v.schema, v.ev.offset);
        for (;;) {
          auto row = rr.next();
          if (!row || !*row) break;
          for (const auto* img : {(*row)->before ? &*(*row)->before : nullptr, (*row)->after ? &*(*row)->after : nullptr}) {
            if (img == nullptr) continue;
            for (const auto& f : *img) {
              auto val = f.decode();
              if (!val) continue;
              auto text = val->to_text(text_style::mysqlbinlog);
              decoded += text.has_value();
            }
          }
        }
      });
    }
    CHECK(decoded > 300000);
  }

  // Pre-GA rows (types 20-22). Oracle: binlog_old_versions.test lists the statements
  // that wrote these files (CREATE TABLE t1 (a int, b char(50)) ENGINE = MyISAM;
  // INSERT INTO t1 VALUES (0, 'one'), (1, 'two'); UPDATE t1 SET a=a+1; DELETE FROM t1
  // WHERE a=2) and binlog_old_versions.result the table after replaying them (1, 'one'
  // is left of the row part). Hand-checked reading of the first WRITE row of 5.1.17, at
  // offset 0x1e9: f9 | 00 00 00 00 | 03 6f 6e 65 : null byte 11111001 (bit 0 reserved by
  // the fixed-length MyISAM record, bits 1-2 for a and b clear), a = 0, b = 'one'.
  // t1 is MyISAM with fixed-length rows: not a packed record, both columns nullable.
  TEST_CASE("values: pre-GA rows events of MySQL 5.1.17 and the telco tree decode with the table's record layout") {
    const std::vector<std::string> want{
        "W (0,one)", "W (1,two)", "U (0,one)->(1,one)", "U (1,two)->(2,two)", "D (2,two)"};
    const pre_ga_layout layout = pre_ga_layout::for_record({true, true}, false);
    CHECK(layout.null_bytes == 1);
    for (const char* file : {"hwCloudRDS+mysql-5.6/mysql-test__suite__binlog__std_data__ver_5_1_17.001",
                             "hwCloudRDS+mysql-5.6/mysql-test__suite__binlog__std_data__ver_5_1-telco.001"}) {
      INFO(file);
      std::vector<std::string> got;
      int pre_ga = 0;
      auto src = source::open(corpus_path(file));
      REQUIRE(src.has_value());
      event_reader rd(src->data());
      for (;;) {
        auto next = rd.next();
        REQUIRE(next.has_value());
        if (!*next) break;
        const event_view& ev = **next;
        const auto t = ev.type();
        if (t != event_type::pre_ga_write_rows && t != event_type::pre_ga_update_rows &&
            t != event_type::pre_ga_delete_rows) {
          continue;
        }
        ++pre_ga;
        auto r = decode_rows(ev);
        REQUIRE(r.has_value());
        // One column bitmap, also for UPDATE: the rows start right after it (two columns,
        // one byte: the event's body is table id, flags, column count, bitmap, rows).
        CHECK(r->columns_after.empty());
        CHECK(r->columns_before.size() == 1);
        CHECK(r->rows.data() == r->columns_before.data() + 1);
        // The table map of 5.1.17 has the column types (LONG, STRING) but no metadata:
        // the schema comes from the CREATE TABLE.
        table_schema schema;
        schema.columns.resize(2);
        schema.columns[0].type = schema.columns[0].real_type = column_type::long_;
        schema.columns[0].length = 4;
        schema.columns[1].type = schema.columns[1].real_type = column_type::string;
        schema.columns[1].length = 50;
        schema.columns[1].meta = 0xfe32;
        // Without the layout the reader refuses them.
        row_reader plain(*r, schema, ev.offset);
        auto refused = plain.next();
        REQUIRE_FALSE(refused.has_value());
        CHECK(refused.error().code == errc::unsupported);
        row_reader rr(*r, schema, layout, ev.offset);
        auto text = [](const row_image& img) {
          std::string s = "(";
          for (const field_view& f : img) {
            auto v = f.decode();
            REQUIRE_MESSAGE(v.has_value(), v.error().message());
            if (f.index > 0) s += ",";
            s += *v->to_text();
          }
          return s + ")";
        };
        for (;;) {
          auto row = rr.next();
          REQUIRE_MESSAGE(row.has_value(), row.error().message());
          if (!*row) break;
          const row_change& c = **row;
          if (c.kind == rows_kind::write) got.push_back("W " + text(*c.after));
          if (c.kind == rows_kind::update) got.push_back("U " + text(*c.before) + "->" + text(*c.after));
          if (c.kind == rows_kind::erase) got.push_back("D " + text(*c.before));
        }
      }
      CHECK(pre_ga == 3);
      CHECK(got == want);
    }
  }

  TEST_CASE("values: pre-GA record layout: null bits after the reserved bit, NULL columns take no bytes") {
    // Hand-built: columns (INT NULL, INT NOT NULL, INT NULL) in a fixed-length record:
    // null bits 1 and 2, one null byte. Row 1: a NULL (bit 1), b = 7, c = 9.
    const pre_ga_layout l = pre_ga_layout::for_record({true, false, true}, false);
    CHECK(l.null_bit == std::vector<int>{1, -1, 2});
    CHECK(pre_ga_layout::for_record(std::vector<bool>(8, true), true).null_bytes == 1);
    CHECK(pre_ga_layout::for_record(std::vector<bool>(8, true), false).null_bytes == 2);
    table_schema schema;
    schema.columns.resize(3);
    for (auto& c : schema.columns) {
      c.type = c.real_type = column_type::long_;
      c.length = 4;
    }
    std::vector<std::uint8_t> cols{0x07};
    std::vector<std::uint8_t> rows{0xfb, 7, 0, 0, 0, 9, 0, 0, 0,  // 11111011: bit 1 set -> a NULL
                                   0xf9, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0};
    rows_event ev;
    ev.type = event_type::pre_ga_write_rows;
    ev.column_count = 3;
    ev.columns_before = bytes(cols.data(), cols.size());
    ev.rows = bytes(rows.data(), rows.size());
    row_reader rr(ev, schema, l, 0);
    auto r1 = rr.next();
    REQUIRE(r1.has_value());
    REQUIRE(r1->has_value());
    CHECK((*r1)->after->at(0)->is_null());
    CHECK(*(*r1)->after->at(1)->to_text() == "7");
    CHECK(*(*r1)->after->at(2)->to_text() == "9");
    auto r2 = rr.next();
    REQUIRE(r2.has_value());
    REQUIRE(r2->has_value());
    CHECK(*(*r2)->after->at(2)->to_text() == "3");
    auto r3 = rr.next();
    REQUIRE(r3.has_value());
    CHECK_FALSE(r3->has_value());
    // Cut anywhere inside the second row: bad_value, never a read past the end.
    for (std::size_t n = 10; n < rows.size(); ++n) {
      ev.rows = bytes(rows.data(), n);
      row_reader cut(ev, schema, l, 0);
      REQUIRE(cut.next().has_value());
      auto e = cut.next();
      REQUIRE_FALSE(e.has_value());
      CHECK(e.error().code == errc::bad_value);
    }
  }
}

