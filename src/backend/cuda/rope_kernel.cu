// Rotary embedding: one thread per (token, head, rotated pair). Angles are computed in
// double precision, as the CPU backend does, so long positions do not lose accuracy.
#include "backend/cuda/bf16_math.cuh"
#include "backend/cuda/chained_launch.cuh"
#include "backend/cuda/kernels.h"

namespace sgl::cuda {
namespace {

__device__ __forceinline__ int32_t PositionOf(const RopePositions& p, int64_t t, int i) {
  for (int a = 0; a + 1 < p.num_axes; ++a)
    if (i < p.section_end[a]) return p.axis[a][t];
  return p.axis[p.num_axes - 1][t];
}

__global__ void RopeKernel(uint16_t* x, int64_t num_tokens, int num_heads, int head_dim, const RopePositions positions,
                           const float* inv_freq, int half, bool neox, float attention_factor) {
  LetNextKernelStart();
  WaitForPriorKernels();
  const int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t per_token = static_cast<int64_t>(num_heads) * half;
  if (idx >= num_tokens * per_token) return;
  const int64_t t = idx / per_token;
  const int h = static_cast<int>((idx % per_token) / half);
  const int i = static_cast<int>(idx % half);
  double s, c;
  sincos(static_cast<double>(PositionOf(positions, t, i)) * static_cast<double>(inv_freq[i]), &s, &c);
  const float cos_v = static_cast<float>(c) * attention_factor, sin_v = static_cast<float>(s) * attention_factor;
  uint16_t* head = x + t * num_heads * head_dim + static_cast<int64_t>(h) * head_dim;
  uint16_t* a = neox ? head + i : head + 2 * i;
  uint16_t* b = neox ? head + i + half : head + 2 * i + 1;
  const float x0 = Bf16ToFloat(*a), x1 = Bf16ToFloat(*b);
  *a = FloatToBf16(x0 * cos_v - x1 * sin_v);
  *b = FloatToBf16(x1 * cos_v + x0 * sin_v);
}

__device__ __forceinline__ void RotatePair(uint16_t* head, int i, int half, bool neox, float cos_v, float sin_v,
                                           uint16_t* cache_head) {
  const int ia = neox ? i : 2 * i, ib = neox ? i + half : 2 * i + 1;
  const float x0 = Bf16ToFloat(head[ia]), x1 = Bf16ToFloat(head[ib]);
  const uint16_t a = FloatToBf16(x0 * cos_v - x1 * sin_v), b = FloatToBf16(x1 * cos_v + x0 * sin_v);
  head[ia] = a;
  head[ib] = b;
  if (cache_head != nullptr) {
    cache_head[ia] = a;
    cache_head[ib] = b;
  }
}

// One block per token and run of heads_per_block heads of q then k: thread i computes
// pair i's angle once and rotates that pair in each of the run's heads; a k head also
// goes to the cache, with the dims RoPE leaves alone and its v head. Prefill steps take
// several heads per block (the angle is the same in every head, and many tiny blocks
// cost more than they do); a decode's few tokens take one head per block, for width.
__global__ void RopeStoreKvKernel(uint16_t* q, int q_heads, uint16_t* k, const uint16_t* v, int kv_heads, int head_dim,
                                  const RopePositions positions, const float* inv_freq, int half, bool neox,
                                  float attention_factor, const int32_t* slots, uint16_t* k_cache, uint16_t* v_cache,
                                  int heads_per_block) {
  LetNextKernelStart();
  WaitForPriorKernels();
  const int64_t t = blockIdx.x;
  const int h_begin = blockIdx.y * heads_per_block, h_end = min(q_heads + kv_heads, h_begin + heads_per_block);
  const int64_t kv_width = static_cast<int64_t>(kv_heads) * head_dim;
  auto head_of = [&](int h) {
    return h >= q_heads ? k + t * kv_width + static_cast<int64_t>(h - q_heads) * head_dim
                        : q + t * q_heads * head_dim + static_cast<int64_t>(h) * head_dim;
  };
  auto cache_of = [&](uint16_t* cache, int h) {
    return cache + static_cast<int64_t>(slots[t]) * kv_width + static_cast<int64_t>(h - q_heads) * head_dim;
  };
  for (int i = threadIdx.x; i < half; i += blockDim.x) {
    double s, c;
    sincos(static_cast<double>(PositionOf(positions, t, i)) * static_cast<double>(inv_freq[i]), &s, &c);
    const float cos_v = static_cast<float>(c) * attention_factor, sin_v = static_cast<float>(s) * attention_factor;
    for (int h = h_begin; h < h_end; ++h)
      RotatePair(head_of(h), i, half, neox, cos_v, sin_v, h >= q_heads ? cache_of(k_cache, h) : nullptr);
  }
  for (int h = max(h_begin, q_heads); h < h_end; ++h) {
    const uint16_t* head = head_of(h);
    const uint16_t* v_head = v + t * kv_width + static_cast<int64_t>(h - q_heads) * head_dim;
    uint16_t* k_cache_head = cache_of(k_cache, h);
    uint16_t* v_cache_head = cache_of(v_cache, h);
    for (int d = threadIdx.x; d < head_dim; d += blockDim.x) {
      if (d >= 2 * half) k_cache_head[d] = head[d];
      v_cache_head[d] = v_head[d];
    }
  }
}

}  // namespace

void LaunchRopeStoreKv(bf16_bits* q, int q_heads, bf16_bits* k, const bf16_bits* v, int kv_heads, int64_t num_tokens,
                       int head_dim, const RopePositions& positions, const float* inv_freq, int half, bool neox,
                       float attention_factor, const int32_t* slots, bf16_bits* k_cache, bf16_bits* v_cache,
                       cudaStream_t stream) {
  if (num_tokens == 0) return;
  const int heads_per_block = num_tokens >= 64 ? 8 : 1;
  const unsigned head_blocks = static_cast<unsigned>((q_heads + kv_heads + heads_per_block - 1) / heads_per_block);
  LaunchChained(RopeStoreKvKernel, dim3(static_cast<unsigned>(num_tokens), head_blocks), dim3(64), 0, stream, q,
                q_heads, k, v, kv_heads, head_dim, positions, inv_freq, half, neox, attention_factor, slots, k_cache,
                v_cache, heads_per_block);
}

void LaunchRope(bf16_bits* x, int64_t num_tokens, int num_heads, int head_dim, const RopePositions& positions,
                const float* inv_freq, int half, bool neox, float attention_factor, cudaStream_t stream) {
  const int64_t n = num_tokens * num_heads * half;
  if (n == 0) return;
  LaunchChained(RopeKernel, dim3(BlocksFor(n, 256)), dim3(256), 0, stream, x, num_tokens, num_heads, head_dim,
                positions, inv_freq, half, neox, attention_factor);
}

}  // namespace sgl::cuda
