// Decode attention on the tensor cores (mma.sync), for steps of many sequences: a block takes
// one work item (a token's group of up to 16 q heads sharing a KV head, a range of its keys)
// and treats the group's heads as the 16 rows of an m16n8k16 tile (rows past the group are
// zeros). The CUDA-core decode kernel spends ~75 warp instructions a key on scores and the
// online softmax; here a key costs a few (two mma a key a warp, the softmax once per 16).
// Per tile of 64 keys, gathered through the page table into shared memory by cp.async (the
// next tile in flight while one is computed, its page-table entries read a tile ahead), each
// of the 4 warps takes 16 keys: S = Q K^T, the online softmax on its accumulators (log2
// units), O += P V. The warps' states are merged at the end, into the output or, for a
// split item, into its partial rows (merged by attention_split_merge.cuh).
#include <cfloat>
#include <cstdint>

#include "backend/cuda/attention_kernel.h"
#include "backend/cuda/attention_split_merge.cuh"
#include "backend/cuda/chained_launch.cuh"
#include "backend/cuda/mma.cuh"

namespace sgl::cuda {
namespace {

constexpr int kKeys = 64;  // keys per tile
constexpr int kWarps = 4;  // each takes 16 keys of a tile
constexpr int kThreads = kWarps * 32;
constexpr int kMaxRows = 16;  // q heads of a group: one m16 tile
constexpr float kLog2e = 1.4426950408889634f;

template <int D>
struct DecodeMmaSmem {
  static constexpr int kLd = D + 8;  // bf16 per row: 16 bytes of padding keep ldmatrix conflict-free
  static constexpr int kTile = kKeys * kLd;
  // Q, then two stages of (K, V); after the keys, the stages hold the warps' results.
  static constexpr size_t kBytes = sizeof(uint16_t) * (kMaxRows * kLd + 2 * 2 * kTile);
  static_assert(sizeof(float) * kWarps * kMaxRows * (D + 2) <= sizeof(uint16_t) * 2 * 2 * kTile);
};

template <int D>
__global__ void __launch_bounds__(kThreads) DecodeMmaAttentionKernel(const __grid_constant__ AttentionLaunch a) {
  LetNextKernelStart();
  WaitForPriorKernels();
  using Smem = DecodeMmaSmem<D>;
  constexpr int kLd = Smem::kLd;
  constexpr int kChunks = D / 8;  // 16-byte pieces of a row
  extern __shared__ __align__(128) unsigned char smem[];
  uint16_t* q_s = reinterpret_cast<uint16_t*>(smem);
  uint16_t* kv_s = q_s + kMaxRows * kLd;

  AttentionWorkItem item = a.items[blockIdx.x];
  const BatchSequence seq = a.sequences[item.sequence];
  AttentionKeyRange(seq, item.token_begin, item.num_tokens, a.sliding_window, item.split, item.num_splits,
                    &item.key_begin, &item.key_end);
  const int kv_head = blockIdx.y;
  const int rows = item.num_heads;  // one token: rows are its q heads head0, head0 + 1, ...
  const int head0 = kv_head * (a.num_q_heads / a.num_kv_heads) + item.head_begin;
  const int64_t token = seq.token_begin + item.token_begin;
  const int64_t q_stride = static_cast<int64_t>(a.num_q_heads) * D;
  const int64_t kv_stride = static_cast<int64_t>(a.num_kv_heads) * D;
  const int32_t key_begin = item.key_begin, key_end = item.key_end;
  const int num_tiles = key_end > key_begin ? (key_end - key_begin + kKeys - 1) / kKeys : 0;
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const int group = lane >> 2, quad = lane & 3;  // a fragment's row within 8, and column pair

  KvTileGather<D, kKeys, kThreads> gather;  // a tile ahead: see KvTileGather
  auto fetch_slots = [&](int32_t k0) {
    gather.Fetch(k0, key_end, [&](int32_t key) { return a.kv_slots[seq.kv_begin + key]; });
  };
  auto copy_tile = [&](int stage) {
    uint16_t* k_dst = kv_s + stage * 2 * Smem::kTile;
    gather.Copy(a.k_cache, a.v_cache, kv_stride, static_cast<int64_t>(kv_head) * D, k_dst, k_dst + Smem::kTile,
                kLd);
  };
  if (num_tiles > 0) {
    fetch_slots(key_begin);
    copy_tile(0);
  }
  if (num_tiles > 1) fetch_slots(key_begin + kKeys);

  for (int idx = threadIdx.x; idx < kMaxRows * kChunks; idx += kThreads) {  // Q's rows; zeros past the group
    const int r = idx / kChunks, c = idx % kChunks;
    uint4 v = make_uint4(0, 0, 0, 0);
    if (r < rows)
      v = *reinterpret_cast<const uint4*>(a.q + token * q_stride + static_cast<int64_t>(head0 + r) * D + c * 8);
    *reinterpret_cast<uint4*>(q_s + r * kLd + c * 8) = v;
  }
  __syncthreads();
  const int matrix = lane >> 3, matrix_row = lane & 7;  // ldmatrix: lane l names row l % 8 of matrix l / 8
  uint32_t q_frag[D / 16][4];
#pragma unroll
  for (int kk = 0; kk < D / 16; ++kk)
    LoadMatrices(q_frag[kk], SmemAddress(q_s + ((matrix & 1) * 8 + matrix_row) * kLd + kk * 16 + (matrix >> 1) * 8));

  const float score_scale = a.softcap > 0.0f ? a.scale : a.scale * kLog2e;
  float o[D / 8][4] = {};
  float row_max[2] = {-FLT_MAX, -FLT_MAX}, row_sum[2] = {0.0f, 0.0f};  // rows group, group + 8; this lane's share
  for (int tile = 0; tile < num_tiles; ++tile) {
    const int32_t k0 = key_begin + tile * kKeys + warp * 16;  // this warp's 16 keys
    if (tile + 1 < num_tiles) {
      copy_tile((tile + 1) & 1);
      if (tile + 2 < num_tiles) fetch_slots(key_begin + (tile + 2) * kKeys);
      WaitCopies<1>();
    } else {
      WaitCopies<0>();
    }
    __syncthreads();  // every thread's copies of this tile have landed
    const uint16_t* k_s = kv_s + (tile & 1) * 2 * Smem::kTile + warp * 16 * kLd;
    const uint16_t* v_s = k_s + Smem::kTile;

    // S = Q K^T for 16 rows x the warp's 16 keys: n-tile n holds keys [8n, 8n + 8).
    float s[2][4] = {};
#pragma unroll
    for (int kk = 0; kk < D / 16; ++kk) {
      uint32_t b[4];  // keys [0, 8) then [8, 16), dims kk*16 + [0, 8) and [8, 16)
      LoadMatrices(b, SmemAddress(k_s + ((matrix >> 1) * 8 + matrix_row) * kLd + kk * 16 + (matrix & 1) * 8));
      Mma(s[0], q_frag[kk], b[0], b[1]);
      Mma(s[1], q_frag[kk], b[2], b[3]);
    }
#pragma unroll
    for (int n = 0; n < 2; ++n) {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        float x = s[n][e] * score_scale;
        if (a.softcap > 0.0f) x = a.softcap * tanhf(x / a.softcap) * kLog2e;
        if (k0 + n * 8 + quad * 2 + (e & 1) >= key_end) x = -INFINITY;
        s[n][e] = x;
      }
    }
    SoftmaxTile(s, row_max, row_sum, o);
    AddPv<D>(o, s[0], s[1], v_s, kLd, lane);  // O += P V over the warp's 16 keys
    __syncthreads();  // this stage is consumed before the next iteration refills it
  }

