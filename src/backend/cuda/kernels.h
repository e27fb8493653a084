// Launchers of the CUDA backend's small kernels (everything but GEMMs and attention).
// Each enqueues work on `stream` and returns at once; launch errors are left for the
// caller's cudaGetLastError(). Activations are BF16 (uint16_t bit patterns at this
// interface, so plain C++ code can call these); norm weights, biases and RoPE
// frequencies are float32. Pointers are device memory unless named host_*.
#pragma once

#include <cstdint>

#include <cuda_runtime_api.h>

#include "backend/forward_batch.h"
#include "backend/row_sampling.h"

namespace sgl::cuda {

using bf16_bits = uint16_t;

// out[t, :] = table[ids[t] - first_id, :] * scale, or zeros when that row is outside
// [0, rows) (a tensor-parallel rank's vocabulary shard).
void LaunchEmbed(const bf16_bits* table, int64_t rows, int64_t cols, int64_t first_id, const int32_t* ids,
                 int64_t num_tokens, float scale, bf16_bits* out, cudaStream_t stream);

// RMS norm of each group of `group` consecutive elements (rows x cols / group groups):
// out = x / rms(x) * w. out may alias x.
void LaunchRmsNorm(const bf16_bits* x, const float* w, int64_t num_groups, int64_t group, float eps, bf16_bits* out,
                   cudaStream_t stream);
// residual += x (rounded to bf16); out = RmsNorm(residual).
void LaunchAddRmsNorm(bf16_bits* residual, const bf16_bits* x, const float* w, int64_t rows, int64_t cols, float eps,
                      bf16_bits* out, cudaStream_t stream);

// Where each rotated pair takes its position from: pair i of token t uses axis[a][t] for
// the first a with i < section_end[a] (multi-axis RoPE: M-RoPE's t/h/w, a vision tower's
// row/column); with one axis, every pair uses axis[0].
struct RopePositions {
  static constexpr int kMaxAxes = 4;
  const int32_t* axis[kMaxAxes] = {};
  int section_end[kMaxAxes] = {};
  int num_axes = 1;
};

// In-place rotary embedding of each head of x ([num_tokens, num_heads * head_dim]) at
// `positions`; angle = pos * inv_freq[i] for i < half; pairs (i, i + half) when neox,
// else (2i, 2i + 1); cos and sin are multiplied by attention_factor.
void LaunchRope(bf16_bits* x, int64_t num_tokens, int num_heads, int head_dim, const RopePositions& positions,
                const float* inv_freq, int half, bool neox, float attention_factor, cudaStream_t stream);

// The fusion of LaunchRope on q (q_heads heads; may be 0), LaunchRope on k and
// LaunchStoreKv: q and k are rotated in place and the rotated k and v written to the
// cache, in one launch.
void LaunchRopeStoreKv(bf16_bits* q, int q_heads, bf16_bits* k, const bf16_bits* v, int kv_heads, int64_t num_tokens,
                       int head_dim, const RopePositions& positions, const float* inv_freq, int half, bool neox,
                       float attention_factor, const int32_t* slots, bf16_bits* k_cache, bf16_bits* v_cache,
                       cudaStream_t stream);

// k_cache[slots[t], :] = k[t, :], likewise v (rows of `width` elements).
void LaunchStoreKv(const bf16_bits* k, const bf16_bits* v, const int32_t* slots, int64_t num_tokens, int64_t width,
                   bf16_bits* k_cache, bf16_bits* v_cache, cudaStream_t stream);

// out = act(gate) * up over n elements; act 0 = SiLU, 1 = GELU (tanh). out may alias gate.
void LaunchGatedActivation(const bf16_bits* gate, const bf16_bits* up, int64_t n, int act, bf16_bits* out,
                           cudaStream_t stream);
// x += y over n elements.
void LaunchAdd(bf16_bits* x, const bf16_bits* y, int64_t n, cudaStream_t stream);
// out[r, :] += bias (rows x cols); out is bf16 or (out_f32) float.
void LaunchAddBias(void* out, bool out_f32, const float* bias, int64_t rows, int64_t cols, cudaStream_t stream);
// out[i, :] = x[rows[i], :] for rows of `row_bytes` bytes (a multiple of 2).
void LaunchGatherRows(const void* x, const int32_t* rows, int64_t num_rows, int64_t row_bytes, void* out,
                      cudaStream_t stream);
// Vision-encoder ops. LayerNorm of each row (rows x cols): out = (x - mean) / sqrt(var +
// eps) * w + b (b may be null); out may alias x.
void LaunchLayerNorm(const bf16_bits* x, const float* w, const float* b, int64_t rows, int64_t cols, float eps,
                     bf16_bits* out, cudaStream_t stream);
// out = gelu(x) in the exact erf form over n elements; out may alias x.
void LaunchGeluErf(const bf16_bits* x, int64_t n, bf16_bits* out, cudaStream_t stream);
// Full (non-causal) attention of each sequence's tokens over that sequence's k/v rows:
// q and out [num_tokens, q_heads * head_dim], k and v [num_tokens, kv_heads * head_dim];
// `sequences` (device) give each sequence's tokens [token_begin, + num_new_tokens).
// REQUIRES: head_dim <= 256.
void LaunchBidirectionalAttention(const bf16_bits* q, const bf16_bits* k, const bf16_bits* v, bf16_bits* out,
                                  const BatchSequence* sequences, int num_sequences, int64_t num_tokens, int q_heads,
                                  int kv_heads, int head_dim, float scale, cudaStream_t stream);

// out[r] = row r's token for a rows x cols float32 matrix of logits, drawn as sampling[r]
// says (row_sampling.h; its edits, from `edits`, and its token mask, from `masks`, are
// applied to x in place first); with sampling null, the column of the largest value (the
// lowest such column on ties).
void LaunchSampleRows(float* x, int64_t rows, int64_t cols, const RowSampling* sampling, const LogitEdit* edits,
                      const uint32_t* masks, int32_t* out, cudaStream_t stream);
// Pseudo-random values uniform in [-scale, scale) + offset, from a counter-based hash of
// (seed, index): the same seed gives the same tensor on any device.
void LaunchFillRandomBf16(bf16_bits* out, int64_t n, uint64_t seed, float scale, float offset, cudaStream_t stream);
void LaunchFillRandomF32(float* out, int64_t n, uint64_t seed, float scale, float offset, cudaStream_t stream);

}  // namespace sgl::cuda
