// Prefill attention on Hopper's tensor cores through mma.sync (FlashAttention-2's
// layout), for head sizes 64 and 128; the WMMA kernel (attention_tc_kernel.cu) takes the
// others. A block of 4 warps takes a tile item (up to 64 consecutive new tokens of one
// sequence) for one q head; warp w owns rows [16w, 16w + 16). Per tile of 64 keys:
//  - K and V rows are gathered through the page table into shared memory with cp.async,
//    the next tile's copies in flight while this one is computed (two stages), and the
//    page-table entries of the tile after it read meanwhile;
//  - S = Q K^T: Q's fragments stay in registers for the whole item, K's come by ldmatrix;
//  - scale, softcap and the causal/window mask (only on tiles that cross a boundary),
//    then the online softmax on the S accumulators themselves, in log2 units: each row's
//    max and sum over the 4 lanes that hold it;
//  - O += P V: the accumulators, rounded to bf16, are already P's A fragments; V's come
//    by ldmatrix.trans; O stays in registers, rescaled per tile.
// Fragment layouts are those of mma.m16n8k16 (PTX ISA, "Matrix fragments for mma.m16n8k16").
#include <cfloat>
#include <cstdint>

#include <cuda_bf16.h>

#include "backend/cuda/attention_kernel.h"
#include "backend/cuda/attention_tile_item.cuh"
#include "backend/cuda/mma.cuh"

