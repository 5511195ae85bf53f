#include "binlogkit/source.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/iostreams/device/mapped_file.hpp>
#include <boost/iostreams/filter/gzip.hpp>
#include <boost/iostreams/filtering_stream.hpp>
#include <cerrno>
#include <fstream>
#include <iostream>
#include <vector>

namespace binlogkit {

namespace {
thread_local int g_last_errno = 0;

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}
}  // namespace

struct source::impl {
  std::string name;
  source_kind kind = source_kind::mapped;
  boost::iostreams::mapped_file_source map;
  std::vector<std::uint8_t> buffer;

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

source source::from_bytes(std::string name, bytes data) {
  auto p = std::make_unique<impl>();
  p->name = std::move(name);
  p->kind = source_kind::pread;
  p->buffer.assign(data.begin(), data.end());
  return source(std::move(p));
}

result<source> source::open(const std::string& path, source_kind kind) noexcept {
  g_last_errno = 0;
  try {
    auto p = std::make_unique<impl>();
    p->name = path;
    if (kind == source_kind::automatic) {
      if (path == "-") kind = source_kind::stdin_stream;
      else if (ends_with(path, ".gz")) kind = source_kind::gzip;
      else kind = source_kind::mapped;
    }
    p->kind = kind;

    if (kind == source_kind::stdin_stream) {
      std::vector<char> chunk(1 << 16);
      for (;;) {
        ssize_t n = ::read(STDIN_FILENO, chunk.data(), chunk.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
          g_last_errno = errno;
          return make_error(errc::io_error, 0, -1, "cannot read standard input");
        }
        if (n == 0) break;
        p->buffer.insert(p->buffer.end(), chunk.begin(), chunk.begin() + n);
      }
      return source(std::move(p));
    }

    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      g_last_errno = errno;
      return make_error(errc::io_error, 0, -1, "cannot open file");
    }
    if (!S_ISREG(st.st_mode)) {
      g_last_errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
      return make_error(errc::io_error, 0, -1, "not a regular file");
    }

    if (kind == source_kind::gzip) {
      std::ifstream file(path, std::ios::binary);
      if (!file) {
        g_last_errno = errno;
        return make_error(errc::io_error, 0, -1, "cannot open file");
      }
      boost::iostreams::filtering_istream in;
      in.push(boost::iostreams::gzip_decompressor());
      in.push(file);
      try {
        std::vector<char> chunk(1 << 16);
        while (in) {
          in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
          auto got = static_cast<std::size_t>(in.gcount());
          p->buffer.insert(p->buffer.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(got));
        }
      } catch (const boost::iostreams::gzip_error&) {
        return make_error(errc::bad_body, 0, -1, "gzip stream is corrupt or truncated");
      }
      return source(std::move(p));
    }

    if (kind == source_kind::mapped && st.st_size > 0) {
      p->map.open(path);
      if (!p->map.is_open()) {
        g_last_errno = errno;
        return make_error(errc::io_error, 0, -1, "cannot map file");
      }
      return source(std::move(p));
    }

    // pread: a snapshot of the file as it is now, immune to later truncation.
    p->kind = kind == source_kind::mapped ? source_kind::mapped : source_kind::pread;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      g_last_errno = errno;
      return make_error(errc::io_error, 0, -1, "cannot open file");
    }
    p->buffer.resize(static_cast<std::size_t>(st.st_size));
    std::size_t done = 0;
    while (done < p->buffer.size()) {
      ssize_t n = ::pread(fd, p->buffer.data() + done, p->buffer.size() - done, static_cast<off_t>(done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        g_last_errno = errno;
        ::close(fd);
        return make_error(errc::io_error, 0, -1, "cannot read file");
      }
      if (n == 0) break;  // shrank since stat: keep what is there
      done += static_cast<std::size_t>(n);
    }
    p->buffer.resize(done);
    ::close(fd);
    return source(std::move(p));
  } catch (const std::exception&) {
    g_last_errno = errno;
    return make_error(errc::io_error, 0, -1, "cannot read file");
  }
}

}  // namespace binlogkit
