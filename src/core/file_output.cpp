#include "binlogkit/core/file_output.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>

namespace binlogkit {

namespace {

// Writes all of data to fd; false with errno set on failure.
bool write_all(int fd, bytes data) noexcept {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) {
      errno = EIO;
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

// fsync of a directory, so that a link made in it survives a crash.
bool sync_directory(const std::string& dir) noexcept {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

result<void> write_new_file(const std::string& path, bytes data, int& saved_errno) noexcept {
  saved_errno = 0;
  try {
    namespace fs = std::filesystem;
    auto fail = [&](std::string_view what) {
      saved_errno = errno;
      return make_error(errc::io_error, 0, -1, what);
    };
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
      errno = EEXIST;
      return fail("cannot create (it must not exist yet)");
    }
    const fs::path target(path);
    const std::string dir = target.has_parent_path() ? target.parent_path().string() : std::string(".");
    std::string temp = (fs::path(dir) / ("." + target.filename().string() + ".XXXXXX")).string();
    const int fd = ::mkstemp(temp.data());
    if (fd < 0) return fail("cannot create a temporary file beside it");
    auto abandon = [&](std::string_view what) {
      saved_errno = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      return make_error(errc::io_error, 0, -1, what);
    };
    if (::fchmod(fd, 0644) != 0) return abandon("cannot set the temporary file's mode");
    if (!write_all(fd, data)) return abandon("write failed (nothing was written to it)");
    if (::fsync(fd) != 0) return abandon("fsync failed (nothing was written to it)");
    if (::close(fd) != 0) {
      saved_errno = errno;
      ::unlink(temp.c_str());
      return make_error(errc::io_error, 0, -1, "close failed (nothing was written to it)");
    }
    if (::link(temp.c_str(), path.c_str()) != 0) {
      saved_errno = errno;
      ::unlink(temp.c_str());
      return make_error(errc::io_error, 0, -1,
                        saved_errno == EEXIST ? "cannot create (it must not exist yet)" : "cannot link it in place");
    }
    ::unlink(temp.c_str());
    if (!sync_directory(dir)) return fail("fsync of its directory failed (the file is written)");
    return {};
  } catch (...) {
    saved_errno = ENOMEM;
    return make_error(errc::io_error, 0, -1, "out of memory");
  }
}

}  // namespace binlogkit
