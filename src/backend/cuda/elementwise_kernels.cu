// The memory-bound kernels over whole rows or flat arrays: embedding lookup, KV stores,
// gated activations, adds, row gathers and random fills. Flat kernels move 8 bf16 (16
// bytes) per thread when sizes and addresses allow it, else one element.
#include "backend/cuda/bf16_math.cuh"
#include "backend/cuda/chained_launch.cuh"
#include "backend/cuda/kernels.h"

namespace sgl::cuda {
namespace {

constexpr int kThreads = 256;

bool Aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15) == 0; }

union Pack8 {
  uint4 raw;
  uint16_t h[8];
};

// Copies rows of `row_elems` bf16 from src rows (chosen by src_rows, or t) to dst rows
// (chosen by dst_rows, or t), scaling by `scale`.
__global__ void CopyRowsKernel(const uint16_t* src, const int32_t* src_rows, uint16_t* dst, const int32_t* dst_rows,
                               int64_t row_elems, float scale) {
  LetNextKernelStart();
  WaitForPriorKernels();
  const int64_t t = blockIdx.x;
  const int64_t s = src_rows ? src_rows[t] : t;
  const int64_t d = dst_rows ? dst_rows[t] : t;
  const uint16_t* in = src + s * row_elems;
  uint16_t* out = dst + d * row_elems;
  if (scale == 1.0f) {
    for (int64_t i = threadIdx.x; i < row_elems; i += blockDim.x) out[i] = in[i];
  } else {
    for (int64_t i = threadIdx.x; i < row_elems; i += blockDim.x) out[i] = FloatToBf16(Bf16ToFloat(in[i]) * scale);
  }
}

__global__ void CopyRowsVec8Kernel(const uint4* src, const int32_t* src_rows, uint4* dst, const int32_t* dst_rows,
                                   int64_t row_vecs, float scale) {
  LetNextKernelStart();
  WaitForPriorKernels();
  const int64_t t = blockIdx.x;
  const int64_t s = src_rows ? src_rows[t] : t;
  const int64_t d = dst_rows ? dst_rows[t] : t;
  for (int64_t i = threadIdx.x; i < row_vecs; i += blockDim.x) {
    Pack8 p;
    p.raw = src[s * row_vecs + i];
    if (scale != 1.0f)
      for (int j = 0; j < 8; ++j) p.h[j] = FloatToBf16(Bf16ToFloat(p.h[j]) * scale);
    dst[d * row_vecs + i] = p.raw;
  }
}

void CopyRows(const uint16_t* src, const int32_t* src_rows, uint16_t* dst, const int32_t* dst_rows, int64_t rows,
              int64_t row_elems, float scale, cudaStream_t stream) {
  if (rows == 0) return;
  if (row_elems % 8 == 0 && Aligned16(src) && Aligned16(dst)) {
    LaunchChained(CopyRowsVec8Kernel, dim3(static_cast<unsigned>(rows)), dim3(128), 0, stream,
                  reinterpret_cast<const uint4*>(src), src_rows, reinterpret_cast<uint4*>(dst), dst_rows, row_elems / 8,
                  scale);
  } else {
    LaunchChained(CopyRowsKernel, dim3(static_cast<unsigned>(rows)), dim3(128), 0, stream, src, src_rows, dst, dst_rows,
                  row_elems, scale);
  }
}

__global__ void GatedKernel(const uint16_t* gate, const uint16_t* up, int64_t n, int act, uint16_t* out) {
  LetNextKernelStart();
  WaitForPriorKernels();
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) out[i] = GatedValue(gate[i], up[i], act);
}

__global__ void GatedVec8Kernel(const uint4* gate, const uint4* up, int64_t n_vecs, int act, uint4* out) {
  LetNextKernelStart();
  WaitForPriorKernels();
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n_vecs) return;
  Pack8 g, u, o;
  g.raw = gate[i];
  u.raw = up[i];
  for (int j = 0; j < 8; ++j) o.h[j] = GatedValue(g.h[j], u.h[j], act);
  out[i] = o.raw;
}

__global__ void AddKernel(uint16_t* x, const uint16_t* y, int64_t n) {
  LetNextKernelStart();
  WaitForPriorKernels();
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) x[i] = FloatToBf16(Bf16ToFloat(x[i]) + Bf16ToFloat(y[i]));
}

__global__ void AddBiasKernel(void* out, bool out_f32, const float* bias, int64_t rows, int64_t cols) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= rows * cols) return;
  const float b = bias[i % cols];
  if (out_f32) {
    static_cast<float*>(out)[i] += b;
  } else {
    uint16_t* o = static_cast<uint16_t*>(out);
    o[i] = FloatToBf16(Bf16ToFloat(o[i]) + b);
  }
}

__device__ __forceinline__ float HashUniform(uint64_t seed, uint64_t i) {
  uint64_t z = seed * 0x9E3779B97F4A7C15ull + i;  // splitmix64 of (seed, index)
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return static_cast<float>(z >> 40) * (1.0f / 16777216.0f);  // [0, 1)
}

__global__ void FillBf16Kernel(uint16_t* out, int64_t n, uint64_t seed, float scale, float offset) {
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    out[i] = FloatToBf16((2.0f * HashUniform(seed, i) - 1.0f) * scale + offset);
}

__global__ void FillF32Kernel(float* out, int64_t n, uint64_t seed, float scale, float offset) {
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    out[i] = (2.0f * HashUniform(seed, i) - 1.0f) * scale + offset;
}

