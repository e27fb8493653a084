#include "backend/forward_batch.h"

#include <cassert>

#include "backend/late_token_masks.h"

namespace sgl {

void ForwardBatch::Clear() {
  for (std::vector<int32_t>* v : {&input_ids, &positions, &out_kv_slots, &kv_slots, &logit_rows}) v->clear();
  sequences.clear();
  axis_positions.clear();
  input_embeds.clear();
  host_logit_rows.clear();
  sampling.clear();
  logit_edits.clear();
  token_masks.clear();
  late_token_masks.reset();
}

void ForwardBatch::AddSequence(const std::vector<int32_t>& new_ids, const std::vector<int32_t>& slots,
                               bool want_logits) {
  assert(new_ids.size() <= slots.size());
  BatchSequence seq;
  seq.token_begin = static_cast<int32_t>(input_ids.size());
  seq.num_new_tokens = static_cast<int32_t>(new_ids.size());
  seq.kv_begin = static_cast<int32_t>(kv_slots.size());
  seq.kv_len = static_cast<int32_t>(slots.size());
  const int32_t prefix_len = seq.kv_len - seq.num_new_tokens;
  for (int32_t i = 0; i < seq.num_new_tokens; ++i) {
    input_ids.push_back(new_ids[i]);
    positions.push_back(prefix_len + i);
    out_kv_slots.push_back(slots[prefix_len + i]);
  }
  kv_slots.insert(kv_slots.end(), slots.begin(), slots.end());
  sequences.push_back(seq);
  if (want_logits && seq.num_new_tokens > 0) {
    logit_rows.push_back(seq.token_begin + seq.num_new_tokens - 1);
    if (!host_logit_rows.empty()) host_logit_rows.push_back(1);
    if (!sampling.empty()) sampling.push_back(RowSampling{});
  }
}

int64_t ForwardBatch::NumMaskWords() const {
  return static_cast<int64_t>(late_token_masks ? late_token_masks->size() : token_masks.size());
}

const uint32_t* ForwardBatch::TokenMasks() const {
  return late_token_masks ? late_token_masks->Get().data() : token_masks.data();
}

bool ForwardBatch::SamplingWithinBounds() const {
  if (!sampling.empty() && sampling.size() != logit_rows.size()) return false;
  const int64_t num_edits = static_cast<int64_t>(logit_edits.size());
  const int64_t num_words = NumMaskWords();
  for (const RowSampling& s : sampling) {
    if (s.edit_begin < 0 || s.edit_begin > s.edit_end || s.edit_end > num_edits) return false;
    if (s.mask_begin >= 0 && (s.mask_words < 0 || int64_t{s.mask_begin} + s.mask_words > num_words)) return false;
  }
  return true;
}

}  // namespace sgl
