// MySQL binary JSON: hand-built documents in the layout of sql-common/json_binary.h, the
// text MySQL prints for them (Json_wrapper::to_string), truncation sweeps, the depth
// limit, and PARTIAL_UPDATE diffs (printing as mysqlbinlog does, applying them).
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <cstring>
#include <string>
#include <vector>

#include "binlogkit/rows/json_binary.hpp"

using namespace binlogkit;

namespace {

using buf = std::vector<std::uint8_t>;

bytes view(const buf& b) { return bytes(b.data(), b.size()); }

std::string text(const buf& doc) {
  auto t = json_to_text(view(doc));
  REQUIRE_MESSAGE(t.has_value(), t.error().message());
  return *t;
}

void put16(buf& b, std::size_t v) {
  b.push_back(static_cast<std::uint8_t>(v));
  b.push_back(static_cast<std::uint8_t>(v >> 8));
}

// {"a": 1, "bb": "xyz"} as a small object:
//   count 2 | size | key entries (offset, length) x2 | value entries (type, offset/inline) x2
//   | "a" "bb" | string "xyz"
buf small_object() {
  buf b{0x00};
  // header 4 + key entries 2*4 + value entries 2*3 = 18; keys at 18 ("a") and 19 ("bb");
  // the string value at 21: length 3 + "xyz" → size 25
  put16(b, 2);
  put16(b, 25);
  put16(b, 18); put16(b, 1);
  put16(b, 19); put16(b, 2);
  b.push_back(0x05); put16(b, 1);   // int16 1, inlined
  b.push_back(0x0c); put16(b, 21);  // string at 21
  b.insert(b.end(), {'a', 'b', 'b', 3, 'x', 'y', 'z'});
  return b;
}

double as_double(const buf& b) {
  double d;
  std::memcpy(&d, b.data(), 8);
  return d;
}

buf scalar_double(double d) {
  buf b(9, 0x0b);
  std::memcpy(b.data() + 1, &d, 8);
  return b;
}

// n arrays nested in each other around an empty array.
buf nested_arrays(int n) {
  buf inner{0x02, 0, 0, 4, 0};  // [] : count 0, size 4
  for (int i = 1; i < n; ++i) {
    buf outer{0x02};
    const std::size_t size = 4 + 3 + (inner.size() - 1);
    put16(outer, 1);
    put16(outer, size);
    outer.push_back(0x02);
    put16(outer, 7);
    outer.insert(outer.end(), inner.begin() + 1, inner.end());
    inner = outer;
  }
  return inner;
}

}  // namespace

