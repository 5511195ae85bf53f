#include "binlogkit/events/compression.hpp"

#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <limits>

namespace binlogkit {

result<std::vector<std::uint8_t>> inflate_mariadb(bytes block, std::uint64_t offset, int type) {
  cursor c(block);
  auto head = c.u8();
  if (!c.ok()) return make_error(errc::bad_body, offset, type, "compressed block is empty");
  const unsigned lenlen = head & 0x07u;
  if ((head & 0x80u) == 0 || lenlen < 1 || lenlen > 4) {
    return make_error(errc::bad_body, offset, type, "compressed block header is not 0x80 | 1..4");
  }
  const std::uint64_t original = c.uint_be(lenlen);
  if (!c.ok()) return make_error(errc::bad_body, offset, type, "compressed block ends inside its length");
  if (original > max_inflated_size) {
    return make_error(errc::bad_body, offset, type, "compressed block declares more than 1 GiB");
  }
  auto in = c.rest();
  // zlib's deflate cannot expand data more than ~1032:1; a larger claim is a lie.
  if (original > in.size() * 1032ull + 64) {
    return make_error(errc::decompression_failed, offset, type, "declared length exceeds what the block can inflate to");
  }
  std::vector<std::uint8_t> out(original);
  uLongf out_len = static_cast<uLongf>(original);
  int rc = ::uncompress(out.data(), &out_len, in.data(), static_cast<uLong>(in.size()));
  if (rc != Z_OK || out_len != original) {
    return make_error(errc::decompression_failed, offset, type, "zlib block does not inflate to its declared length");
  }
  return out;
}

result<payload_reader> payload_reader::open(const event_view& ev, const transaction_payload_event& p) {
  constexpr int type = static_cast<int>(event_type::transaction_payload);
  payload_reader r;
  r.outer_offset_ = ev.offset;
  r.format_ = ev.format->without_checksums();
  if (p.uncompressed_size > max_inflated_size) {
    return make_error(errc::bad_body, ev.offset, type, "transaction payload declares more than 1 GiB");
  }
  if (p.compression == 255) {  // NONE
    r.buffer_.assign(p.payload.begin(), p.payload.end());
    return r;
  }
  ZSTD_DStream* z = ZSTD_createDStream();
  if (z == nullptr) return make_error(errc::decompression_failed, ev.offset, type, "cannot create a zstd stream");
  ZSTD_initDStream(z);
  // Grow the buffer as output arrives, never past the declared size.
  r.buffer_.resize(std::min<std::uint64_t>(p.uncompressed_size, 1u << 20));
  ZSTD_inBuffer in{p.payload.data(), p.payload.size(), 0};
  ZSTD_outBuffer out{r.buffer_.data(), r.buffer_.size(), 0};
  bool failed = false;
  for (;;) {
    std::size_t rc = ZSTD_decompressStream(z, &out, &in);
    if (ZSTD_isError(rc)) { failed = true; break; }
    if (rc == 0) break;  // frame complete
    if (out.pos == out.size) {
      if (out.size >= p.uncompressed_size) { failed = true; break; }  // more than declared
      r.buffer_.resize(std::min<std::uint64_t>(p.uncompressed_size, out.size * 2));
      out.dst = r.buffer_.data();
      out.size = r.buffer_.size();
    } else if (in.pos == in.size) {
      failed = true;  // input ended inside the frame
      break;
    }
  }
  ZSTD_freeDStream(z);
  if (failed || out.pos != p.uncompressed_size || in.pos != in.size) {
    return make_error(errc::decompression_failed, ev.offset, type,
                      "zstd payload does not inflate to its declared size");
  }
  r.buffer_.resize(out.pos);
  return r;
}

result<std::optional<event_view>> payload_reader::next() noexcept {
  if (pos_ >= buffer_.size()) return std::optional<event_view>{};

  const bytes all{buffer_.data(), buffer_.size()};
  const std::size_t hl = format_.header_length();
  const std::uint64_t at = pos_;
  if (all.size() - at < hl) {
    return make_error(errc::truncated, outer_offset_, static_cast<int>(event_type::transaction_payload),
                      "transaction payload ends inside an inner event header");
  }
  const auto* p = all.data() + at;
  event_view ev;
  ev.offset = at;
  ev.header.timestamp = detail::le32(p);
  ev.header.type_code = p[4];
  ev.header.server_id = detail::le32(p + 5);
  ev.header.event_size = detail::le32(p + 9);
  ev.header.log_pos = detail::le32(p + 13);
  ev.header.flags = detail::le16(p + 17);
  if (ev.header.event_size < hl || ev.header.event_size > all.size() - at) {
    return make_error(errc::bad_event_length, outer_offset_, static_cast<int>(event_type::transaction_payload),
                      "inner event size does not fit the transaction payload");
  }
  if (!is_known_type(ev.header.type_code) || !format_.defines(ev.header.type_code)) {
    return make_error(errc::unknown_event_type, outer_offset_, static_cast<int>(event_type::transaction_payload),
                      "transaction payload holds an unknown event type");
  }
  ev.raw = all.subspan(at, ev.header.event_size);
  ev.body = ev.raw.subspan(hl);
  ev.format = &format_;
  pos_ += ev.header.event_size;
  return std::optional<event_view>{ev};
}

}  // namespace binlogkit
