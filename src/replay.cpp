#include "binlogkit/replay.hpp"

#include <mysql.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "binlogkit/inputs.hpp"
#include "binlogkit/source.hpp"

namespace binlogkit {

namespace {

using clock_type = std::chrono::steady_clock;

// Client errors that mean the connection is gone (CR_SERVER_GONE_ERROR, CR_SERVER_LOST,
// CR_CONN_HOST_ERROR, CR_CONNECTION_ERROR).
bool connection_lost(unsigned e) { return e == 2006 || e == 2013 || e == 2003 || e == 2002; }

std::string basename_of(const std::string& path) {
  return std::filesystem::path(path).filename().string();
}

// A statement for a one-line message: control bytes shown as \xNN, long ones cut.
std::string shorten(std::string_view s, std::size_t max = 300) {
  std::string out;
  for (std::size_t i = 0; i < s.size() && out.size() < max; ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) {
      if (c == '\n') out += "\\n";
      else fmt::format_to(std::back_inserter(out), "\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  if (out.size() >= max) out += fmt::format("… ({} bytes)", s.size());
  return out;
}

// FNV-1a, for lock names longer than MySQL's 64-character limit.
std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ull;
  }
  return h;
}

// Data of the current transaction's LOAD DATA statements, served to the client library
// when the server asks for the file a statement names (and nothing else).
struct infile_source {
  const rendered_transaction* tx = nullptr;
};
struct infile_reader {
  const std::vector<std::uint8_t>* data = nullptr;
  std::size_t pos = 0;
  std::string error;
};

int infile_init(void** ptr, const char* filename, void* userdata) {
  auto* src = static_cast<infile_source*>(userdata);
  auto* r = new infile_reader;
  *ptr = r;
  if (src->tx != nullptr) {
    for (std::size_t i = 0; i < src->tx->load_names.size(); ++i) {
      if (src->tx->load_names[i] == filename) {
        r->data = &src->tx->load_data[i];
        return 0;
      }
    }
  }
  r->error = fmt::format("binlogkit serves only the current transaction's LOAD DATA data, not '{}'", filename);
  return 1;
}
int infile_read(void* ptr, char* buf, unsigned int len) {
  auto* r = static_cast<infile_reader*>(ptr);
  if (r->data == nullptr) return -1;
  std::size_t n = std::min<std::size_t>(len, r->data->size() - r->pos);
  std::memcpy(buf, r->data->data() + r->pos, n);
  r->pos += n;
  return static_cast<int>(n);
}
void infile_end(void* ptr) { delete static_cast<infile_reader*>(ptr); }
int infile_error(void* ptr, char* msg, unsigned int len) {
  auto* r = static_cast<infile_reader*>(ptr);
  std::string e = r != nullptr && !r->error.empty() ? r->error : std::string("LOAD DATA data unavailable");
  std::snprintf(msg, len, "%s", e.c_str());
  return 2000;  // CR_UNKNOWN_ERROR
}

class session {
 public:
  session() = default;
  session(const session&) = delete;
  session& operator=(const session&) = delete;
  ~session() {
    if (m_ != nullptr) mysql_close(m_);
  }

