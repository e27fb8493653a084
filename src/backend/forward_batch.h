// ForwardBatch: everything one model step needs, in SGLang's shape: a ragged batch of
// sequences, each appending `num_new_tokens` (a prefill chunk, or 1 for a decode) to a
// KV history that may already hold a cached prefix. Built on the host by the runtime,
// read by the model and by the backend (which copies it to the device if it has one).
//
//   sequence s:  kv_slots[s.kv_begin, s.kv_begin + s.kv_len)  = page table of all tokens
//                tokens [s.token_begin, s.token_begin + s.num_new_tokens) are new; they are
//                the last num_new_tokens entries of that page table.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "backend/row_sampling.h"

namespace sgl {

class LateTokenMasks;  // late_token_masks.h (C++20; this header is also read by nvcc as C++17)

struct BatchSequence {
  int32_t token_begin = 0;     // index of its first new token in input_ids
  int32_t num_new_tokens = 0;  // tokens computed this step
  int32_t kv_begin = 0;        // index of its first entry in kv_slots
  int32_t kv_len = 0;          // cached prefix + new tokens
};

// Rows that replace the token embedding of tokens [token_begin, token_begin + num_tokens):
// an image's encoder output, from its row `first_row` on (a prefill chunk may hold part
// of an image).
struct InputEmbeds {
  int32_t token_begin = 0;
  int32_t num_tokens = 0;
  int64_t first_row = 0;
  std::shared_ptr<const std::vector<float>> rows;  // row-major, hidden_size floats per row
};

struct ForwardBatch {
  std::vector<int32_t> input_ids;     // [num_tokens]
  std::vector<int32_t> positions;     // [num_tokens] rotary position of each new token
  std::vector<int32_t> out_kv_slots;  // [num_tokens] KV slot each new token writes
  std::vector<int32_t> kv_slots;      // concatenated page tables of all sequences
  std::vector<BatchSequence> sequences;
  std::vector<int32_t> logit_rows;    // token indices whose logits the step returns
  // [axis][num_tokens]: per-axis rotary positions for RopeSpecs with axis_sections
  // (M-RoPE's t/h/w, a vision tower's row/column); empty otherwise.
  std::vector<std::vector<int32_t>> axis_positions;
  std::vector<InputEmbeds> input_embeds;  // models that take them (VLMs) apply them after Embed
  // Per logit row: whether its logits must reach the host (logprobs, prompt logits); the
  // other rows return only their token, drawn on the device. Empty: every row.
  std::vector<uint8_t> host_logit_rows;
  // Per logit row: how SampleRows draws its token (row_sampling.h: edits, temperature,
  // seed, top-k/p, min-p). Empty: the argmax for every row.
  std::vector<RowSampling> sampling;
  std::vector<LogitEdit> logit_edits;  // the rows' edits, RowSampling::edit_begin/end into it
  std::vector<uint32_t> token_masks;   // the rows' grammar masks, RowSampling::mask_begin/words into it
  // When set, the rows' masks come from here instead of token_masks, filled only when the
  // backend samples: the host computes them while the device runs the step.
  std::shared_ptr<LateTokenMasks> late_token_masks;

  int64_t num_tokens() const { return static_cast<int64_t>(input_ids.size()); }
  bool WantsHostLogits(int64_t row) const { return host_logit_rows.empty() || host_logit_rows[row] != 0; }
  RowSampling SamplingOf(int64_t row) const { return sampling.empty() ? RowSampling{} : sampling[row]; }
  int64_t NumMaskWords() const;
  // The rows' masks, NumMaskWords() words (late ones filled now, if not yet).
  const uint32_t* TokenMasks() const;

  // Empties the batch but keeps its buffers' capacity (a step reusing it allocates nothing
  // it had before).
  void Clear();

  // Appends a sequence whose page table is `slots`; its last `new_ids.size()` slots
  // receive the new tokens, at positions [slots.size() - new_ids.size(), slots.size()).
  // When `want_logits`, the last new token's row is added to logit_rows.
  void AddSequence(const std::vector<int32_t>& new_ids, const std::vector<int32_t>& slots, bool want_logits);

  // Whether `sampling` has one entry per logit row (or none) and each names edits and a
  // mask inside logit_edits and token_masks (backends check this before sampling).
  bool SamplingWithinBounds() const;

  // Whether every KV slot the batch reads or writes lies in [0, num_slots) (backends
  // check this before running ops on it).
  bool SlotsWithin(int64_t num_slots) const {
    for (const auto* slots : {&kv_slots, &out_kv_slots})
      for (int32_t s : *slots)
        if (s < 0 || s >= num_slots) return false;
    return true;
  }
};

// What a forward step returns for its batch's logit rows.
struct ForwardOutput {
  // logit_rows.size() x vocab_size floats; rows the batch does not want on the host are
  // left as they were.
  std::vector<float> logits;
  // One per logit row: its token drawn on the device (the largest logit, the lowest id on
  // ties, unless the batch gives the row a temperature).
  std::vector<int32_t> tokens;
};

}  // namespace sgl
