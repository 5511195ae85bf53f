#include <doctest/doctest.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "binlogkit/core/file_output.hpp"

using namespace binlogkit;

TEST_SUITE("file_output") {
  TEST_CASE("write_new_file: writes the whole file, refuses an existing one, leaves no temporary file") {
    namespace fs = std::filesystem;
    const fs::path dir = fs::path(BINLOGKIT_SOURCE_DIR) / "build-test-file-output";
    fs::remove_all(dir);
    fs::create_directories(dir);
    const std::string path = (dir / "out.000001").string();
    const std::vector<std::uint8_t> data = {0xfe, 0x62, 0x69, 0x6e, 1, 2, 3};
    int err = -1;
    auto w = write_new_file(path, bytes(data.data(), data.size()), err);
    REQUIRE(w.has_value());
    CHECK(err == 0);
    std::ifstream f(path, std::ios::binary);
    const std::vector<std::uint8_t> back{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
    CHECK(back == data);
    CHECK((fs::status(path).permissions() & fs::perms::others_read) != fs::perms::none);

    const std::vector<std::uint8_t> other = {9, 9};
    w = write_new_file(path, bytes(other.data(), other.size()), err);
    REQUIRE_FALSE(w.has_value());
    CHECK(err == EEXIST);
    CHECK(w.error().detail == "cannot create (it must not exist yet)");
    CHECK(fs::file_size(path) == data.size());

    w = write_new_file((dir / "no-such-dir" / "out").string(), bytes(other.data(), other.size()), err);
    REQUIRE_FALSE(w.has_value());
    CHECK(err == ENOENT);
    CHECK(w.error().detail == "cannot create a temporary file beside it");

    std::size_t entries = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++entries;
    CHECK(entries == 1);  // out.000001 only
    fs::remove_all(dir);
  }
}
