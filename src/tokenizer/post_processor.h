// PostProcessor: adds special tokens around an encoded sequence (HF tokenizers' last
// encoding stage; runs only when add_special_tokens is true). Supported types:
// TemplateProcessing (single-sequence template), ByteLevel (no effect on ids),
// Sequence. Immutable; thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/status.h"

namespace sgl::tokenizer {

class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  virtual std::vector<int32_t> Process(std::vector<int32_t> ids) const = 0;

  // null JSON => nullptr. Unknown types => Unsupported naming them.
  static Result<std::unique_ptr<PostProcessor>> FromJson(const nlohmann::json& config);
  // A template "<prefix ids> $A <suffix ids>" (used for GGUF's add_bos/add_eos).
  static std::unique_ptr<PostProcessor> Wrap(std::vector<int32_t> prefix, std::vector<int32_t> suffix);
};

}  // namespace sgl::tokenizer
