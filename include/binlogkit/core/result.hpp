// Errors as values. Decoding never throws: every decoder returns a result<T> whose member
// names follow std::expected, so switching to it later is a `using`.
//
// An error is a value that owns nothing (its detail is static text): cheap to copy and keep.
// message() renders it into a new string.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace binlogkit {

// What went wrong. Truncated input and corrupt input are different outcomes: a file that
// ends inside an event is an unfinished write, not damage in the middle.
enum class errc : std::uint8_t {
  ok = 0,
  truncated,             // the input ends before the structure does
  bad_magic,             // not a binlog: the file does not start with fe 62 69 6e
  bad_event_length,      // an event's size field is impossible (too small / too large)
  bad_header,            // header fields that cannot be (e.g. v1/v3 start event missing)
  checksum_mismatch,     // CRC32 stored in the event does not match its bytes
  unknown_event_type,    // a type code this format description does not define
  bad_post_header,       // the post-header is shorter than the format description says
  bad_body,              // a length or field inside the body points outside the event
  bad_format_description,// the format description event itself does not decode
  no_format_description, // events before any format description
  bad_log_pos,           // log_pos does not continue the chain
  encrypted,             // the event is encrypted and no key is available
  decompression_failed,  // compressed payload does not inflate to the declared size
  unsupported,           // valid input that this version does not decode
  missing_table_map,     // a rows event refers to a table id with no TABLE_MAP before it
  bad_value,             // a column value does not decode under its type and metadata
  io_error,              // the operating system refused to read the file
};

[[nodiscard]] std::string_view to_string(errc code) noexcept;

// Small and copyable: a code, where, which event, and a static detail string.
struct error {
  errc code = errc::ok;
  std::uint64_t offset = 0;        // file offset of the event (or of the byte) at fault
  std::int16_t event_type = -1;    // type code of the event, -1 when unknown / not read
  std::string_view detail = {};    // static text, never owns memory

  [[nodiscard]] std::string message() const;
};

template <class E>
class unexpected {
 public:
  constexpr explicit unexpected(E e) noexcept(std::is_nothrow_move_constructible_v<E>)
      : e_(std::move(e)) {}
  constexpr const E& error() const& noexcept { return e_; }
  constexpr E& error() & noexcept { return e_; }

 private:
  E e_;
};

inline unexpected<error> make_error(errc code, std::uint64_t offset, int event_type,
                                    std::string_view detail) noexcept {
  return unexpected<error>(error{code, offset, static_cast<std::int16_t>(event_type), detail});
}

// A minimal std::expected<T, error>. Not thread-safe to share mutably, like any value.
template <class T>
class [[nodiscard]] result {
 public:
  using value_type = T;
  using error_type = ::binlogkit::error;

  constexpr result() requires std::is_default_constructible_v<T> : v_(std::in_place_index<0>) {}
  constexpr result(const T& v) : v_(std::in_place_index<0>, v) {}  // NOLINT: implicit like expected
  constexpr result(T&& v) : v_(std::in_place_index<0>, std::move(v)) {}  // NOLINT
  // Builds the value in place (no temporary T to copy from).
  template <class... Args>
  constexpr explicit result(std::in_place_t, Args&&... args)
      : v_(std::in_place_index<0>, std::forward<Args>(args)...) {}
  constexpr result(unexpected<error_type> e) : v_(std::in_place_index<1>, e.error()) {}  // NOLINT

  [[nodiscard]] constexpr bool has_value() const noexcept { return v_.index() == 0; }
  constexpr explicit operator bool() const noexcept { return has_value(); }

  constexpr T& value() & { return std::get<0>(v_); }
  constexpr const T& value() const& { return std::get<0>(v_); }
  constexpr T&& value() && { return std::get<0>(std::move(v_)); }
  constexpr T& operator*() & { return std::get<0>(v_); }
  constexpr const T& operator*() const& { return std::get<0>(v_); }
  constexpr T&& operator*() && { return std::get<0>(std::move(v_)); }
  constexpr T* operator->() { return &std::get<0>(v_); }
  constexpr const T* operator->() const { return &std::get<0>(v_); }
  constexpr const error_type& error() const& { return std::get<1>(v_); }

 private:
  std::variant<T, error_type> v_;
};

template <>
class [[nodiscard]] result<void> {
 public:
  using error_type = ::binlogkit::error;
  constexpr result() = default;
  constexpr result(unexpected<error_type> e) : e_(e.error()) {}  // NOLINT
  [[nodiscard]] constexpr bool has_value() const noexcept { return e_.code == errc::ok; }
  constexpr explicit operator bool() const noexcept { return has_value(); }
  constexpr const error_type& error() const& { return e_; }

 private:
  error_type e_{};
};

}  // namespace binlogkit

// One-line propagation: BK_TRY(auto x, expr) or BK_TRY_VOID(expr).
#define BK_CONCAT_INNER(a, b) a##b
#define BK_CONCAT(a, b) BK_CONCAT_INNER(a, b)
#define BK_TRY_IMPL(tmp, decl, expr)                                              \
  auto tmp = (expr);                                                              \
  if (!tmp.has_value()) return ::binlogkit::unexpected<::binlogkit::error>(tmp.error()); \
  decl = std::move(*tmp)
#define BK_TRY(decl, expr) BK_TRY_IMPL(BK_CONCAT(bk_try_, __LINE__), decl, expr)
#define BK_TRY_VOID(expr)                                                           \
  do {                                                                              \
    auto bk_try_void_ = (expr);                                                     \
    if (!bk_try_void_.has_value())                                                  \
      return ::binlogkit::unexpected<::binlogkit::error>(bk_try_void_.error());     \
  } while (0)
