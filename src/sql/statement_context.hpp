// INTVAR, RAND and USER_VAR events: the SET statements a statement depends on
// (LAST_INSERT_ID / INSERT_ID, the RAND seeds, user variables). They come before the
// QUERY event they belong to and are held here until it: flush() writes them after that
// statement's session state (a user variable's name may need the utf8mb4 client
// character set first), drop() forgets them with a statement the filters leave out.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "binlogkit/events/events.hpp"
#include "binlogkit/core/result.hpp"
#include "render_context.hpp"
#include "session_diff.hpp"

namespace binlogkit::detail {

class statement_context {
 public:
  statement_context(render_context& ctx, session_diff& session) : ctx_(ctx), session_(session) {}

  void intvar(std::uint64_t offset, const intvar_event& i);
  void rand(std::uint64_t offset, const rand_event& r);
  // Errors: a value shorter than its type, a DECIMAL that does not decode.
  [[nodiscard]] result<void> user_var(const event_view& ev, const user_var_event& u);

  void flush();
  void drop() noexcept {
    sql_.clear();
    ends_.clear();
  }
  [[nodiscard]] std::size_t held_bytes() const noexcept { return sql_.size(); }

 private:
  template <class F>
  void hold(std::uint64_t offset, F&& build, std::string_view name = {}) {
    build(sql_);
    ends_.push_back({sql_.size(), offset, std::string(name)});
  }

  render_context& ctx_;
  session_diff& session_;
  std::string sql_;  // the statements, back to back
  struct statement_end {
    std::size_t end = 0;  // in sql_
    std::uint64_t offset = 0;
    std::string name;  // a name of the binlog in it (a user variable's)
  };
  std::vector<statement_end> ends_;
};

// SET @name:=value for a USER_VAR event: REAL as the shortest digits that read back as
// the same double (NULL, with a note, when not finite), INT signed or unsigned, DECIMAL
// as its digits, STRING as hex with its character set and collation.
[[nodiscard]] result<void> append_user_var(std::string& s, const event_view& ev, const user_var_event& u,
                                           render_context& ctx);

}  // namespace binlogkit::detail
