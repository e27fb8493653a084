#include "backend/cpu/attention_kernel.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "backend/cpu/multiversion.h"
#include "backend/cpu/vec_math.h"

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
// to [dim][row], so the inner loop runs across rows in vector lanes with no horizontal
// sums; four keys at a time keep four independent accumulator chains in flight.
inline void ScoresByOuterProduct(const AttendArgs& a, int32_t lo, int32_t hi) {
  constexpr int R = kMaxAttendRows;
  constexpr int kKeys = 4;
  alignas(64) float qt[kMaxAttendHeadDim * R];
  for (int d = 0; d < a.head_dim; ++d)
    for (int r = 0; r < R; ++r) qt[d * R + r] = r < a.num_rows ? a.queries[r][d] * a.scale : 0.0f;
  int32_t j = lo;
  for (; j + kKeys <= hi + 1; j += kKeys) {
    alignas(64) float s[kKeys][R] = {};
    const float* k0 = a.keys[j];
    const float* k1 = a.keys[j + 1];
    const float* k2 = a.keys[j + 2];
    const float* k3 = a.keys[j + 3];
    for (int d = 0; d < a.head_dim; ++d) {
      const float* q = qt + d * R;
      for (int r = 0; r < R; ++r) {
        s[0][r] += k0[d] * q[r];
        s[1][r] += k1[d] * q[r];
        s[2][r] += k2[d] * q[r];
        s[3][r] += k3[d] * q[r];
      }
    }
    for (int key = 0; key < kKeys; ++key)
      for (int r = 0; r < a.num_rows; ++r) a.scores[r * a.num_keys + j + key] = s[key][r];
  }
  for (; j <= hi; ++j) {
    alignas(64) float s[R] = {};
    const float* k = a.keys[j];
    for (int d = 0; d < a.head_dim; ++d)
      for (int r = 0; r < R; ++r) s[r] += k[d] * qt[d * R + r];
    for (int r = 0; r < a.num_rows; ++r) a.scores[r * a.num_keys + j] = s[r];
  }
}

// out[r] = sum over visible keys j of p[r][j] * v[j], 16 output dims at a time held in
// four independent accumulators (four keys per step) across all keys.
inline void WeightedValues(const AttendArgs& a) {
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
