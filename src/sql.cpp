#include "binlogkit/sql.hpp"
#include "binlogkit/source.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <ctime>
#include <unordered_map>

#include "binlogkit/compression.hpp"
#include "binlogkit/crc32.hpp"
#include "binlogkit/decimal.hpp"
#include "binlogkit/reader.hpp"

namespace binlogkit {

// ---- collations ---------------------------------------------------------------------

namespace {

struct collation_row {
  std::uint16_t id;
  const char* charset;
  const char* collation;
};

// MariaDB 10.11's numbered collations below 2048 (information_schema.
// COLLATION_CHARACTER_SET_APPLICABILITY), and the MySQL 8.0 utf8mb4_0900 collations
// whose numbers MariaDB leaves free.
constexpr collation_row collations[] = {
    {1, "big5", "big5_chinese_ci"}, {2, "latin2", "latin2_czech_cs"},
    {3, "dec8", "dec8_swedish_ci"}, {4, "cp850", "cp850_general_ci"},
    {5, "latin1", "latin1_german1_ci"}, {6, "hp8", "hp8_english_ci"},
    {7, "koi8r", "koi8r_general_ci"}, {8, "latin1", "latin1_swedish_ci"},
    {9, "latin2", "latin2_general_ci"}, {10, "swe7", "swe7_swedish_ci"},
    {11, "ascii", "ascii_general_ci"}, {12, "ujis", "ujis_japanese_ci"},
    {13, "sjis", "sjis_japanese_ci"}, {14, "cp1251", "cp1251_bulgarian_ci"},
    {15, "latin1", "latin1_danish_ci"}, {16, "hebrew", "hebrew_general_ci"},
    {18, "tis620", "tis620_thai_ci"}, {19, "euckr", "euckr_korean_ci"},
    {20, "latin7", "latin7_estonian_cs"}, {21, "latin2", "latin2_hungarian_ci"},
    {22, "koi8u", "koi8u_general_ci"}, {23, "cp1251", "cp1251_ukrainian_ci"},
    {24, "gb2312", "gb2312_chinese_ci"}, {25, "greek", "greek_general_ci"},
    {26, "cp1250", "cp1250_general_ci"}, {27, "latin2", "latin2_croatian_ci"},
    {28, "gbk", "gbk_chinese_ci"}, {29, "cp1257", "cp1257_lithuanian_ci"},
    {30, "latin5", "latin5_turkish_ci"}, {31, "latin1", "latin1_german2_ci"},
    {32, "armscii8", "armscii8_general_ci"}, {33, "utf8mb3", "utf8mb3_general_ci"},
    {34, "cp1250", "cp1250_czech_cs"}, {35, "ucs2", "ucs2_general_ci"},
    {36, "cp866", "cp866_general_ci"}, {37, "keybcs2", "keybcs2_general_ci"},
    {38, "macce", "macce_general_ci"}, {39, "macroman", "macroman_general_ci"},
    {40, "cp852", "cp852_general_ci"}, {41, "latin7", "latin7_general_ci"},
    {42, "latin7", "latin7_general_cs"}, {43, "macce", "macce_bin"},
    {44, "cp1250", "cp1250_croatian_ci"}, {45, "utf8mb4", "utf8mb4_general_ci"},
    {46, "utf8mb4", "utf8mb4_bin"}, {47, "latin1", "latin1_bin"},
    {48, "latin1", "latin1_general_ci"}, {49, "latin1", "latin1_general_cs"},
    {50, "cp1251", "cp1251_bin"}, {51, "cp1251", "cp1251_general_ci"},
    {52, "cp1251", "cp1251_general_cs"}, {53, "macroman", "macroman_bin"},
    {54, "utf16", "utf16_general_ci"}, {55, "utf16", "utf16_bin"},
    {56, "utf16le", "utf16le_general_ci"}, {57, "cp1256", "cp1256_general_ci"},
    {58, "cp1257", "cp1257_bin"}, {59, "cp1257", "cp1257_general_ci"},
    {60, "utf32", "utf32_general_ci"}, {61, "utf32", "utf32_bin"},
    {62, "utf16le", "utf16le_bin"}, {63, "binary", "binary"},
    {64, "armscii8", "armscii8_bin"}, {65, "ascii", "ascii_bin"},
    {66, "cp1250", "cp1250_bin"}, {67, "cp1256", "cp1256_bin"},
    {68, "cp866", "cp866_bin"}, {69, "dec8", "dec8_bin"},
    {70, "greek", "greek_bin"}, {71, "hebrew", "hebrew_bin"},
    {72, "hp8", "hp8_bin"}, {73, "keybcs2", "keybcs2_bin"},
    {74, "koi8r", "koi8r_bin"}, {75, "koi8u", "koi8u_bin"},
    {77, "latin2", "latin2_bin"}, {78, "latin5", "latin5_bin"},
    {79, "latin7", "latin7_bin"}, {80, "cp850", "cp850_bin"},
    {81, "cp852", "cp852_bin"}, {82, "swe7", "swe7_bin"},
    {83, "utf8mb3", "utf8mb3_bin"}, {84, "big5", "big5_bin"},
    {85, "euckr", "euckr_bin"}, {86, "gb2312", "gb2312_bin"},
    {87, "gbk", "gbk_bin"}, {88, "sjis", "sjis_bin"},
    {89, "tis620", "tis620_bin"}, {90, "ucs2", "ucs2_bin"},
    {91, "ujis", "ujis_bin"}, {92, "geostd8", "geostd8_general_ci"},
    {93, "geostd8", "geostd8_bin"}, {94, "latin1", "latin1_spanish_ci"},
    {95, "cp932", "cp932_japanese_ci"}, {96, "cp932", "cp932_bin"},
    {97, "eucjpms", "eucjpms_japanese_ci"}, {98, "eucjpms", "eucjpms_bin"},
    {99, "cp1250", "cp1250_polish_ci"}, {101, "utf16", "utf16_unicode_ci"},
    {102, "utf16", "utf16_icelandic_ci"}, {103, "utf16", "utf16_latvian_ci"},
    {104, "utf16", "utf16_romanian_ci"}, {105, "utf16", "utf16_slovenian_ci"},
    {106, "utf16", "utf16_polish_ci"}, {107, "utf16", "utf16_estonian_ci"},
    {108, "utf16", "utf16_spanish_ci"}, {109, "utf16", "utf16_swedish_ci"},
    {110, "utf16", "utf16_turkish_ci"}, {111, "utf16", "utf16_czech_ci"},
    {112, "utf16", "utf16_danish_ci"}, {113, "utf16", "utf16_lithuanian_ci"},
    {114, "utf16", "utf16_slovak_ci"}, {115, "utf16", "utf16_spanish2_ci"},
    {116, "utf16", "utf16_roman_ci"}, {117, "utf16", "utf16_persian_ci"},
    {118, "utf16", "utf16_esperanto_ci"}, {119, "utf16", "utf16_hungarian_ci"},
    {120, "utf16", "utf16_sinhala_ci"}, {121, "utf16", "utf16_german2_ci"},
    {122, "utf16", "utf16_croatian_mysql561_ci"}, {123, "utf16", "utf16_unicode_520_ci"},
    {124, "utf16", "utf16_vietnamese_ci"}, {128, "ucs2", "ucs2_unicode_ci"},
    {129, "ucs2", "ucs2_icelandic_ci"}, {130, "ucs2", "ucs2_latvian_ci"},
    {131, "ucs2", "ucs2_romanian_ci"}, {132, "ucs2", "ucs2_slovenian_ci"},
    {133, "ucs2", "ucs2_polish_ci"}, {134, "ucs2", "ucs2_estonian_ci"},
    {135, "ucs2", "ucs2_spanish_ci"}, {136, "ucs2", "ucs2_swedish_ci"},
    {137, "ucs2", "ucs2_turkish_ci"}, {138, "ucs2", "ucs2_czech_ci"},
    {139, "ucs2", "ucs2_danish_ci"}, {140, "ucs2", "ucs2_lithuanian_ci"},
    {141, "ucs2", "ucs2_slovak_ci"}, {142, "ucs2", "ucs2_spanish2_ci"},
    {143, "ucs2", "ucs2_roman_ci"}, {144, "ucs2", "ucs2_persian_ci"},
    {145, "ucs2", "ucs2_esperanto_ci"}, {146, "ucs2", "ucs2_hungarian_ci"},
    {147, "ucs2", "ucs2_sinhala_ci"}, {148, "ucs2", "ucs2_german2_ci"},
    {149, "ucs2", "ucs2_croatian_mysql561_ci"}, {150, "ucs2", "ucs2_unicode_520_ci"},
    {151, "ucs2", "ucs2_vietnamese_ci"}, {159, "ucs2", "ucs2_general_mysql500_ci"},
    {160, "utf32", "utf32_unicode_ci"}, {161, "utf32", "utf32_icelandic_ci"},
    {162, "utf32", "utf32_latvian_ci"}, {163, "utf32", "utf32_romanian_ci"},
    {164, "utf32", "utf32_slovenian_ci"}, {165, "utf32", "utf32_polish_ci"},
    {166, "utf32", "utf32_estonian_ci"}, {167, "utf32", "utf32_spanish_ci"},
    {168, "utf32", "utf32_swedish_ci"}, {169, "utf32", "utf32_turkish_ci"},
    {170, "utf32", "utf32_czech_ci"}, {171, "utf32", "utf32_danish_ci"},
    {172, "utf32", "utf32_lithuanian_ci"}, {173, "utf32", "utf32_slovak_ci"},
    {174, "utf32", "utf32_spanish2_ci"}, {175, "utf32", "utf32_roman_ci"},
    {176, "utf32", "utf32_persian_ci"}, {177, "utf32", "utf32_esperanto_ci"},
    {178, "utf32", "utf32_hungarian_ci"}, {179, "utf32", "utf32_sinhala_ci"},
    {180, "utf32", "utf32_german2_ci"}, {181, "utf32", "utf32_croatian_mysql561_ci"},
    {182, "utf32", "utf32_unicode_520_ci"}, {183, "utf32", "utf32_vietnamese_ci"},
    {192, "utf8mb3", "utf8mb3_unicode_ci"}, {193, "utf8mb3", "utf8mb3_icelandic_ci"},
    {194, "utf8mb3", "utf8mb3_latvian_ci"}, {195, "utf8mb3", "utf8mb3_romanian_ci"},
    {196, "utf8mb3", "utf8mb3_slovenian_ci"}, {197, "utf8mb3", "utf8mb3_polish_ci"},
    {198, "utf8mb3", "utf8mb3_estonian_ci"}, {199, "utf8mb3", "utf8mb3_spanish_ci"},
    {200, "utf8mb3", "utf8mb3_swedish_ci"}, {201, "utf8mb3", "utf8mb3_turkish_ci"},
    {202, "utf8mb3", "utf8mb3_czech_ci"}, {203, "utf8mb3", "utf8mb3_danish_ci"},
    {204, "utf8mb3", "utf8mb3_lithuanian_ci"}, {205, "utf8mb3", "utf8mb3_slovak_ci"},
    {206, "utf8mb3", "utf8mb3_spanish2_ci"}, {207, "utf8mb3", "utf8mb3_roman_ci"},
    {208, "utf8mb3", "utf8mb3_persian_ci"}, {209, "utf8mb3", "utf8mb3_esperanto_ci"},
    {210, "utf8mb3", "utf8mb3_hungarian_ci"}, {211, "utf8mb3", "utf8mb3_sinhala_ci"},
    {212, "utf8mb3", "utf8mb3_german2_ci"}, {213, "utf8mb3", "utf8mb3_croatian_mysql561_ci"},
    {214, "utf8mb3", "utf8mb3_unicode_520_ci"}, {215, "utf8mb3", "utf8mb3_vietnamese_ci"},
    {223, "utf8mb3", "utf8mb3_general_mysql500_ci"}, {224, "utf8mb4", "utf8mb4_unicode_ci"},
    {225, "utf8mb4", "utf8mb4_icelandic_ci"}, {226, "utf8mb4", "utf8mb4_latvian_ci"},
    {227, "utf8mb4", "utf8mb4_romanian_ci"}, {228, "utf8mb4", "utf8mb4_slovenian_ci"},
    {229, "utf8mb4", "utf8mb4_polish_ci"}, {230, "utf8mb4", "utf8mb4_estonian_ci"},
    {231, "utf8mb4", "utf8mb4_spanish_ci"}, {232, "utf8mb4", "utf8mb4_swedish_ci"},
    {233, "utf8mb4", "utf8mb4_turkish_ci"}, {234, "utf8mb4", "utf8mb4_czech_ci"},
    {235, "utf8mb4", "utf8mb4_danish_ci"}, {236, "utf8mb4", "utf8mb4_lithuanian_ci"},
    {237, "utf8mb4", "utf8mb4_slovak_ci"}, {238, "utf8mb4", "utf8mb4_spanish2_ci"},
    {239, "utf8mb4", "utf8mb4_roman_ci"}, {240, "utf8mb4", "utf8mb4_persian_ci"},
    {241, "utf8mb4", "utf8mb4_esperanto_ci"}, {242, "utf8mb4", "utf8mb4_hungarian_ci"},
    {243, "utf8mb4", "utf8mb4_sinhala_ci"}, {244, "utf8mb4", "utf8mb4_german2_ci"},
    {245, "utf8mb4", "utf8mb4_croatian_mysql561_ci"}, {246, "utf8mb4", "utf8mb4_unicode_520_ci"},
    {247, "utf8mb4", "utf8mb4_vietnamese_ci"}, {255, "utf8mb4", "utf8mb4_0900_ai_ci"},
    {278, "utf8mb4", "utf8mb4_0900_as_cs"}, {305, "utf8mb4", "utf8mb4_0900_as_ci"},
    {309, "utf8mb4", "utf8mb4_0900_bin"}, {576, "utf8mb3", "utf8mb3_croatian_ci"},
    {577, "utf8mb3", "utf8mb3_myanmar_ci"}, {578, "utf8mb3", "utf8mb3_thai_520_w2"},
    {608, "utf8mb4", "utf8mb4_croatian_ci"}, {609, "utf8mb4", "utf8mb4_myanmar_ci"},
    {610, "utf8mb4", "utf8mb4_thai_520_w2"}, {640, "ucs2", "ucs2_croatian_ci"},
    {641, "ucs2", "ucs2_myanmar_ci"}, {642, "ucs2", "ucs2_thai_520_w2"},
    {672, "utf16", "utf16_croatian_ci"}, {673, "utf16", "utf16_myanmar_ci"},
    {674, "utf16", "utf16_thai_520_w2"}, {736, "utf32", "utf32_croatian_ci"},
    {737, "utf32", "utf32_myanmar_ci"}, {738, "utf32", "utf32_thai_520_w2"},
    {1025, "big5", "big5_chinese_nopad_ci"}, {1027, "dec8", "dec8_swedish_nopad_ci"},
    {1028, "cp850", "cp850_general_nopad_ci"}, {1030, "hp8", "hp8_english_nopad_ci"},
    {1031, "koi8r", "koi8r_general_nopad_ci"}, {1032, "latin1", "latin1_swedish_nopad_ci"},
    {1033, "latin2", "latin2_general_nopad_ci"}, {1034, "swe7", "swe7_swedish_nopad_ci"},
    {1035, "ascii", "ascii_general_nopad_ci"}, {1036, "ujis", "ujis_japanese_nopad_ci"},
    {1037, "sjis", "sjis_japanese_nopad_ci"}, {1040, "hebrew", "hebrew_general_nopad_ci"},
    {1042, "tis620", "tis620_thai_nopad_ci"}, {1043, "euckr", "euckr_korean_nopad_ci"},
    {1046, "koi8u", "koi8u_general_nopad_ci"}, {1048, "gb2312", "gb2312_chinese_nopad_ci"},
    {1049, "greek", "greek_general_nopad_ci"}, {1050, "cp1250", "cp1250_general_nopad_ci"},
    {1052, "gbk", "gbk_chinese_nopad_ci"}, {1054, "latin5", "latin5_turkish_nopad_ci"},
    {1056, "armscii8", "armscii8_general_nopad_ci"}, {1057, "utf8mb3", "utf8mb3_general_nopad_ci"},
    {1059, "ucs2", "ucs2_general_nopad_ci"}, {1060, "cp866", "cp866_general_nopad_ci"},
    {1061, "keybcs2", "keybcs2_general_nopad_ci"}, {1062, "macce", "macce_general_nopad_ci"},
    {1063, "macroman", "macroman_general_nopad_ci"}, {1064, "cp852", "cp852_general_nopad_ci"},
    {1065, "latin7", "latin7_general_nopad_ci"}, {1067, "macce", "macce_nopad_bin"},
    {1069, "utf8mb4", "utf8mb4_general_nopad_ci"}, {1070, "utf8mb4", "utf8mb4_nopad_bin"},
    {1071, "latin1", "latin1_nopad_bin"}, {1074, "cp1251", "cp1251_nopad_bin"},
    {1075, "cp1251", "cp1251_general_nopad_ci"}, {1077, "macroman", "macroman_nopad_bin"},
    {1078, "utf16", "utf16_general_nopad_ci"}, {1079, "utf16", "utf16_nopad_bin"},
    {1080, "utf16le", "utf16le_general_nopad_ci"}, {1081, "cp1256", "cp1256_general_nopad_ci"},
    {1082, "cp1257", "cp1257_nopad_bin"}, {1083, "cp1257", "cp1257_general_nopad_ci"},
    {1084, "utf32", "utf32_general_nopad_ci"}, {1085, "utf32", "utf32_nopad_bin"},
    {1086, "utf16le", "utf16le_nopad_bin"}, {1088, "armscii8", "armscii8_nopad_bin"},
    {1089, "ascii", "ascii_nopad_bin"}, {1090, "cp1250", "cp1250_nopad_bin"},
    {1091, "cp1256", "cp1256_nopad_bin"}, {1092, "cp866", "cp866_nopad_bin"},
    {1093, "dec8", "dec8_nopad_bin"}, {1094, "greek", "greek_nopad_bin"},
    {1095, "hebrew", "hebrew_nopad_bin"}, {1096, "hp8", "hp8_nopad_bin"},
    {1097, "keybcs2", "keybcs2_nopad_bin"}, {1098, "koi8r", "koi8r_nopad_bin"},
    {1099, "koi8u", "koi8u_nopad_bin"}, {1101, "latin2", "latin2_nopad_bin"},
    {1102, "latin5", "latin5_nopad_bin"}, {1103, "latin7", "latin7_nopad_bin"},
    {1104, "cp850", "cp850_nopad_bin"}, {1105, "cp852", "cp852_nopad_bin"},
    {1106, "swe7", "swe7_nopad_bin"}, {1107, "utf8mb3", "utf8mb3_nopad_bin"},
    {1108, "big5", "big5_nopad_bin"}, {1109, "euckr", "euckr_nopad_bin"},
    {1110, "gb2312", "gb2312_nopad_bin"}, {1111, "gbk", "gbk_nopad_bin"},
    {1112, "sjis", "sjis_nopad_bin"}, {1113, "tis620", "tis620_nopad_bin"},
    {1114, "ucs2", "ucs2_nopad_bin"}, {1115, "ujis", "ujis_nopad_bin"},
    {1116, "geostd8", "geostd8_general_nopad_ci"}, {1117, "geostd8", "geostd8_nopad_bin"},
    {1119, "cp932", "cp932_japanese_nopad_ci"}, {1120, "cp932", "cp932_nopad_bin"},
    {1121, "eucjpms", "eucjpms_japanese_nopad_ci"}, {1122, "eucjpms", "eucjpms_nopad_bin"},
    {1125, "utf16", "utf16_unicode_nopad_ci"}, {1147, "utf16", "utf16_unicode_520_nopad_ci"},
    {1152, "ucs2", "ucs2_unicode_nopad_ci"}, {1174, "ucs2", "ucs2_unicode_520_nopad_ci"},
    {1184, "utf32", "utf32_unicode_nopad_ci"}, {1206, "utf32", "utf32_unicode_520_nopad_ci"},
    {1216, "utf8mb3", "utf8mb3_unicode_nopad_ci"}, {1238, "utf8mb3", "utf8mb3_unicode_520_nopad_ci"},
    {1248, "utf8mb4", "utf8mb4_unicode_nopad_ci"}, {1270, "utf8mb4", "utf8mb4_unicode_520_nopad_ci"},
};

// MariaDB 11.x numbers its UCA 14.0.0 collations 2048 + 256 * charset + 8 * tailoring +
// (nopad 4 | accent-sensitive 2 | case-sensitive 1).
constexpr const char* uca1400_charsets[] = {"utf8mb3", "utf8mb4", "ucs2", "utf16", "utf32"};
constexpr const char* uca1400_tailorings[] = {
    "",        "icelandic", "latvian",    "romanian",   "slovenian", "polish",
    "estonian", "spanish",  "swedish",    "turkish",    "czech",     "danish",
    "lithuanian", "slovak", "spanish2",   "roman",      "persian",   "esperanto",
    "hungarian", "sinhala", "german2",    nullptr,      nullptr,     "vietnamese",
    "croatian"};

}  // namespace

std::optional<collation_info> collation_by_id(std::uint32_t id) {
  auto it = std::lower_bound(std::begin(collations), std::end(collations), id,
                             [](const collation_row& r, std::uint32_t v) { return r.id < v; });
  if (it != std::end(collations) && it->id == id) return collation_info{it->charset, it->collation};
  if (id >= 2048 && id < 2048 + 5 * 256) {
    const std::uint32_t k = id - 2048, t = (k & 255) >> 3;
    if (t >= std::size(uca1400_tailorings) || uca1400_tailorings[t] == nullptr) return std::nullopt;
    static constexpr const char* flags[] = {"ai_ci", "ai_cs", "as_ci", "as_cs"};
    std::string name = fmt::format("{}_uca1400_", uca1400_charsets[k >> 8]);
    if (*uca1400_tailorings[t] != '\0') fmt::format_to(std::back_inserter(name), "{}_", uca1400_tailorings[t]);
    if (k & 4) name += "nopad_";
    name += flags[k & 3];
    return collation_info{uca1400_charsets[k >> 8], std::move(name)};
  }
  // The rest of MySQL 8.0's utf8mb4_0900 language collations: the character set is known.
  if (id >= 256 && id <= 323) return collation_info{"utf8mb4", {}};
  return std::nullopt;
}

// ---- GTID sets ----------------------------------------------------------------------

namespace {

constexpr int no_type = -1;

bool parse_u64(std::string_view s, std::uint64_t& out) {
  if (s.empty() || s.size() > 20) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    std::uint64_t d = static_cast<std::uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (;;) {
    auto p = s.find(sep);
    out.push_back(s.substr(0, p));
    if (p == std::string_view::npos) break;
    s.remove_prefix(p + 1);
  }
  return out;
}

bool parse_uuid(std::string_view s, uuid_bytes& out) {
  std::string hex;
  for (char c : s) {
    if (c == '-') continue;
    hex += c;
  }
  if (hex.size() != 32 || s.size() != 36) return false;
  for (std::size_t i = 0; i < 16; ++i) {
    auto nib = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    int hi = nib(hex[2 * i]), lo = nib(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return true;
}

bool is_tag(std::string_view s) {
  if (s.empty() || s.size() > 32) return false;
  if (!(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

}  // namespace

result<gtid_set> gtid_set::parse(std::string_view text) {
  gtid_set set;
  for (auto item : split(text, ',')) {
    item = trim(item);
    if (item.empty()) continue;
    if (item.find(':') != std::string_view::npos) {
      auto parts = split(item, ':');
      mysql_range r;
      if (!parse_uuid(trim(parts[0]), r.uuid)) {
        return make_error(errc::bad_value, 0, no_type, "GTID set: a MySQL GTID starts with a UUID");
      }
      std::string tag;
      bool any = false;
      for (std::size_t i = 1; i < parts.size(); ++i) {
        auto p = trim(parts[i]);
        if (is_tag(p)) {
          tag = std::string(p);
          for (auto& c : tag) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          continue;
        }
        auto dash = p.find('-');
        std::uint64_t a = 0, b = 0;
        if (!parse_u64(p.substr(0, dash), a) ||
            (dash != std::string_view::npos && !parse_u64(p.substr(dash + 1), b))) {
          return make_error(errc::bad_value, 0, no_type, "GTID set: an interval is N or N-M");
        }
        if (dash == std::string_view::npos) b = a;
        if (a == 0 || b < a || b > static_cast<std::uint64_t>(INT64_MAX)) {
          return make_error(errc::bad_value, 0, no_type, "GTID set: an interval is empty or starts at 0");
        }
        r.tag = tag;
        r.first = static_cast<std::int64_t>(a);
        r.last = static_cast<std::int64_t>(b);
        set.mysql_.push_back(r);
        any = true;
      }
      if (!any) return make_error(errc::bad_value, 0, no_type, "GTID set: a UUID without intervals");
      continue;
    }
    auto parts = split(item, '-');
    if (parts.size() != 3 && parts.size() != 4) {
      return make_error(errc::bad_value, 0, no_type,
                        "GTID set: a MariaDB GTID is domain-server-seq or domain-server-first-last");
    }
    std::uint64_t v[4] = {};
    for (std::size_t i = 0; i < parts.size(); ++i) {
      if (!parse_u64(trim(parts[i]), v[i])) {
        return make_error(errc::bad_value, 0, no_type, "GTID set: MariaDB GTID parts are decimal numbers");
      }
    }
    if (v[0] > UINT32_MAX || v[1] > UINT32_MAX) {
      return make_error(errc::bad_value, 0, no_type, "GTID set: domain and server ids are 32-bit");
    }
    mariadb_range r{static_cast<std::uint32_t>(v[0]), static_cast<std::uint32_t>(v[1]), v[2],
                    parts.size() == 4 ? v[3] : v[2]};
    if (r.last < r.first) return make_error(errc::bad_value, 0, no_type, "GTID set: a range ends before it starts");
    set.mariadb_.push_back(r);
  }
  if (set.empty()) return make_error(errc::bad_value, 0, no_type, "GTID set is empty");
  return set;
}

bool gtid_set::contains(const gtid_ref& g) const noexcept {
  switch (g.k) {
    case gtid_ref::kind::mariadb:
      return std::any_of(mariadb_.begin(), mariadb_.end(), [&](const mariadb_range& r) {
        return r.domain == g.domain_id && r.server == g.server_id && g.seq_no >= r.first && g.seq_no <= r.last;
      });
    case gtid_ref::kind::mysql:
      return std::any_of(mysql_.begin(), mysql_.end(), [&](const mysql_range& r) {
        if (r.uuid != g.uuid || g.gno < r.first || g.gno > r.last) return false;
        if (r.tag.size() != g.tag.size()) return false;
        for (std::size_t i = 0; i < r.tag.size(); ++i) {
          if (r.tag[i] != std::tolower(static_cast<unsigned char>(g.tag[i]))) return false;
        }
        return true;
      });
    default: return false;
  }
}

result<std::int64_t> parse_local_datetime(std::string_view text) {
  text = trim(text);
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  char sep = ' ';
  std::string t(text);
  int n = 0;
  int got = std::sscanf(t.c_str(), "%4d-%2d-%2d%c%2d:%2d:%2d%n", &y, &mo, &d, &sep, &h, &mi, &s, &n);
  if (got == 7 && (sep == ' ' || sep == 'T') && static_cast<std::size_t>(n) == t.size()) {
    // full form
  } else {
    h = mi = s = 0;
    n = 0;
    got = std::sscanf(t.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &n);
    if (got != 3 || static_cast<std::size_t>(n) != t.size()) {
      return make_error(errc::bad_value, 0, no_type, "datetime is not YYYY-MM-DD[ HH:MM:SS]");
    }
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59 || y < 1970) {
    return make_error(errc::bad_value, 0, no_type, "datetime field out of range");
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  tm.tm_isdst = -1;
  std::time_t v = std::mktime(&tm);
  if (v == static_cast<std::time_t>(-1)) return make_error(errc::bad_value, 0, no_type, "datetime cannot be represented");
  return static_cast<std::int64_t>(v);
}

result<std::pair<std::string, std::string>> parse_rewrite_db(std::string_view text) {
  auto p = text.find("->");
  if (p == std::string_view::npos) return make_error(errc::bad_value, 0, no_type, "--rewrite-db wants 'from->to'");
  auto from = trim(text.substr(0, p)), to = trim(text.substr(p + 2));
  if (from.empty() || to.empty()) return make_error(errc::bad_value, 0, no_type, "--rewrite-db names are empty");
  if (to.size() > 64 || from.size() > 64) {
    return make_error(errc::bad_value, 0, no_type, "--rewrite-db names are longer than 64 characters");
  }
  return std::pair<std::string, std::string>{std::string(from), std::string(to)};
}

// ---- the stream ---------------------------------------------------------------------

namespace {

template <class... Ts>
struct overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
overloaded(Ts...) -> overloaded<Ts...>;

constexpr std::uint16_t thread_specific_f = 0x4;  // LOG_EVENT_THREAD_SPECIFIC_F
constexpr std::uint16_t suppress_use_f = 0x8;     // LOG_EVENT_SUPPRESS_USE_F

// flags2 bits (the server's thd->options) and the session variables they stand for.
struct option_flag {
  std::uint32_t bit;
  bool inverted;         // the variable is ON when the bit is clear
  const char* name;
  version_triple since;  // MariaDB version that writes the bit ({0,0,0}: every server)
};
constexpr option_flag base_flags[] = {
    {1u << 26, true, "foreign_key_checks", {}},
    {1u << 14, false, "sql_auto_is_null", {}},
    {1u << 27, true, "unique_checks", {}},
    {1u << 19, true, "autocommit", {}},
};
constexpr option_flag mariadb_flags[] = {
    {1u << 15, true, "check_constraint_checks", {10, 2, 1}},
    {1u << 28, false, "sql_if_exists", {10, 5, 2}},
    {1u << 24, false, "explicit_defaults_for_timestamp", {10, 10, 1}},
    {1u << 30, false, "system_versioning_insert_history", {10, 11, 0}},
};

std::string_view inflate_view(const std::vector<std::uint8_t>& v) {
  return {reinterpret_cast<const char*>(v.data()), v.size()};
}

// Rows event post-header: | table id (6, or 4 when the post-header is 6 bytes) | 2 flags |
// (TABLE_MAP's starts the same way): where the flags are in an event of type `code`.
std::size_t rows_flags_offset(const format_description& f, std::uint8_t code) {
  return f.header_length() + (f.post_header_length(code) == 6 ? 4u : 6u);
}
std::size_t rows_flags_offset(const event_view& ev) { return rows_flags_offset(*ev.format, ev.header.type_code); }

void store_le32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v);
  p[1] = static_cast<std::uint8_t>(v >> 8);
  p[2] = static_cast<std::uint8_t>(v >> 16);
  p[3] = static_cast<std::uint8_t>(v >> 24);
}

// Writes the CRC32 of the event at `p` (its size from the header) after a change to it.
void refresh_checksum(std::uint8_t* p) {
  const std::uint32_t size = detail::le32(p + 9);
  store_le32(p + size - 4, crc32({p, size - 4u}));
}

// Joins the consecutive row statements of one BINLOG statement into one row statement:
// their table maps first (each table id once), then every rows event in order with
// STMT_END_F on the last one only. The server then opens and locks the tables once
// instead of once per statement; each row is still applied by itself, in the same order.
// A statement stays on its own when its rows events carry other flags than the group's
// (MySQL applies NO_FOREIGN_KEY_CHECKS_F / RELAXED_UNIQUE_CHECKS_F at a statement's first
// rows event only) or when it maps a table id the group maps with other bytes. The
// server skips rows events whose table id no map of the statement opened, without an
// error, which is why the maps must all come before the first rows event.
// `raw` holds whole statements (maps, then rows events, STMT_END_F on the last); anything
// else (other event types, a map after rows inside a statement, an unfinished statement)
// leaves it untouched and returns false.
bool merge_row_statements(std::vector<std::uint8_t>& raw, const format_description& f) {
  struct ev_ref {
    std::size_t at, size;
    bool map;
    std::uint64_t table_id;
    std::uint16_t flags;
    std::size_t flags_at;  // offset of the rows event's flags in the event
  };
  const std::size_t header = f.header_length();
  if (header < 13) return false;
  // Scratch space kept by the thread: called for every transaction.
  thread_local std::vector<ev_ref> evs;
  thread_local std::vector<std::pair<std::size_t, std::size_t>> stmts;  // [first, last] event indexes
  thread_local std::vector<const ev_ref*> maps, rows;
  thread_local std::vector<std::uint8_t> out;
  evs.clear();
  stmts.clear();
  maps.clear();
  rows.clear();
  out.clear();
  for (std::size_t at = 0; at < raw.size();) {
    if (raw.size() - at < header) return false;
    const std::uint8_t* p = raw.data() + at;
    const std::size_t size = detail::le32(p + 9);
    if (size < header || size > raw.size() - at) return false;
    const std::uint8_t code = f.canonical_type(p[4]);
    const auto type = static_cast<event_type>(code);
    ev_ref e{at, size, false, 0, 0, rows_flags_offset(f, code)};
    if (type == event_type::table_map) {
      e.map = true;
    } else if (!is_rows_event(type) || is_mariadb_compressed(type) || type < event_type::write_rows_v1) {
      return false;  // compressed rows are sent inflated; pre-GA rows (types 20-22) are left alone
    }
    if (f.post_header_length(code) < 0 || size < e.flags_at + 2) return false;
    for (std::size_t i = header; i < e.flags_at; ++i) e.table_id |= static_cast<std::uint64_t>(p[i]) << (8 * (i - header));
    if (!e.map) e.flags = detail::le16(p + e.flags_at);
    evs.push_back(e);
    at += size;
  }
  std::size_t first = 0;
  bool in_rows = false;
  for (std::size_t i = 0; i < evs.size(); ++i) {
    if (evs[i].map) {
      if (in_rows) return false;
      continue;
    }
    in_rows = true;
    if (evs[i].flags & rows_event::stmt_end_f) {
      stmts.emplace_back(first, i);
      first = i + 1;
      in_rows = false;
    }
  }
  if (first != evs.size() || stmts.size() < 2) return false;

  const bool crc = f.has_checksums();
  const std::size_t tail = crc ? 4u : 0u;
  auto body = [&](const ev_ref& e) {  // a map's bytes after the header, checksum excluded
    return bytes{raw.data() + e.at + header, e.size - header - tail};
  };
  auto same = [](bytes a, bytes b) { return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin()); };

  out.reserve(raw.size());
  bool merged = false;
  auto emit = [&] {
    for (const ev_ref* m : maps) out.insert(out.end(), raw.begin() + static_cast<std::ptrdiff_t>(m->at),
                                            raw.begin() + static_cast<std::ptrdiff_t>(m->at + m->size));
    for (std::size_t k = 0; k < rows.size(); ++k) {
      const ev_ref& r = *rows[k];
      const std::size_t at = out.size();
      out.insert(out.end(), raw.begin() + static_cast<std::ptrdiff_t>(r.at),
                 raw.begin() + static_cast<std::ptrdiff_t>(r.at + r.size));
      if (k + 1 < rows.size() && (r.flags & rows_event::stmt_end_f)) {
        std::uint8_t* p = out.data() + at;
        p[r.flags_at] = static_cast<std::uint8_t>(p[r.flags_at] & ~rows_event::stmt_end_f);
        if (crc) refresh_checksum(p);
        merged = true;
      }
    }
    maps.clear();
    rows.clear();
  };
  std::uint16_t key = 0;
  for (const auto& [b, e] : stmts) {
    std::uint16_t k = 0;
    bool uniform = true;
    for (std::size_t i = b; i <= e; ++i) {
      if (evs[i].map) continue;
      const auto fl = static_cast<std::uint16_t>(evs[i].flags & ~rows_event::stmt_end_f);
      if (i == b || evs[i - 1].map) k = fl;
      else if (fl != k) uniform = false;
    }
    bool joins = !rows.empty() && uniform && k == key;
    for (std::size_t i = b; joins && i <= e; ++i) {
      if (!evs[i].map) continue;
      for (const ev_ref* m : maps) {
        if (m->table_id == evs[i].table_id && !same(body(*m), body(evs[i]))) joins = false;
      }
    }
    if (!joins && !rows.empty()) emit();
    key = uniform ? k : static_cast<std::uint16_t>(0xffff);
    for (std::size_t i = b; i <= e; ++i) {
      if (!evs[i].map) {
        rows.push_back(&evs[i]);
        continue;
      }
      bool known = false;
      for (const ev_ref* m : maps) known = known || m->table_id == evs[i].table_id;
      if (!known) maps.push_back(&evs[i]);
    }
    if (!uniform) emit();  // a statement of mixed flags goes alone
  }
  if (!rows.empty()) emit();
  if (!merged) return false;
  raw.swap(out);  // out keeps the old buffer for the next call, unless it is a large one
  if (out.capacity() > (1u << 20)) std::vector<std::uint8_t>().swap(out);
  return true;
}

}  // namespace

struct transaction_stream::impl {
  sql_filter filter;
  render_options opt;
  const std::vector<binlog_input>* inputs = nullptr;

  std::size_t file = 0;
  std::optional<event_reader> reader;
  bool seen_format = false;  // this file's format description reached on_format
  bool file_in_use = false;  // its first format description has LOG_EVENT_BINLOG_IN_USE_F
  bytes format_raw{};        // the format description in force, as in the file
  bool file_checksums = false;  // it promises CRC32s (also for events inside a payload)
  flavor source_flavor = flavor::unknown;
  version_triple source_version{};
  transaction_tracker tracker;

  session_state session;  // what the session has been told (committed transactions)
  session_state work;     // the same, while a transaction is rendered

  // The transaction being rendered.
  bool in_tx = false;
  bool skip = false;             // filtered out whole (rendered nothing)
  // doomed: larger than the stream threshold, and reading ahead found that it is not
  // applied whole (stop point, damage, input ending inside it): nothing more is rendered,
  // the walk reaches the same end and reports it.
  enum class skip_reason : std::uint8_t { none, start, datetime, gtid, resume, doomed } why = skip_reason::none;
  bool streaming = false;        // pieces of this transaction were handed out
  std::uint32_t pieces = 0;
  // A transaction payload whose inner events are being rendered (they may be handed out
  // in pieces too), the payload event and whether it completes the transaction.
  std::optional<payload_reader> payload;
  event_view payload_ev{};
  bool payload_completes = false;
  rendered_transaction tx;
  std::size_t body_count = 0;
  bool began = false;            // a BEGIN / START TRANSACTION opened it
  bool xa = false;
  bool format_sent_in_tx = false;
  std::uint64_t tx_first_offset = 0;
  std::size_t tx_first_file = 0;
  std::size_t load_counter = 0;

  // INTVAR / RAND / USER_VAR, rendered, waiting for the statement they belong to.
  std::string context_sql;
  struct context_end {
    std::size_t end = 0;      // in context_sql
    std::uint64_t offset = 0;
    std::string name;         // a name of the binlog in it (a user variable's)
  };
  std::vector<context_end> context_ends;

  // Row events of the current BINLOG statement (one or more row statements).
  std::vector<std::uint8_t> rows_raw;
  std::uint64_t rows_offset = 0;     // offset of the first event in rows_raw
  std::size_t stmt_begin = 0;        // where the current row statement starts in rows_raw
  std::size_t last_rows_at = SIZE_MAX;  // last included rows event of the current statement
  std::vector<std::pair<std::size_t, std::size_t>> stmt_maps;  // its table maps in rows_raw (at, size)
  bool last_rows_ended = false;
  // The format of the events in rows_raw, when they all share one (see merge_row_statements).
  std::optional<format_description> rows_format;
  bool rows_one_format = true;
  std::unordered_map<std::uint64_t, bool> tables;  // table id -> kept by the database filter

  std::unordered_map<std::uint32_t, std::vector<std::uint8_t>> load_blocks;

  std::optional<std::pair<std::size_t, std::uint64_t>> resume;
  // transaction_stream::on_commit_rows (set again by each next(): the stream may move).
  const std::function<bool(const transaction_stream::commit_point&, std::vector<std::uint8_t>&)>* commit_hook =
      nullptr;
  std::vector<std::uint8_t> hook_events;
  std::vector<stream_note> notes;
  std::string scratch;

  explicit impl(sql_filter f, render_options o) : filter(std::move(f)), opt(std::move(o)) {}

  sql_dialect dialect() const {
    if (opt.dialect != sql_dialect::automatic) return opt.dialect;
    return source_flavor == flavor::mariadb ? sql_dialect::mariadb : sql_dialect::mysql;
  }

  void note(std::uint64_t offset, std::string text) { notes.push_back({file, offset, std::move(text)}); }

  // -- statements ---------------------------------------------------------------------

  template <class F>
  void add(statement_role role, std::uint64_t offset, F&& build) {
    const std::size_t b = tx.sql.size();
    build(tx.sql);
    tx.statements.push_back({b, tx.sql.size() - b, role, offset, -1, 0, true, default_kind(role)});
  }
  void add_text(statement_role role, std::uint64_t offset, std::string_view text) {
    add(role, offset, [&](std::string& s) { s.append(text); });
  }
  // MariaDB-only statement: inside /*M!100001 … */ for the client, so MySQL skips it.
  void add_mariadb(statement_role role, std::uint64_t offset, std::string_view text) {
    if (opt.for_client) {
      add(role, offset, [&](std::string& s) {
        s += "/*M!100001 ";
        s.append(text);
        s += "*/";
      });
    } else {
      add_text(role, offset, text);
    }
  }

  std::string_view rewrite(std::string_view db) const {
    for (const auto& [from, to] : filter.rewrite_db) {
      if (db == from) return to;
    }
    return db;
  }
  bool db_kept(std::string_view db) const {
    if (filter.databases.empty()) return true;
    return std::find(filter.databases.begin(), filter.databases.end(), db) != filter.databases.end();
  }

  // -- the format description ---------------------------------------------------------

  void binlog_statement(std::uint64_t offset, bytes raw) {
    const std::size_t b64 = (raw.size() + 2) / 3 * 4;
    if (b64 > opt.max_binlog_statement) {
      // Two one-shot user variables, as mysqlbinlog splits a statement too large for one
      // packet: each half must fit max_allowed_packet, the BINLOG statement joins them.
      const std::size_t half = (raw.size() / 2) / 3 * 3;
      add(statement_role::body, offset, [&](std::string& s) {
        s += "SET @binlog_fragment_0='";
        append_base64(s, raw.subspan(0, half), opt.base64_wrap);
        s += '\'';
      });
      add(statement_role::body, offset, [&](std::string& s) {
        s += "SET @binlog_fragment_1='";
        append_base64(s, raw.subspan(half), opt.base64_wrap);
        s += '\'';
      });
      tx.statements[tx.statements.size() - 2].kind = sql_statement_kind::binlog_fragment;
      tx.statements.back().kind = sql_statement_kind::binlog_fragment;
      add_text(statement_role::body, offset, "BINLOG @binlog_fragment_0, @binlog_fragment_1");
      tx.statements.back().kind = sql_statement_kind::binlog_rows;
      return;
    }
    add(statement_role::body, offset, [&](std::string& s) {
      s.reserve(s.size() + b64 + 16);
      s += opt.base64_wrap > 0 ? "BINLOG '\n" : "BINLOG '";
      append_base64(s, raw, opt.base64_wrap);
      if (opt.base64_wrap > 0 && s.back() != '\n') s += '\n';
      s += '\'';
    });
    tx.statements.back().kind = sql_statement_kind::binlog_rows;
  }

  // Sent before the first transaction of a file (outside any transaction: a format
  // description of a freshly started server rolls an open transaction back).
  void send_format_if_needed(std::uint64_t offset) {
    if (format_raw.empty()) return;
    if (work.format.size() == format_raw.size() &&
        std::equal(format_raw.begin(), format_raw.end(), work.format.begin())) {
      return;
    }
    work.format.assign(format_raw.begin(), format_raw.end());
    binlog_statement(offset, format_raw);
    tx.statements.back().role = statement_role::session;
    tx.statements.back().kind = sql_statement_kind::format_description;
  }

  // -- session state of a statement ---------------------------------------------------

  void session_header(const event_view& ev, const query_event& q) {
    const query_status st = q.status();
    const std::uint64_t at = ev.offset;
    if (ev.header.flags & suppress_use_f) {
      if (!(xa && is_xa_keyword(q.query))) work.db = std::string();
    } else {
      auto db = rewrite(q.database);
      if (!work.db || *work.db != db) {
        if (!db.empty()) {
          client_charset_for(at, db);
          add(statement_role::session, at, [&](std::string& s) {
            s += "use ";
            append_identifier(s, db);
          });
          tx.statements.back().kind = sql_statement_kind::use_database;
        }
        work.db = std::string(db);
      }
    }
    add(statement_role::session, at, [&](std::string& s) {
      fmt::format_to(std::back_inserter(s), "SET TIMESTAMP={}", ev.header.timestamp);
      if (st.microseconds && *st.microseconds > 0 && *st.microseconds <= 999999) {
        fmt::format_to(std::back_inserter(s), ".{:06d}", *st.microseconds);
      }
    });
    if (!work.thread_id || ((ev.header.flags & thread_specific_f) && *work.thread_id != q.thread_id)) {
      add(statement_role::session, at, [&](std::string& s) {
        fmt::format_to(std::back_inserter(s), "SET @@session.pseudo_thread_id={}", q.thread_id);
      });
      work.thread_id = q.thread_id;
    }
    if (st.flags2) {
      const std::uint32_t changed = work.flags2 ? (*work.flags2 ^ *st.flags2) : ~0u;
      std::string sets, mdb;
      auto put = [&](std::string& out, const option_flag& f) {
        if (!(changed & f.bit)) return;
        if (!out.empty()) out += ", ";
        bool on = ((*st.flags2 & f.bit) != 0) != f.inverted;
        fmt::format_to(std::back_inserter(out), "@@session.{}={}", f.name, on ? 1 : 0);
      };
      for (const auto& f : base_flags) put(sets, f);
      if (dialect() == sql_dialect::mariadb && source_flavor == flavor::mariadb) {
        for (const auto& f : mariadb_flags) {
          if (source_version >= f.since) put(opt.for_client ? mdb : sets, f);
        }
      }
      if (!sets.empty()) add(statement_role::session, at, [&](std::string& s) { s += "SET " + sets; });
      if (!mdb.empty()) add_mariadb(statement_role::session, at, "SET " + mdb);
      work.flags2 = *st.flags2;
    }
    if (st.sql_mode && (!work.sql_mode || *work.sql_mode != *st.sql_mode)) {
      add(statement_role::session, at, [&](std::string& s) {
        fmt::format_to(std::back_inserter(s), "SET @@session.sql_mode={}", *st.sql_mode);
      });
      work.sql_mode = st.sql_mode;
    }
    std::pair<std::uint16_t, std::uint16_t> ai{st.auto_increment_increment.value_or(1),
                                               st.auto_increment_offset.value_or(1)};
    if (!work.auto_increment || *work.auto_increment != ai) {
      add(statement_role::session, at, [&](std::string& s) {
        fmt::format_to(std::back_inserter(s),
                       "SET @@session.auto_increment_increment={}, @@session.auto_increment_offset={}",
                       ai.first, ai.second);
      });
      work.auto_increment = ai;
    }
    event_charsets(at, st);
    if (st.time_zone && work.time_zone != *st.time_zone) {
      add(statement_role::session, at, [&](std::string& s) {
        s += "SET @@session.time_zone=";
        append_string_literal(s, *st.time_zone);
      });
      work.time_zone = std::string(*st.time_zone);
    }
    const std::uint16_t lc = st.lc_time_names.value_or(0);
    if (!work.lc_time_names || *work.lc_time_names != lc) {
      add(statement_role::session, at, [&](std::string& s) {
        fmt::format_to(std::back_inserter(s), "SET @@session.lc_time_names={}", lc);
      });
      work.lc_time_names = lc;
    }
    const std::uint16_t cdb = st.collation_database.value_or(0);
    if (!work.collation_database || *work.collation_database != cdb) {
      add(statement_role::session, at, [&](std::string& s) {
        if (cdb == 0) s += "SET @@session.collation_database=DEFAULT";
        else fmt::format_to(std::back_inserter(s), "SET @@session.collation_database={}", cdb);
      });
      work.collation_database = cdb;
    }
    if (dialect() == sql_dialect::mysql) {
      // MySQL 5.6+/8.0 status variables, as MySQL's mysqlbinlog sets them.
      if (st.explicit_defaults_ts && work.explicit_defaults_ts != st.explicit_defaults_ts) {
        add(statement_role::session, at, [&](std::string& s) {
          fmt::format_to(std::back_inserter(s), "SET @@session.explicit_defaults_for_timestamp={}",
                         *st.explicit_defaults_ts ? 1 : 0);
        });
        work.explicit_defaults_ts = st.explicit_defaults_ts;
      }
      if (st.default_collation_utf8mb4 && work.default_collation_utf8mb4 != st.default_collation_utf8mb4) {
        add(statement_role::session, at, [&](std::string& s) {
          fmt::format_to(std::back_inserter(s), "/*!80011 SET @@session.default_collation_for_utf8mb4={}*/",
                         *st.default_collation_utf8mb4);
        });
        work.default_collation_utf8mb4 = st.default_collation_utf8mb4;
      }
      if (st.sql_require_primary_key && work.sql_require_primary_key != st.sql_require_primary_key) {
        add(statement_role::session, at, [&](std::string& s) {
          fmt::format_to(std::back_inserter(s), "/*!80013 SET @@session.sql_require_primary_key={}*/",
                         *st.sql_require_primary_key);
        });
        work.sql_require_primary_key = st.sql_require_primary_key;
      }
      if (st.default_table_encryption && work.default_table_encryption != st.default_table_encryption) {
        add(statement_role::session, at, [&](std::string& s) {
          fmt::format_to(std::back_inserter(s), "/*!80016 SET @@session.default_table_encryption={}*/",
                         *st.default_table_encryption);
        });
        work.default_table_encryption = st.default_table_encryption;
      }
    }
    if (!st.character_set_collations.empty()) {
      note(at, "the statement's character_set_collations (MariaDB 11.2+) is not set on the target");
    }
  }

  // The event's character_set_client, collation_connection and collation_server, when
  // they differ from what the session has (or a statement of ours switched them).
  void event_charsets(std::uint64_t at, const query_status& st) {
    if (st.charset_client) {
      std::array<std::uint16_t, 3> cs{*st.charset_client, st.collation_connection.value_or(0),
                                      st.collation_server.value_or(0)};
      if (!work.charsets || *work.charsets != cs || work.client_utf8) {
        auto info = collation_by_id(cs[0]);
        if (opt.for_client && info) {
          // The client parses what follows in this character set (mysqlbinlog's \C).
          add(statement_role::session, at, [&](std::string& s) {
            s += "/*!\\C ";
            s += info->charset;
            s += " */";
          });
        }
        add(statement_role::session, at, [&](std::string& s) {
          fmt::format_to(std::back_inserter(s),
                         "SET @@session.character_set_client={},@@session.collation_connection={},"
                         "@@session.collation_server={}",
                         cs[0], cs[1], cs[2]);
        });
        work.charsets = cs;
        work.client_utf8 = false;
      }
    }
  }

  // The client character set in force: nullopt when not known (a new session, a collation
  // number this module does not know).
  std::optional<std::string> client_charset() const {
    if (work.client_utf8) return std::string("utf8mb4");
    if (!work.charsets) return std::nullopt;
    auto info = collation_by_id((*work.charsets)[0]);
    if (!info) return std::nullopt;
    return info->charset;
  }

  // Before a statement of ours that carries `name` (a name from the binlog or the command
  // line): switches the client character set to utf8mb4 unless the one in force reads the
  // name as written (sql_quote.hpp). The next event's own character sets are set again
  // after it.
  void client_charset_for(std::uint64_t at, std::string_view name) {
    const auto cs = client_charset();
    if (quoting_safe_in(cs ? std::optional<std::string_view>(*cs) : std::nullopt, name)) return;
    if (opt.for_client) add_text(statement_role::session, at, utf8_client_command);
    add_text(statement_role::session, at, utf8_client_statement);
    work.client_utf8 = true;
  }

  // Proven_single_statement of an event's text, read in the client character set in force.
  bool single_in_session(std::string_view text) const {
    const auto cs = client_charset();
    return proven_single_statement(text, cs ? std::optional<std::string_view>(*cs) : std::nullopt);
  }

  static bool is_xa_keyword(std::string_view q) {
    auto k = classify_statement(q);
    return k == statement_kind::xa_start || k == statement_kind::xa_end || k == statement_kind::xa_prepare ||
           k == statement_kind::xa_commit || k == statement_kind::xa_rollback;
  }

  void flush_context() {
    std::size_t prev = 0;
    for (const auto& c : context_ends) {
      client_charset_for(c.offset, c.name);
      add_text(statement_role::body, c.offset, std::string_view(context_sql).substr(prev, c.end - prev));
      prev = c.end;
    }
    context_sql.clear();
    context_ends.clear();
  }
  void drop_context() {
    context_sql.clear();
    context_ends.clear();
  }
  template <class F>
  void context(std::uint64_t offset, F&& build, std::string_view name = {}) {
    build(context_sql);
    context_ends.push_back({context_sql.size(), offset, std::string(name)});
  }

  // -- rows ---------------------------------------------------------------------------

  void note_rows_format(const event_view& ev) {
    if (rows_raw.empty()) {
      rows_format = *ev.format;
      rows_one_format = true;
    } else if (rows_one_format && rows_format) {
      const std::uint8_t code = ev.header.type_code;
      rows_one_format = rows_format->header_length() == ev.format->header_length() &&
                        rows_format->has_checksums() == ev.format->has_checksums() &&
                        rows_format->post_header_length(code) == ev.format->post_header_length(code);
    }
  }

  // Copies an event into rows_raw: inner events of a transaction payload carry no
  // checksum while the format description promises one, so they get one.
  std::size_t append_raw(const event_view& ev, bool inner) {
    const std::size_t at = rows_raw.size();
    if (at == 0) rows_offset = inner ? tx_first_offset : ev.offset;
    note_rows_format(ev);
    rows_raw.insert(rows_raw.end(), ev.raw.begin(), ev.raw.end());
    if (inner && file_checksums) {
      std::uint8_t* p = rows_raw.data() + at;
      store_le32(p + 9, static_cast<std::uint32_t>(ev.raw.size() + checksum_size));
      std::uint32_t crc = crc32({p, ev.raw.size()});
      rows_raw.resize(rows_raw.size() + 4);
      store_le32(rows_raw.data() + at + ev.raw.size(), crc);
    }
    return at;
  }
  void fix_checksum(std::size_t at, bool has_checksum) {
    if (has_checksum) refresh_checksum(rows_raw.data() + at);
  }

  result<void> table_map(const event_view& ev, const table_map_event& tm, bool inner) {
    auto db = rewrite(tm.database);
    const bool kept = db_kept(db);
    tables[tm.table_id] = kept;
    if (!kept) return {};
    const std::size_t at = append_raw(ev, inner);
    struct record_map {  // its bytes as they go out, for a statement continued later
      impl& m;
      std::size_t at;
      ~record_map() { m.stmt_maps.emplace_back(at, m.rows_raw.size() - at); }
    } record{*this, at};
    if (db != tm.database) {
      // TABLE_MAP payload: | 1 db_len | db | NUL | 1 tbl_len | table | NUL | …
      const std::size_t name_at = at + ev.format->header_length() +
                                  static_cast<std::size_t>(ev.format->post_header_length(ev.header.type_code));
      const std::size_t old_len = tm.database.size();
      std::vector<std::uint8_t> repl;
      repl.push_back(static_cast<std::uint8_t>(db.size()));
      repl.insert(repl.end(), db.begin(), db.end());
      repl.push_back(0);
      auto first = rows_raw.begin() + static_cast<std::ptrdiff_t>(name_at);
      rows_raw.erase(first, first + static_cast<std::ptrdiff_t>(old_len + 2));
      rows_raw.insert(rows_raw.begin() + static_cast<std::ptrdiff_t>(name_at), repl.begin(), repl.end());
      std::uint8_t* p = rows_raw.data() + at;
      const auto size = static_cast<std::uint32_t>(detail::le32(p + 9) + db.size() - old_len);
      store_le32(p + 9, size);
      fix_checksum(at, inner ? file_checksums : ev.format->has_checksums());
    }
    return {};
  }

  // MariaDB's BINLOG statement takes no compressed rows events (error 1730), so they go
  // as the uncompressed type (166-171 -> 23-25, 30-32) with the row images inflated, as
  // mariadb-binlog prints them.
  result<void> append_inflated(const event_view& ev, const rows_event& r) {
    BK_TRY(auto images, inflate_mariadb(r.rows, ev.offset, ev.header.type_code));
    const auto code = ev.header.type_code;
    const std::uint8_t plain = code <= 168 ? static_cast<std::uint8_t>(code - 166 + 23)
                                           : static_cast<std::uint8_t>(code - 169 + 30);
    const std::size_t prefix = static_cast<std::size_t>(r.rows.data() - ev.raw.data());
    const bool crc = ev.format->has_checksums();
    const std::size_t size = prefix + images.size() + (crc ? checksum_size : 0);
    if (size > UINT32_MAX) {
      return make_error(errc::unsupported, ev.offset, code, "inflated rows event exceeds 4 GiB");
    }
    const std::size_t at = rows_raw.size();
    if (at == 0) rows_offset = ev.offset;
    note_rows_format(ev);
    rows_raw.insert(rows_raw.end(), ev.raw.begin(), ev.raw.begin() + static_cast<std::ptrdiff_t>(prefix));
    rows_raw.insert(rows_raw.end(), images.begin(), images.end());
    if (crc) rows_raw.resize(rows_raw.size() + checksum_size);
    std::uint8_t* p = rows_raw.data() + at;
    p[4] = plain;
    store_le32(p + 9, static_cast<std::uint32_t>(size));
    fix_checksum(at, crc);
    last_rows_at = at;
    return {};
  }

  result<void> rows(const event_view& ev, const rows_event& r, bool inner) {
    const bool end = (r.flags & rows_event::stmt_end_f) != 0;
    auto t = tables.find(r.table_id);
    if (t != tables.end() && t->second) {
      if (r.compressed) BK_TRY_VOID(append_inflated(ev, r));
      else last_rows_at = append_raw(ev, inner);
      last_rows_ended = end;
    }
    if (!end) {
      // A long statement (INSERT … SELECT of many rows): its BINLOG statement ends here and
      // it goes on in the next one, which maps its tables again. The server forgets table
      // maps at the end of each BINLOG statement: rows events after it without them would
      // be skipped without an error.
      if (rows_raw.size() >= batch_limit() && last_rows_at != SIZE_MAX && last_rows_at >= stmt_begin) {
        continue_statement(ev, inner);
      }
      return {};
    }
    // The statement is complete: drop its table maps if none of its rows were kept, and
    // end it on the last kept rows event when the filter dropped the one that ended it.
    if (last_rows_at == SIZE_MAX || last_rows_at < stmt_begin) {
      rows_raw.resize(stmt_begin);
    } else if (!last_rows_ended) {
      std::uint8_t* p = rows_raw.data() + last_rows_at;
      const std::size_t fo = rows_flags_offset(ev);
      p[fo] = static_cast<std::uint8_t>(p[fo] | rows_event::stmt_end_f);
      fix_checksum(last_rows_at, inner ? file_checksums : ev.format->has_checksums());
    }
    tables.clear();
    stmt_maps.clear();
    stmt_begin = rows_raw.size();
    last_rows_at = SIZE_MAX;
    if (!opt.batch_binlog || rows_raw.size() >= batch_limit()) flush_rows();
    return {};
  }

  // Raw bytes of row events one BINLOG statement holds at most (a single larger event
  // excepted): max_binlog_batch of base64, and half the stream threshold so that the
  // pieces of a large transaction stay near it.
  std::size_t batch_limit() const {
    std::size_t n = std::max<std::size_t>(opt.max_binlog_batch / 4 * 3, 1);
    if (opt.stream_threshold != 0) n = std::min(n, std::max<std::size_t>(opt.stream_threshold / 2, 1));
    return n;
  }

  // Ends the current row statement's BINLOG statement after its last kept rows event
  // (flagged STMT_END_F there) and starts the next one with the statement's table maps.
  void continue_statement(const event_view& ev, bool inner) {
    std::uint8_t* p = rows_raw.data() + last_rows_at;
    const std::size_t fo = rows_flags_offset(ev);
    p[fo] = static_cast<std::uint8_t>(p[fo] | rows_event::stmt_end_f);
    fix_checksum(last_rows_at, inner ? file_checksums : ev.format->has_checksums());
    std::vector<std::uint8_t> maps;
    auto saved = std::move(stmt_maps);
    std::size_t at = 0;
    for (auto& [m_at, n] : saved) {
      maps.insert(maps.end(), rows_raw.begin() + static_cast<std::ptrdiff_t>(m_at),
                  rows_raw.begin() + static_cast<std::ptrdiff_t>(m_at + n));
      m_at = at;
      at += n;
    }
    stmt_begin = rows_raw.size();
    flush_rows();
    stmt_maps = std::move(saved);
    rows_raw = std::move(maps);
    rows_offset = ev.offset;
    stmt_begin = 0;
    last_rows_at = SIZE_MAX;
  }

  // The caller's row events for a transaction that commits at `ev` (on_commit_rows), after
  // its pending row statements: they go out in the same BINLOG statement.
  void commit_rows(const event_view& ev, bool inner) {
    if (commit_hook == nullptr || !*commit_hook) return;
    // A transaction the database filter emptied is dropped whole at its end: keep it so.
    if (body_count == 0 && stmt_begin == 0 && !filter.databases.empty()) return;
    const event_view& last = inner ? payload_ev : ev;
    transaction_stream::commit_point cp;
    cp.file_index = file;
    cp.end = last.end_offset();
    cp.gtid = tracker.gtid();
    cp.timestamp = ev.header.timestamp;
    cp.server_id = ev.header.server_id;
    cp.format = ev.format;
    cp.checksums = inner ? file_checksums : ev.format->has_checksums();
    hook_events.clear();
    if (!(*commit_hook)(cp, hook_events) || hook_events.empty()) return;
    if (stmt_begin < rows_raw.size()) rows_raw.resize(stmt_begin);  // an unfinished statement
    if (rows_raw.empty()) rows_offset = ev.offset;
    note_rows_format(ev);
    rows_raw.insert(rows_raw.end(), hook_events.begin(), hook_events.end());
    stmt_begin = rows_raw.size();
    last_rows_at = SIZE_MAX;
    stmt_maps.clear();
    tx.commit_rows = true;
  }

  // The pending row statements as one BINLOG statement.
  void flush_rows() {
    if (stmt_begin < rows_raw.size()) rows_raw.resize(stmt_begin);  // an unfinished statement
    if (!rows_raw.empty()) {
      if (opt.batch_binlog && rows_one_format && rows_format) merge_row_statements(rows_raw, *rows_format);
      binlog_statement(rows_offset, {rows_raw.data(), rows_raw.size()});
      ++body_count;
    }
    rows_raw.clear();
    stmt_begin = 0;
    last_rows_at = SIZE_MAX;
    stmt_maps.clear();
  }

  // -- transactions -------------------------------------------------------------------

  // Transactions given back (transaction_stream::recycle): their buffers are reused.
  std::vector<rendered_transaction> spares;
  static constexpr std::size_t max_spares = 4;
  static constexpr std::size_t max_spare_bytes = 1u << 20;

  // An empty transaction, in a spare's buffers when there is one.
  rendered_transaction fresh_tx() {
    rendered_transaction t;
    if (!spares.empty()) {
      t.sql = std::move(spares.back().sql);
      t.statements = std::move(spares.back().statements);
      spares.pop_back();
      t.sql.clear();
      t.statements.clear();
    }
    return t;
  }

  void begin_tx(const event_view& ev) {
    in_tx = true;
    tx = fresh_tx();
    tx.file_index = file;
    tx.start = ev.offset;
    tx.timestamp = ev.header.timestamp;
    tx_first_offset = ev.offset;
    tx_first_file = file;
    body_count = 0;
    streaming = false;
    pieces = 0;
    began = false;
    xa = false;
    skip = false;
    why = skip_reason::none;
    drop_context();
    rows_raw.clear();
    stmt_begin = 0;
    last_rows_at = SIZE_MAX;
    stmt_maps.clear();
    tables.clear();
    load_blocks.clear();
    payload.reset();
    if (resume && (file < resume->first || (file == resume->first && ev.offset < resume->second))) {
      skip = true;
      why = skip_reason::resume;
    } else if (file == 0 && ev.offset < filter.start_position) {
      skip = true;
      why = skip_reason::start;
    } else if (filter.start_datetime && static_cast<std::int64_t>(ev.header.timestamp) < *filter.start_datetime) {
      skip = true;
      why = skip_reason::datetime;
    }
    if (!skip) {
      work = session;
      send_format_if_needed(ev.offset);
    }
  }

  // After the GTID is known (the tracker has read the GTID event).
  void check_gtid_filter() {
    if (skip) return;
    const auto& g = tracker.gtid();
    bool keep = true;
    if (filter.include_gtids) keep = filter.include_gtids->contains(g);
    if (keep && filter.exclude_gtids) keep = !filter.exclude_gtids->contains(g);
    if (!keep) {
      skip = true;
      why = skip_reason::gtid;
    }
  }

  std::optional<rendered_transaction> finish_tx(const event_view& last) {
    in_tx = false;
    tx.end = last.end_offset();
    tx.file_index = file;
    tx.gtid = tracker.gtid();
    if (skip) {
      if (why == skip_reason::resume && resume && file == resume->first && tx.end == resume->second) {
        resume_hit = true;
      }
      if (why == skip_reason::start && tx.end > filter.start_position && tx_first_file == 0) {
        note(tx.start, fmt::format("--start-position {} is inside the transaction at {}..{}: it is skipped whole",
                                   filter.start_position, tx.start, tx.end));
      }
      return std::nullopt;
    }
    flush_rows();
    drop_context();
    // Filtered empty (a streamed one has handed out pieces: its COMMIT must follow them).
    if (body_count == 0 && !filter.databases.empty() && !streaming) return std::nullopt;
    session = work;
    tx.piece = pieces;
    tx.more = false;
    return std::move(tx);
  }

  // -- large transactions -------------------------------------------------------------

  std::size_t held_bytes() const {
    std::size_t n = tx.sql.size() + rows_raw.size() + context_sql.size();
    for (const auto& d : tx.load_data) n += d.size();
    return n;
  }

  // Reads the rest of the current transaction without rendering it, as next() would walk
  // it: true when it completes and is applied whole.
  bool reads_to_completion(const std::function<void(std::size_t, std::uint64_t, std::uint64_t)>& released) const {
    event_reader r = *reader;
    transaction_tracker t = tracker;
    const bool last_file = file + 1 == inputs->size();
    std::uint64_t mark = r.position();
    auto release = [&](bool all) {
      if (released && (all || r.position() - mark >= (16u << 20))) {
        released(file, mark, r.position());
        mark = r.position();
      }
    };
    for (;;) {
      auto n = r.next();
      if (!n || !n->has_value()) {
        release(true);
        return false;
      }
      const event_view& ev = **n;
      const auto type = ev.type();
      const bool meta = type == event_type::format_description || type == event_type::start_v3 ||
                        type == event_type::rotate || type == event_type::stop;
      if ((last_file && filter.stop_position && ev.offset >= *filter.stop_position) ||
          (!meta && filter.stop_datetime && static_cast<std::int64_t>(ev.header.timestamp) >= *filter.stop_datetime)) {
        release(true);
        return false;
      }
      auto d = decode(ev);
      bool ok = d.has_value();
      if (ok && type != event_type::format_description && type != event_type::start_v3) {
        auto step = t.feed(ev, *d);
        if (step.violation || step.begins) ok = false;
        if (ok && !step.extends) {
          if (const auto* tp = std::get_if<transaction_payload_event>(&*d)) ok = payload_readable(ev, *tp);
          if (ok && step.completes) {
            release(true);
            return true;
          }
        }
      }
      if (!ok) {
        release(true);
        return false;
      }
      release(false);
    }
  }

  static bool payload_readable(const event_view& ev, const transaction_payload_event& tp) {
    auto inner = payload_reader::open(ev, tp);
    if (!inner) return false;
    for (;;) {
      auto ie = inner->next();
      if (!ie) return false;
      if (!*ie) return true;
      if (!decode(**ie)) return false;
    }
  }

  // A piece to hand out when the transaction has grown past the threshold (between two
  // events). `completes_known`: the rest is known to complete (an open payload that ends
  // the transaction).
  std::optional<rendered_transaction> piece_if_large(
      bool completes_known, const std::function<void(std::size_t, std::uint64_t, std::uint64_t)>& released) {
    if (!in_tx || skip || opt.stream_threshold == 0 || held_bytes() < opt.stream_threshold) return std::nullopt;
    if (!streaming) {
      if (!completes_known && !reads_to_completion(released)) {
        // Not applied whole: render nothing more; the walk reaches the reason.
        skip = true;
        why = skip_reason::doomed;
        tx = rendered_transaction{};
        rows_raw.clear();
        rows_raw.shrink_to_fit();
        drop_context();
        return std::nullopt;
      }
      streaming = true;
    }
    // Pending rows stay for the next piece (a row statement is never split); the
    // statements rendered so far go.
    if (tx.statements.empty()) return std::nullopt;
    rendered_transaction out = std::move(tx);
    tx = fresh_tx();
    tx.file_index = file;
    tx.start = out.start;
    tx.timestamp = out.timestamp;
    out.file_index = file;
    out.gtid = tracker.gtid();
    out.end = reader->position();
    out.more = true;
    out.piece = pieces++;
    out.commit.reset();
    return out;
  }

  void discard_tx() {
    in_tx = false;
    drop_context();
    rows_raw.clear();
  }

  bool resume_hit = false;

  // -- one event ----------------------------------------------------------------------

  result<void> render(const event_view& ev, const any_event& d, bool inner) {
    const auto t = ev.type();
    return std::visit(
        overloaded{
            [&](const query_event& q0) -> result<void> {
              query_event q = q0;
              std::vector<std::uint8_t> inflated;
              if (q.compressed) {
                BK_TRY(inflated, inflate_mariadb(
                                     {reinterpret_cast<const std::uint8_t*>(q.query.data()), q.query.size()},
                                     ev.offset, ev.header.type_code));
                q.query = inflate_view(inflated);
              }
              const auto kind = classify_statement(q.query);
              if (kind == statement_kind::commit && began && !xa) commit_rows(ev, inner);
              flush_rows();
              statement_role role = statement_role::body;
              bool control = true;
              switch (kind) {
                case statement_kind::begin: role = statement_role::begin; began = true; break;
                case statement_kind::xa_start: role = statement_role::begin; xa = true; break;
                case statement_kind::commit: role = statement_role::commit; break;
                case statement_kind::rollback: role = statement_role::end; break;
                case statement_kind::xa_end: role = statement_role::body; xa = true; break;
                case statement_kind::xa_prepare: role = statement_role::end; xa = true; break;
                case statement_kind::xa_commit:
                case statement_kind::xa_rollback: role = statement_role::body; xa = true; break;
                case statement_kind::savepoint:
                case statement_kind::rollback_to_savepoint: role = statement_role::body; break;
                default: control = false; break;
              }
              if (!control && !db_kept(rewrite(q.database))) {
                drop_context();  // filtered out with its INTVAR / RAND / USER_VAR
                return {};
              }
              session_header(ev, q);
              flush_context();
              event_charsets(ev.offset, q.status());  // again, if a user variable's name switched them
              if (t == event_type::execute_load_query) return load_statement(ev, q);
              add_text(role, ev.offset, q.query);
              tx.statements.back().expected_error = q.error_code;
              tx.statements.back().single = single_in_session(q.query);
              if (role == statement_role::commit && began && !xa) tx.commit = tx.statements.size() - 1;
              if (role == statement_role::body) ++body_count;
              return {};
            },
            [&](const xid_event&) -> result<void> {
              if (!xa) commit_rows(ev, inner);
              flush_rows();
              add_text(statement_role::commit, ev.offset, "COMMIT");
              if (!xa) tx.commit = tx.statements.size() - 1;
              return {};
            },
            [&](const xa_prepare_event& x) -> result<void> {
              flush_rows();
              add(statement_role::end, ev.offset, [&](std::string& s) {
                s += x.one_phase ? "XA COMMIT " : "XA PREPARE ";
                append_xid(s, x.format_id, x.gtrid, x.bqual);
                if (x.one_phase) s += " ONE PHASE";
              });
              return {};
            },
            [&](const intvar_event& i) -> result<void> {
              context(ev.offset, [&](std::string& s) {
                fmt::format_to(std::back_inserter(s), "SET {}={}", i.kind == 1 ? "LAST_INSERT_ID" : "INSERT_ID", i.value);
              });
              return {};
            },
            [&](const rand_event& r) -> result<void> {
              context(ev.offset, [&](std::string& s) {
                fmt::format_to(std::back_inserter(s), "SET @@RAND_SEED1={}, @@RAND_SEED2={}", r.seed1, r.seed2);
              });
              return {};
            },
            [&](const user_var_event& u) -> result<void> {
              std::string s;
              BK_TRY_VOID(render_user_var(s, ev, u));
              context(ev.offset, [&](std::string& out) { out += s; }, u.name);
              return {};
            },
            [&](const table_map_event& tm) -> result<void> { return table_map(ev, tm, inner); },
            [&](const rows_event& r) -> result<void> { return rows(ev, r, inner); },
            [&](const file_block_event& f) -> result<void> {
              if (t == event_type::begin_load_query) {
                auto& blk = load_blocks[f.file_id];
                blk.assign(f.block.begin(), f.block.end());
              } else if (t == event_type::append_block) {
                auto it = load_blocks.find(f.file_id);
                if (it == load_blocks.end()) {
                  return make_error(errc::unsupported, ev.offset, ev.header.type_code,
                                    "APPEND_BLOCK for a file without BEGIN_LOAD_QUERY (pre-5.0 LOAD DATA)");
                }
                it->second.insert(it->second.end(), f.block.begin(), f.block.end());
              } else if (t == event_type::delete_file) {
                load_blocks.erase(f.file_id);
              } else {
                return make_error(errc::unsupported, ev.offset, ev.header.type_code,
                                  "EXEC_LOAD (MySQL 4.x/5.0 LOAD DATA) cannot be replayed");
              }
              return {};
            },
            [&](const load_event&) -> result<void> {
              return make_error(errc::unsupported, ev.offset, ev.header.type_code,
                                "LOAD / CREATE_FILE (MySQL 4.x/5.0 LOAD DATA) cannot be replayed");
            },
            [&](const mariadb_gtid_event& g) -> result<void> {
              if (dialect() == sql_dialect::mariadb && opt.mariadb_gtids) {
                if (!work.gtid_domain || *work.gtid_domain != g.domain_id) {
                  add_mariadb(statement_role::gtid, ev.offset, fmt::format("SET @@session.gtid_domain_id={}", g.domain_id));
                  work.gtid_domain = g.domain_id;
                }
                if (!work.gtid_server || *work.gtid_server != g.server_id) {
                  add_mariadb(statement_role::gtid, ev.offset, fmt::format("SET @@session.server_id={}", g.server_id));
                  work.gtid_server = g.server_id;
                }
                add_mariadb(statement_role::gtid, ev.offset, fmt::format("SET @@session.gtid_seq_no={}", g.seq_no));
              }
              if (g.flags2 & mariadb_gtid_event::fl_prepared_xa) {
                xa = true;
                add(statement_role::begin, ev.offset, [&](std::string& s) {
                  s += "XA START ";
                  append_xid(s, static_cast<std::int32_t>(g.xa_format_id.value_or(0)), g.xa_gtrid, g.xa_bqual);
                });
              } else if (!(g.flags2 & mariadb_gtid_event::fl_standalone)) {
                began = true;
                add_text(statement_role::begin, ev.offset, "START TRANSACTION");
              }
              return {};
            },
            [&](const gtid_event& g) -> result<void> {
              if (dialect() != sql_dialect::mysql || !opt.mysql_gtids) return {};
              if (g.original_commit_timestamp) {
                add(statement_role::gtid, ev.offset, [&](std::string& s) {
                  fmt::format_to(std::back_inserter(s), "/*!80001 SET @@session.original_commit_timestamp={}*/",
                                 *g.original_commit_timestamp);
                });
              }
              if (g.original_server_version) {
                add(statement_role::gtid, ev.offset, [&](std::string& s) {
                  fmt::format_to(std::back_inserter(s), "/*!80014 SET @@session.original_server_version={}*/",
                                 *g.original_server_version);
                });
              }
              if (g.immediate_server_version) {
                add(statement_role::gtid, ev.offset, [&](std::string& s) {
                  fmt::format_to(std::back_inserter(s), "/*!80014 SET @@session.immediate_server_version={}*/",
                                 *g.immediate_server_version);
                });
              }
              add(statement_role::gtid, ev.offset, [&](std::string& s) {
                s += "SET @@SESSION.GTID_NEXT=";
                if (g.anonymous) s += "'ANONYMOUS'";
                else append_string_literal(s, tracker.gtid().text());
              });
              tx.statements.back().kind = sql_statement_kind::gtid_next;
              work.mysql_gtid_next = !g.anonymous;
              return {};
            },
            [&](const incident_event&) -> result<void> {
              return make_error(errc::unsupported, ev.offset, ev.header.type_code,
                                "INCIDENT: the source lost events here; what follows cannot be applied "
                                "consistently");
            },
            [&](const start_encryption_event&) -> result<void> {
              return make_error(errc::encrypted, ev.offset, ev.header.type_code,
                                "the rest of the binlog is encrypted and cannot be replayed");
            },
            [&](const auto&) -> result<void> { return {}; },
        },
        d);
  }

  static void append_xid(std::string& s, std::int32_t format_id, std::string_view gtrid, std::string_view bqual) {
    append_hex_literal(s, {reinterpret_cast<const std::uint8_t*>(gtrid.data()), gtrid.size()});
    s += ',';
    append_hex_literal(s, {reinterpret_cast<const std::uint8_t*>(bqual.data()), bqual.size()});
    fmt::format_to(std::back_inserter(s), ",{}", format_id);
  }

  result<void> render_user_var(std::string& s, const event_view& ev, const user_var_event& u) {
    s += "SET @";
    append_identifier(s, u.name);
    s += ":=";
    if (u.is_null) {
      s += "NULL";
      return {};
    }
    switch (u.value_type) {
      case 1: {  // REAL_RESULT: the shortest digits that read back as the same double
        if (u.value.size() < 8) break;
        double v;
        std::memcpy(&v, u.value.data(), 8);
        if (!std::isfinite(v)) {
          s += "NULL";
          note(ev.offset, "a user variable holds a non-finite double; it is set to NULL");
          return {};
        }
        auto text = fmt::format("{}", v);
        s += text;
        if (text.find_first_of("eE") == std::string::npos) s += "e0";  // a DOUBLE, not a DECIMAL
        return {};
      }
      case 2: {  // INT_RESULT
        if (u.value.size() < 8) break;
        const std::uint64_t v = detail::load_le(u.value.data(), 8);
        if (u.flags & 1) fmt::format_to(std::back_inserter(s), "{}", v);
        else fmt::format_to(std::back_inserter(s), "{}", static_cast<std::int64_t>(v));
        return {};
      }
      case 4: {  // DECIMAL_RESULT: | precision | scale | binary decimal |
        if (u.value.size() < 2) break;
        BK_TRY(auto dec, decode_decimal(u.value.subspan(2), u.value[0], u.value[1], ev.offset, ev.header.type_code));
        s.append(dec.view());
        return {};
      }
      case 0: {  // STRING_RESULT: hex with the variable's character set and collation
        auto info = collation_by_id(u.charset);
        if (info) {
          s += '_';
          s += info->charset;
          s += ' ';
        } else {
          note(ev.offset, fmt::format("user variable with unknown collation {}: set as a binary string", u.charset));
        }
        append_hex_literal(s, u.value);
        if (info && !info->collation.empty()) {
          s += " COLLATE ";
          append_identifier(s, info->collation);
        }
        return {};
      }
      default: break;
    }
    return make_error(errc::bad_body, ev.offset, ev.header.type_code, "user variable value is shorter than its type");
  }

  result<void> load_statement(const event_view& ev, const query_event& q) {
    auto it = load_blocks.find(q.file_id);
    if (it == load_blocks.end()) {
      return make_error(errc::bad_body, ev.offset, ev.header.type_code,
                        "EXECUTE_LOAD_QUERY without its BEGIN_LOAD_QUERY data");
    }
    if (q.fn_pos_start > q.fn_pos_end || q.fn_pos_end > q.query.size()) {
      return make_error(errc::bad_body, ev.offset, ev.header.type_code,
                        "EXECUTE_LOAD_QUERY file name positions lie outside the statement");
    }
    const auto index = static_cast<std::int32_t>(tx.load_data.size());
    std::string name = fmt::format("{}{}.dat", opt.load_prefix, ++load_counter);
    // | LOAD DATA | LOCAL INFILE 'name' [REPLACE] INTO | TABLE … |, as mysqlbinlog: the file
    // name and duplicate handling in the event replace what the source's text said.
    if (!is_printable_ascii(name) || name.find_first_of("\\'") != std::string::npos) {
      return make_error(errc::unsupported, ev.offset, ev.header.type_code,
                        "the LOAD DATA file name prefix must be printable ASCII without quotes or backslashes");
    }
    add(statement_role::body, ev.offset, [&](std::string& s) {
      s.append(q.query.substr(0, q.fn_pos_start));
      s += " LOCAL INFILE ";
      (void)append_plain_literal(s, name);
      if (q.dup_handling == 2) s += " REPLACE";
      else if (q.dup_handling == 1) s += " IGNORE";
      s += " INTO";
      s.append(q.query.substr(q.fn_pos_end));
    });
    tx.statements.back().load = index;
    tx.statements.back().kind = sql_statement_kind::load_data;
    tx.statements.back().expected_error = q.error_code;
    tx.statements.back().single = single_in_session(tx.text(tx.statements.back()));
    tx.load_data.push_back(std::move(it->second));
    tx.load_names.push_back(std::move(name));
    load_blocks.erase(it);
    ++body_count;
    return {};
  }
};

transaction_stream::transaction_stream(std::vector<binlog_input> inputs, sql_filter filter, render_options options)
    : impl_(std::make_unique<impl>(std::move(filter), std::move(options))), inputs_(std::move(inputs)) {
  impl_->inputs = &inputs_;
  for (const auto& in : inputs_) total_bytes_ += in.data.size();
}

transaction_stream::~transaction_stream() = default;
transaction_stream::transaction_stream(transaction_stream&& o) noexcept
    : on_format(std::move(o.on_format)),
      impl_(std::move(o.impl_)),
      inputs_(std::move(o.inputs_)),
      total_bytes_(o.total_bytes_),
      file_(o.file_),
      stopped_(o.stopped_) {
  if (impl_) impl_->inputs = &inputs_;
}
transaction_stream& transaction_stream::operator=(transaction_stream&& o) noexcept {
  on_format = std::move(o.on_format);
  impl_ = std::move(o.impl_);
  inputs_ = std::move(o.inputs_);
  total_bytes_ = o.total_bytes_;
  file_ = o.file_;
  stopped_ = o.stopped_;
  if (impl_) impl_->inputs = &inputs_;
  return *this;
}

void transaction_stream::resume_after(std::size_t file_index, std::uint64_t end) {
  impl_->resume = std::pair{file_index, end};
  // Earlier files hold nothing to apply: transactions never span binlog files.
  if (file_ < file_index && !impl_->reader) {
    file_ = file_index;
    impl_->file = file_index;
  }
}

void transaction_stream::reset_session() noexcept { impl_->session = session_state{}; }

void transaction_stream::recycle(rendered_transaction&& spent) noexcept {
  auto& spares = impl_->spares;
  if (spares.size() >= impl::max_spares || spent.sql.capacity() > impl::max_spare_bytes ||
      spent.statements.capacity() * sizeof(sql_statement) > impl::max_spare_bytes) {
    return;
  }
  try {
    spares.push_back(std::move(spent));
  } catch (...) {
    // no room for it: it is freed instead
  }
}

void transaction_stream::reset_gtid_session() noexcept {
  impl_->session.gtid_domain.reset();
  impl_->session.gtid_server.reset();
  impl_->session.mysql_gtid_next = false;
}

bool transaction_stream::resume_checked() const noexcept { return impl_->resume_hit; }

std::vector<stream_note> transaction_stream::take_notes() {
  std::vector<stream_note> out;
  out.swap(impl_->notes);
  return out;
}

std::uint64_t transaction_stream::position() const noexcept {
  return impl_->reader ? impl_->reader->position() : 0;
}

std::uint64_t transaction_stream::bytes_done() const noexcept {
  std::uint64_t done = 0;
  for (std::size_t i = 0; i < file_ && i < inputs_.size(); ++i) done += inputs_[i].data.size();
  return done + position();
}

// A mapped input that lost pages under us reads as zeros there: nothing read from it can
// be trusted from the first lost byte on (the current file and the one before, which a
// relay log's transaction may have started in).
result<void> transaction_stream::check_not_lost() const {
  for (std::size_t i = file_ > 0 ? file_ - 1 : 0; i <= file_ && i < inputs_.size(); ++i) {
    if (auto lost = bytes_lost_in(inputs_[i].data)) {
      return make_error(errc::io_error, *lost, -1, "the file shrank while it was read (truncated under us)");
    }
  }
  return {};
}

result<std::optional<rendered_transaction>> transaction_stream::next() {
  auto got = next_events();
  BK_TRY_VOID(check_not_lost());
  if (got && *got && !(*got)->more) {
    const rendered_transaction& tx = **got;
    delivered_ = delivered_mark{tx.file_index, tx.end, tx.gtid.text()};
  }
  return got;
}

result<std::optional<rendered_transaction>> transaction_stream::next_events() {
  auto& m = *impl_;
  using out_t = std::optional<rendered_transaction>;
  if (stopped_) return out_t{};
  m.commit_hook = &on_commit_rows;
  if (m.payload) {
    // A payload handed out in pieces: go on with its inner events.
    BK_TRY(auto piece, render_payload(true));
    if (piece) return out_t{std::move(*piece)};
  }
  for (;;) {
    if (!m.reader) {
      if (file_ >= inputs_.size()) {
        if (m.in_tx) {
          m.note(m.tx_first_offset, fmt::format("the input ends inside a transaction that starts at {}: it is not applied",
                                                m.tx_first_offset));
          m.notes.back().warning = true;  // a cut at an event boundary looks the same
          m.discard_tx();
        }
        return out_t{};
      }
      m.file = file_;
      m.reader.emplace(inputs_[file_].data);
      m.seen_format = false;
      m.file_in_use = false;
      m.format_raw = {};
    }
    auto n = m.reader->next();
    if (!n) {
      // The last file, flagged in use, ending inside an event is an unfinished write (a
      // server that crashed or still writes), not damage: what is complete before it is
      // all there is, and the user is told what was left out. Any other file cut inside
      // an event was cut short after it was closed: damage.
      if (n.error().code == errc::truncated && file_ + 1 == inputs_.size()) {
        if (!m.file_in_use) {
          return make_error(errc::truncated, n.error().offset, n.error().event_type,
                            "the event runs past the end of the file, which is not flagged in use: a closed binlog "
                            "cut short, or a damaged event length (damage, not an unfinished write)");
        }
        const auto size = inputs_[file_].data.size();
        std::string left = fmt::format("the last {} bytes (from offset {})", size - n.error().offset, n.error().offset);
        if (m.in_tx) left += fmt::format(", and the transaction that starts at {}", m.tx_first_offset);
        m.note(n.error().offset, fmt::format("the file is flagged in use and ends inside the event at {} "
                                             "(an unfinished write, or a server that crashed): {} are not applied",
                                             n.error().offset, left));
        m.notes.back().warning = true;
        if (m.in_tx) m.discard_tx();
        m.reader.reset();
        file_ = inputs_.size();
        return out_t{};
      }
      return unexpected<error>(n.error());
    }
    if (!n->has_value()) {
      // --start-position applies to the first file: one past its end names no event of it
      // (a mistyped number), and every transaction of the file would be skipped.
      if (file_ == 0 && m.filter.start_position > inputs_[0].data.size()) {
        return make_error(errc::bad_value, inputs_[0].data.size(), -1,
                          "the start position lies past the end of the first file: no event of it starts there");
      }
      m.reader.reset();
      ++file_;
      continue;
    }
    const event_view& ev = **n;
    const auto t = ev.type();
    const bool last_file = file_ + 1 == inputs_.size();
    const bool meta = t == event_type::format_description || t == event_type::start_v3 ||
                      t == event_type::rotate || t == event_type::stop;
    // Stop points: the transaction they fall in is not applied.
    const bool past_position = last_file && m.filter.stop_position && ev.offset >= *m.filter.stop_position;
    const bool past_time = !meta && m.filter.stop_datetime &&
                           static_cast<std::int64_t>(ev.header.timestamp) >= *m.filter.stop_datetime;
    if (past_position || past_time) {
      if (m.in_tx && (!m.skip || m.why == impl::skip_reason::doomed)) {
        m.note(ev.offset, fmt::format("{} falls inside the transaction that starts at {}: it is not applied",
                                      past_position ? fmt::format("--stop-position {}", *m.filter.stop_position)
                                                    : std::string("--stop-datetime"),
                                      m.tx_first_offset));
      }
      if (m.in_tx) m.discard_tx();
      stopped_ = true;
      return out_t{};
    }
    auto decoded = decode(ev);
    if (!decoded) return unexpected<error>(decoded.error());
    if (t == event_type::format_description || t == event_type::start_v3) {
      m.format_raw = ev.raw;
      m.file_checksums = ev.format->has_checksums();
      m.source_flavor = ev.format->flavor();
      m.source_version = ev.format->version();
      if (!m.seen_format) {
        m.seen_format = true;
        m.file_in_use = (ev.header.flags & flag_binlog_in_use) != 0;
        if (on_format) BK_TRY_VOID(on_format(file_, ev.header.server_id, ev.format->flavor()));
      }
      continue;
    }
    auto step = m.tracker.feed(ev, *decoded);
    if (step.violation) return unexpected<error>(*step.violation);
    if (step.extends) continue;  // MySQL 5.0: the XID of an autocommit statement already applied
    if (step.begins) {
      if (m.in_tx) m.discard_tx();
      m.begin_tx(ev);
      m.check_gtid_filter();
    }
    if (!m.in_tx) continue;  // events outside transactions (checkpoints, GTID lists, …)
    if (!m.skip) {
      if (const auto* tp = std::get_if<transaction_payload_event>(&*decoded)) {
        BK_TRY(auto inner, payload_reader::open(ev, *tp));
        m.payload.emplace(std::move(inner));
        m.payload_ev = ev;
        m.payload_completes = step.completes;
        if (!m.payload_completes || m.opt.stream_threshold == 0) {
          BK_TRY_VOID(render_payload(false));
        } else {
          // Rendered in pieces when large: every inner event is checked first, so that
          // none is handed out before a damaged one.
          for (;;) {
            BK_TRY(auto ie, m.payload->next());
            if (!ie) break;
            BK_TRY_VOID(decode(*ie));
          }
          m.payload->rewind();
          BK_TRY(auto piece, render_payload(true));
          if (piece) return out_t{std::move(*piece)};
          continue;
        }
      } else {
        BK_TRY_VOID(m.render(ev, *decoded, false));
      }
      if (!step.completes) {
        if (auto piece = m.piece_if_large(false, on_read_ahead)) return out_t{std::move(*piece)};
      }
    }
    if (step.completes) {
      if (m.skip && m.why == impl::skip_reason::doomed) {
        // Reading ahead said it would not complete: the two walks disagree.
        return make_error(errc::unsupported, ev.offset, ev.header.type_code,
                          "internal error: a large transaction read ahead as incomplete completed here");
      }
      auto done = m.finish_tx(ev);
      if (done) return out_t{std::move(*done)};
    }
  }
}

// Renders the open payload's inner events; with `pieces`, stops at the first piece to hand
// out (the payload stays open and next() comes back to it), and finishes the transaction
// when the payload completes it.
result<std::optional<rendered_transaction>> transaction_stream::render_payload(bool pieces) {
  auto& m = *impl_;
  using out_t = std::optional<rendered_transaction>;
  for (;;) {
    BK_TRY(auto ie, m.payload->next());
    if (!ie) break;
    BK_TRY(auto id, decode(*ie));
    BK_TRY_VOID(m.render(*ie, id, true));
    if (pieces) {
      if (auto piece = m.piece_if_large(true, on_read_ahead)) return out_t{std::move(*piece)};
    }
  }
  m.payload.reset();
  if (pieces && m.payload_completes) {
    auto done = m.finish_tx(m.payload_ev);
    if (done) return out_t{std::move(*done)};
  }
  return out_t{};
}

// ---- text output --------------------------------------------------------------------

result<void> write_sql_text(std::FILE* out, transaction_stream& stream, const sql_text_options& options,
                            const std::function<void(const stream_note&)>& note) {
  std::string buf;
  std::string delim = "/*!*/;";
  auto flush = [&] {
    std::fwrite(buf.data(), 1, buf.size(), out);
    buf.clear();
  };
  buf +=
      "/*!40019 SET @@session.max_delayed_threads=0*/;\n"
      "/*!50003 SET @OLD_COMPLETION_TYPE=@@COMPLETION_TYPE,COMPLETION_TYPE=0*/;\n"
      "/*!50530 SET @@SESSION.PSEUDO_SLAVE_MODE=1*/;\n"
      "DELIMITER /*!*/;\n";
  bool gtid_next = false;
  result<void> status;
  auto report = [&] {
    for (auto& n : stream.take_notes()) {
      if (note) note(n);
    }
  };
  for (;;) {
    auto next = stream.next();
    report();
    if (!next) {
      status = unexpected<error>(next.error());
      break;
    }
    if (!*next) break;
    const rendered_transaction& tx = **next;
    if (options.position_comments && tx.piece == 0) {
      fmt::format_to(std::back_inserter(buf), "# at {}\n", tx.start);
      auto g = tx.gtid.text();
      if (!g.empty()) fmt::format_to(std::back_inserter(buf), "# GTID {}\n", g);
    }
    for (const auto& s : tx.statements) {
      auto text = tx.text(s);
      if (text.find(delim) != std::string_view::npos ||
          (delim != "/*!*/;" && text.find("/*!*/;") == std::string_view::npos)) {
        // A statement may not contain the delimiter: pick one it does not contain.
        std::string d = "/*!*/;";
        for (int i = 1; text.find(d) != std::string_view::npos; ++i) d = fmt::format("/*!*//*{}*/;", i);
        if (d != delim) {
          fmt::format_to(std::back_inserter(buf), "DELIMITER {}\n", d);
          delim = d;
        }
      }
      if (s.load >= 0) {
        const auto& name = tx.load_names[static_cast<std::size_t>(s.load)];
        const auto& data = tx.load_data[static_cast<std::size_t>(s.load)];
        std::FILE* f = std::fopen(name.c_str(), "wbx");
        if (f == nullptr) {
          flush();
          return make_error(errc::io_error, s.offset, static_cast<int>(event_type::execute_load_query),
                            "cannot create the LOAD DATA file (it must not exist yet)");
        }
        bool ok = std::fwrite(data.data(), 1, data.size(), f) == data.size();
        ok = std::fclose(f) == 0 && ok;
        if (!ok) {
          flush();
          return make_error(errc::io_error, s.offset, static_cast<int>(event_type::execute_load_query),
                            "cannot write the LOAD DATA file");
        }
      }
      buf.append(text);
      // A line comment at the end of the statement would swallow the delimiter.
      if (text.find("--") != std::string_view::npos || text.find('#') != std::string_view::npos ||
          (!text.empty() && text.back() == '\n')) {
        if (text.empty() || text.back() != '\n') buf += '\n';
      }
      buf += delim;
      buf += '\n';
      if (text.starts_with("SET @@SESSION.GTID_NEXT=")) gtid_next = true;
    }
    if (buf.size() > (1u << 16)) flush();
  }
  buf += "DELIMITER ;\n# End of log file\nROLLBACK /* added by binlogkit */;\n";
  if (gtid_next) buf += "SET @@SESSION.GTID_NEXT= 'AUTOMATIC';\n";
  buf +=
      "/*!50003 SET COMPLETION_TYPE=@OLD_COMPLETION_TYPE*/;\n"
      "/*!50530 SET @@SESSION.PSEUDO_SLAVE_MODE=0*/;\n";
  flush();
  return status;
}

}  // namespace binlogkit