  // Each warp's rows into shared memory (the stages are free now): unnormalized values, and
  // the running max (natural units) and sum; then the block merges its warps.
  float* w_acc = reinterpret_cast<float*>(kv_s);     // [kWarps][kMaxRows][D]
  float* w_ml = w_acc + kWarps * kMaxRows * D;       // [kWarps][kMaxRows][2]
#pragma unroll
  for (int h = 0; h < 2; ++h) {
    row_sum[h] += __shfl_xor_sync(0xffffffffu, row_sum[h], 1);
    row_sum[h] += __shfl_xor_sync(0xffffffffu, row_sum[h], 2);
    const int r = group + h * 8;
    if (r >= rows) continue;
    float* acc = w_acc + (warp * kMaxRows + r) * D;
#pragma unroll
    for (int j = 0; j < D / 8; ++j) {
      acc[j * 8 + quad * 2] = o[j][2 * h];
      acc[j * 8 + quad * 2 + 1] = o[j][2 * h + 1];
    }
    if (quad == 0) {
      w_ml[(warp * kMaxRows + r) * 2] = row_sum[h] > 0.0f ? row_max[h] / kLog2e : -FLT_MAX;
      w_ml[(warp * kMaxRows + r) * 2 + 1] = row_sum[h];
    }
  }
  __syncthreads();
  const bool split = item.num_splits > 1;
  for (int idx = threadIdx.x; idx < rows * D; idx += kThreads) {
    const int r = idx / D, d = idx % D;
    float m_max = -FLT_MAX;
#pragma unroll
    for (int w = 0; w < kWarps; ++w) m_max = fmaxf(m_max, w_ml[(w * kMaxRows + r) * 2]);
    float num = 0.0f, den = 0.0f;
#pragma unroll
    for (int w = 0; w < kWarps; ++w) {
      const float weight = __expf(w_ml[(w * kMaxRows + r) * 2] - m_max);
      num += weight * w_acc[(w * kMaxRows + r) * D + d];
      den += weight * w_ml[(w * kMaxRows + r) * 2 + 1];
    }
    if (!split) {
      a.out[token * q_stride + static_cast<int64_t>(head0 + r) * D + d] = FloatToBf16(den > 0.0f ? num / den : 0.0f);
      continue;
    }
    StorePartial(a, item, kv_head, rows, r, d, num, m_max, den);
  }
  if (split) MergeSplitsIfLast(a, item, seq, kv_head);
}

template <int D>
cudaError_t Launch(const AttentionLaunch& a, cudaStream_t stream) {
  static const cudaError_t allowed = cudaFuncSetAttribute(DecodeMmaAttentionKernel<D>,
                                                          cudaFuncAttributeMaxDynamicSharedMemorySize,
                                                          static_cast<int>(DecodeMmaSmem<D>::kBytes));
  if (allowed != cudaSuccess) return allowed;
  LaunchChained(DecodeMmaAttentionKernel<D>, dim3(a.num_items, a.num_kv_heads), dim3(kThreads),
                DecodeMmaSmem<D>::kBytes, stream, a);
  return cudaGetLastError();
}

}  // namespace

bool DecodeMmaAttentionSupports(int head_dim, int rows) {
  return (head_dim == 64 || head_dim == 128) && rows >= 1 && rows <= kMaxRows;
}

cudaError_t LaunchDecodeMmaAttention(const AttentionLaunch& a, cudaStream_t stream) {
  if (a.num_items == 0) return cudaSuccess;
  return a.head_dim == 64 ? Launch<64>(a, stream) : Launch<128>(a, stream);
}

}  // namespace sgl::cuda