TEST_SUITE("json_binary") {
  TEST_CASE("json: a small object prints with MySQL's separators, keys in stored order") {
    CHECK(text(small_object()) == R"({"a": 1, "bb": "xyz"})");
    const buf doc = small_object();
    auto v = parse_json_binary(view(doc));
    REQUIRE(v.has_value());
    CHECK(v->kind() == json_kind::object);
    CHECK(v->size() == 2);
    CHECK(*v->key(1) == "bb");
    auto m = v->member("bb");
    REQUIRE(m.has_value());
    REQUIRE(m->has_value());
    CHECK((*m)->str() == "xyz");
    auto none = v->member("zz");
    REQUIRE(none.has_value());
    CHECK_FALSE(none->has_value());
  }

  TEST_CASE("json: scalars and inlined values in small and large arrays") {
    // small array [true, false, null, -5, 70000, "é"]
    buf a{0x02};
    // header 4 + 6 entries * 3 = 22; int32 70000 at 22 (4 bytes); string at 26 (1 + 2)
    put16(a, 6);
    put16(a, 29);
    a.insert(a.end(), {0x04, 0x01, 0x00, 0x04, 0x02, 0x00, 0x04, 0x00, 0x00});
    a.push_back(0x05); put16(a, 0xfffb);  // int16 -5
    a.push_back(0x07); put16(a, 22);      // int32 at 22 (not inlined in a small array)
    a.push_back(0x0c); put16(a, 26);
    a.insert(a.end(), {0x70, 0x11, 0x01, 0x00, 2, 0xc3, 0xa9});
    CHECK(text(a) == "[true, false, null, -5, 70000, \"\xc3\xa9\"]");
    // large array [4294967295 (uint32, inlined in large), 7 (uint16)]
    buf l{0x03, 2, 0, 0, 0, 18, 0, 0, 0, 0x08, 0xff, 0xff, 0xff, 0xff, 0x06, 7, 0, 0, 0};
    CHECK(text(l) == "[4294967295, 7]");
    CHECK(text({0x09, 0, 0, 0, 0, 0, 0, 0, 0x80}) == "-9223372036854775808");
    CHECK(text({0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}) == "18446744073709551615");
    CHECK(text({}) == "null");  // an empty document is the null literal
    CHECK(text({0x02, 0, 0, 4, 0}) == "[]");
    CHECK(text({0x00, 0, 0, 4, 0}) == "{}");
  }

  TEST_CASE("json: doubles print as my_gcvt with .0 kept on whole numbers") {
    CHECK(text(scalar_double(1.0)) == "1.0");
    CHECK(text(scalar_double(-0.0)) == "-0.0");
    CHECK(text(scalar_double(0.1)) == "0.1");
    CHECK(text(scalar_double(2.5)) == "2.5");
    CHECK(text(scalar_double(1e20)) == "1e20");
    CHECK(text(scalar_double(1e15)) == "1e15");
    CHECK(text(scalar_double(1e14)) == "100000000000000.0");
    CHECK(text(scalar_double(1.5e-7)) == "0.00000015");
    CHECK(text(scalar_double(1.5e-15)) == "0.0000000000000015");
    CHECK(text(scalar_double(1.5e-16)) == "1.5e-16");
    CHECK(text(scalar_double(0.000123)) == "0.000123");
    CHECK(text(scalar_double(3.141592653589793)) == "3.141592653589793");
    CHECK(text(scalar_double(-1.7976931348623157e308)) == "-1.7976931348623157e308");
    CHECK(as_double(buf{0, 0, 0, 0, 0, 0, 0xf0, 0x3f}) == 1.0);
  }

  TEST_CASE("json: strings are escaped as MySQL escapes them") {
    buf s{0x0c, 7, '"', '\\', '\n', 0x01, 0x1f, '/', '\t'};
    CHECK(text(s) == "\"\\\"\\\\\\n\\u0001\x1f/\\t\"");
    // a 2-byte length (7 bits a byte): 200 characters
    buf l{0x0c, 0xc8, 0x01};
    l.insert(l.end(), 200, 'q');
    CHECK(text(l) == "\"" + std::string(200, 'q') + "\"");
  }

  TEST_CASE("json: opaque values: dates and times as text, decimals as numbers, the rest base64") {
    // DATE 2012-03-18 (packed datetime), DATETIME 2012-03-18 11:30:45, TIME -87:31:46.654321
    auto packed_dt = [](std::int64_t y, std::int64_t mo, std::int64_t d, std::int64_t h, std::int64_t mi, std::int64_t s,
                        std::int64_t us) {
      const std::int64_t ymd = ((y * 13 + mo) << 5) | d, hms = (h << 12) | (mi << 6) | s;
      return ((ymd << 17 | hms) << 24) + us;
    };
    auto opaque = [](std::uint8_t type, std::int64_t v) {
      buf b{0x0f, type, 8};
      for (int i = 0; i < 8; ++i) b.push_back(static_cast<std::uint8_t>(static_cast<std::uint64_t>(v) >> (8 * i)));
      return b;
    };
    CHECK(text(opaque(10, packed_dt(2012, 3, 18, 0, 0, 0, 0))) == "\"2012-03-18\"");
    CHECK(text(opaque(12, packed_dt(2012, 3, 18, 11, 30, 45, 0))) == "\"2012-03-18 11:30:45.000000\"");
    CHECK(text(opaque(7, packed_dt(1999, 12, 31, 23, 59, 59, 5))) == "\"1999-12-31 23:59:59.000005\"");
    const std::int64_t t = -((((std::int64_t{87} << 12) | (31 << 6) | 46) << 24) + 654321);
    CHECK(text(opaque(11, t)) == "\"-87:31:46.654321\"");
    // DECIMAL(5,2) -1.50: precision, scale, binary decimal
    CHECK(text({0x0f, 246, 5, 5, 2, 0x7f, 0xfe, 0xcd}) == "-1.50");
    // other types: base64 of the payload with the type number
    CHECK(text({0x0f, 252, 3, 'a', 'b', 'c'}) == "\"base64:type252:YWJj\"");
    CHECK(text({0x0f, 15, 1, 'U'}) == "\"base64:type15:VQ==\"");
    // VAR_STRING opaques print as strings
    CHECK(text({0x0f, 253, 2, 'h', 'i'}) == "\"hi\"");
    // a date that is cut short
    CHECK_FALSE(json_to_text(view(buf{0x0f, 10, 2, 1, 2})).has_value());
  }

  TEST_CASE("json: every proper prefix of a document fails with bad_value, never a crash") {
    std::vector<buf> docs = {small_object(), nested_arrays(5), scalar_double(2.5),
                             buf{0x0c, 0xc8, 0x01, 'x'}, buf{0x0f, 246, 5, 5, 2, 0x7f, 0xfe, 0xcd}};
    for (const buf& d : docs) {
      for (std::size_t n = 1; n < d.size(); ++n) {
        buf cut(d.begin(), d.begin() + static_cast<std::ptrdiff_t>(n));
        auto t = json_to_text(view(cut), 99, 30);
        if (d[0] == 0x0c && n >= 3) continue;  // the string claims 200 bytes: always short
        REQUIRE_FALSE(t.has_value());
        CHECK(t.error().code == errc::bad_value);
        CHECK(t.error().offset == 99);
      }
    }
    CHECK_FALSE(json_to_text(view(buf{0x0c, 0xc8, 0x01, 'x'})).has_value());
  }

  TEST_CASE("json: offsets outside the container, unknown types and bad literals are refused") {
    buf b = small_object();
    b[17] = 200;  // the string's offset
    CHECK_FALSE(json_to_text(view(b)).has_value());
    b = small_object();
    b[9] = 0xff;  // a key offset
    CHECK_FALSE(json_to_text(view(b)).has_value());
    CHECK_FALSE(json_to_text(view(buf{0x0d, 0})).has_value());
    CHECK_FALSE(json_to_text(view(buf{0x04, 0x03})).has_value());
    CHECK_FALSE(json_to_text(view(buf{0x02, 0xff, 0xff, 4, 0})).has_value());  // count beyond size
    // a string length of more than 5 bytes
    CHECK_FALSE(json_to_text(view(buf{0x0c, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01})).has_value());
  }

  TEST_CASE("json: nesting beyond the depth limit is refused") {
    CHECK(text(nested_arrays(3)) == "[[[]]]");
    CHECK(json_to_text(view(nested_arrays(json_max_depth))).has_value());
    auto deep = json_to_text(view(nested_arrays(json_max_depth + 1)));
    REQUIRE_FALSE(deep.has_value());
    CHECK(deep.error().code == errc::bad_value);
  }

  TEST_CASE("json diff: operations print as mysqlbinlog prints them") {
    // REPLACE $.a 5; INSERT $.b "x"; INSERT $.c [] ; REMOVE $.d ; INSERT $.e[0] true
    buf d{0, 3, '$', '.', 'a', 3, 0x05, 0x05, 0x00,
          1, 3, '$', '.', 'b', 3, 0x0c, 1, 'x',
          1, 3, '$', '.', 'c', 5, 0x02, 0, 0, 4, 0,
          2, 3, '$', '.', 'd',
          1, 6, '$', '.', 'e', '[', '0', ']', 2, 0x04, 0x01};
    json_diff_reader r(view(d));
    int n = 0;
    for (;;) {
      auto x = r.next();
      REQUIRE(x.has_value());
      if (!*x) break;
      ++n;
    }
    CHECK(n == 5);
    auto t = json_diff_to_text(view(d), "@2");
    REQUIRE_MESSAGE(t.has_value(), t.error().message());
    CHECK(*t ==
          "JSON_ARRAY_INSERT(\n###      JSON_REMOVE(\n###      JSON_INSERT(\n###      JSON_REPLACE(@2, "
          "'$.a', 5),\n###      '$.b', 'x',\n###      '$.c', CAST('[]' AS JSON)),\n###      '$.d'),\n###      "
          "'$.e[0]', true)");
    auto empty = json_diff_to_text(bytes{}, "@3");
    REQUIRE(empty.has_value());
    CHECK(*empty == "@3");
    // cut short anywhere: an error, never a crash
    for (std::size_t k = 1; k < d.size(); ++k) {
      buf cut(d.begin(), d.begin() + static_cast<std::ptrdiff_t>(k));
      auto c = json_diff_to_text(view(cut), "@2");
      if (c) continue;  // a cut exactly between operations is a shorter valid list
      CHECK(c.error().code == errc::bad_value);
    }
    CHECK_FALSE(json_diff_to_text(view(buf{7, 1, '$'}), "@1").has_value());
  }

  TEST_CASE("json diff: applying operations to the before image") {
    // {"a": 1, "bb": "xyz"}: replace $.a with 5, insert $.c (sorted after "a" and before
    // "bb": shorter keys first), remove $.bb, insert into a missing parent (ignored)
    buf d{0, 3, '$', '.', 'a', 3, 0x05, 0x05, 0x00,
          1, 3, '$', '.', 'c', 2, 0x04, 0x01,
          2, 4, '$', '.', 'b', 'b',
          1, 5, '$', '.', 'x', '.', 'y', 2, 0x04, 0x00};
    auto r = apply_json_diff(view(small_object()), view(d));
    REQUIRE_MESSAGE(r.has_value(), r.error().message());
    CHECK(*r == R"({"a": 5, "c": true})");
    // arrays: [[]] insert at $[0][0], at $[0][9] (appends), remove $[0][0], replace $
    buf arr = nested_arrays(2);
    buf d2{1, 7, '$', '[', '0', ']', '[', '0', ']', 3, 0x05, 0x01, 0x00,
           1, 7, '$', '[', '0', ']', '[', '9', ']', 3, 0x05, 0x02, 0x00,
           1, 7, '$', '[', '0', ']', '[', '0', ']', 3, 0x05, 0x03, 0x00};
    auto r2 = apply_json_diff(view(arr), view(d2));
    REQUIRE(r2.has_value());
    CHECK(*r2 == "[[3, 1, 2]]");
    buf d3{2, 10, '$', '[', '0', ']', '[', 'l', 'a', 's', 't', ']',
           0, 1, '$', 2, 0x04, 0x02};
    auto r3 = apply_json_diff(view(arr), view(d3));
    REQUIRE(r3.has_value());
    CHECK(*r3 == "false");
    // quoted member names
    buf d4{1, 8, '$', '.', '"', 'k', ' ', 'y', '"', ' ', 3, 0x05, 0x07, 0x00};
    auto r4 = apply_json_diff(view(small_object()), view(d4));
    REQUIRE(r4.has_value());
    CHECK(*r4 == R"({"a": 1, "bb": "xyz", "k y": 7})");
    // wildcards never appear in logged diffs: refused
    buf d5{2, 3, '$', '.', '*'};
    CHECK_FALSE(apply_json_diff(view(small_object()), view(d5)).has_value());
  }
}

