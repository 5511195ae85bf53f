// Option files read as the mariadb client reads them (option_files.hpp). The expected
// options are what `mariadb --print-defaults` of MariaDB 10.11 prints for the same files
// (tests/cli/habits.sh compares the two on the machine's own client).
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "binlogkit/replay/option_files.hpp"

using namespace binlogkit;

namespace {

struct scratch {
  std::filesystem::path dir;
  scratch() {
    std::string t = (std::filesystem::temp_directory_path() / "bk-optfiles-XXXXXX").string();
    dir = ::mkdtemp(t.data());
  }
  ~scratch() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  std::string write(const std::string& name, const std::string& text) const {
    auto p = dir / name;
    std::ofstream(p) << text;
    return p.string();
  }
};

std::vector<std::string> texts(const option_files_result& r) {
  std::vector<std::string> out;
  for (const auto& a : r.args) out.push_back(a.text());
  return out;
}

option_file_settings only(const std::string& file) {
  option_file_settings s;
  s.defaults_file = file;
  s.groups = client_option_groups();
  return s;
}

}  // namespace

TEST_SUITE("option_files") {
  TEST_CASE("option files: groups, quotes, comments and escapes as mariadb --print-defaults prints them") {
    scratch w;
    auto f = w.write("a.cnf",
                     "# comment\n; another\n[client]\nuser = bk\npassword = \"se cret\" # after\nport=3307\n"
                     "[server]\nport=1\n[mysql]\nhost=db1\n[client-mariadb]\nssl_ca = '/a b.pem'\n"
                     "loose-ssl-verify-server-cert\nsocket=/run/a\\sb.sock\n");
    auto r = read_option_files(only(f));
    REQUIRE(r.ok());
    CHECK(texts(r) == std::vector<std::string>{"--user=bk", "--password=se cret", "--port=3307", "--host=db1",
                                                "--ssl_ca=/a b.pem", "--loose-ssl-verify-server-cert",
                                                "--socket=/run/a b.sock"});
    CHECK(r.files == std::vector<std::string>{f});
  }

  TEST_CASE("option files: !include is read in place, and a later value comes later") {
    scratch w;
    auto inc = w.write("inc.cnf", "[client]\nuser=included\n");
    auto f = w.write("a.cnf", "[client]\nuser=first\n!include " + inc + "\n[client]\nport=5\n");
    auto r = read_option_files(only(f));
    REQUIRE(r.ok());
    CHECK(texts(r) == std::vector<std::string>{"--user=first", "--user=included", "--port=5"});
  }

  TEST_CASE("option files: an option before any group is an error naming the file and line") {
    scratch w;
    auto f = w.write("a.cnf", "\nuser=x\n[client]\n");
    auto r = read_option_files(only(f));
    CHECK(r.error == f + ":2: an option before any [group]");
  }

  TEST_CASE("option files: a missing --defaults-file is an error, --no-defaults reads nothing") {
    scratch w;
    auto r = read_option_files(only((w.dir / "missing.cnf").string()));
    CHECK(r.error == "could not open the required option file " + (w.dir / "missing.cnf").string());
    option_file_settings none = only((w.dir / "missing.cnf").string());
    none.no_defaults = true;
    auto n = read_option_files(none);
    CHECK(n.ok());
    CHECK(n.args.empty());
  }

  TEST_CASE("option files: a world-writable file is skipped with a warning") {
    scratch w;
    auto f = w.write("a.cnf", "[client]\nuser=x\n");
    REQUIRE(::chmod(f.c_str(), 0666) == 0);
    auto r = read_option_files(only(f));
    CHECK(r.ok());
    CHECK(r.args.empty());
    CHECK(r.warnings == std::vector<std::string>{"world-writable option file '" + f + "' is ignored"});
  }

  TEST_CASE("option files: the extra file is read before ~/.my.cnf, so ~/.my.cnf wins") {
    scratch w;
    std::filesystem::create_directory(w.dir / "home");
    w.write("home/.my.cnf", "[client]\nuser=home\n");
    auto extra = w.write("extra.cnf", "[client]\nuser=extra\n");
    option_file_settings s;
    s.groups = client_option_groups();
    s.home = (w.dir / "home").string();
    s.mariadb_home = "";
    s.defaults_extra_file = extra;
    auto r = read_option_files(s);
    REQUIRE(r.ok());
    REQUIRE(r.args.size() >= 2);
    CHECK(r.args[r.args.size() - 2].text() == "--user=extra");
    CHECK(r.args.back().text() == "--user=home");
  }
}
