#include "backend/cpu/attention_kernel.h"

#include <algorithm>
#include <cmath>
#include <limits>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define SGL_MULTIVERSION __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define SGL_MULTIVERSION
#endif

namespace sgl::cpu {

// Scores are computed as outer products over the head dimension (queries transposed to
// [dim][row]) so the inner loop runs across rows in vector lanes with no horizontal sums.
SGL_MULTIVERSION void AttendRows(const AttendArgs& a) {
  constexpr int R = kMaxAttendRows;
  alignas(64) float qt[kMaxAttendHeadDim * R];
  for (int d = 0; d < a.head_dim; ++d)
    for (int r = 0; r < R; ++r) qt[d * R + r] = r < a.num_rows ? a.queries[r][d] * a.scale : 0.0f;

  int32_t lo = a.first[0], hi = a.last[0];
  for (int r = 1; r < a.num_rows; ++r) {
    lo = std::min(lo, a.first[r]);
    hi = std::max(hi, a.last[r]);
  }
  for (int32_t j = lo; j <= hi; ++j) {
    alignas(64) float s[R] = {};
    const float* k = a.keys[j];
    for (int d = 0; d < a.head_dim; ++d)
      for (int r = 0; r < R; ++r) s[r] += k[d] * qt[d * R + r];
    for (int r = 0; r < a.num_rows; ++r) a.scores[r * a.num_keys + j] = s[r];
  }

  for (int r = 0; r < a.num_rows; ++r) {
    float* row = a.scores + r * a.num_keys;
    float max_score = -std::numeric_limits<float>::infinity();
    for (int32_t j = a.first[r]; j <= a.last[r]; ++j) {
      if (a.softcap > 0) row[j] = a.softcap * std::tanh(row[j] / a.softcap);
      max_score = std::max(max_score, row[j]);
    }
    float denom = 0;
    for (int32_t j = a.first[r]; j <= a.last[r]; ++j) {
      row[j] = std::exp(row[j] - max_score);
      denom += row[j];
    }
    const float inv = 1.0f / denom;
    for (int32_t j = a.first[r]; j <= a.last[r]; ++j) row[j] *= inv;
    std::fill_n(a.outputs[r], a.head_dim, 0.0f);
  }

  for (int32_t j = lo; j <= hi; ++j) {
    const float* v = a.values[j];
    for (int r = 0; r < a.num_rows; ++r) {
      if (j < a.first[r] || j > a.last[r]) continue;
      const float p = a.scores[r * a.num_keys + j];
      float* o = a.outputs[r];
      for (int d = 0; d < a.head_dim; ++d) o[d] += p * v[d];
    }
  }
}

}  // namespace sgl::cpu
