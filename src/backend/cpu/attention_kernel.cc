#include "backend/cpu/attention_kernel.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "backend/cpu/multiversion.h"
#include "backend/cpu/vec_math.h"

namespace sgl::cpu {

namespace {

// Both ways below add a score's products in the same order, so a row's scores do not
// depend on how many rows share the call: a token attends alike in a decode step and in
// a prefill (a radix-cache hit or a retraction then changes no greedy near-tie). Per
// (row, key): the dimensions past the last multiple of 16 first, then 16 partial sums
// (lane l: dimensions l, l + 16, ...), added in lane order; then the scale. Both are
// inlined into each of AttendRows' instruction-set clones, so the optimiser contracts
// their lanes' a * b + c alike (fused where the clone has FMA); the tails, which it did
// not, fuse explicitly. attention_kernel_test checks.
constexpr int kLanes = 16;

// Few rows (decode): one dot product per (row, key), the lanes in vector lanes.
[[gnu::always_inline]] inline void ScoresByDot(const AttendArgs& a, int32_t lo, int32_t hi) {
  const int body = a.head_dim / kLanes * kLanes;
  for (int32_t j = lo; j <= hi; ++j) {
    const float* k = a.keys[j];
    for (int r = 0; r < a.num_rows; ++r) {
      const float* q = a.queries[r];
      float acc[kLanes] = {};
      for (int d = 0; d < body; d += kLanes)
        for (int l = 0; l < kLanes; ++l) acc[l] += q[d + l] * k[d + l];
      float s = 0;
      for (int d = body; d < a.head_dim; ++d) s = std::fma(q[d], k[d], s);
      for (float v : acc) s += v;
      a.scores[r * a.num_keys + j] = s * a.scale;
    }
  }
}

// Many rows (prefill): outer products with the queries transposed to [dim][row], so the
// inner loop runs across rows in vector lanes with no horizontal sums; four keys at a
// time keep four independent accumulator chains in flight.
[[gnu::always_inline]] inline void ScoresByOuterProduct(const AttendArgs& a, int32_t lo, int32_t hi) {
  constexpr int R = kMaxAttendRows;
  constexpr int kKeys = 4;
  const int body = a.head_dim / kLanes * kLanes;
  alignas(64) float qt[kMaxAttendHeadDim * R];
  for (int d = 0; d < a.head_dim; ++d)
    for (int r = 0; r < R; ++r) qt[d * R + r] = r < a.num_rows ? a.queries[r][d] : 0.0f;
  for (int32_t j = lo; j <= hi; j += kKeys) {
    const int keys = std::min<int32_t>(kKeys, hi + 1 - j);
    const float* k[kKeys];
    for (int key = 0; key < kKeys; ++key) k[key] = a.keys[j + std::min(key, keys - 1)];
    alignas(64) float s[kKeys][R] = {};
    for (int d = body; d < a.head_dim; ++d)
      for (int key = 0; key < kKeys; ++key)
        for (int r = 0; r < R; ++r) s[key][r] = std::fma(qt[d * R + r], k[key][d], s[key][r]);
    for (int l = 0; l < kLanes; ++l) {
      alignas(64) float lane[kKeys][R] = {};
      for (int d = l; d < body; d += kLanes) {
        const float* q = qt + d * R;
        for (int key = 0; key < kKeys; ++key)
          for (int r = 0; r < R; ++r) lane[key][r] += q[r] * k[key][d];
      }
      for (int key = 0; key < kKeys; ++key)
        for (int r = 0; r < R; ++r) s[key][r] += lane[key][r];
    }
    for (int key = 0; key < keys; ++key)
      for (int r = 0; r < a.num_rows; ++r) a.scores[r * a.num_keys + j + key] = s[key][r] * a.scale;
  }
}

// out[r] = sum over visible keys j of p[r][j] * v[j], 16 output dims at a time held in
// four independent accumulators (four keys per step) across all keys.
[[gnu::always_inline]] inline void WeightedValues(const AttendArgs& a) {
  constexpr int L = 16;
  for (int r = 0; r < a.num_rows; ++r) {
    const float* p = a.scores + r * a.num_keys;
    const int32_t first = a.first[r], last = a.last[r];
    float* out = a.outputs[r];
    int d0 = 0;
    for (; d0 + L <= a.head_dim; d0 += L) {
      float a0[L] = {}, a1[L] = {}, a2[L] = {}, a3[L] = {};
      int32_t j = first;
      for (; j + 4 <= last + 1; j += 4) {
        const float* v0 = a.values[j] + d0;
        const float* v1 = a.values[j + 1] + d0;
        const float* v2 = a.values[j + 2] + d0;
        const float* v3 = a.values[j + 3] + d0;
        for (int l = 0; l < L; ++l) {
          a0[l] += p[j] * v0[l];
          a1[l] += p[j + 1] * v1[l];
          a2[l] += p[j + 2] * v2[l];
          a3[l] += p[j + 3] * v3[l];
        }
      }
      for (; j <= last; ++j)
        for (int l = 0; l < L; ++l) a0[l] += p[j] * a.values[j][d0 + l];
      for (int l = 0; l < L; ++l) out[d0 + l] = (a0[l] + a1[l]) + (a2[l] + a3[l]);
    }
    for (; d0 < a.head_dim; ++d0) {
      float sum = 0;
      for (int32_t j = first; j <= last; ++j) sum += p[j] * a.values[j][d0];
      out[d0] = sum;
    }
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
      if (a.softcap > 0) row[j] = a.softcap * TanhF32(row[j] / a.softcap);
      max_score = std::max(max_score, row[j]);
    }
    float denom = 0;
    for (int32_t j = a.first[r]; j <= a.last[r]; ++j) {
      row[j] = ExpF32(row[j] - max_score);
      denom += row[j];
    }
    const float inv = 1.0f / denom;
    for (int32_t j = a.first[r]; j <= a.last[r]; ++j) row[j] *= inv;
  }
  WeightedValues(a);
}

}  // namespace sgl::cpu
