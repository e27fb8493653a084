// PCRE2 wrapper. Text is matched as UTF-8 without re-validation (callers pass valid
// UTF-8: the tokenizer makes input valid first).
#define PCRE2_CODE_UNIT_WIDTH 8
#include "tokenizer/pcre_regex.h"

#include <pcre2.h>

namespace sgl::tokenizer {

Result<std::unique_ptr<PcreRegex>> PcreRegex::Compile(const std::string& pattern) {
  int error = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                   PCRE2_UTF | PCRE2_UCP, &error, &offset, nullptr);
  if (code == nullptr) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error, message, sizeof(message));
    return InvalidArgument("regex '{}' does not compile at offset {}: {}", pattern, offset,
                           reinterpret_cast<const char*>(message));
  }
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // falls back to the interpreter on failure
  return std::unique_ptr<PcreRegex>(new PcreRegex(code));
}

Result<std::unique_ptr<PcreRegex>> PcreRegex::Literal(const std::string& literal) {
  return Compile("\\Q" + [&] {
    std::string escaped;  // \E inside the literal would end the quoting
    for (size_t i = 0; i < literal.size(); ++i) {
      if (literal.compare(i, 2, "\\E") == 0) {
        escaped += "\\E\\\\E\\Q";
        ++i;
      } else {
        escaped += literal[i];
      }
    }
    return escaped;
  }() + "\\E");
}

PcreRegex::~PcreRegex() { pcre2_code_free(static_cast<pcre2_code*>(code_)); }

std::vector<std::pair<size_t, size_t>> PcreRegex::FindAll(std::string_view text) const {
  auto* code = static_cast<pcre2_code*>(code_);
  std::vector<std::pair<size_t, size_t>> matches;
  pcre2_match_data* data = pcre2_match_data_create_from_pattern(code, nullptr);
  size_t start = 0;
  while (start <= text.size()) {
    int rc = pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), start, PCRE2_NO_UTF_CHECK,
                         data, nullptr);
    if (rc < 0 && rc != PCRE2_ERROR_NOMATCH) {  // e.g. the JIT stack ran out: the interpreter has no such limit
      rc = pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), start,
                       PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT, data, nullptr);
    }
    if (rc < 0) break;
    const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(data);
    const size_t begin = ovector[0], end = ovector[1];
    if (end > begin) {
      matches.emplace_back(begin, end);
      start = end;
    } else {  // empty match: step one code point
      start = end + 1;
      while (start < text.size() && (static_cast<uint8_t>(text[start]) & 0xC0) == 0x80) ++start;
    }
  }
  pcre2_match_data_free(data);
  return matches;
}

}  // namespace sgl::tokenizer
