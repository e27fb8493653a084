// Rotary embedding: one thread per (token, head, rotated pair). Angles are computed in
// double precision, as the CPU backend does, so long positions do not lose accuracy.
#include "backend/cuda/bf16_math.cuh"
#include "backend/cuda/kernels.h"

namespace sgl::cuda {
namespace {

__global__ void RopeKernel(uint16_t* x, int64_t num_tokens, int num_heads, int head_dim, const int32_t* positions,
                           const float* inv_freq, int half, bool neox, float attention_factor) {
  const int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t per_token = static_cast<int64_t>(num_heads) * half;
  if (idx >= num_tokens * per_token) return;
  const int64_t t = idx / per_token;
  const int h = static_cast<int>((idx % per_token) / half);
  const int i = static_cast<int>(idx % half);
  double s, c;
  sincos(static_cast<double>(positions[t]) * static_cast<double>(inv_freq[i]), &s, &c);
  const float cos_v = static_cast<float>(c) * attention_factor, sin_v = static_cast<float>(s) * attention_factor;
  uint16_t* head = x + t * num_heads * head_dim + static_cast<int64_t>(h) * head_dim;
  uint16_t* a = neox ? head + i : head + 2 * i;
  uint16_t* b = neox ? head + i + half : head + 2 * i + 1;
  const float x0 = Bf16ToFloat(*a), x1 = Bf16ToFloat(*b);
  *a = FloatToBf16(x0 * cos_v - x1 * sin_v);
  *b = FloatToBf16(x1 * cos_v + x0 * sin_v);
}

}  // namespace

void LaunchRope(bf16_bits* x, int64_t num_tokens, int num_heads, int head_dim, const int32_t* positions,
                const float* inv_freq, int half, bool neox, float attention_factor, cudaStream_t stream) {
  const int64_t n = num_tokens * num_heads * half;
  if (n == 0) return;
  RopeKernel<<<BlocksFor(n, 256), 256, 0, stream>>>(x, num_tokens, num_heads, head_dim, positions, inv_freq, half,
                                                    neox, attention_factor);
}

}  // namespace sgl::cuda
