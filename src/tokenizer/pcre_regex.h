// PcreRegex: a compiled PCRE2 pattern (UTF + Unicode properties, JIT when available)
// used by the Split pre-tokenizer and Replace normalizer/decoder. FindAll returns the
// non-overlapping matches left to right. Immutable after Compile; FindAll is
// thread-safe (each call uses its own match data).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace sgl::tokenizer {

class PcreRegex {
 public:
  static Result<std::unique_ptr<PcreRegex>> Compile(const std::string& pattern);
  // A pattern matching `literal` exactly.
  static Result<std::unique_ptr<PcreRegex>> Literal(const std::string& literal);
  ~PcreRegex();
  PcreRegex(const PcreRegex&) = delete;
  PcreRegex& operator=(const PcreRegex&) = delete;

  // [begin, end) byte ranges of the matches; empty matches are skipped.
  std::vector<std::pair<size_t, size_t>> FindAll(std::string_view text) const;

 private:
  explicit PcreRegex(void* code) : code_(code) {}
  void* code_;  // pcre2_code_8*
};

}  // namespace sgl::tokenizer
