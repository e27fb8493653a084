// Tokenizer: text <-> token ids, exactly as Hugging Face `tokenizers` does for the
// supported components (see normalizer.h, pre_tokenizer.h, model.h,
// post_processor.h, decoder.h). Loaded from a tokenizer.json or from a GGUF's
// tokenizer.ggml.* metadata. Immutable after construction; every method is thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "tokenizer/added_vocabulary.h"
#include "tokenizer/decoder.h"
#include "tokenizer/model.h"
#include "tokenizer/normalizer.h"
#include "tokenizer/post_processor.h"
#include "tokenizer/pre_tokenizer.h"

namespace sgl {

class GgufFile;

class Tokenizer {
 public:
  // tokenizer.json (HF tokenizers format). bos/eos come from a tokenizer_config.json in
  // the same folder when there is one.
  static Result<std::unique_ptr<Tokenizer>> FromTokenizerJson(const std::string& path);
  // The text of a tokenizer.json (no tokenizer_config.json: bos/eos stay unset).
  static Result<std::unique_ptr<Tokenizer>> FromJsonText(std::string_view text);
  // tokenizer.ggml.model "gpt2" (byte-level BPE) or "llama" (SentencePiece BPE).
  static Result<std::unique_ptr<Tokenizer>> FromGguf(const GgufFile& gguf);
  // A .gguf file, or a folder holding tokenizer.json.
  static Result<std::unique_ptr<Tokenizer>> FromModelPath(const std::string& path);

  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  // Invalid UTF-8 in `text` is replaced by U+FFFD first.
  std::vector<int32_t> Encode(std::string_view text, bool add_special_tokens) const;
  // A pair of sequences (e.g. a query and a passage for a BERT-style model): A gets type
  // id 0 and B type id 1 unless the post-processor's pair template says otherwise.
  tokenizer::Encoding EncodePair(std::string_view first, std::string_view second, bool add_special_tokens) const;
  // Ids outside the vocabulary are skipped (as HF does).
  std::string Decode(std::span<const int32_t> ids, bool skip_special_tokens) const;
  // The raw bytes token `id` stands for (may be part of a UTF-8 sequence); empty for
  // an unknown id.
  std::string TokenBytes(int32_t id) const;

  int64_t vocab_size() const;
  std::optional<int32_t> bos_id() const { return bos_id_; }
  std::optional<int32_t> eos_id() const { return eos_id_; }
  bool IsSpecial(int32_t id) const;
  // Whether `id` is a <0xNN> token that the decoder turns into one raw byte.
  bool IsByteFallbackToken(int32_t id) const;
  // Whether `id` names a token (Decode skips ids that do not).
  bool HasToken(int32_t id) const { return IdToToken(id) != nullptr; }

 private:
  Tokenizer() = default;
  const std::string* IdToToken(int32_t id) const;
  void EncodeText(std::string_view text, bool at_start, std::vector<int32_t>& ids) const;
  // One sequence through added tokens, normalizer, pre-tokenizer and model.
  std::vector<int32_t> EncodeSequence(std::string_view text) const;
  // Sequence i gets type id i, then the post-processor runs.
  tokenizer::Encoding PostProcess(std::vector<std::vector<int32_t>> sequences, bool add_special_tokens) const;

  std::unique_ptr<tokenizer::Normalizer> normalizer_;
  std::unique_ptr<tokenizer::PreTokenizer> pre_tokenizer_;
  std::unique_ptr<tokenizer::Model> model_;
  tokenizer::AddedVocabulary added_;
  std::unique_ptr<tokenizer::PostProcessor> post_processor_;
  std::unique_ptr<tokenizer::Decoder> decoder_;
  std::optional<int32_t> bos_id_, eos_id_;
};

}  // namespace sgl
