#include "binlogkit/core/source.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <boost/iostreams/device/mapped_file.hpp>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <vector>

namespace binlogkit {

namespace {
thread_local int g_last_errno = 0;

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// ---- mappings that may lose pages --------------------------------------------------------
//
// The SIGBUS handler runs on the faulting thread at any point of a read, so everything it
// touches is a lock-free atomic. A slot is free while its base is 0.
struct mapping_slot {
  std::atomic<std::uintptr_t> base{0};
  std::atomic<std::size_t> size{0};
  std::atomic<std::uint64_t> lost{UINT64_MAX};  // first lost offset within the mapping
};
constexpr std::size_t mapping_slots = 4096;
mapping_slot g_mappings[mapping_slots];
std::atomic<unsigned> g_losses{0};  // nonzero once any mapping lost a page
std::uintptr_t g_page = 4096;
struct sigaction g_previous_sigbus {};

void lower_to(std::atomic<std::uint64_t>& a, std::uint64_t v) noexcept {
  auto cur = a.load(std::memory_order_relaxed);
  while (v < cur && !a.compare_exchange_weak(cur, v, std::memory_order_acq_rel)) {
  }
}

// A page of one of our mappings vanished (its file shrank): map zeros from that page to
// the mapping's end, so the faulting read and every later one complete, and record where.
void on_sigbus(int sig, siginfo_t* info, void* context) {
  const auto addr = reinterpret_cast<std::uintptr_t>(info->si_addr);
  for (auto& slot : g_mappings) {
    const auto base = slot.base.load(std::memory_order_acquire);
    const auto size = slot.size.load(std::memory_order_acquire);
    if (base <= 1 || addr < base || addr >= base + size) continue;  // 1: being claimed
    const std::uintptr_t page = addr & ~(g_page - 1);
    const std::uintptr_t end = (base + size + g_page - 1) & ~(g_page - 1);
    void* got = ::mmap(reinterpret_cast<void*>(page), end - page, PROT_READ,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (got == MAP_FAILED) break;
    lower_to(slot.lost, page > base ? page - base : 0);
    g_losses.fetch_add(1, std::memory_order_release);
    return;
  }
  // Not a mapping of ours: what would have happened without us.
  if ((g_previous_sigbus.sa_flags & SA_SIGINFO) != 0 && g_previous_sigbus.sa_sigaction != nullptr) {
    g_previous_sigbus.sa_sigaction(sig, info, context);
    return;
  }
  if (g_previous_sigbus.sa_handler != SIG_DFL && g_previous_sigbus.sa_handler != SIG_IGN) {
    g_previous_sigbus.sa_handler(sig);
    return;
  }
  ::signal(SIGBUS, SIG_DFL);  // the faulting access runs again and ends the process
}

void install_sigbus_handler() {
  static std::once_flag once;
  std::call_once(once, [] {
    g_page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    struct sigaction sa {};
    sa.sa_sigaction = on_sigbus;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGBUS, &sa, &g_previous_sigbus);
  });
}

// A free slot for [base, base + size), or -1 when every slot is taken.
int register_mapping(const void* base, std::size_t size) noexcept {
  for (std::size_t i = 0; i < mapping_slots; ++i) {
    std::uintptr_t expected = 0;
    auto& slot = g_mappings[i];
    // Claim with a marker first so that the handler never sees a base with a stale size.
    if (!slot.base.compare_exchange_strong(expected, 1, std::memory_order_acq_rel)) continue;
    slot.size.store(size, std::memory_order_release);
    slot.lost.store(UINT64_MAX, std::memory_order_release);
    slot.base.store(reinterpret_cast<std::uintptr_t>(base), std::memory_order_release);
    return static_cast<int>(i);
  }
  return -1;
}

// ---- whole-stream reads ------------------------------------------------------------------

// Reads fd to its end into out, failing past `limit` bytes.
result<void> read_stream(int fd, std::uint64_t limit, std::vector<std::uint8_t>& out) {
  std::size_t done = 0;
  for (;;) {
    if (out.size() - done < (1u << 16)) out.resize(std::max<std::size_t>(out.size() * 2, 1u << 20));
    const ssize_t n = ::read(fd, out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      g_last_errno = errno;
      return make_error(errc::io_error, done, -1, "cannot read");
    }
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
    if (done > limit) {
      return make_error(errc::io_error, limit, -1,
                        "input is larger than the limit for inputs held in memory (standard input, FIFOs, .gz)");
    }
  }
  out.resize(done);
  return {};
}

// Inflates the gzip members read from fd (gzip(1) writes one; concatenated ones are
// one stream). Offsets in errors are compressed bytes.
result<void> inflate_gzip(int fd, std::uint64_t limit, std::vector<std::uint8_t>& out) {
  z_stream z{};
  if (::inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return make_error(errc::io_error, 0, -1, "cannot start zlib");
  struct closer {
    z_stream* z;
    ~closer() { ::inflateEnd(z); }
  } close_z{&z};
  std::vector<std::uint8_t> in(1u << 16);
  std::uint64_t consumed = 0;
  bool member_ended = false;
  std::size_t done = 0;
  for (;;) {
    const ssize_t n = ::read(fd, in.data(), in.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      g_last_errno = errno;
      return make_error(errc::io_error, consumed, -1, "cannot read");
    }
    if (n == 0) break;
    z.next_in = in.data();
    z.avail_in = static_cast<uInt>(n);
    while (z.avail_in > 0) {
      if (member_ended) {  // another member follows
        ::inflateReset(&z);
        member_ended = false;
      }
      if (out.size() - done < (1u << 16)) out.resize(std::max<std::size_t>(out.size() * 2, 1u << 20));
      z.next_out = out.data() + done;
      z.avail_out = static_cast<uInt>(std::min<std::size_t>(out.size() - done, 1u << 30));
      const uInt before_in = z.avail_in;
      const std::size_t before_out = z.avail_out;
      const int rc = ::inflate(&z, Z_NO_FLUSH);
      consumed += before_in - z.avail_in;
      done += before_out - z.avail_out;
      if (done > limit) {
        return make_error(errc::io_error, limit, -1,
                          "input is larger than the limit for inputs held in memory (standard input, FIFOs, .gz)");
      }
      if (rc == Z_STREAM_END) {
        member_ended = true;
      } else if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT || rc == Z_STREAM_ERROR) {
        return make_error(errc::bad_body, consumed, -1, "gzip stream is corrupt");
      } else if (rc == Z_MEM_ERROR) {
        return make_error(errc::io_error, consumed, -1, "out of memory inflating the gzip stream");
      }
    }
  }
  if (!member_ended) return make_error(errc::truncated, consumed, -1, "gzip stream is truncated (it ends before its end marker)");
  out.resize(done);
  return {};
}

}  // namespace

struct source::impl {
  std::string name;
  source_kind kind = source_kind::mapped;
  boost::iostreams::mapped_file_source map;
  std::vector<std::uint8_t> buffer;
  int slot = -1;               // registered mapping
  dev_t dev = 0;               // the file mapped, to notice it shrank
  ino_t ino = 0;

