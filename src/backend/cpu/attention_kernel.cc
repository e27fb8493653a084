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

namespace {

// Few rows (decode): one dot product per (row, key), 16 lanes over the head dimension.
inline void ScoresByDot(const AttendArgs& a, int32_t lo, int32_t hi) {
  for (int32_t j = lo; j <= hi; ++j) {
    const float* k = a.keys[j];
    for (int r = 0; r < a.num_rows; ++r) {
      const float* q = a.queries[r];
      float acc[16] = {};
      int d = 0;
      for (; d + 16 <= a.head_dim; d += 16)
        for (int l = 0; l < 16; ++l) acc[l] += q[d + l] * k[d + l];
      float s = 0;
      for (; d < a.head_dim; ++d) s += q[d] * k[d];
      for (float v : acc) s += v;
      a.scores[r * a.num_keys + j] = s * a.scale;
    }
  }
}

// Many rows (prefill): outer products over the head dimension with the queries transposed
// to [dim][row], so the inner loop runs across rows in vector lanes with no horizontal sums.
inline void ScoresByOuterProduct(const AttendArgs& a, int32_t lo, int32_t hi) {
  constexpr int R = kMaxAttendRows;
  alignas(64) float qt[kMaxAttendHeadDim * R];
  for (int d = 0; d < a.head_dim; ++d)
    for (int r = 0; r < R; ++r) qt[d * R + r] = r < a.num_rows ? a.queries[r][d] * a.scale : 0.0f;
  for (int32_t j = lo; j <= hi; ++j) {
    alignas(64) float s[R] = {};
    const float* k = a.keys[j];
    for (int d = 0; d < a.head_dim; ++d)
      for (int r = 0; r < R; ++r) s[r] += k[d] * qt[d * R + r];
    for (int r = 0; r < a.num_rows; ++r) a.scores[r * a.num_keys + j] = s[r];
  }
}

}  // namespace

SGL_MULTIVERSION void AttendRows(const AttendArgs& a) {
  int32_t lo = a.first[0], hi = a.last[0];
  for (int r = 1; r < a.num_rows; ++r) {
    lo = std::min(lo, a.first[r]);
    hi = std::max(hi, a.last[r]);
  }
  if (a.num_rows <= 4) {
    ScoresByDot(a, lo, hi);
  } else {
    ScoresByOuterProduct(a, lo, hi);
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
