#include "statement_context.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <iterator>

#include "binlogkit/core/bytes.hpp"
#include "binlogkit/rows/decimal.hpp"
#include "binlogkit/core/sql_quote.hpp"

namespace binlogkit::detail {

void statement_context::intvar(std::uint64_t offset, const intvar_event& i) {
  hold(offset, [&](std::string& s) {
    fmt::format_to(std::back_inserter(s), "SET {}={}", i.kind == 1 ? "LAST_INSERT_ID" : "INSERT_ID", i.value);
  });
}

void statement_context::rand(std::uint64_t offset, const rand_event& r) {
  hold(offset, [&](std::string& s) {
    fmt::format_to(std::back_inserter(s), "SET @@RAND_SEED1={}, @@RAND_SEED2={}", r.seed1, r.seed2);
  });
}

result<void> statement_context::user_var(const event_view& ev, const user_var_event& u) {
  std::string s;
  BK_TRY_VOID(append_user_var(s, ev, u, ctx_));
  hold(ev.offset, [&](std::string& out) { out += s; }, u.name);
  return {};
}

void statement_context::flush() {
  std::size_t prev = 0;
  for (const auto& c : ends_) {
    session_.client_charset_for(c.offset, c.name);
    ctx_.out.add_text(statement_role::body, c.offset, std::string_view(sql_).substr(prev, c.end - prev));
    prev = c.end;
  }
  drop();
}

result<void> append_user_var(std::string& s, const event_view& ev, const user_var_event& u, render_context& ctx) {
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
        ctx.note(ev.offset, "a user variable holds a non-finite double; it is set to NULL");
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
        ctx.note(ev.offset, fmt::format("user variable with unknown collation {}: set as a binary string", u.charset));
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

}  // namespace binlogkit::detail
