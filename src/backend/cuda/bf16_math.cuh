// Device-side helpers shared by the .cu files: bf16 <-> float, the gated activation and
// warp/block reductions.
#pragma once

#include <cuda_bf16.h>

#include <cstdint>

namespace sgl::cuda {

__device__ __forceinline__ float Bf16ToFloat(uint16_t b) { return __uint_as_float(static_cast<uint32_t>(b) << 16); }
__device__ __forceinline__ uint16_t FloatToBf16(float f) {
  return __bfloat16_as_ushort(__float2bfloat16_rn(f));
}

// act(gate) * up of a gated MLP, bf16 in and out: act 0 is SiLU, 1 GELU (tanh).
__device__ __forceinline__ uint16_t GatedValue(uint16_t gate, uint16_t up, int act) {
  const float g = Bf16ToFloat(gate);
  float a;
  if (act == 0) {
    a = g / (1.0f + __expf(-g));
  } else {
    const float inner = 0.7978845608028654f * (g + 0.044715f * g * g * g);
    a = 0.5f * g * (1.0f + tanhf(inner));
  }
  return FloatToBf16(a * Bf16ToFloat(up));
}

// acc += the dot product of 8 bf16 pairs (two 16-byte chunks), in float.
__device__ __forceinline__ void Fma8(const uint4& a, const uint4& b, float& acc) {
  const uint32_t* ap = reinterpret_cast<const uint32_t*>(&a);
  const uint32_t* bp = reinterpret_cast<const uint32_t*>(&b);
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    acc += __uint_as_float(ap[i] << 16) * __uint_as_float(bp[i] << 16);
    acc += __uint_as_float(ap[i] & 0xffff0000u) * __uint_as_float(bp[i] & 0xffff0000u);
  }
}

__device__ __forceinline__ float WarpSum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
__device__ __forceinline__ float WarpMax(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

// Sum over the block; every thread gets the result. REQUIRES: blockDim.x a multiple of
// 32 and at most 1024; `scratch` holds 32 floats.
__device__ __forceinline__ float BlockSum(float v, float* scratch) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  v = WarpSum(v);
  __syncthreads();  // scratch may still be read from a previous call
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  const int num_warps = blockDim.x >> 5;
  v = lane < num_warps ? scratch[lane] : 0.0f;
  return WarpSum(v);
}

inline unsigned int BlocksFor(int64_t n, int threads) { return static_cast<unsigned int>((n + threads - 1) / threads); }

}  // namespace sgl::cuda
