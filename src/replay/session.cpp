#include "replay/session.hpp"

#include <mysql.h>
#include <poll.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <thread>

#include "fiber_loop.hpp"
#include "pacing.hpp"

namespace binlogkit::detail {

namespace {

// Data of the current transaction's LOAD DATA statements, served to the client library
// when the server asks for the file a statement names (and nothing else).
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

}  // namespace

session::~session() {
  if (m_ != nullptr) mysql_close(m_);
}

// Empty on success, else the message.
std::string session::connect(const connection_options& c) {
  m_ = mysql_init(nullptr);
  if (m_ == nullptr) return "mysql_init failed (out of memory)";
  // Paced reading falls back to plain reads without the non-blocking mode; fibers need it.
  if ((pace_ || loop_ != nullptr) && mysql_options(m_, MYSQL_OPT_NONBLOCK, nullptr) != 0) {
    if (loop_ != nullptr) {
      mysql_close(m_);
      m_ = nullptr;
      return "cannot set the connection's non-blocking mode";
    }
    pace_ = false;
  }
  if (auto err = apply_connection_options(m_, c); !err.empty()) return err;
  unsigned int local_infile = 1;
  mysql_options(m_, MYSQL_OPT_LOCAL_INFILE, &local_infile);
  mysql_options(m_, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  // Without an explicit password the client library takes the option file's, else
  // MYSQL_PWD's, as the mysql client does.
  const char* password = c.password ? c.password->c_str() : nullptr;
  const unsigned long flags = CLIENT_MULTI_STATEMENTS | CLIENT_MULTI_RESULTS | CLIENT_LOCAL_FILES;
  if (mysql_real_connect(m_, c.host.empty() ? nullptr : c.host.c_str(), c.user.empty() ? nullptr : c.user.c_str(),
                         password, nullptr, c.port, c.socket.empty() ? nullptr : c.socket.c_str(),
                         flags) == nullptr) {
    return fmt::format("cannot connect: {} ({})", mysql_error(m_), mysql_errno(m_));
  }
  mysql_set_local_infile_handler(m_, infile_init, infile_read, infile_end, infile_error, &infile_);
  return {};
}

// Sleeps until the reply to the packet just sent starts to arrive. The client library
// reads without waiting first and polls only when that read fails; right after a send it
// nearly always does (one system call per packet saved). Paced reading polls on its own.
void session::await_reply() {
  if (pace_ || fiber_pace_) return;
  if (loop_ != nullptr && loop_->in_fiber()) {
    (void)loop_->wait_fd(static_cast<int>(mysql_get_socket(m_)), POLLIN, -1);
    return;
  }
  pollfd p{static_cast<int>(mysql_get_socket(m_)), POLLIN, 0};
  while (::poll(&p, 1, -1) < 0 && errno == EINTR) {
  }
}

// The rest of the results of the packet run() stopped reading; `done` counts from the
// packet's first statement.
sql_connection::outcome session::read_rest() {
  outcome o;
  if (!pending_.active) return o;
  pending_.active = false;
  const pending_read& p = pending_;
  o.done = p.done;
  if (advance(o, p.count, p.flag_loss)) return finish(o, p.count);
  return read_loop(o, p.count, p.flag_loss, nullptr, 0);
}

// The two halves of run(): the packet goes out at once, its results are read later (the
// caller prepares the next packet while the server works).
// `alone`: as run()'s; read() with the same `alone` turns multi-statements on again.
bool session::send(const std::string& packet, outcome& o, bool alone) {
  if (alone && !multi_statements(false)) {
    take_error(o);
    return false;
  }
  if (pace_ || fiber_pace_) sent_at_ = clock_type::now();  // paced reading's measure of the server
  if (mysql_send_query(m_, packet.data(), static_cast<unsigned long>(packet.size())) != 0) {
    take_error(o);
    return false;
  }
  return true;
}

sql_connection::outcome session::read(std::size_t count, const std::vector<char>& flag_loss, bool alone,
                                      const result_hook* on_result, std::size_t stop_after) {
  auto o = read_counted(count, flag_loss, on_result, stop_after);
  // Unless the connection is gone or out of step (the replay stops then).
  if (alone && !o.desync && !o.extra && !connection_lost(o.err) && !multi_statements(true) && o.err == 0) {
    take_error(o);
  }
  return o;
}

// COM_SET_OPTION: whether the server splits a packet at ';' (CLIENT_MULTI_STATEMENTS).
// Without it a second statement in a packet is a syntax error and nothing of it runs.
bool session::multi_statements(bool on) {
  const auto option = on ? MYSQL_OPTION_MULTI_STATEMENTS_ON : MYSQL_OPTION_MULTI_STATEMENTS_OFF;
  if (!nonblocking()) return mysql_set_server_option(m_, option) == 0;
  int ret = 0;
  int ev = mysql_set_server_option_start(&ret, m_, option);
  while (ev != 0) ev = mysql_set_server_option_cont(&ret, m_, wait_for(ev));
  return ret == 0;
}

sql_connection::outcome session::read_counted(std::size_t count, const std::vector<char>& flag_loss, const result_hook* on_result,
                     std::size_t stop_after) {
  left_ = count;
  expected_ = std::chrono::duration_cast<clock_type::duration>(
      std::chrono::duration<double>(static_cast<double>(count) * per_statement_s_ * 2 + 2e-3));
  waited_ = false;
  incomplete_at_ = sent_at_;
  auto o2 = read_results(count, flag_loss, on_result, stop_after);
  if ((pace_ || fiber_pace_) && o2.err == 0 && count > 0 && !o2.pending) {
    const auto per_of = [&](clock_type::time_point t) {
      return std::chrono::duration<double>(t - sent_at_).count() / static_cast<double>(count);
    };
    per_statement_s_ = next_per_statement(per_statement_s_, waited_, per_of(incomplete_at_), per_of(clock_type::now()));
  }
  return o2;
}

sql_connection::outcome session::read_results(std::size_t count, const std::vector<char>& flag_loss, const result_hook* on_result,
                     std::size_t stop_after) {
  outcome o;
  if (read_query_result() != 0) {
    take_error(o);
    return o;
  }
  return read_loop(o, count, flag_loss, on_result, stop_after);
}

// With a result at hand: takes it, and the ones after it.
sql_connection::outcome session::read_loop(outcome o, std::size_t count, const std::vector<char>& flag_loss, const result_hook* on_result,
                  std::size_t stop_after) {
  for (;;) {
    if (mysql_field_count(m_) > 0) {
      MYSQL_RES* r = mysql_store_result(m_);
      if (r != nullptr) mysql_free_result(r);
    }
    ++o.done;
    if (on_result != nullptr) (*on_result)(o.done);
    left_ = count > o.done ? count - o.done : 1;
    if (stop_after != 0 && o.done == stop_after && o.done < count) {
      pending_.active = true;
      pending_.count = count;
      pending_.flag_loss.assign(flag_loss.begin(), flag_loss.end());  // its capacity is kept
      pending_.done = o.done;
      o.pending = true;
      return o;
    }
    if (advance(o, count, flag_loss)) return finish(o, count);
  }
}

// Moves on to the next result: false when there is one, true when the packet is over
// (or failed: o.err, o.desync, o.extra). A result announced after the count's last is
// not read: the statement that produced it ran as more than one.
bool session::advance(outcome& o, std::size_t count, const std::vector<char>& flag_loss) {
  if (o.done >= count && mysql_more_results(m_)) {
    o.extra = true;
    return true;
  }
  const int status = next_result();
  if (status == 0) return false;
  if (status > 0) return take_error(o);
  if (o.done >= count) return true;
  if (o.done - 1 < flag_loss.size() && flag_loss[o.done - 1] != 0) {
    if (read_query_result() != 0) return take_error(o);
    return false;  // its result is the next one
  }
  o.desync = true;
  return true;
}

// The connection's last error into `o`; true (the packet is over).
bool session::take_error(outcome& o) {
  o.err = mysql_errno(m_);
  o.message = mysql_error(m_);
  return true;
}

sql_connection::outcome session::finish(outcome o, std::size_t count) {
  if (o.err == 0 && !o.desync && o.done > count) o.extra = true;
  return o;
}

// mysql_read_query_result / mysql_next_result, paced when enabled.
bool session::nonblocking() const {
  return pace_ || (loop_ != nullptr && loop_->in_fiber());
}

char session::read_query_result() {
  if (!nonblocking()) return mysql_read_query_result(m_);
  my_bool ret = 0;
  int ev = mysql_read_query_result_start(&ret, m_);
  while (ev != 0) ev = mysql_read_query_result_cont(&ret, m_, wait_for(ev));
  return ret;
}

int session::next_result() {
  if (!nonblocking()) return mysql_next_result(m_);
  int ret = 0;
  int ev = mysql_next_result_start(&ret, m_);
  while (ev != 0) ev = mysql_next_result_cont(&ret, m_, wait_for(ev));
  return ret;
}

// poll's revents as the non-blocking call's MYSQL_WAIT_* flags (what it waited for, `ev`,
// when poll named nothing it knows).
static int happened(short revents, int ev) {
  int out = 0;
  if ((revents & (POLLIN | POLLHUP | POLLERR)) != 0) out |= MYSQL_WAIT_READ;
  if ((revents & (POLLOUT | POLLHUP | POLLERR)) != 0) out |= MYSQL_WAIT_WRITE;
  if ((revents & POLLPRI) != 0) out |= MYSQL_WAIT_EXCEPT;
  return out != 0 ? out : (ev & ~MYSQL_WAIT_TIMEOUT);
}

// Waits for what the non-blocking call asked for and says which of it happened. A paced
// wait for results alone sleeps about a third of the time the `left_` statements should
// take (20 us to 1 ms) between looks at the socket, until the packet is overdue (twice
// its expected time): then it sleeps until the socket is readable.
int session::wait_for(int ev) {
  pollfd p{static_cast<int>(mysql_get_socket(m_)), 0, 0};
  if ((ev & MYSQL_WAIT_READ) != 0) p.events |= POLLIN;
  if ((ev & MYSQL_WAIT_WRITE) != 0) p.events |= POLLOUT;
  if ((ev & MYSQL_WAIT_EXCEPT) != 0) p.events |= POLLPRI;
  if (!pace_) {
    // A fiber's wait (nonblocking()): the loop runs the other fibers meanwhile.
    const int ms = (ev & MYSQL_WAIT_TIMEOUT) != 0 ? static_cast<int>(mysql_get_timeout_value_ms(m_)) : -1;
    if (fiber_pace_ && ev == MYSQL_WAIT_READ && per_statement_s_ > 0) {
      // A look at the socket, then a sleep that lets the other fibers run: half the time
      // the statements still due should take while that is 2 ms or more, then a third
      // of it (20 us to 1 ms), as the serial applier's paced read. No events: only a
      // broken connection (POLLHUP, POLLERR) ends a sleep early.
      while (!overdue()) {
        if (::poll(&p, 1, 0) != 0) return happened(p.revents, ev);
        saw_incomplete();
        const double due = static_cast<double>(left_) * per_statement_s_;
        const double s = due >= 2e-3 ? std::min(due / 2, 10e-3) : short_sleep_s(due);
        (void)loop_->wait_fd_for(p.fd, 0, std::chrono::duration_cast<clock_type::duration>(
                                               std::chrono::duration<double>(s)));
      }
    }
    const short re = loop_->wait_fd(p.fd, p.events, ms);
    return re == 0 ? MYSQL_WAIT_TIMEOUT : happened(re, ev);
  }
  const bool paced = ev == MYSQL_WAIT_READ;
  const auto deadline = (ev & MYSQL_WAIT_TIMEOUT) != 0
                            ? std::optional(clock_type::now() + std::chrono::milliseconds(mysql_get_timeout_value_ms(m_)))
                            : std::nullopt;
  for (;;) {
    int timeout = paced ? 0 : -1;
    if (deadline) {
      const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - clock_type::now()).count();
      timeout = paced ? 0 : static_cast<int>(std::max<long long>(ms, 0));
    }
    const int r = ::poll(&p, 1, timeout);
    if (r > 0) return happened(p.revents, ev);
    if (r < 0 && errno != EINTR) return ev & ~MYSQL_WAIT_TIMEOUT;  // the library meets the error
    if (deadline && clock_type::now() >= *deadline) return MYSQL_WAIT_TIMEOUT;
    if (!paced) continue;
    saw_incomplete();
    if (overdue()) {
      // Later than the whole packet should have taken: a statement slower than the
      // estimate (DDL, a large transaction) is waited for, not looked at every few us.
      if (::poll(&p, 1, -1) > 0) return happened(p.revents, ev);
    } else {
      const double s = short_sleep_s(static_cast<double>(left_) * per_statement_s_);
      std::this_thread::sleep_for(std::chrono::duration<double>(s));
    }
  }
}

sql_connection::row_result session::query_row(const std::string& sql) {
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

std::string session::server_version() const { return mysql_get_server_info(m_); }

// The server's id for this connection (CONNECTION_ID()).
unsigned long session::thread_id() const { return mysql_thread_id(m_); }

// The first column of every row of a query's result (NULLs skipped); false on error.
bool session::query_column(const std::string& sql, std::vector<std::string>& out) {
  out.clear();
  if (mysql_real_query(m_, sql.data(), static_cast<unsigned long>(sql.size())) != 0) return false;
  MYSQL_RES* r = mysql_store_result(m_);
  if (r == nullptr) return mysql_field_count(m_) == 0;
  while (MYSQL_ROW row = mysql_fetch_row(r)) {
    if (row[0] != nullptr) out.emplace_back(row[0]);
  }
  mysql_free_result(r);
  while (mysql_next_result(m_) == 0) {
    MYSQL_RES* extra = mysql_store_result(m_);
    if (extra != nullptr) mysql_free_result(extra);
  }
  return true;
}

}  // namespace binlogkit::detail