  ~impl() {
    if (slot >= 0) g_mappings[slot].base.store(0, std::memory_order_release);
  }

  bytes data() const noexcept {
    if (kind == source_kind::mapped && map.is_open()) {
      return {reinterpret_cast<const std::uint8_t*>(map.data()), map.size()};
    }
    return {buffer.data(), buffer.size()};
  }
};

source::source(std::unique_ptr<impl> p) noexcept : impl_(std::move(p)) {}
source::source(source&&) noexcept = default;
source& source::operator=(source&&) noexcept = default;
source::~source() = default;

bytes source::data() const& noexcept { return impl_->data(); }

void source::advise_sequential() const noexcept {
  if (impl_->kind != source_kind::mapped || !impl_->map.is_open()) return;
  auto* p = const_cast<char*>(impl_->map.data());
  ::madvise(p, impl_->map.size(), MADV_SEQUENTIAL);
  ::madvise(p, impl_->map.size(), MADV_WILLNEED);
}

void source::release_before(std::uint64_t offset) const noexcept {
  if (impl_->kind != source_kind::mapped || !impl_->map.is_open()) return;
  const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  offset = std::min<std::uint64_t>(offset, impl_->map.size()) / page * page;
  if (offset == 0) return;
  // File-backed and read-only: DONTNEED only unmaps; the bytes come back on access.
  ::madvise(const_cast<char*>(impl_->map.data()), offset, MADV_DONTNEED);
}
void source::release_range(std::uint64_t begin, std::uint64_t end) const noexcept {
  if (impl_->kind != source_kind::mapped || !impl_->map.is_open()) return;
  const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  begin = (begin + page - 1) / page * page;
  end = std::min<std::uint64_t>(end, impl_->map.size()) / page * page;
  if (end <= begin) return;
  ::madvise(const_cast<char*>(impl_->map.data()) + begin, end - begin, MADV_DONTNEED);
}

const std::string& source::name() const noexcept { return impl_->name; }
source_kind source::kind() const noexcept { return impl_->kind; }
int source::last_errno() noexcept { return g_last_errno; }

std::optional<std::uint64_t> source::lost_offset() const noexcept {
  if (impl_->kind != source_kind::mapped || !impl_->map.is_open()) return std::nullopt;
  std::uint64_t lost = UINT64_MAX;
  if (impl_->slot >= 0) lost = g_mappings[impl_->slot].lost.load(std::memory_order_acquire);
  // The part of the last page past the new end reads as zeros without a fault: the
  // file's size says where it ends now.
  struct stat st {};
  if (::stat(impl_->name.c_str(), &st) == 0 && st.st_dev == impl_->dev && st.st_ino == impl_->ino &&
      static_cast<std::uint64_t>(st.st_size) < impl_->map.size()) {
    lost = std::min(lost, static_cast<std::uint64_t>(st.st_size));
  }
  if (lost == UINT64_MAX) return std::nullopt;
  return lost;
}

std::optional<std::uint64_t> bytes_lost_in(bytes data) noexcept {
  if (g_losses.load(std::memory_order_acquire) == 0 || data.empty()) return std::nullopt;
  const auto begin = reinterpret_cast<std::uintptr_t>(data.data());
  for (const auto& slot : g_mappings) {
    const auto base = slot.base.load(std::memory_order_acquire);
    const auto size = slot.size.load(std::memory_order_acquire);
    if (base <= 1 || begin < base || begin >= base + size) continue;
    const auto lost = slot.lost.load(std::memory_order_acquire);
    if (lost == UINT64_MAX || base + lost >= begin + data.size()) return std::nullopt;
    return base + lost > begin ? base + lost - begin : 0;
  }
  return std::nullopt;
}

source source::from_bytes(std::string name, bytes data) {
  auto p = std::make_unique<impl>();
  p->name = std::move(name);
  p->kind = source_kind::pread;
  p->buffer.assign(data.begin(), data.end());
  return source(std::move(p));
}

namespace {

result<void> empty_is_error(std::size_t size) {
  if (size == 0) return make_error(errc::io_error, 0, -1, "empty file");
  return {};
}

// pread: a snapshot of the file as it is now, immune to later truncation.
result<void> read_snapshot(const std::string& path, std::uint64_t size, std::vector<std::uint8_t>& out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    g_last_errno = errno;
    return make_error(errc::io_error, 0, -1, "cannot open file");
  }
  out.resize(static_cast<std::size_t>(size));
  std::size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      g_last_errno = errno;
      ::close(fd);
      return make_error(errc::io_error, done, -1, "cannot read file");
    }
    if (n == 0) {  // shrank since stat: a prefix of it is not the file as it was
      ::close(fd);
      return make_error(errc::io_error, done, -1, "the file shrank while it was read");
    }
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return {};
}

}  // namespace