  // Empty on success, else the message.
  std::string connect(const connection_options& c, infile_source* infile) {
    m_ = mysql_init(nullptr);
    if (m_ == nullptr) return "mysql_init failed (out of memory)";
    if (!c.no_defaults) {
      if (!c.defaults_file.empty()) mysql_options(m_, MYSQL_READ_DEFAULT_FILE, c.defaults_file.c_str());
      mysql_options(m_, MYSQL_READ_DEFAULT_GROUP, "client");
    }
    unsigned timeout = c.connect_timeout;
    mysql_options(m_, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
    unsigned int local_infile = 1;
    mysql_options(m_, MYSQL_OPT_LOCAL_INFILE, &local_infile);
    mysql_options(m_, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    std::string mode = c.ssl_mode;
    std::transform(mode.begin(), mode.end(), mode.begin(), [](unsigned char ch) { return std::toupper(ch); });
    if (mode != "DISABLED") {
      if (!c.ssl_ca.empty()) mysql_options(m_, MYSQL_OPT_SSL_CA, c.ssl_ca.c_str());
      if (!c.ssl_cert.empty()) mysql_options(m_, MYSQL_OPT_SSL_CERT, c.ssl_cert.c_str());
      if (!c.ssl_key.empty()) mysql_options(m_, MYSQL_OPT_SSL_KEY, c.ssl_key.c_str());
      my_bool yes = 1, no = 0;
      if (mode == "REQUIRED" || mode == "VERIFY_CA" || mode == "VERIFY_IDENTITY") {
        mysql_options(m_, MYSQL_OPT_SSL_ENFORCE, &yes);
        mysql_options(m_, MYSQL_OPT_SSL_VERIFY_SERVER_CERT,
                      mode == "REQUIRED" ? &no : &yes);
      }
    }
    const char* password = nullptr;
    if (c.password) password = c.password->c_str();
    else if (const char* env = std::getenv("MYSQL_PWD")) password = env;
    const unsigned long flags = CLIENT_MULTI_STATEMENTS | CLIENT_MULTI_RESULTS | CLIENT_LOCAL_FILES;
    if (mysql_real_connect(m_, c.host.empty() ? nullptr : c.host.c_str(), c.user.empty() ? nullptr : c.user.c_str(),
                           password, nullptr, c.port, c.socket.empty() ? nullptr : c.socket.c_str(),
                           flags) == nullptr) {
      return fmt::format("cannot connect: {} ({})", mysql_error(m_), mysql_errno(m_));
    }
    mysql_set_local_infile_handler(m_, infile_init, infile_read, infile_end, infile_error, infile);
    return {};
  }

  struct outcome {
    std::size_t done = 0;      // statements that succeeded before the failing one
    unsigned err = 0;          // 0: all succeeded
    std::string message;
  };

  // Sends statements [first, last) of `texts` as one packet and reads every result.
  outcome run(const std::string& packet, std::size_t count) {
    outcome o;
    if (mysql_real_query(m_, packet.data(), static_cast<unsigned long>(packet.size())) != 0) {
      o.err = mysql_errno(m_);
      o.message = mysql_error(m_);
      return o;
    }
    for (;;) {
      if (mysql_field_count(m_) > 0) {
        MYSQL_RES* r = mysql_store_result(m_);
        if (r != nullptr) mysql_free_result(r);
      }
      ++o.done;
      int status = mysql_next_result(m_);
      if (status == -1) break;
      if (status > 0) {
        o.err = mysql_errno(m_);
        o.message = mysql_error(m_);
        break;
      }
    }
    (void)count;
    return o;
  }

  // One statement returning one row: its columns as text (NULL: nullopt), or an error.
  struct row_result {
    bool ok = false;
    bool found = false;
    std::vector<std::optional<std::string>> cols;
    unsigned err = 0;
    std::string message;
  };
  row_result query_row(const std::string& sql) {
    row_result out;
    if (mysql_real_query(m_, sql.data(), static_cast<unsigned long>(sql.size())) != 0) {
      out.err = mysql_errno(m_);
      out.message = mysql_error(m_);
      return out;
    }
    MYSQL_RES* r = mysql_store_result(m_);
    out.ok = true;
    if (r != nullptr) {
      MYSQL_ROW row = mysql_fetch_row(r);
      unsigned long* lengths = mysql_fetch_lengths(r);
      if (row != nullptr) {
        out.found = true;
        for (unsigned i = 0; i < mysql_num_fields(r); ++i) {
          if (row[i] == nullptr) out.cols.emplace_back(std::nullopt);
          else out.cols.emplace_back(std::string(row[i], lengths[i]));
        }
      }
      mysql_free_result(r);
    }
    while (mysql_next_result(m_) == 0) {
      MYSQL_RES* extra = mysql_store_result(m_);
      if (extra != nullptr) mysql_free_result(extra);
    }
    return out;
  }

  std::string server_version() const { return mysql_get_server_info(m_); }

 private:
  MYSQL* m_ = nullptr;
};

constexpr std::string_view create_schema = "CREATE DATABASE IF NOT EXISTS `binlogkit`";
constexpr std::string_view create_table =
    "CREATE TABLE IF NOT EXISTS `binlogkit`.`replay_progress` ("
    "`replay_id` VARCHAR(64) NOT NULL PRIMARY KEY, "
    "`file` VARCHAR(512) NOT NULL, "
    "`end_pos` BIGINT UNSIGNED NOT NULL, "
    "`gtid` VARCHAR(128) NOT NULL DEFAULT '', "
    "`transactions` BIGINT UNSIGNED NOT NULL DEFAULT 0, "
    "`updated_at` TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

}  // namespace

std::string default_replay_id(const std::string& first_file) {
  std::string name = basename_of(first_file);
  auto dot = name.find_last_of('.');
  if (dot != std::string::npos && dot + 1 < name.size() &&
      std::all_of(name.begin() + static_cast<std::ptrdiff_t>(dot) + 1, name.end(),
                  [](char c) { return c >= '0' && c <= '9'; })) {
    name.resize(dot);
  }
  if (name.empty()) name = "replay";
  if (name.size() > 64) name.resize(64);
  return name;
}

std::string progress_line(const replay_progress& p) {
  const double rate = p.elapsed_s > 0 ? static_cast<double>(p.transactions_run) / p.elapsed_s : 0;
  std::string eta = "-";
  if (p.bytes_done > 0 && p.elapsed_s > 1 && p.bytes_total > p.bytes_done) {
    const double left = p.elapsed_s * static_cast<double>(p.bytes_total - p.bytes_done) / static_cast<double>(p.bytes_done);
    const auto s = static_cast<long long>(left);
    eta = s >= 3600 ? fmt::format("{}:{:02d}:{:02d}", s / 3600, (s / 60) % 60, s % 60)
                    : fmt::format("{}:{:02d}", s / 60, s % 60);
  } else if (p.finished || p.bytes_total == p.bytes_done) {
    eta = "0:00";
  }
  return fmt::format("tx {} ({:.0f}/s)  {:.1f}/{:.1f} MiB  {}:{}  ETA {}", p.transactions, rate,
                     static_cast<double>(p.bytes_done) / 1048576.0, static_cast<double>(p.bytes_total) / 1048576.0,
                     p.file.empty() ? "-" : p.file, p.position, eta);
}

std::string progress_json(const replay_progress& p) {
  nlohmann::ordered_json j;
  j["transactions"] = p.transactions;
  j["transactions_run"] = p.transactions_run;
  j["tx_per_s"] = p.elapsed_s > 0 ? static_cast<double>(p.transactions_run) / p.elapsed_s : 0.0;
  j["bytes_done"] = p.bytes_done;
  j["bytes_total"] = p.bytes_total;
  j["file"] = p.file;
  j["position"] = p.position;
  j["gtid"] = p.gtid;
  j["elapsed_s"] = p.elapsed_s;
  if (p.elapsed_s > 1 && p.bytes_done > 0 && p.bytes_total >= p.bytes_done) {
    j["eta_s"] = p.elapsed_s * static_cast<double>(p.bytes_total - p.bytes_done) / static_cast<double>(p.bytes_done);
  }
  j["finished"] = p.finished;
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string replay_failure::text() const {
  std::string s = fmt::format("replay stopped: {}", message);
  if (!file.empty() || position) {
    fmt::format_to(std::back_inserter(s), "\n  at:        {}{}", file, position ? fmt::format(":{}", *position) : "");
    if (!gtid.empty()) fmt::format_to(std::back_inserter(s), " (GTID {})", gtid);
  }
  if (!statement.empty()) fmt::format_to(std::back_inserter(s), "\n  statement: {}", statement);
  if (server_errno != 0) fmt::format_to(std::back_inserter(s), "\n  server:    error {}: {}", server_errno, server_error);
  return s;
}

replay_result replay(const std::vector<std::string>& files_in, const replay_options& options) {
  replay_result res;
  const auto t0 = clock_type::now();
  auto fail = [&](std::string message) -> replay_result& {
    replay_failure f;
    f.message = std::move(message);
    res.failure = std::move(f);
    return res;
  };
  auto note = [&](const std::string& text) {
    if (options.on_note) options.on_note(text);
  };

  // -- inputs -------------------------------------------------------------------------
  auto files = expand_inputs(files_in);
  if (!files) return fail(fmt::format("{}", files.error().detail));
  if (files->empty()) return fail("no binlog files given");
  std::vector<source> sources;
  std::vector<binlog_input> inputs;
  for (const auto& f : *files) {
    auto src = source::open(f);
    if (!src) {
      int e = source::last_errno();
      return fail(fmt::format("{}: {}{}", f, src.error().detail, e != 0 ? std::string(": ") + std::strerror(e) : ""));
    }
    src->advise_sequential();
    sources.push_back(std::move(*src));
  }
  for (const auto& s : sources) inputs.push_back({s.name(), s.data()});

  const std::string id = options.replay_id.empty() ? default_replay_id(files->front()) : options.replay_id;
  if (id.size() > 64) return fail("--replay-id is longer than 64 characters");

  // -- connection ---------------------------------------------------------------------
  infile_source infile;
  session db;
  if (auto err = db.connect(options.connection, &infile); !err.empty()) return fail(err);
  const std::string version = db.server_version();
  const bool target_mariadb = version.find("MariaDB") != std::string::npos;

  auto server_fail = [&](std::string what, unsigned e, std::string msg) -> replay_result& {
    replay_failure f;
    f.message = std::move(what);
    f.server_errno = e;
    f.server_error = std::move(msg);
    res.failure = std::move(f);
    return res;
  };

  auto info = db.query_row("SELECT @@server_id, @@max_allowed_packet, @@log_bin");
  if (!info.ok || info.cols.size() < 3) return server_fail("cannot read the target's settings", info.err, info.message);
  const std::uint64_t target_server_id = std::strtoull(info.cols[0].value_or("0").c_str(), nullptr, 10);
  const std::uint64_t max_packet = std::strtoull(info.cols[1].value_or("4194304").c_str(), nullptr, 10);
  const bool target_log_bin = info.cols[2].value_or("0") == "1";
  std::string target_uuid;
  if (!target_mariadb) {
    auto u = db.query_row("SELECT @@server_uuid");
    if (u.ok && !u.cols.empty() && u.cols[0]) target_uuid = *u.cols[0];
  }

  // One replay per id at a time: the lock lives as long as this session.
  std::string lock_name = "binlogkit.replay." + id;
  if (lock_name.size() > 64) lock_name = fmt::format("binlogkit.replay.{:016x}", fnv1a(id));
  {
    auto l = db.query_row("SELECT GET_LOCK(" + string_literal(lock_name) + ", 0), IS_USED_LOCK(" +
                          string_literal(lock_name) + ")");
    if (!l.ok) return server_fail("GET_LOCK failed", l.err, l.message);
    if (l.cols.empty() || l.cols[0].value_or("0") != "1") {
      return fail(fmt::format("another replay with id '{}' is running (lock '{}' is held by connection {})", id,
                              lock_name, l.cols.size() > 1 ? l.cols[1].value_or("?") : "?"));
    }
  }

  // -- progress table -----------------------------------------------------------------
  {
    auto t = db.query_row(
        "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA='binlogkit' AND "
        "TABLE_NAME='replay_progress'");
    if (!t.ok) return server_fail("cannot look for the progress table", t.err, t.message);
    if (t.cols.empty() || t.cols[0].value_or("0") == "0") {
      for (auto sql : {create_schema, create_table}) {
        auto o = db.run(std::string(sql), 1);
        if (o.err != 0) return server_fail("cannot create binlogkit.replay_progress", o.err, o.message);
      }
    }
  }
  std::uint64_t transactions = 0;
  std::optional<std::pair<std::string, std::uint64_t>> resume_point;
  {
    auto r = db.query_row("SELECT `file`, `end_pos`, `gtid`, `transactions` FROM `binlogkit`.`replay_progress` "
                          "WHERE `replay_id`=" + string_literal(id));
    if (!r.ok) return server_fail("cannot read binlogkit.replay_progress", r.err, r.message);
    if (r.found) {
      if (!options.resume) {
        return fail(fmt::format(
            "replay id '{}' has recorded progress ({}:{}, {} transactions, GTID {}): continue it with --resume, "
            "or choose another --replay-id",
            id, r.cols[0].value_or(""), r.cols[1].value_or(""), r.cols[3].value_or(""), r.cols[2].value_or("")));
      }
      resume_point = std::pair{r.cols[0].value_or(""), std::strtoull(r.cols[1].value_or("0").c_str(), nullptr, 10)};
      transactions = std::strtoull(r.cols[3].value_or("0").c_str(), nullptr, 10);
      res.progress.file = resume_point->first;
      res.progress.position = resume_point->second;
      res.progress.gtid = r.cols[2].value_or("");
    } else if (options.resume) {
      note(fmt::format("replay id '{}' has no recorded progress: starting at the beginning", id));
    }
  }

  // -- session ------------------------------------------------------------------------
  {
    std::string setup = "SET @@session.pseudo_slave_mode=1\n;\nSET @@session.completion_type=0";
    std::size_t n = 2;
    if (options.disable_log_bin) {
      setup += "\n;\nSET @@session.sql_log_bin=0";
      ++n;
    }
    auto o = db.run(setup, n);
    if (o.err != 0) return server_fail("cannot prepare the session", o.err, o.message);
  }

  render_options ro;
  ro.dialect = target_mariadb ? sql_dialect::mariadb : sql_dialect::mysql;
  ro.mysql_gtids = options.mysql_gtids;
  ro.mariadb_gtids = options.mariadb_gtids;
  ro.for_client = false;
  // Leave room for the packet header and the statements around a BINLOG statement.
  const std::size_t packet_room = max_packet > 65536 ? static_cast<std::size_t>(max_packet) - 16384 : 48 * 1024;
  ro.max_binlog_statement = packet_room;
  ro.max_binlog_batch = std::min<std::size_t>(8u << 20, packet_room / 2);
  std::vector<binlog_input> stream_inputs = inputs;
  transaction_stream stream(std::move(stream_inputs), options.filter, ro);

  std::string same_server;
  stream.on_format = [&](std::size_t index, std::uint32_t server_id, flavor) -> result<void> {
    if (!options.force_same_server && server_id == target_server_id) {
      same_server = fmt::format(
          "{} was written by server_id {}, the target's own server_id: replaying a server's binlog into itself "
          "applies everything twice (--force-same-server to do it anyway)",
          inputs[index].name, server_id);
      return make_error(errc::unsupported, 0, static_cast<int>(event_type::format_description), "same server");
    }
    return {};
  };
  if (resume_point) {
    std::optional<std::size_t> index;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      if (basename_of(inputs[i].name) == resume_point->first) index = i;
    }
    if (!index) {
      return fail(fmt::format("--resume: the recorded file {} is not among the files given", resume_point->first));
    }
    stream.resume_after(*index, resume_point->second);
  }

  // -- applying -----------------------------------------------------------------------
  const std::string id_literal = string_literal(id);
  auto progress_statement = [&](const rendered_transaction& tx, std::uint64_t count) {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
    std::string s =
        "INSERT INTO `binlogkit`.`replay_progress` (`replay_id`, `file`, `end_pos`, `gtid`, `transactions`, "
        "`updated_at`) VALUES (";
    s += id_literal;
    s += ", ";
    append_string_literal(s, basename_of(inputs[tx.file_index].name));
    fmt::format_to(std::back_inserter(s), ", {}, ", tx.end);
    append_string_literal(s, tx.gtid.text());
    fmt::format_to(std::back_inserter(s),
                   ", {}, FROM_UNIXTIME({}.{:06d})) ON DUPLICATE KEY UPDATE `file`=VALUES(`file`), "
                   "`end_pos`=VALUES(`end_pos`), `gtid`=VALUES(`gtid`), `transactions`=VALUES(`transactions`), "
                   "`updated_at`=VALUES(`updated_at`)",
                   count, us / 1000000, us % 1000000);
    return s;
  };

  // What is waiting to be sent. A packet is a run of statements joined by "\n;\n" (one
  // round trip) that ends at the first BINLOG statement: MariaDB drops the "more results"
  // flag from the reply to a BINLOG statement that applies row events (applying a row
  // event resets the session's status flags), so the client would stop reading results
  // there while the server goes on. LOAD DATA LOCAL goes alone (the server asks for the
  // file mid-reply). What follows a transaction's last BINLOG statement (its progress row
  // and COMMIT) is kept and sent at the head of the next transaction's first packet: one
  // round trip per transaction, and a transaction is still never committed without its
  // progress row.
  struct context {
    std::size_t file_index = 0;
    std::uint64_t start = 0;
    std::string gtid;
  };
  struct piece {
    std::string_view text;
    std::size_t ctx = 0;            // index into ctxs
    std::uint64_t offset = 0;
    std::uint16_t expected_error = 0;
    bool ours = false;              // progress bookkeeping, not from the binlog
    bool binlog = false;
    bool load = false;
  };
  std::vector<context> ctxs;
  std::vector<piece> pending;
  std::vector<std::string> own;     // our statements of the current transaction
  std::string carry_text;           // text of pieces kept for the next packet
  std::string packet;
  auto last_report = clock_type::now();
  bool gtid_next_used = false;
  own.reserve(8);

  auto report = [&](bool finished) {
    res.progress.transactions = transactions;
    res.progress.bytes_done = finished && !res.failure ? stream.bytes_total() : stream.bytes_done();
    res.progress.bytes_total = stream.bytes_total();
    res.progress.elapsed_s = seconds_since(t0);
    res.progress.finished = finished;
    if (options.on_progress) options.on_progress(res.progress);
  };
  auto flush_notes = [&] {
    for (auto& n : stream.take_notes()) {
      note(fmt::format("{}:{}: {}", n.file_index < inputs.size() ? inputs[n.file_index].name : "?", n.offset, n.text));
    }
  };
  auto statement_failure = [&](const piece& p, const session::outcome& o) {
    replay_failure f;
    f.message = connection_lost(o.err) ? "the connection to the target was lost (rerun with --resume)"
                                       : "the target refused a statement";
    const context& c = ctxs[p.ctx];
    f.file = inputs[c.file_index].name;
    f.position = p.ours ? c.start : p.offset;
    f.gtid = c.gtid;
    f.statement = shorten(p.text);
    f.server_errno = o.err;
    f.server_error = o.message;
    res.failure = std::move(f);
  };

  // Sends the pending statements; with keep_tail, a last packet that follows a BINLOG
  // statement stays pending (copied into carry_text). False on failure (res.failure set).
  auto send = [&](bool keep_tail) -> bool {
    std::size_t i = 0;
    while (i < pending.size()) {
      packet.clear();
      std::size_t j = i;
      bool ends = false;
      while (j < pending.size()) {
        const piece& p = pending[j];
        if (j > i && (p.load || packet.size() + p.text.size() + 3 > packet_room)) break;
        if (j > i) packet += "\n;\n";
        packet.append(p.text);
        ++j;
        if (p.binlog || p.load) {
          ends = true;
          break;
        }
      }
      if (keep_tail && i > 0 && j == pending.size() && !ends) {
        // Keep pending[i..) for the next transaction's packet.
        std::size_t total = 0;
        for (std::size_t k = i; k < pending.size(); ++k) total += pending[k].text.size();
        std::string text;
        text.reserve(total);
        for (std::size_t k = i; k < pending.size(); ++k) text.append(pending[k].text);
        carry_text.swap(text);
        std::size_t at = 0;
        for (std::size_t k = i; k < pending.size(); ++k) {
          const std::size_t n = pending[k].text.size();
          pending[k].text = std::string_view(carry_text).substr(at, n);
          at += n;
        }
        pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(i));
        return true;
      }
      const std::size_t count = j - i;
      auto o = db.run(packet, count);
      if (o.err == 0 && o.done != count) {
        replay_failure f;
        f.message = fmt::format("the target answered {} of the {} statements of a packet and then reported no "
                                "more results; the session cannot be trusted",
                                o.done, count);
        res.failure = std::move(f);
        return false;
      }
      if (o.err == 0) {
        i = j;
        continue;
      }
      const std::size_t bad = std::min(i + o.done, pending.size() - 1);
      const piece& p = pending[bad];
      const bool expected = !p.ours && p.expected_error != 0 && p.expected_error == o.err;
      const bool skippable = !p.ours && std::find(options.skip_errors.begin(), options.skip_errors.end(), o.err) !=
                                            options.skip_errors.end();
      if (!connection_lost(o.err) && (expected || skippable)) {
        if (!expected) {
          ++res.skipped_errors;
          const context& c = ctxs[p.ctx];
          note(fmt::format("{}:{}{}: skipped error {} ({}): {}", inputs[c.file_index].name, p.offset,
                           c.gtid.empty() ? "" : " GTID " + c.gtid, o.err, o.message, shorten(p.text, 160)));
        }
        i = bad + 1;
        continue;
      }
      statement_failure(p, o);
      return false;
    }
    pending.clear();
    return true;
  };

