// IncrementalDetokenizer: turns one request's growing output ids into settled text deltas,
// the way SGLang's DetokenizerManager and HF's incremental decoding do: each step decodes a
// short window of ids from a prefix offset and emits only what the new ids added to the
// prefix's text. Text ending in an unfinished UTF-8 sequence (a byte-level token that is
// only part of a character) or in a run of byte-fallback tokens (which HF decodes as one
// group) is held back until it is final, so no delta ends in a broken sequence or a stray
// U+FFFD; Finish() gives out the rest.
// The deltas, concatenated, equal Tokenizer::Decode of all ids.
// spaces_between_special_tokens is not a parameter: transformers' fast tokenizers, which
// SGLang uses, ignore it, and so does Decode. Borrows the tokenizer; one per request; not
// thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace sgl {

class IncrementalDetokenizer {
 public:
  // REQUIRES: `tokenizer` outlives this object.
  IncrementalDetokenizer(const Tokenizer& tokenizer, bool skip_special_tokens);

  // Adds the next id; returns the text it settled (often empty while a character is
  // incomplete, sometimes the text of several ids at once).
  std::string Append(int32_t id);
  // No more ids: returns the text still held back (an unfinished sequence decodes as
  // U+FFFD, as Decode does).
  std::string Finish();

  const std::vector<int32_t>& ids() const { return ids_; }

 private:
  // Text the ids [prefix_offset_, ids_.size()) add to those of [prefix_offset_, read_offset_).
  std::string NewText() const;
  bool Visible(int32_t id) const;
  // Whether the text of ids [read_offset_, end) is final: they do not stop inside a UTF-8
  // sequence or inside a run of byte-fallback tokens.
  bool Settled() const;

  const Tokenizer& tokenizer_;
  bool skip_special_tokens_;
  std::vector<int32_t> ids_;
  // ids [0, read_offset_) are settled (their text given out). The window decoded each
  // step starts at prefix_offset_, the previous settled group of ids that shows text:
  // decoders treat the first token specially (Metaspace and Strip drop its leading
  // space), so the new ids must never be first; and settled groups end on character
  // and byte-run boundaries, so the window never starts inside a sequence.
  size_t prefix_offset_ = 0;
  size_t read_offset_ = 0;
};

}  // namespace sgl