result<source> source::open(const std::string& path, source_kind kind, std::uint64_t max_buffered) noexcept {
  g_last_errno = 0;
  try {
    auto p = std::make_unique<impl>();
    p->name = path;
    struct stat st {};
    const bool is_stdin = path == "-";
    if (!is_stdin && ::stat(path.c_str(), &st) != 0) {
      g_last_errno = errno;
      return make_error(errc::io_error, 0, -1, "cannot open file");
    }
    if (!is_stdin && S_ISDIR(st.st_mode)) {
      g_last_errno = EISDIR;
      return make_error(errc::io_error, 0, -1, "not a regular file");
    }
    const bool is_stream = is_stdin || S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) || S_ISSOCK(st.st_mode);
    if (kind == source_kind::automatic) {
      if (is_stream) kind = source_kind::stdin_stream;
      else if (ends_with(path, ".gz")) kind = source_kind::gzip;
      else kind = source_kind::mapped;
    }
    if (is_stream && kind != source_kind::gzip) kind = source_kind::stdin_stream;
    if (!is_stream && !S_ISREG(st.st_mode)) {
      g_last_errno = EINVAL;
      return make_error(errc::io_error, 0, -1, "not a regular file");
    }
    p->kind = kind;

    if (kind == source_kind::stdin_stream || kind == source_kind::gzip) {
      int fd = is_stdin ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        g_last_errno = errno;
        return make_error(errc::io_error, 0, -1, "cannot open file");
      }
      auto r = kind == source_kind::gzip ? inflate_gzip(fd, max_buffered, p->buffer)
                                         : read_stream(fd, max_buffered, p->buffer);
      if (!is_stdin) ::close(fd);
      if (!r) return unexpected<error>(r.error());
      BK_TRY_VOID(empty_is_error(p->buffer.size()));
      p->buffer.shrink_to_fit();
      return source(std::move(p));
    }

    BK_TRY_VOID(empty_is_error(static_cast<std::size_t>(st.st_size)));
    if (kind == source_kind::mapped) {
      // Opened once first: the mapping's own failure would not say why (errno).
      const int probe = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (probe < 0) {
        g_last_errno = errno;
        return make_error(errc::io_error, 0, -1, "cannot open file");
      }
      ::close(probe);
      p->map.open(path);
      if (!p->map.is_open()) {
        g_last_errno = errno;
        return make_error(errc::io_error, 0, -1, "cannot map file");
      }
      install_sigbus_handler();
      p->dev = st.st_dev;
      p->ino = st.st_ino;
      p->slot = register_mapping(p->map.data(), p->map.size());
      if (p->slot >= 0) return source(std::move(p));
      // Every slot taken: a snapshot instead, which nothing can truncate.
      p->map.close();
      p->kind = source_kind::pread;
    }
    BK_TRY_VOID(read_snapshot(path, static_cast<std::uint64_t>(st.st_size), p->buffer));
    BK_TRY_VOID(empty_is_error(p->buffer.size()));
    return source(std::move(p));
  } catch (const std::exception&) {
    g_last_errno = errno;
    return make_error(errc::io_error, 0, -1, "cannot read file");
  }
}

}  // namespace binlogkit