unsigned GridStrideBlocks(int64_t n) {
  const int64_t blocks = (n + kThreads - 1) / kThreads;
  return static_cast<unsigned>(blocks < 65536 ? blocks : 65536);
}

}  // namespace

// One block per token: its row of a vocabulary shard, or zeros for an id outside it.
__global__ void EmbedShardKernel(const uint16_t* table, int64_t rows, int64_t cols, int64_t first_id,
                                 const int32_t* ids, float scale, uint16_t* out) {
  LetNextKernelStart();
  WaitForPriorKernels();
  const int64_t t = blockIdx.x, row = ids[t] - first_id;
  uint16_t* dst = out + t * cols;
  if (row < 0 || row >= rows) {
    for (int64_t i = threadIdx.x; i < cols; i += blockDim.x) dst[i] = 0;
    return;
  }
  const uint16_t* src = table + row * cols;
  for (int64_t i = threadIdx.x; i < cols; i += blockDim.x) dst[i] = FloatToBf16(Bf16ToFloat(src[i]) * scale);
}

void LaunchEmbed(const bf16_bits* table, int64_t rows, int64_t cols, int64_t first_id, const int32_t* ids,
                 int64_t num_tokens, float scale, bf16_bits* out, cudaStream_t stream) {
  if (num_tokens == 0) return;
  LaunchChained(EmbedShardKernel, dim3(static_cast<unsigned>(num_tokens)), dim3(128), 0, stream, table, rows, cols,
                first_id, ids, scale, out);
}

// K rows in blockIdx.y == 0, V rows in blockIdx.y == 1: one launch per layer.
__global__ void StoreKvVec8Kernel(const uint4* k, const uint4* v, const int32_t* slots, int64_t row_vecs, uint4* k_cache,
                                  uint4* v_cache) {
  LetNextKernelStart();
  WaitForPriorKernels();
  const uint4* src = blockIdx.y == 0 ? k : v;
  uint4* dst = blockIdx.y == 0 ? k_cache : v_cache;
  const int64_t t = blockIdx.x, slot = slots[t];
  for (int64_t i = threadIdx.x; i < row_vecs; i += blockDim.x) dst[slot * row_vecs + i] = src[t * row_vecs + i];
}

void LaunchStoreKv(const bf16_bits* k, const bf16_bits* v, const int32_t* slots, int64_t num_tokens, int64_t width,
                   bf16_bits* k_cache, bf16_bits* v_cache, cudaStream_t stream) {
  if (num_tokens == 0) return;
  if (width % 8 == 0 && Aligned16(k) && Aligned16(v) && Aligned16(k_cache) && Aligned16(v_cache)) {
    LaunchChained(StoreKvVec8Kernel, dim3(static_cast<unsigned>(num_tokens), 2), dim3(128), 0, stream,
                  reinterpret_cast<const uint4*>(k), reinterpret_cast<const uint4*>(v), slots, width / 8,
                  reinterpret_cast<uint4*>(k_cache), reinterpret_cast<uint4*>(v_cache));
    return;
  }
  CopyRows(k, nullptr, k_cache, slots, num_tokens, width, 1.0f, stream);
  CopyRows(v, nullptr, v_cache, slots, num_tokens, width, 1.0f, stream);
}

void LaunchGatherRows(const void* x, const int32_t* rows, int64_t num_rows, int64_t row_bytes, void* out,
                      cudaStream_t stream) {
  CopyRows(static_cast<const uint16_t*>(x), rows, static_cast<uint16_t*>(out), nullptr, num_rows, row_bytes / 2, 1.0f,
           stream);
}

void LaunchGatedActivation(const bf16_bits* gate, const bf16_bits* up, int64_t n, int act, bf16_bits* out,
                           cudaStream_t stream) {
  if (n == 0) return;
  if (n % 8 == 0 && Aligned16(gate) && Aligned16(up) && Aligned16(out)) {
    LaunchChained(GatedVec8Kernel, dim3(BlocksFor(n / 8, kThreads)), dim3(kThreads), 0, stream,
                  reinterpret_cast<const uint4*>(gate), reinterpret_cast<const uint4*>(up), n / 8, act,
                  reinterpret_cast<uint4*>(out));
  } else {
    LaunchChained(GatedKernel, dim3(BlocksFor(n, kThreads)), dim3(kThreads), 0, stream, gate, up, n, act, out);
  }
}

void LaunchAdd(bf16_bits* x, const bf16_bits* y, int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  LaunchChained(AddKernel, dim3(BlocksFor(n, kThreads)), dim3(kThreads), 0, stream, x, y, n);
}

void LaunchAddBias(void* out, bool out_f32, const float* bias, int64_t rows, int64_t cols, cudaStream_t stream) {
  if (rows * cols == 0) return;
  AddBiasKernel<<<BlocksFor(rows * cols, kThreads), kThreads, 0, stream>>>(out, out_f32, bias, rows, cols);
}

void LaunchFillRandomBf16(bf16_bits* out, int64_t n, uint64_t seed, float scale, float offset, cudaStream_t stream) {
  if (n == 0) return;
  FillBf16Kernel<<<GridStrideBlocks(n), kThreads, 0, stream>>>(out, n, seed, scale, offset);
}

void LaunchFillRandomF32(float* out, int64_t n, uint64_t seed, float scale, float offset, cudaStream_t stream) {
  if (n == 0) return;
  FillF32Kernel<<<GridStrideBlocks(n), kThreads, 0, stream>>>(out, n, seed, scale, offset);
}

}  // namespace sgl::cuda
