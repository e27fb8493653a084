// RowSampling: how a backend draws one logit row's token (Backend::SampleRows), the same
// on the host and on the GPU. First the row's LogitEdits (logit_bias, penalties, banned
// tokens: the request's logits processing as sparse per-column changes), then its token
// mask (a grammar's allowed next tokens: the other columns become -infinity), then:
//  - temperature 0: the argmax, the lowest column on ties;
//  - else: candidates in order (larger logit first, lower column on ties), cut to the
//    shortest prefix that top-k, top-p and min-p allow (top-p and min-p over the softmax
//    of the top-k at the temperature, as Sampler does on the host), then a Gumbel-max draw
//    among them (sample_noise.h), keyed by the seed.
// Probability masses are summed in fixed point (2^-32 units), so a row's cut does not
// depend on summation order; the host and the GPU differ only where expf does (an ulp).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <vector>

#include "backend/sample_noise.h"

namespace sgl {

// One column's change: x -> forbid ? -inf : Repeat(x + bias) - penalty, where Repeat
// divides positive logits by `repetition` and multiplies the others (1: unchanged). That
// is ApplyLogitsProcessing's order: logit_bias, repetition, frequency/presence, bans. The
// edits of one row name distinct columns (the GPU applies them in parallel).
struct LogitEdit {
  int32_t column = 0;
  float bias = 0.0f;
  float repetition = 1.0f;
  float penalty = 0.0f;
  int32_t forbid = 0;
};

SGL_HOST_DEVICE_FN inline float EditLogit(float x, const LogitEdit& e) {
  if (e.forbid) return -INFINITY;
#ifdef __CUDA_ARCH__  // rounded intrinsics: nvcc would fuse y * repetition - penalty into an FMA
  float y = __fadd_rn(x, e.bias);
  if (e.repetition != 1.0f) y = y > 0 ? __fdiv_rn(y, e.repetition) : __fmul_rn(y, e.repetition);
  return __fsub_rn(y, e.penalty);
#else
  float y = x + e.bias;
  if (e.repetition != 1.0f) y = y > 0 ? y / e.repetition : y * e.repetition;
  return y - e.penalty;
#endif
}

struct RowSampling {
  float temperature = 0.0f;  // <= 0: argmax
  uint64_t seed = 0;
  int32_t top_k = 0;     // <= 0 or >= vocab: all
  float top_p = 1.0f;    // >= 1: all
  float min_p = 0.0f;    // <= 0: all
  int32_t edit_begin = 0;  // the row's edits: ForwardBatch::logit_edits[edit_begin, edit_end)
  int32_t edit_end = 0;
  // The row's token mask: ForwardBatch::token_masks[mask_begin, mask_begin + mask_words),
  // bit c of word c / 32 set iff column c is allowed (columns past the words are not).
  // mask_begin < 0: every column is allowed.
  int32_t mask_begin = -1;
  int32_t mask_words = 0;

  // Whether top-k, top-p or min-p may cut a temperature draw over `vocab` columns.
  SGL_HOST_DEVICE_FN bool Cuts(int64_t vocab) const {
    return temperature > 0.0f && ((top_k > 0 && top_k < vocab) || top_p < 1.0f || min_p > 0.0f);
  }
};

// Whether the row's token mask (`masks`: ForwardBatch::token_masks) allows column c.
SGL_HOST_DEVICE_FN inline bool MaskAllows(const RowSampling& s, const uint32_t* masks, int64_t c) {
  if (s.mask_begin < 0) return true;
  return c < static_cast<int64_t>(s.mask_words) * 32 && ((masks[s.mask_begin + (c >> 5)] >> (c & 31)) & 1u) != 0;
}

// A candidate's weight exp((x - max) / T) in units of 2^-32 (the best weighs 2^32).
SGL_HOST_DEVICE_FN inline uint64_t CandidateWeight(float x, float max, float inv_temperature) {
  return static_cast<uint64_t>(static_cast<double>(expf((x - max) * inv_temperature)) * 4294967296.0);
}

// The fixed-point mass top-p must reach within the top-k's total mass `total`.
SGL_HOST_DEVICE_FN inline uint64_t TopPTarget(float top_p, uint64_t total) {
  return static_cast<uint64_t>(static_cast<double>(top_p) * static_cast<double>(total));
}

// The smallest weight min-p keeps.
SGL_HOST_DEVICE_FN inline uint64_t MinPWeight(float min_p) {
  return static_cast<uint64_t>(static_cast<double>(min_p) * 4294967296.0);
}

// The host's draw for one row of n logits, edited and masked in place first. `edits` and
// `masks` are the batch's (ForwardBatch::logit_edits, token_masks).
inline int32_t SampleRowOnHost(float* row, int64_t n, const RowSampling& s, const LogitEdit* edits,
                               const uint32_t* masks) {
  for (int32_t e = s.edit_begin; e < s.edit_end; ++e)
    if (edits[e].column >= 0 && edits[e].column < n) row[edits[e].column] = EditLogit(row[edits[e].column], edits[e]);
  if (s.mask_begin >= 0)
    for (int64_t c = 0; c < n; ++c)
      if (!MaskAllows(s, masks, c)) row[c] = -INFINITY;
  if (!s.Cuts(n)) return SampleRowOnHost(row, n, s.temperature, s.seed);
  std::vector<int32_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  const int64_t k = s.top_k > 0 && s.top_k < n ? s.top_k : n;
  auto better = [&](int32_t a, int32_t b) { return row[a] > row[b] || (row[a] == row[b] && a < b); };
  std::partial_sort(order.begin(), order.begin() + k, order.end(), better);
  const float max = row[order[0]], inv = 1.0f / s.temperature;
  std::vector<uint64_t> weight(k);
  uint64_t total = 0;
  for (int64_t i = 0; i < k; ++i) total += weight[i] = CandidateWeight(row[order[i]], max, inv);
  int64_t keep = k;
  if (s.top_p < 1.0f) {
    const uint64_t target = TopPTarget(s.top_p, total);
    uint64_t mass = 0;
    for (int64_t i = 0; i < k; ++i) {
      mass += weight[i];
      if (mass >= target) {
        keep = std::min(keep, i + 1);
        break;
      }
    }
  }
  if (s.min_p > 0.0f) {
    const uint64_t least = MinPWeight(s.min_p);
    int64_t i = 1;
    while (i < keep && weight[i] >= least) ++i;
    keep = i;
  }
  int32_t best = order[0];
  float best_value = NoisyLogit(row[best], inv, s.seed, best);
  for (int64_t i = 1; i < keep; ++i) {
    const float v = NoisyLogit(row[order[i]], inv, s.seed, order[i]);
    if (v > best_value || (v == best_value && order[i] < best)) {
      best_value = v;
      best = order[i];
    }
  }
  return best;
}

}  // namespace sgl
