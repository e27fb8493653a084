// Full (non-causal) attention within each sequence, for vision encoders: a warp per
// (token, q head) walks its sequence's keys with an online softmax, each lane holding
// head_dim / 32 (rounded up) dims of the query and the output. Simple and exact rather
// than fast: an image's patches are a few thousand tokens.
#include <cfloat>

#include "backend/cuda/bf16_math.cuh"
#include "backend/cuda/kernels.h"

namespace sgl::cuda {
namespace {

constexpr int kWarpsPerBlock = 4;
constexpr int kMaxDimsPerLane = 8;  // head_dim <= 256

__global__ void BidirectionalAttentionKernel(const uint16_t* q, const uint16_t* k, const uint16_t* v, uint16_t* out,
                                             const BatchSequence* sequences, int num_sequences, int64_t num_tokens,
                                             int q_heads, int kv_heads, int D, float scale) {
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const int64_t t = static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + warp;
  const int h = blockIdx.y, kv_h = h / (q_heads / kv_heads);
  if (t >= num_tokens) return;
  int32_t begin = 0, len = 0;
  for (int s = 0; s < num_sequences; ++s) {
    if (t >= sequences[s].token_begin && t < sequences[s].token_begin + sequences[s].num_new_tokens) {
      begin = sequences[s].token_begin;
      len = sequences[s].num_new_tokens;
    }
  }
  if (len == 0) return;  // a token of no sequence is left alone, as on the CPU
  const int64_t q_stride = static_cast<int64_t>(q_heads) * D, kv_stride = static_cast<int64_t>(kv_heads) * D;
  float qd[kMaxDimsPerLane], acc[kMaxDimsPerLane];
#pragma unroll
  for (int c = 0; c < kMaxDimsPerLane; ++c) {
    const int d = lane + 32 * c;
    qd[c] = d < D ? Bf16ToFloat(q[t * q_stride + static_cast<int64_t>(h) * D + d]) * scale : 0.0f;
    acc[c] = 0.0f;
  }
  float m = -FLT_MAX, l = 0.0f;
  for (int32_t j = begin; j < begin + len; ++j) {
    const uint16_t* kr = k + j * kv_stride + static_cast<int64_t>(kv_h) * D;
    const uint16_t* vr = v + j * kv_stride + static_cast<int64_t>(kv_h) * D;
    float dot = 0.0f;
#pragma unroll
    for (int c = 0; c < kMaxDimsPerLane; ++c) {
      const int d = lane + 32 * c;
      if (d < D) dot += qd[c] * Bf16ToFloat(kr[d]);
    }
    const float score = WarpSum(dot);
    const float m_new = fmaxf(m, score);
    const float alpha = __expf(m - m_new), p = __expf(score - m_new);
    l = l * alpha + p;
#pragma unroll
    for (int c = 0; c < kMaxDimsPerLane; ++c) {
      const int d = lane + 32 * c;
      acc[c] = acc[c] * alpha + (d < D ? p * Bf16ToFloat(vr[d]) : 0.0f);
    }
    m = m_new;
  }
  const float inv = l > 0.0f ? 1.0f / l : 0.0f;
#pragma unroll
  for (int c = 0; c < kMaxDimsPerLane; ++c) {
    const int d = lane + 32 * c;
    if (d < D) out[t * q_stride + static_cast<int64_t>(h) * D + d] = FloatToBf16(acc[c] * inv);
  }
}

}  // namespace

void LaunchBidirectionalAttention(const bf16_bits* q, const bf16_bits* k, const bf16_bits* v, bf16_bits* out,
                                  const BatchSequence* sequences, int num_sequences, int64_t num_tokens, int q_heads,
                                  int kv_heads, int head_dim, float scale, cudaStream_t stream) {
  if (num_tokens == 0 || q_heads == 0) return;
  const dim3 grid(static_cast<unsigned>((num_tokens + kWarpsPerBlock - 1) / kWarpsPerBlock), q_heads);
  BidirectionalAttentionKernel<<<grid, kWarpsPerBlock * 32, 0, stream>>>(q, k, v, out, sequences, num_sequences,
                                                                         num_tokens, q_heads, kv_heads, head_dim, scale);
}

}  // namespace sgl::cuda