  for (;;) {
    auto next = stream.next();
    flush_notes();
    if (!next) {
      if (!same_server.empty()) return fail(same_server);
      const auto& e = next.error();
      replay_failure f;
      f.message = e.message();
      f.file = stream.file_index() < inputs.size() ? inputs[stream.file_index()].name : "";
      f.position = e.offset;
      res.failure = std::move(f);
      report(true);
      return res;
    }
    if (!*next) break;
    if (resume_point && !stream.resume_checked()) {
      return fail(fmt::format("--resume: no transaction ends at the recorded position {}:{}; the files given are "
                              "not the ones the replay recorded",
                              resume_point->first, resume_point->second));
    }
    resume_point.reset();
    const rendered_transaction& tx = **next;
    infile.tx = &tx;
    if (!options.force_same_server && !target_uuid.empty() && tx.gtid.k == gtid_ref::kind::mysql &&
        format_uuid(tx.gtid.uuid) == target_uuid) {
      return fail(fmt::format("transaction {} was written by the target itself (its server_uuid); "
                              "--force-same-server to replay it anyway",
                              tx.gtid.text()));
    }

    // Contexts: the carried pieces' and this transaction's.
    if (pending.empty()) ctxs.clear();
    else if (ctxs.size() > 1) {
      context keep = std::move(ctxs[pending.front().ctx]);
      ctxs.clear();
      ctxs.push_back(std::move(keep));
      for (auto& p : pending) p.ctx = 0;
    }
    const std::size_t cx = ctxs.size();
    ctxs.push_back({tx.file_index, tx.start, tx.gtid.text()});

    // The statements in order, with the progress row before COMMIT (atomic with the
    // transaction) or after the last statement (statements that commit on their own).
    const std::uint64_t count = transactions + 1;
    own.clear();
    auto ours = [&](std::string text) {
      own.push_back(std::move(text));
      pending.push_back({own.back(), cx, 0, 0, true, false, false});
    };
    // `own` must not reallocate while pieces point into it.
    own.reserve(8);
    for (std::size_t k = 0; k < tx.statements.size(); ++k) {
      const auto& st = tx.statements[k];
      if (tx.commit && *tx.commit == k) ours(progress_statement(tx, count));
      const auto text = tx.text(st);
      pending.push_back({text, cx, st.offset, st.expected_error, false,
                         text.starts_with("BINLOG ") || text.starts_with("BINLOG\n"), st.load >= 0});
      if (text.starts_with("SET @@SESSION.GTID_NEXT='")) gtid_next_used = true;
    }
    if (!tx.commit) {
      if (!target_mariadb && gtid_next_used) {
        ours("SET @@SESSION.GTID_NEXT='AUTOMATIC'");
        stream.reset_gtid_session();
        gtid_next_used = false;
      }
      // Not binlogged on the target: a GTID minted here would take a sequence number the
      // source's next transaction needs (the row is rewritten whole by the next
      // transactional update, which is binlogged with its transaction).
      const bool toggle = target_log_bin && !options.disable_log_bin;
      if (toggle) ours("SET @@session.sql_log_bin=0");
      ours(progress_statement(tx, count));
      ours("COMMIT");
      if (toggle) ours("SET @@session.sql_log_bin=1");
    }
    if (!send(true)) {
      report(true);
      return res;
    }
    transactions = count;
    ++res.progress.transactions_run;
    res.progress.file = basename_of(inputs[tx.file_index].name);
    res.progress.position = tx.end;
    res.progress.gtid = tx.gtid.text();
    if (clock_type::now() - last_report >= std::chrono::milliseconds(500)) {
      last_report = clock_type::now();
      const auto fi = stream.file_index();
      if (fi < sources.size()) sources[fi].release_before(stream.position());
      report(false);
    }
  }
  if (!send(false)) {
    report(true);
    return res;
  }
  if (resume_point && !stream.resume_checked()) {
    return fail(fmt::format("--resume: no transaction ends at the recorded position {}:{}", resume_point->first,
                            resume_point->second));
  }
  if (!target_mariadb && gtid_next_used) (void)db.run("SET @@SESSION.GTID_NEXT='AUTOMATIC'", 1);
  res.stopped_at_stop_point = stream.stopped();
  report(true);
  return res;
}

}  // namespace binlogkit
