#include "binlogkit/core/result.hpp"

#include <fmt/format.h>

#include "binlogkit/core/event_type.hpp"

namespace binlogkit {

std::string_view to_string(errc code) noexcept {
  switch (code) {
    case errc::ok: return "ok";
    case errc::truncated: return "truncated";
    case errc::bad_magic: return "bad_magic";
    case errc::bad_event_length: return "bad_event_length";
    case errc::bad_header: return "bad_header";
    case errc::checksum_mismatch: return "checksum_mismatch";
    case errc::unknown_event_type: return "unknown_event_type";
    case errc::bad_post_header: return "bad_post_header";
    case errc::bad_body: return "bad_body";
    case errc::bad_format_description: return "bad_format_description";
    case errc::no_format_description: return "no_format_description";
    case errc::bad_log_pos: return "bad_log_pos";
    case errc::encrypted: return "encrypted";
    case errc::decompression_failed: return "decompression_failed";
    case errc::unsupported: return "unsupported";
    case errc::missing_table_map: return "missing_table_map";
    case errc::bad_value: return "bad_value";
    case errc::io_error: return "io_error";
  }
  return "unknown_error";
}

std::string error::message() const {
  if (event_type >= 0) {
    return fmt::format("{} at offset {} ({} event, type {}): {}", to_string(code), offset,
                       type_name(static_cast<std::uint8_t>(event_type)), event_type, detail);
  }
  return fmt::format("{} at offset {}: {}", to_string(code), offset, detail);
}

}  // namespace binlogkit
