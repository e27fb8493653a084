// Double-array lookups follow darts-clone's unit layout (as the spm_precompiled crate
// reads it); every index is bounds-checked since the map comes from the file.
#include "tokenizer/precompiled_normalizer.h"

#include <utf8proc.h>

#include <cstring>

#include "base/base64.h"
#include "tokenizer/utf8.h"

namespace sgl::tokenizer {
namespace {

bool HasLeaf(uint32_t unit) { return ((unit >> 8) & 1) == 1; }
uint32_t Value(uint32_t unit) { return unit & ((1u << 31) - 1); }
uint32_t Label(uint32_t unit) { return unit & ((1u << 31) | 0xFF); }
uint32_t Offset(uint32_t unit) { return (unit >> 10) << ((unit & (1u << 9)) >> 6); }

}  // namespace

Result<std::unique_ptr<PrecompiledNormalizer>> PrecompiledNormalizer::FromBase64(std::string_view base64) {
  auto bytes = DecodeBase64(base64, "precompiled_charsmap");
  if (!bytes.ok()) return bytes.status();
  return FromCharsmap(*bytes);
}

Result<std::unique_ptr<PrecompiledNormalizer>> PrecompiledNormalizer::FromCharsmap(std::string_view charsmap) {
  if (charsmap.size() < 4) return InvalidArgument("precompiled_charsmap is shorter than its header");
  uint32_t trie_bytes = 0;
  std::memcpy(&trie_bytes, charsmap.data(), 4);  // little-endian, as every host we build for
  if (trie_bytes % 4 != 0 || trie_bytes > charsmap.size() - 4 || trie_bytes == 0) {
    return InvalidArgument("precompiled_charsmap: trie size {} does not fit", trie_bytes);
  }
  std::unique_ptr<PrecompiledNormalizer> n(new PrecompiledNormalizer());
  n->trie_.resize(trie_bytes / 4);
  std::memcpy(n->trie_.data(), charsmap.data() + 4, trie_bytes);
  n->replacements_ = std::string(charsmap.substr(4 + trie_bytes));
  return n;
}

const char* PrecompiledNormalizer::Transform(std::string_view chunk, size_t& len) const {
  size_t node = 0;
  uint32_t unit = trie_[0];
  node ^= Offset(unit);
  for (const char ch : chunk) {
    const auto c = static_cast<uint8_t>(ch);
    if (c == 0) break;
    node ^= c;
    if (node >= trie_.size()) return nullptr;
    unit = trie_[node];
    if (Label(unit) != c) return nullptr;
    node ^= Offset(unit);
    if (node >= trie_.size()) return nullptr;
    if (HasLeaf(unit)) {
      const uint32_t index = Value(trie_[node]);
      if (index >= replacements_.size()) return nullptr;
      const char* start = replacements_.data() + index;
      len = strnlen(start, replacements_.size() - index);
      return start;
    }
  }
  return nullptr;
}

std::string PrecompiledNormalizer::Normalize(std::string_view text) const {
  std::string out;
  out.reserve(text.size());
  auto rewrite_chars = [&](std::string_view cluster) {
    for (size_t pos = 0; pos < cluster.size();) {
      const size_t cp_len = DecodeUtf8(cluster, pos).len;
      const std::string_view part = cluster.substr(pos, cp_len);
      size_t len = 0;
      if (const char* replacement = Transform(part, len)) {
        out.append(replacement, len);
      } else {
        out += part;
      }
      pos += cp_len;
    }
  };
  utf8proc_int32_t state = 0;
  size_t cluster_begin = 0;
  char32_t previous = 0;
  for (size_t pos = 0; pos <= text.size();) {
    const bool at_end = pos == text.size();
    const CodePoint cp = at_end ? CodePoint{0, 0} : DecodeUtf8(text, pos);
    const bool boundary = at_end || (pos > 0 && utf8proc_grapheme_break_stateful(static_cast<utf8proc_int32_t>(previous),
                                                                                  static_cast<utf8proc_int32_t>(cp.value), &state));
    if (boundary && pos > cluster_begin) {
      const std::string_view cluster = text.substr(cluster_begin, pos - cluster_begin);
      size_t len = 0;
      const char* replacement = cluster.size() < 6 ? Transform(cluster, len) : nullptr;
      if (replacement) {
        out.append(replacement, len);
      } else {
        rewrite_chars(cluster);
      }
      cluster_begin = pos;
    }
    if (at_end) break;
    previous = cp.value;
    pos += cp.len;
  }
  return out;
}

}  // namespace sgl::tokenizer
