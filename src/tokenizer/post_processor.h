// PostProcessor: adds special tokens around one or two encoded sequences and sets their
// type ids (HF tokenizers' last encoding stage). Supported types: TemplateProcessing
// (single and pair templates), BertProcessing, RobertaProcessing, ByteLevel (no effect
// on ids), Sequence. Immutable; thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/status.h"

namespace sgl::tokenizer {

// Ids with their token type ids (segment A: 0, B: 1 unless a template says otherwise).
struct Encoding {
  std::vector<int32_t> ids;
  std::vector<int32_t> type_ids;
};

class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  // `parts` holds one encoding per sequence on entry (1 or 2) and comes back as the
  // pieces to concatenate, in order. REQUIRES: 1 <= parts.size() <= 2 on entry.
  // Without add_special_tokens, templates still set type ids but add no tokens.
  virtual std::vector<Encoding> Process(std::vector<Encoding> parts, bool add_special_tokens) const = 0;

  // null JSON => nullptr. Unknown types => Unsupported naming them.
  static Result<std::unique_ptr<PostProcessor>> FromJson(const nlohmann::json& config);
  // A template "<prefix ids> $A <suffix ids>" (used for GGUF's add_bos/add_eos).
  static std::unique_ptr<PostProcessor> Wrap(std::vector<int32_t> prefix, std::vector<int32_t> suffix);
};

}  // namespace sgl::tokenizer