TEST_SUITE("json_binary") {
  TEST_CASE("json: damaged documents and diffs fail cleanly, never crash") {
    std::uint64_t state = 0x2545f4914f6cdd1dull;
    auto next = [&] {
      state ^= state << 13;
      state ^= state >> 7;
      state ^= state << 17;
      return state;
    };
    const buf seeds[] = {small_object(), nested_arrays(6), scalar_double(1.5)};
    // Each result is either text the JSON parser accepts (a document that still decodes
    // prints as JSON) or a bad_value error: never a crash, never other text.
    // Bytes of 0x80 and above are the document's own (not always UTF-8 after damage, and
    // printed as stored), and MySQL prints 0x1f raw (append_json_quoted): those are made
    // plain ASCII before the parser judges the structure.
    auto parses = [](std::string text) {
      for (auto& c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x80 || u == 0x1f) c = 'u';
      }
      return nlohmann::json::accept(text);
    };
    std::size_t docs = 0, diffs = 0, diff_texts = 0, failed = 0;
    for (int round = 0; round < 6000; ++round) {
      CAPTURE(round);
      buf b = seeds[round % 3];
      for (int k = 0; k < 3; ++k) b[next() % b.size()] = static_cast<std::uint8_t>(next());
      auto doc = json_to_text(view(b));
      if (doc) {
        ++docs;
        CHECK_MESSAGE(parses(*doc), *doc);
      } else {
        ++failed;
        CHECK(doc.error().code == errc::bad_value);
      }
      auto applied = apply_json_diff(view(seeds[0]), view(b));
      if (applied) {
        ++diffs;
        CHECK_MESSAGE(parses(*applied), *applied);
      } else {
        CHECK(applied.error().code == errc::bad_value);
      }
      auto diff_text = json_diff_to_text(view(b), "@1");
      if (diff_text) {
        ++diff_texts;
        CHECK_FALSE(diff_text->empty());
      } else {
        CHECK(diff_text.error().code == errc::bad_value);
      }
    }
    // Both outcomes happen: the sweep reaches the decoder's error paths and its output.
    CHECK(docs > 0);
    CHECK(failed > 0);
    MESSAGE(docs << " damaged documents decoded, " << failed << " refused; " << diffs << " diffs applied, "
                 << diff_texts << " printed");
  }
}
