// Model: the stage of HF tokenizers' pipeline that turns one pre-tokenized piece into
// ids over a vocabulary (BPE, WordPiece, Unigram, WordLevel). The Tokenizer holds one
// through this interface. Implementations are immutable after loading; thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/status.h"

namespace sgl::tokenizer {

class Model {
 public:
  virtual ~Model() = default;
  // Appends the ids of one pre-tokenized piece (valid UTF-8) to `ids`. A piece the
  // model cannot represent becomes its unk token, or nothing when it has none (HF
  // fails the whole encode then; we drop the piece rather than fail a request).
  virtual void Encode(std::string_view piece, std::vector<int32_t>& ids) const = 0;
  virtual std::optional<int32_t> TokenToId(std::string_view token) const = 0;
  // nullptr if id is not in the vocabulary.
  virtual const std::string* IdToToken(int32_t id) const = 0;
  // One past the largest id.
  virtual int64_t size() const = 0;

  // tokenizer.json's "model" object; "type" picks the model (BPE when absent, as HF).
  static Result<std::unique_ptr<Model>> FromJson(const nlohmann::json& config);
};

}  // namespace sgl::tokenizer