namespace sgl::cuda {
namespace {

constexpr int kRows = kAttentionTensorCoreRows;  // 64 query rows per block
constexpr int kKeys = 64;                        // keys per tile
constexpr int kWarps = kRows / 16;
constexpr int kThreads = kWarps * 32;

template <int D>
struct MmaSmem {
  static constexpr int kLd = D + 8;  // bf16 per row: 16 bytes of padding keep ldmatrix conflict-free
  static constexpr int kTile = kKeys * kLd;
  // Q, then two stages of (K, V).
  static constexpr size_t kBytes = sizeof(uint16_t) * (kRows * kLd + 2 * 2 * kTile);
};

template <int D>
__global__ void __launch_bounds__(kThreads) MmaAttentionKernel(AttentionLaunch a) {
  using Smem = MmaSmem<D>;
  constexpr int kLd = Smem::kLd;
  constexpr int kChunks = D / 8;  // 16-byte pieces of a row
  extern __shared__ __align__(128) unsigned char smem[];
  uint16_t* q_s = reinterpret_cast<uint16_t*>(smem);
  uint16_t* kv_s = q_s + kRows * kLd;

  // Blocks start in launch order; a causal item's cost grows with its position, so the
  // last items (the costliest, for every head) go first and the cheap ones fill the tail.
  const TileItemView view(a, a.tile_items[a.num_tile_items - 1 - blockIdx.y], blockIdx.x, D);
  const AttentionTileItem& item = view.item;
  const BatchSequence& seq = view.seq;
  const int32_t key_begin = view.key_begin, key_end = view.key_end;
  const int num_tiles = key_end > key_begin ? (key_end - key_begin + kKeys - 1) / kKeys : 0;
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const int group = lane >> 2, quad = lane & 3;  // a fragment's row within 8, and column pair

  KvTileGather<D, kKeys, kThreads> gather;  // a tile ahead: see KvTileGather
  auto fetch_rows = [&](int32_t k0) {
    gather.Fetch(k0, key_end, [&](int32_t key) {
      return a.bidirectional ? static_cast<int32_t>(seq.token_begin + key) : a.kv_slots[seq.kv_begin + key];
    });
  };
  auto copy_tile = [&](int stage) {
    uint16_t* k_dst = kv_s + stage * 2 * Smem::kTile;
    gather.Copy(a.k_cache, a.v_cache, view.kv_stride, static_cast<int64_t>(view.kv_head) * D, k_dst,
                k_dst + Smem::kTile, kLd);
  };
  if (num_tiles > 0) {
    fetch_rows(key_begin);
    copy_tile(0);
  }
  if (num_tiles > 1) fetch_rows(key_begin + kKeys);

  view.LoadQueries(a.q, D, kRows, q_s, kLd, kThreads);
  __syncthreads();
  // ldmatrix addressing: lane l names row l % 8 of matrix l / 8.
  const int matrix = lane >> 3, matrix_row = lane & 7;
  uint32_t q_frag[D / 16][4];
#pragma unroll
  for (int kk = 0; kk < D / 16; ++kk)
    LoadMatrices(q_frag[kk], SmemAddress(q_s + (warp * 16 + (matrix & 1) * 8 + matrix_row) * kLd + kk * 16 +
                                         (matrix >> 1) * 8));

  // This lane's two rows: group and group + 8 of the warp's 16.
  int32_t self[2], first[2];
  bool row_valid[2];
#pragma unroll
  for (int h = 0; h < 2; ++h) {
    const int r = warp * 16 + group + h * 8;
    row_valid[h] = r < item.num_tokens;
    self[h] = view.prefix + item.token_begin + r;
    first[h] = a.sliding_window > 0 ? max(0, self[h] - a.sliding_window + 1) : 0;
  }
  // The warp's rows that decide whether a tile needs masking: its first (the earliest
  // causal end) and last (the latest window start).
  const int warp_row0 = warp * 16;
  const bool warp_rows_all_valid = warp_row0 + 16 <= item.num_tokens;
  const int32_t warp_first_self = view.prefix + item.token_begin + warp_row0;
  const int32_t warp_last_first =
      a.sliding_window > 0 ? max(0, warp_first_self + 15 - a.sliding_window + 1) : 0;
  // Scores in log2 units (exp2 is the hardware's exponential): x * log2(e).
  constexpr float kLog2e = 1.4426950408889634f;
  const float score_scale = a.softcap > 0.0f ? a.scale : a.scale * kLog2e;
  float o[D / 8][4] = {};
  float row_max[2] = {-FLT_MAX, -FLT_MAX}, row_sum[2] = {0.0f, 0.0f};  // row_sum: this lane's share

  for (int tile = 0; tile < num_tiles; ++tile) {
    const int32_t k0 = key_begin + tile * kKeys;
    if (tile + 1 < num_tiles) {
      copy_tile((tile + 1) & 1);
      if (tile + 2 < num_tiles) fetch_rows(k0 + 2 * kKeys);
      WaitCopies<1>();
    } else {
      WaitCopies<0>();
    }
    __syncthreads();  // every thread's copies of this tile have landed
    const uint16_t* k_s = kv_s + (tile & 1) * 2 * Smem::kTile;
    const uint16_t* v_s = k_s + Smem::kTile;

    // S = Q K^T for 16 rows x 64 keys: n-tile n holds keys [8n, 8n + 8).
    float s[kKeys / 8][4] = {};
#pragma unroll
    for (int kk = 0; kk < D / 16; ++kk) {
#pragma unroll
      for (int np = 0; np < kKeys / 16; ++np) {
        uint32_t b[4];  // keys [16np, 16np + 8) then [16np + 8, 16np + 16), dims kk*16 + [0, 8) and [8, 16)
        LoadMatrices(b, SmemAddress(k_s + (np * 16 + (matrix >> 1) * 8 + matrix_row) * kLd + kk * 16 + (matrix & 1) * 8));
        Mma(s[2 * np], q_frag[kk], b[0], b[1]);
        Mma(s[2 * np + 1], q_frag[kk], b[2], b[3]);
      }
    }

    // Scale, softcap, mask (only tiles that cross a row's causal end or window start, the
    // keys' end or rows past the item's); the online softmax over this tile.
    const bool masked = !warp_rows_all_valid || k0 + kKeys > key_end ||
                        (!a.bidirectional && (k0 + kKeys - 1 > warp_first_self || k0 < warp_last_first));
#pragma unroll
    for (int n = 0; n < kKeys / 8; ++n) {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int h = e >> 1;
        float x = s[n][e] * score_scale;
        if (a.softcap > 0.0f) x = a.softcap * tanhf(x / a.softcap) * kLog2e;
        if (masked) {
          const int32_t key = k0 + n * 8 + quad * 2 + (e & 1);
          const bool visible =
              row_valid[h] && key < key_end && (a.bidirectional || (key >= first[h] && key <= self[h]));
          if (!visible) x = -INFINITY;
        }
        s[n][e] = x;
      }
    }
    SoftmaxTile(s, row_max, row_sum, o);

    // O += P V: keys [16kk, 16kk + 16) of P are n-tiles 2kk and 2kk + 1.
#pragma unroll
    for (int kk = 0; kk < kKeys / 16; ++kk) AddPv<D>(o, s[2 * kk], s[2 * kk + 1], v_s + kk * 16 * kLd, kLd, lane);
    __syncthreads();  // this stage is consumed before the next iteration refills it
  }

#pragma unroll
  for (int h = 0; h < 2; ++h) {
    row_sum[h] += __shfl_xor_sync(0xffffffffu, row_sum[h], 1);
    row_sum[h] += __shfl_xor_sync(0xffffffffu, row_sum[h], 2);
    const int r = warp * 16 + group + h * 8;
    if (!row_valid[h]) continue;
    const float inv = row_sum[h] > 0.0f ? 1.0f / row_sum[h] : 0.0f;
    uint16_t* out = a.out + view.RowOffset(r, D);
#pragma unroll
    for (int j = 0; j < D / 8; ++j)
      *reinterpret_cast<uint32_t*>(out + j * 8 + quad * 2) = PackBf16(o[j][2 * h] * inv, o[j][2 * h + 1] * inv);
  }
}

template <int D>
cudaError_t Launch(const AttentionLaunch& a, cudaStream_t stream) {
  if (a.num_tile_items > 65535) return cudaErrorInvalidConfiguration;  // grid.y; 4M tokens in one step
  MmaAttentionKernel<D><<<dim3(a.num_q_heads, a.num_tile_items), kThreads, MmaSmem<D>::kBytes, stream>>>(a);
  return cudaGetLastError();
}

}  // namespace

bool MmaAttentionSupports(int head_dim) { return head_dim == 64 || head_dim == 128; }

cudaError_t PrepareMmaAttention() {
  cudaError_t err = cudaFuncSetAttribute(MmaAttentionKernel<64>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                         static_cast<int>(MmaSmem<64>::kBytes));
  if (err != cudaSuccess) return err;
  return cudaFuncSetAttribute(MmaAttentionKernel<128>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                              static_cast<int>(MmaSmem<128>::kBytes));
}

cudaError_t LaunchMmaAttention(const AttentionLaunch& a, cudaStream_t stream) {
  return a.head_dim == 64 ? Launch<64>(a, stream) : Launch<128>(a, stream);
}

}  // namespace sgl::cuda
