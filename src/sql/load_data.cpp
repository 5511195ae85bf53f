#include "load_data.hpp"

#include <fmt/format.h>

#include <string>
#include <utility>

#include "binlogkit/core/event_type.hpp"
#include "binlogkit/core/sql_quote.hpp"

namespace binlogkit::detail {

result<void> load_data::block(const event_view& ev, const file_block_event& f) {
  const auto t = ev.type();
  if (t == event_type::begin_load_query) {
    auto& blk = blocks_[f.file_id];
    blk.assign(f.block.begin(), f.block.end());
  } else if (t == event_type::append_block) {
    auto it = blocks_.find(f.file_id);
    if (it == blocks_.end()) {
      return make_error(errc::unsupported, ev.offset, ev.header.type_code,
                        "APPEND_BLOCK for a file without BEGIN_LOAD_QUERY (pre-5.0 LOAD DATA)");
    }
    it->second.insert(it->second.end(), f.block.begin(), f.block.end());
  } else if (t == event_type::delete_file) {
    blocks_.erase(f.file_id);
  } else {
    return make_error(errc::unsupported, ev.offset, ev.header.type_code,
                      "EXEC_LOAD (MySQL 4.x/5.0 LOAD DATA) cannot be replayed");
  }
  return {};
}

result<void> load_data::statement(const event_view& ev, const query_event& q) {
  auto it = blocks_.find(q.file_id);
  if (it == blocks_.end()) {
    return make_error(errc::bad_body, ev.offset, ev.header.type_code,
                      "EXECUTE_LOAD_QUERY without its BEGIN_LOAD_QUERY data");
  }
  if (q.fn_pos_start > q.fn_pos_end || q.fn_pos_end > q.query.size()) {
    return make_error(errc::bad_body, ev.offset, ev.header.type_code,
                      "EXECUTE_LOAD_QUERY file name positions lie outside the statement");
  }
  auto& tx = ctx_.out.tx;
  const auto index = static_cast<std::int32_t>(tx.load_data.size());
  std::string name = fmt::format("{}{}.dat", ctx_.opt.load_prefix, ++count_);
  // | LOAD DATA | LOCAL INFILE 'name' [REPLACE] INTO | TABLE … |, as mysqlbinlog: the file
  // name and duplicate handling in the event replace what the source's text said.
  if (!is_printable_ascii(name) || name.find_first_of("\\'") != std::string::npos) {
    return make_error(errc::unsupported, ev.offset, ev.header.type_code,
                      "the LOAD DATA file name prefix must be printable ASCII without quotes or backslashes");
  }
  auto& st = ctx_.out.add(statement_role::body, ev.offset, [&](std::string& s) {
    s.append(q.query.substr(0, q.fn_pos_start));
    s += " LOCAL INFILE ";
    (void)append_plain_literal(s, name);
    if (q.dup_handling == 2) s += " REPLACE";
    else if (q.dup_handling == 1) s += " IGNORE";
    s += " INTO";
    s.append(q.query.substr(q.fn_pos_end));
  });
  st.load = index;
  st.kind = sql_statement_kind::load_data;
  st.expected_error = q.error_code;
  st.single = session_.single_in_session(tx.text(st));
  tx.load_data.push_back(std::move(it->second));
  tx.load_names.push_back(std::move(name));
  blocks_.erase(it);
  ++ctx_.out.body_count;
  return {};
}

}  // namespace binlogkit::detail
