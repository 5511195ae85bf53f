// write_sql_text: a transaction_stream as a script for the mariadb / mysql client.
#include <fmt/format.h>

#include <cstdio>
#include <iterator>
#include <string>

#include "binlogkit/core/event_type.hpp"
#include "binlogkit/sql/sql.hpp"

namespace binlogkit {

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
