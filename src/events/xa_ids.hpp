// XA transaction ids (xid: gtrid, bqual, formatID) as the hazards module compares them: the
// XA_prepare event carries them as bytes, XA PREPARE / COMMIT / ROLLBACK statements as
// literals ('text', X'hex', 0xhex), the format id defaulting to 1.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace binlogkit::detail {

// "format:gtrid-hex:bqual-hex": equal for equal xids whichever way they were written.
[[nodiscard]] std::string xa_key(std::int64_t format_id, std::string_view gtrid, std::string_view bqual);
// X'gtrid',X'bqual',format (how the servers log XA COMMIT).
[[nodiscard]] std::string xa_text(std::int64_t format_id, std::string_view gtrid, std::string_view bqual);

struct xa_id {
  std::string key, text;
};
// The xid of "XA PREPARE|COMMIT|ROLLBACK xid [ONE PHASE]"; std::nullopt when the text after
// the keywords is not an xid.
[[nodiscard]] std::optional<xa_id> parse_xa_statement(std::string_view sql);

}  // namespace binlogkit::detail
