// The attention kernel. A block of 8 warps takes one work item for one KV head: up to 32
// rows (token x q head), 4 per warp. Per key tile of 32 page-table entries the block
// gathers K and V into shared memory (float; K rows padded by one to avoid bank
// conflicts), then each lane scores one key against its warp's 4 rows, the warp updates
// each row's running max and sum (online softmax), and each lane accumulates head_dim/32
// output dims of the 4 rows. Causality, the sliding window and the split's key range
// bound which keys a row sees.
#include <cfloat>

#include "backend/cuda/attention_kernel.h"
#include "backend/cuda/attention_split_merge.cuh"
#include "backend/cuda/bf16_math.cuh"

namespace sgl::cuda {
namespace {

constexpr int kWarps = 8;
constexpr int kRowsPerWarp = 4;
constexpr int kTile = 32;
constexpr int kThreads = kWarps * 32;
static_assert(kWarps * kRowsPerWarp == kAttentionRowsPerBlock);

size_t SharedBytes(int head_dim) {
  // q: [warps][head_dim][4]; k: [tile][head_dim + 1]; v: [tile][head_dim].
  return sizeof(float) * (static_cast<size_t>(kAttentionRowsPerBlock) * head_dim + kTile * (head_dim + 1) +
                          kTile * head_dim);
}

// Gathers one key tile with 16-byte loads, all of a thread's loads issued before any is
// used. REQUIRES: head_dim % 8 == 0 (so every row starts 16-byte aligned).
__device__ __forceinline__ void LoadTileVec8(const AttentionLaunch& a, const int32_t* tile_slots, int64_t kv_stride,
                                             int kv_head, float* k_s, float* v_s) {
  constexpr int kMaxPerThread = kTile * kMaxAttentionHeadDim / 8 / kThreads;
  const int D = a.head_dim, chunks = D / 8, total = kTile * chunks;
  uint4 kr[kMaxPerThread], vr[kMaxPerThread];
#pragma unroll
  for (int u = 0; u < kMaxPerThread; ++u) {
    const int idx = threadIdx.x + u * kThreads;
    kr[u] = vr[u] = make_uint4(0, 0, 0, 0);
    if (idx >= total) continue;
    const int32_t slot = tile_slots[idx / chunks];
    if (slot < 0) continue;
    const int64_t off = static_cast<int64_t>(slot) * kv_stride + static_cast<int64_t>(kv_head) * D + (idx % chunks) * 8;
    kr[u] = *reinterpret_cast<const uint4*>(a.k_cache + off);
    vr[u] = *reinterpret_cast<const uint4*>(a.v_cache + off);
  }
#pragma unroll
  for (int u = 0; u < kMaxPerThread; ++u) {
    const int idx = threadIdx.x + u * kThreads;
    if (idx >= total) continue;
    const int j = idx / chunks, d0 = (idx % chunks) * 8;
    const uint32_t* kw = reinterpret_cast<const uint32_t*>(&kr[u]);
    const uint32_t* vw = reinterpret_cast<const uint32_t*>(&vr[u]);
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      k_s[j * (D + 1) + d0 + 2 * i] = __uint_as_float(kw[i] << 16);
      k_s[j * (D + 1) + d0 + 2 * i + 1] = __uint_as_float(kw[i] & 0xffff0000u);
      v_s[j * D + d0 + 2 * i] = __uint_as_float(vw[i] << 16);
      v_s[j * D + d0 + 2 * i + 1] = __uint_as_float(vw[i] & 0xffff0000u);
    }
  }
}

// DPL: output dims per lane (head_dim <= 32 * DPL).
template <int DPL>
__global__ void __launch_bounds__(kThreads) AttentionKernel(AttentionLaunch a) {
  extern __shared__ float smem[];
  __shared__ int32_t tile_slots[kTile];
  const int D = a.head_dim;
  float* q_s = smem;
  float* k_s = q_s + kAttentionRowsPerBlock * D;
  float* v_s = k_s + kTile * (D + 1);

  AttentionWorkItem item = a.items[blockIdx.x];
  const BatchSequence seq = a.sequences[item.sequence];
  AttentionKeyRange(seq, item.token_begin, item.num_tokens, a.sliding_window, item.split, item.num_splits,
                    &item.key_begin, &item.key_end);
  const int kv_head = blockIdx.y;
  const int group = a.num_q_heads / a.num_kv_heads;
  const int64_t q_stride = static_cast<int64_t>(a.num_q_heads) * D;
  const int64_t kv_stride = static_cast<int64_t>(a.num_kv_heads) * D;
  const int32_t prefix = seq.kv_len - seq.num_new_tokens;
  const int num_rows = item.num_tokens * item.num_heads;
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;

  // Row r: token r / num_heads of the item, q head kv_head * group + head_begin + r % num_heads.
  auto row_token = [&](int r) { return seq.token_begin + item.token_begin + r / item.num_heads; };
  auto row_head = [&](int r) { return kv_head * group + item.head_begin + r % item.num_heads; };

  for (int idx = threadIdx.x; idx < kAttentionRowsPerBlock * D; idx += kThreads) {
    const int r = idx / D, d = idx % D;
    float v = 0.0f;
    if (r < num_rows) v = Bf16ToFloat(a.q[row_token(r) * q_stride + static_cast<int64_t>(row_head(r)) * D + d]) * a.scale;
    q_s[((r / kRowsPerWarp) * D + d) * kRowsPerWarp + r % kRowsPerWarp] = v;
  }

  int32_t first[kRowsPerWarp], last[kRowsPerWarp];
  float m[kRowsPerWarp], l[kRowsPerWarp], acc[kRowsPerWarp][DPL];
#pragma unroll
  for (int i = 0; i < kRowsPerWarp; ++i) {
    const int r = warp * kRowsPerWarp + i;
    const int32_t self = prefix + item.token_begin + r / item.num_heads;
    last[i] = r < num_rows ? self : -1;  // rows past num_rows see nothing
    first[i] = a.sliding_window > 0 ? max(0, self - a.sliding_window + 1) : 0;
    m[i] = -FLT_MAX;
    l[i] = 0.0f;
#pragma unroll
    for (int c = 0; c < DPL; ++c) acc[i][c] = 0.0f;
  }

  for (int32_t k0 = item.key_begin; k0 < item.key_end; k0 += kTile) {
    __syncthreads();  // the previous tile is fully consumed (and q_s written, first time)
    if (threadIdx.x < kTile) {
      const int32_t key = k0 + threadIdx.x;
      tile_slots[threadIdx.x] = key < item.key_end ? a.kv_slots[seq.kv_begin + key] : -1;
    }
    __syncthreads();
    if (D % 8 == 0) {
      LoadTileVec8(a, tile_slots, kv_stride, kv_head, k_s, v_s);
    } else {
      for (int idx = threadIdx.x; idx < kTile * D; idx += kThreads) {
        const int j = idx / D, d = idx % D;
        const int32_t slot = tile_slots[j];
        float kv = 0.0f, vv = 0.0f;
        if (slot >= 0) {
          const int64_t off = static_cast<int64_t>(slot) * kv_stride + static_cast<int64_t>(kv_head) * D + d;
          kv = Bf16ToFloat(a.k_cache[off]);
          vv = Bf16ToFloat(a.v_cache[off]);
        }
        k_s[j * (D + 1) + d] = kv;
        v_s[j * D + d] = vv;
      }
    }
    __syncthreads();
    if (warp * kRowsPerWarp >= num_rows) continue;

    float s[kRowsPerWarp] = {};
    const float* k_row = k_s + lane * (D + 1);
    const float4* q4 = reinterpret_cast<const float4*>(q_s + warp * D * kRowsPerWarp);
    for (int d = 0; d < D; ++d) {
      const float kd = k_row[d];
      const float4 qd = q4[d];
      s[0] += qd.x * kd;
      s[1] += qd.y * kd;
      s[2] += qd.z * kd;
      s[3] += qd.w * kd;
    }
    const int32_t key = k0 + lane;
    float p[kRowsPerWarp];
#pragma unroll
    for (int i = 0; i < kRowsPerWarp; ++i) {
      float sc = s[i];
      if (a.softcap > 0.0f) sc = a.softcap * tanhf(sc / a.softcap);
      const bool visible = key < item.key_end && key >= first[i] && key <= last[i];
      const float tile_max = WarpMax(visible ? sc : -FLT_MAX);
      const float m_new = fmaxf(m[i], tile_max);
      p[i] = visible ? __expf(sc - m_new) : 0.0f;
      const float alpha = __expf(m[i] - m_new);  // 0 when m was -FLT_MAX and m_new is finite
      l[i] = l[i] * alpha + WarpSum(p[i]);
#pragma unroll
      for (int c = 0; c < DPL; ++c) acc[i][c] *= alpha;
      m[i] = m_new;
    }
    for (int j = 0; j < kTile; ++j) {
      float pj[kRowsPerWarp];
#pragma unroll
      for (int i = 0; i < kRowsPerWarp; ++i) pj[i] = __shfl_sync(0xffffffffu, p[i], j);
#pragma unroll
      for (int c = 0; c < DPL; ++c) {
        const int d = lane + 32 * c;
        const float vd = d < D ? v_s[j * D + d] : 0.0f;
#pragma unroll
        for (int i = 0; i < kRowsPerWarp; ++i) acc[i][c] += pj[i] * vd;
      }
    }
  }

#pragma unroll
  for (int i = 0; i < kRowsPerWarp; ++i) {
    const int r = warp * kRowsPerWarp + i;
    if (r >= num_rows) continue;
    if (item.num_splits == 1) {
      const float inv = l[i] > 0.0f ? 1.0f / l[i] : 0.0f;
      uint16_t* out = a.out + row_token(r) * q_stride + static_cast<int64_t>(row_head(r)) * D;
#pragma unroll
      for (int c = 0; c < DPL; ++c) {
        const int d = lane + 32 * c;
        if (d < D) out[d] = FloatToBf16(acc[i][c] * inv);
      }
    } else {
      const int64_t prow = item.partial_base + (static_cast<int64_t>(item.split) * a.num_kv_heads + kv_head) * num_rows + r;
#pragma unroll
      for (int c = 0; c < DPL; ++c) {
        const int d = lane + 32 * c;
        if (d < D) a.partial_acc[prow * D + d] = acc[i][c];
      }
      if (lane == 0) {
        a.partial_ml[prow * 2] = l[i] > 0.0f ? m[i] : -FLT_MAX;
        a.partial_ml[prow * 2 + 1] = l[i];
      }
    }
  }
  if (item.num_splits > 1) MergeSplitsIfLast(a, item, seq, kv_head);
}

template <int DPL>
cudaError_t LaunchWith(const AttentionLaunch& a, cudaStream_t stream) {
  AttentionKernel<DPL><<<dim3(a.num_items, a.num_kv_heads), kThreads, SharedBytes(a.head_dim), stream>>>(a);
  return cudaGetLastError();
}

template <int DPL>
cudaError_t AllowSharedMemory() {
  return cudaFuncSetAttribute(AttentionKernel<DPL>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                              static_cast<int>(SharedBytes(32 * DPL)));
}

}  // namespace

cudaError_t PrepareAttentionKernels() {
  for (cudaError_t err : {AllowSharedMemory<1>(), AllowSharedMemory<2>(), AllowSharedMemory<4>(), AllowSharedMemory<8>(),
                          PrepareTensorCoreAttention()})
    if (err != cudaSuccess) return err;
  return cudaSuccess;
}

cudaError_t LaunchAttention(const AttentionLaunch& a, cudaStream_t stream) {
  if (a.num_tile_items > 0) {
    const cudaError_t err = LaunchTensorCoreAttention(a, stream);
    if (err != cudaSuccess) return err;
  }
  if (a.num_items == 0) return cudaSuccess;
  if (a.decode_mma) return LaunchDecodeMmaAttention(a, stream);
  if (a.decode_rows > 0) return LaunchDecodeAttention(a, stream);
  cudaError_t err;
  if (a.head_dim <= 32) {
    err = LaunchWith<1>(a, stream);
  } else if (a.head_dim <= 64) {
    err = LaunchWith<2>(a, stream);
  } else if (a.head_dim <= 128) {
    err = LaunchWith<4>(a, stream);
  } else {
    err = LaunchWith<8>(a, stream);
  }
  return err;
}

}  // namespace sgl::cuda
