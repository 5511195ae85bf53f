#include "binlogkit/replay.hpp"

#include <mysql.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "binlogkit/inputs.hpp"
#include "binlogkit/reader.hpp"
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
    // Without an explicit password the client library takes the option file's, else
    // MYSQL_PWD's, as the mysql client does.
    const char* password = c.password ? c.password->c_str() : nullptr;
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
    bool desync = false;       // the server stopped announcing results too early
  };

  // Sends `count` statements as one packet and reads a result for each. flag_loss[k]:
  // statement k may end its reply without the "more results" flag although the server
  // goes on with the next statement (MariaDB's BINLOG statement with row events resets the
  // session's status flags while it applies them): the next result is read anyway.
  // `tail_ok`: a lone statement may answer with more than one result (a comment after its
  // own semicolon reads as a second, empty statement); they are all read.
  outcome run(const std::string& packet, std::size_t count, const std::vector<char>& flag_loss = {},
              bool tail_ok = false) {
    outcome o;
    if (!send(packet, o)) return o;
    return read(count, flag_loss, tail_ok);
  }

  // The two halves of run(): the packet goes out at once, its results are read later (the
  // caller prepares the next packet while the server works).
  bool send(const std::string& packet, outcome& o) {
    if (mysql_send_query(m_, packet.data(), static_cast<unsigned long>(packet.size())) != 0) {
      o.err = mysql_errno(m_);
      o.message = mysql_error(m_);
      return false;
    }
    return true;
  }
  outcome read(std::size_t count, const std::vector<char>& flag_loss, bool tail_ok) {
    outcome o;
    if (mysql_read_query_result(m_) != 0) {
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
      if (status == 0) continue;
      if (status > 0) {
        o.err = mysql_errno(m_);
        o.message = mysql_error(m_);
        return o;
      }
      if (o.done >= count) break;
      if (o.done - 1 < flag_loss.size() && flag_loss[o.done - 1] != 0) {
        if (mysql_read_query_result(m_) != 0) {
          o.err = mysql_errno(m_);
          o.message = mysql_error(m_);
          return o;
        }
        continue;
      }
      o.desync = true;
      return o;
    }
    if (o.done > count && !tail_ok) o.desync = true;
    if (tail_ok && o.done > count) o.done = count;
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

  // Refuse the server that wrote the binlog before anything is written to it. (The
  // stream checks every format description again as it reads.)
  if (!options.force_same_server) {
    for (const auto& in : inputs) {
      event_reader r(in.data);
      auto first = r.next();
      if (first && *first && (*first)->type() == event_type::format_description &&
          (*first)->header.server_id == target_server_id) {
        return fail(fmt::format(
            "{} was written by server_id {}, the target's own server_id: replaying a server's binlog into itself "
            "applies everything twice (--force-same-server to do it anyway)",
            in.name, target_server_id));
      }
    }
  }

  // The session: as mysqlbinlog's output sets it up (before the bookkeeping below, so
  // that --disable-log-bin covers it too).
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

  // One replay per id at a time: the lock lives as long as this session.
  std::string lock_name = "binlogkit.replay." + id;
  if (lock_name.size() > 64) lock_name = fmt::format("binlogkit.replay.{:016x}", fnv1a(id));
  {
    // A replay killed a moment ago may still hold it while its server session winds down.
    auto l = db.query_row("SELECT GET_LOCK(" + string_literal(lock_name) + ", 3), IS_USED_LOCK(" +
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
    const bool started = r.found && (r.cols[0].value_or("") != "" || r.cols[3].value_or("0") != "0");
    if (!r.found) {
      // The row every later update rewrites, written (and binlogged) before anything is
      // applied, so that the target's own replicas have it too.
      auto o = db.run("INSERT INTO `binlogkit`.`replay_progress` (`replay_id`, `file`, `end_pos`, `gtid`, "
                      "`transactions`) VALUES (" + string_literal(id) + ", '', 0, '', 0)", 1);
      if (o.err != 0) return server_fail("cannot write binlogkit.replay_progress", o.err, o.message);
    }
    if (started) {
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

  // Transactions waiting to be sent, and their statements. Up to batch_transactions
  // transactions (or batch_bytes of text) go in one multi-statement packet joined by
  // "\n;\n": one round trip for many transactions, each still with its progress row
  // before its own COMMIT. While the server runs one batch the next one is rendered (the
  // packet is sent, its results read when the next batch is ready). A transaction with
  // LOAD DATA LOCAL, and a statement from the binlog that holds a ';' (a compound
  // statement, or text after its own semicolon), go in packets of their own, sent and
  // read at once: the first because the server asks for the file mid-reply (and the data
  // served is that transaction's), the second because the server may split it.
  struct pending_tx {
    rendered_transaction tx;
    std::vector<std::string> own;  // our statements (progress bookkeeping)
    std::string gtid;
    std::uint64_t count = 0;       // the transactions value its progress row records
  };
  struct piece {
    std::string_view text;
    std::size_t tx = 0;            // index into the batch's transactions
    std::uint64_t offset = 0;
    std::uint16_t expected_error = 0;
    bool ours = false;
    bool binlog = false;
    bool alone = false;            // a packet of its own (LOAD DATA, text with ';')
  };
  struct batch {
    std::deque<pending_tx> txs;
    std::vector<piece> pieces;
    std::size_t bytes = 0;
    bool special = false;          // holds a packet of its own: sent and read at once
    // The packet in flight: pieces [sent_from, sent_to), its flags.
    std::size_t sent_from = 0, sent_to = 0;
    bool in_flight = false;
    std::string packet;
    std::vector<char> flag_loss;
    void clear() {
      txs.clear();
      pieces.clear();
      bytes = 0;
      special = false;
      sent_from = sent_to = 0;
      in_flight = false;
    }
  };
  constexpr std::size_t batch_transactions = 64;
  const std::size_t batch_bytes = std::min<std::size_t>(packet_room, 4u << 20);
  batch filling, flight;
  auto last_report = clock_type::now();
  bool gtid_next_used = false;

  auto report = [&](bool finished) {
    res.progress.transactions = transactions;
    res.progress.bytes_done = finished && !res.failure ? stream.bytes_total() : stream.bytes_done();
    res.progress.bytes_total = stream.bytes_total();
    res.progress.elapsed_s = seconds_since(t0);
    res.progress.finished = finished && !res.failure;
    if (options.on_progress) options.on_progress(res.progress);
  };
  auto flush_notes = [&] {
    for (auto& n : stream.take_notes()) {
      note(fmt::format("{}:{}: {}", n.file_index < inputs.size() ? inputs[n.file_index].name : "?", n.offset, n.text));
    }
  };
  // Transactions [0, n) of a batch are committed: account for them.
  auto committed = [&](const batch& b, std::size_t n) {
    if (n == 0) return;
    const pending_tx& last = b.txs[n - 1];
    transactions = last.count;
    res.progress.transactions_run += n;
    res.progress.file = basename_of(inputs[last.tx.file_index].name);
    res.progress.position = last.tx.end;
    res.progress.gtid = last.gtid;
  };

  // Builds the packet that starts at piece i and sends it. False on failure.
  auto send_from = [&](batch& b, std::size_t i) -> bool {
    b.packet.clear();
    b.flag_loss.clear();
    std::size_t j = i;
    const bool alone = b.pieces[i].alone;
    while (j < b.pieces.size()) {
      const piece& p = b.pieces[j];
      if (j > i && (alone || p.alone || b.packet.size() + p.text.size() + 3 > packet_room)) break;
      if (j > i) b.packet += "\n;\n";
      b.packet.append(p.text);
      b.flag_loss.push_back(p.binlog ? 1 : 0);
      ++j;
    }
    if (alone) infile.tx = &b.txs[b.pieces[i].tx].tx;
    b.sent_from = i;
    b.sent_to = j;
    b.in_flight = true;
    session::outcome o;
    if (db.send(b.packet, o)) return true;
    b.in_flight = false;
    const piece& p = b.pieces[i];
    replay_failure f;
    f.message = "the connection to the target was lost (rerun with --resume)";
    f.file = inputs[b.txs[p.tx].tx.file_index].name;
    f.position = p.offset;
    f.gtid = b.txs[p.tx].gtid;
    f.server_errno = o.err;
    f.server_error = o.message;
    res.failure = std::move(f);
    committed(b, p.tx);
    return false;
  };

  // Reads the results of the packet in flight, then sends and reads the rest of the
  // batch. False on failure (res.failure set).
  auto complete = [&](batch& b) -> bool {
    while (b.in_flight) {
      const std::size_t i = b.sent_from, j = b.sent_to, count = j - i;
      const bool alone = b.pieces[i].alone;
      auto o = db.read(count, b.flag_loss, alone);
      b.in_flight = false;
      std::size_t next = j;
      if (o.desync) {
        const piece& p = b.pieces[std::min(i + o.done, b.pieces.size() - 1)];
        committed(b, p.tx);
        replay_failure f;
        f.message = fmt::format("the target answered {} of the {} statements of a packet and then reported no more "
                                "results; the session cannot be trusted",
                                o.done, count);
        f.file = inputs[b.txs[p.tx].tx.file_index].name;
        f.position = p.offset;
        f.statement = shorten(p.text);
        res.failure = std::move(f);
        return false;
      }
      if (o.err != 0) {
        const std::size_t bad = std::min(i + o.done, b.pieces.size() - 1);
        const piece& p = b.pieces[bad];
        const pending_tx& ptx = b.txs[p.tx];
        const bool expected = !p.ours && p.expected_error != 0 && p.expected_error == o.err;
        const bool skippable = !p.ours && std::find(options.skip_errors.begin(), options.skip_errors.end(),
                                                    o.err) != options.skip_errors.end();
        if (connection_lost(o.err) || !(expected || skippable)) {
          committed(b, p.tx);
          replay_failure f;
          f.message = connection_lost(o.err) ? "the connection to the target was lost (rerun with --resume)"
                                             : "the target refused a statement";
          f.file = inputs[ptx.tx.file_index].name;
          f.position = p.ours ? ptx.tx.start : p.offset;
          f.gtid = ptx.gtid;
          f.statement = shorten(p.text);
          f.server_errno = o.err;
          f.server_error = o.message;
          res.failure = std::move(f);
          return false;
        }
        if (!expected) {
          ++res.skipped_errors;
          note(fmt::format("{}:{}{}: skipped error {} ({}): {}", inputs[ptx.tx.file_index].name, p.offset,
                           ptx.gtid.empty() ? "" : " GTID " + ptx.gtid, o.err, o.message, shorten(p.text, 160)));
        }
        next = bad + 1;
      }
      if (next < b.pieces.size() && !send_from(b, next)) return false;
    }
    committed(b, b.txs.size());
    b.clear();
    infile.tx = nullptr;
    return true;
  };

  // Sends `b` (which becomes the batch in flight); special batches are read at once.
  auto launch = [&](batch& b) -> bool {
    if (b.pieces.empty()) {
      committed(b, b.txs.size());
      b.clear();
      return true;
    }
    if (!send_from(b, 0)) return false;
    if (b.special) return complete(b);
    return true;
  };

  // Queues a transaction's statements, with the progress row before its COMMIT (atomic
  // with it) or after its last statement (statements that commit on their own).
  auto enqueue = [&](batch& bt, rendered_transaction&& tx_in, std::uint64_t count) {
    bt.txs.push_back(pending_tx{std::move(tx_in), {}, {}, count});
    pending_tx& q = bt.txs.back();
    const std::size_t qi = bt.txs.size() - 1;
    const rendered_transaction& tx = q.tx;
    q.gtid = tx.gtid.text();
    // Our statements first (the pieces point into them: no reallocation afterwards).
    q.own.reserve(6);
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
    std::string prog = "UPDATE `binlogkit`.`replay_progress` SET `file`=";
    append_string_literal(prog, basename_of(inputs[tx.file_index].name));
    fmt::format_to(std::back_inserter(prog), ", `end_pos`={}, `gtid`=", tx.end);
    append_string_literal(prog, q.gtid);
    fmt::format_to(std::back_inserter(prog),
                   ", `transactions`={}, `updated_at`=FROM_UNIXTIME({}.{:06d}) WHERE `replay_id`=", q.count,
                   us / 1000000, us % 1000000);
    prog += id_literal;
    const std::size_t prog_at = 0;
    q.own.push_back(std::move(prog));
    bool reset_gtid_next = false, toggle = false;
    if (!tx.commit) {
      bool uses_gtid_next = gtid_next_used;
      for (const auto& st : tx.statements) {
        if (tx.text(st).starts_with("SET @@SESSION.GTID_NEXT='")) uses_gtid_next = true;
      }
      if (!target_mariadb && uses_gtid_next) {
        reset_gtid_next = true;
        q.own.emplace_back("SET @@SESSION.GTID_NEXT='AUTOMATIC'");
      }
      // Not binlogged on the target: a GTID minted here would take a sequence number the
      // source's next transaction needs (the row is rewritten whole by the next
      // transactional update, which is binlogged with its transaction).
      toggle = target_log_bin && !options.disable_log_bin;
      if (toggle) {
        q.own.emplace_back("SET @@session.sql_log_bin=0");
        q.own.emplace_back("SET @@session.sql_log_bin=1");
      }
      q.own.emplace_back("COMMIT");
    }
    auto ours = [&](const std::string& text) {
      bt.pieces.push_back({text, qi, tx.start, 0, true, false, false});
      bt.bytes += text.size() + 3;
    };
    for (std::size_t k = 0; k < tx.statements.size(); ++k) {
      const auto& st = tx.statements[k];
      if (tx.commit && *tx.commit == k) ours(q.own[prog_at]);
      const auto text = tx.text(st);
      const bool binlog = text.starts_with("BINLOG ") || text.starts_with("BINLOG\n");
      const bool alone = st.load >= 0 || (!binlog && text.find(';') != std::string_view::npos);
      bt.special = bt.special || alone;
      bt.pieces.push_back({text, qi, st.offset, st.expected_error, false, binlog, alone});
      bt.bytes += text.size() + 3;
      if (text.starts_with("SET @@SESSION.GTID_NEXT='")) gtid_next_used = true;
    }
    if (!tx.commit) {
      std::size_t k = 1;
      if (reset_gtid_next) ours(q.own[k++]);
      if (toggle) ours(q.own[k]);
      ours(q.own[prog_at]);
      ours(q.own.back());  // COMMIT
      if (toggle) ours(q.own[k + 1]);
      if (reset_gtid_next) {
        stream.reset_gtid_session();
        gtid_next_used = false;
      }
    }
  };

  // The next transaction's progress count: those committed, in flight and queued.
  auto next_count = [&] { return transactions + flight.txs.size() + filling.txs.size() + 1; };
  auto finish_all = [&]() -> bool {
    if (flight.in_flight && !complete(flight)) return false;
    flight.clear();
    if (!filling.txs.empty()) {
      std::swap(flight, filling);
      if (!launch(flight) || (flight.in_flight && !complete(flight))) return false;
      flight.clear();
    }
    return true;
  };

  for (;;) {
    auto next = stream.next();
    flush_notes();
    if (!next) {
      if (!finish_all()) {
        report(true);
        return res;
      }
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
    rendered_transaction& tx = **next;
    if (!options.force_same_server && !target_uuid.empty() && tx.gtid.k == gtid_ref::kind::mysql &&
        format_uuid(tx.gtid.uuid) == target_uuid) {
      if (!finish_all()) {
        report(true);
        return res;
      }
      return fail(fmt::format("transaction {} was written by the target itself (its server_uuid); "
                              "--force-same-server to replay it anyway",
                              tx.gtid.text()));
    }
    const bool special = std::any_of(tx.statements.begin(), tx.statements.end(), [&](const sql_statement& st) {
      return st.load >= 0 || (!tx.text(st).starts_with("BINLOG") && tx.text(st).find(';') != std::string_view::npos);
    });
    if (special) {
      // Everything before it is applied first; then it goes by itself.
      if (!finish_all()) {
        report(true);
        return res;
      }
      enqueue(filling, std::move(tx), next_count());
      if (!finish_all()) {
        report(true);
        return res;
      }
    } else {
      enqueue(filling, std::move(tx), next_count());
      if (filling.txs.size() >= batch_transactions || filling.bytes >= batch_bytes) {
        // The batch in flight is read while this one was being rendered; this one goes.
        if (flight.in_flight && !complete(flight)) {
          report(true);
          return res;
        }
        flight.clear();
        std::swap(flight, filling);
        if (!launch(flight)) {
          report(true);
          return res;
        }
      }
    }
    if (clock_type::now() - last_report >= std::chrono::milliseconds(500)) {
      last_report = clock_type::now();
      const auto fi = stream.file_index();
      if (fi < sources.size()) sources[fi].release_before(stream.position());
      report(false);
    }
  }
  if (!finish_all()) {
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
