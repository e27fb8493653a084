// UnigramModel: HF tokenizers' Unigram (SentencePiece unigram LM: T5, ALBERT, XLM-R).
// A piece is segmented by Viterbi over the scored vocabulary: the segmentation with the
// largest total score wins; a character no entry starts with costs (min score - 10) and
// becomes unk, consecutive unks fused into one. With byte_fallback an unk span is
// spelled as <0xNN> byte tokens instead when all of them exist. Immutable; thread-safe.
#pragma once

#include <memory>
#include <unordered_map>

#include "tokenizer/model.h"
#include "tokenizer/vocab.h"

namespace sgl::tokenizer {

class UnigramModel final : public Model {
 public:
  // tokenizer.json's {"type": "Unigram", "vocab": [[piece, score], ...], "unk_id": n,
  // "byte_fallback": b}.
  static Result<std::unique_ptr<UnigramModel>> FromJson(const nlohmann::json& config);

  void Encode(std::string_view piece, std::vector<int32_t>& ids) const override;
  std::optional<int32_t> TokenToId(std::string_view token) const override;
  const std::string* IdToToken(int32_t id) const override;
  int64_t size() const override { return static_cast<int64_t>(pieces_.size()); }

 private:
  // One step of the Viterbi pass: the best segmentation of text[0, end) ends with the
  // entry `id` covering [begin, end).
  struct BestPath {
    double score = 0;
    size_t begin = 0;
    int32_t id = -1;  // -1: no path reaches this position yet
  };
  UnigramModel() = default;
  void Insert(std::string_view piece, int32_t id);
  std::vector<BestPath> Viterbi(std::string_view text) const;
  void EmitSpan(std::string_view span, int32_t id, std::vector<int32_t>& ids) const;

  std::vector<std::string> pieces_;
  std::vector<double> scores_;
  std::unordered_map<std::string_view, int32_t> piece_to_id_;  // views into pieces_
  // Byte trie over the pieces: edge (node << 8 | byte) -> child; terminal id per node.
  std::unordered_map<uint64_t, int32_t> edges_;
  std::vector<int32_t> terminal_{-1};
  std::optional<int32_t> unk_id_;
  double unk_score_ = 0;
  bool byte_fallback_ = false;
  std::vector<std::optional<int32_t>> byte_ids_;
};

}  // namespace sgl::tokenizer
