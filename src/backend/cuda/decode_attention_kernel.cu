// The decode attention kernel: every work item is one token's group of ROWS q heads
// sharing a KV head (a decode step under GQA). The general kernel gives such an item one
// warp of eight; here all eight warps stream keys. A lane group of L = D / DPL lanes
// takes one key at a time (each lane DPL dims of it, read straight from the page table's
// slot with 16-byte loads, two keys in flight), scores it against all ROWS q heads held in
// registers, and keeps its own online softmax; the groups of a warp, then the warps of
// the block, are merged at the end. The splits of an item either run as one thread block
// cluster and merge through distributed shared memory (each block merges a slice of the
// output), or write partials that the last split block merges (attention_split_merge.cuh),
// as in the general kernel. At batch 1 on the H200 (8B shapes) the cluster merge, with 9
// splits (all clusters fit at once), made the step ~0.04 ms faster than 16 splits merged
// through memory.
#include <cooperative_groups.h>

#include "backend/cuda/attention_kernel.h"
#include "backend/cuda/attention_split_merge.cuh"
#include "backend/cuda/bf16_math.cuh"
#include "backend/cuda/chained_launch.cuh"
#include "backend/cuda/mma.cuh"

namespace sgl::cuda {
namespace {

constexpr int kDecodeWarps = 8;
constexpr int kDecodeThreads = kDecodeWarps * 32;
// The block's merge buffer holds kDecodeWarps x ROWS x D floats.
constexpr int kMaxDecodeRowDims = 1024;

// DPL bf16 values (a multiple of 8) from p, as floats.
template <int DPL>
__device__ __forceinline__ void LoadRow(const uint16_t* p, float (&out)[DPL]) {
#pragma unroll
  for (int v = 0; v < DPL / 8; ++v) {
    const uint4 raw = reinterpret_cast<const uint4*>(p)[v];
    const uint32_t w[4] = {raw.x, raw.y, raw.z, raw.w};
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      out[v * 8 + 2 * i] = __uint_as_float(w[i] << 16);
      out[v * 8 + 2 * i + 1] = __uint_as_float(w[i] & 0xffff0000u);
    }
  }
}

// One lane's softmax state over the keys it has seen, for ROWS rows and its DPL dims.
template <int ROWS, int DPL>
struct RowState {
  float m[ROWS], l[ROWS], acc[ROWS][DPL];

  __device__ __forceinline__ void Init() {
#pragma unroll
    for (int r = 0; r < ROWS; ++r) {
      m[r] = -FLT_MAX;
      l[r] = 0.0f;
#pragma unroll
      for (int i = 0; i < DPL; ++i) acc[r][i] = 0.0f;
    }
  }

  // Adds one key with scores s[r] and value dims v.
  __device__ __forceinline__ void Add(const float (&s)[ROWS], const float (&v)[DPL]) {
#pragma unroll
    for (int r = 0; r < ROWS; ++r) {
      const float m_new = fmaxf(m[r], s[r]);
      const float alpha = __expf(m[r] - m_new), p = __expf(s[r] - m_new);
      l[r] = l[r] * alpha + p;
#pragma unroll
      for (int i = 0; i < DPL; ++i) acc[r][i] = acc[r][i] * alpha + p * v[i];
      m[r] = m_new;
    }
  }

  // Merges the state of the lane `offset` lanes away (xor) into this one.
  __device__ __forceinline__ void MergeLane(int offset) {
#pragma unroll
    for (int r = 0; r < ROWS; ++r) {
      const float m_o = __shfl_xor_sync(0xffffffffu, m[r], offset);
      const float l_o = __shfl_xor_sync(0xffffffffu, l[r], offset);
      const float m_new = fmaxf(m[r], m_o);
      const float a = __expf(m[r] - m_new), b = __expf(m_o - m_new);
      l[r] = l[r] * a + l_o * b;
#pragma unroll
      for (int i = 0; i < DPL; ++i) acc[r][i] = acc[r][i] * a + __shfl_xor_sync(0xffffffffu, acc[r][i], offset) * b;
      m[r] = m_new;
    }
  }
};

// The split blocks of a cluster have each left their rows' partial result (unnormalized
// values, running max and sum) in their shared memory; block c merges the c-th slice of the
// item's ROWS x D outputs, reading every split's values from the others' shared memory.
template <int D, int ROWS>
__device__ void MergeClusterSplits(const AttentionLaunch& a, const float* split_acc, const float (*split_ml)[2],
                                   int64_t token, int head0) {
  namespace cg = cooperative_groups;
  cg::cluster_group cluster = cg::this_cluster();
  cluster.sync();  // every split's partial is in place
  constexpr int kOutputs = ROWS * D;
  const int splits = a.cluster_splits;
  const int per_block = (kOutputs + splits - 1) / splits;
  const int first = static_cast<int>(cluster.block_rank()) * per_block;
  const int end = min(kOutputs, first + per_block);
  for (int idx = first + threadIdx.x; idx < end; idx += kDecodeThreads) {
    const int r = idx / D, d = idx % D;
    float m[kMaxAttentionSplits], l[kMaxAttentionSplits], v[kMaxAttentionSplits];
#pragma unroll
    for (int s = 0; s < kMaxAttentionSplits; ++s) {
      const bool mine = s < splits;
      const float* ml = mine ? cluster.map_shared_rank(split_ml[r], s) : nullptr;
      m[s] = mine ? ml[0] : -FLT_MAX;
      l[s] = mine ? ml[1] : 0.0f;
      v[s] = mine ? cluster.map_shared_rank(split_acc, s)[idx] : 0.0f;
    }
    const int64_t q_stride = static_cast<int64_t>(a.num_q_heads) * D;
    a.out[token * q_stride + static_cast<int64_t>(head0 + r) * D + d] = FloatToBf16(MergedValue(m, l, v, splits));
  }
  cluster.sync();  // no block leaves while the others still read its shared memory
}

// The pipelined form (many sequences, nothing split, where the tensor-core decode kernel does
// not take the head size, 256): 8 dims a lane, so a thread's state fits 128 registers and two
// blocks share a multiprocessor, and keys stream through shared memory, many in flight (the
// register-loading loop keeps two a lane group). Its shared memory:
// the page-table entries of up to kSlotChunk keys, then each warp's ring of kRingBytes, whose
// stages hold KPW keys' K and V rows (each lane copies and later reads only its own dims of
// its own key: nothing is shared between lanes).
constexpr int kSlotChunk = 2048;
// Past 4 rows, 128 registers a thread (two blocks a multiprocessor) do not hold a lane's state.
constexpr int kMaxPipelinedRows = 4;
constexpr int kRingBytes = 8 * 1024;
constexpr size_t kPipelinedSharedBytes = kSlotChunk * sizeof(int32_t) + kDecodeWarps * kRingBytes;

template <int D, int ROWS, bool PIPELINED>
__global__ void __launch_bounds__(kDecodeThreads, PIPELINED ? 2 : 1) DecodeAttentionKernel(AttentionLaunch a) {
  LetNextKernelStart();
  WaitForPriorKernels();
  constexpr int DPL = ROWS <= 4 && !PIPELINED ? 16 : 8;  // dims per lane: q and acc take 2 * ROWS * DPL registers
  constexpr int L = D / DPL;               // lanes per key
  constexpr int KPW = 32 / L;              // keys per warp at a time
  static_assert(L >= 1 && L <= 32 && 32 % L == 0 && ROWS * D <= kMaxDecodeRowDims);
  __shared__ float merge_acc[kDecodeWarps][ROWS * D];
  __shared__ float merge_ml[kDecodeWarps][ROWS][2];
  __shared__ float split_acc[ROWS * D];  // cluster merge: this split's result
  __shared__ float split_ml[ROWS][2];

  AttentionWorkItem item = a.items[blockIdx.x];
  const BatchSequence seq = a.sequences[item.sequence];
  AttentionKeyRange(seq, item.token_begin, item.num_tokens, a.sliding_window, item.split, item.num_splits,
                    &item.key_begin, &item.key_end);
  const int kv_head = blockIdx.y;
  const int group = a.num_q_heads / a.num_kv_heads;
  const int64_t q_stride = static_cast<int64_t>(a.num_q_heads) * D;
  const int64_t kv_stride = static_cast<int64_t>(a.num_kv_heads) * D;
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const int key_lane = lane / L, dim0 = (lane % L) * DPL;
  const int64_t token = seq.token_begin + item.token_begin;
  const int head0 = kv_head * group + item.head_begin;

  float q[ROWS][DPL];
#pragma unroll
  for (int r = 0; r < ROWS; ++r) {
    LoadRow<DPL>(a.q + token * q_stride + static_cast<int64_t>(head0 + r) * D + dim0, q[r]);
#pragma unroll
    for (int i = 0; i < DPL; ++i) q[r][i] *= a.scale;
  }
  RowState<ROWS, DPL> st;
  st.Init();

  // Scores of one key's dims against every row, summed over the key's lane group.
  auto score = [&](const float (&k)[DPL], float (&s)[ROWS]) {
#pragma unroll
    for (int r = 0; r < ROWS; ++r) {
      float dot = 0.0f;
#pragma unroll
      for (int i = 0; i < DPL; ++i) dot += q[r][i] * k[i];
#pragma unroll
      for (int o = L / 2; o > 0; o >>= 1) dot += __shfl_xor_sync(0xffffffffu, dot, o);
      s[r] = a.softcap > 0.0f ? a.softcap * tanhf(dot / a.softcap) : dot;
    }
  };
  const uint16_t* k_base = a.k_cache + static_cast<int64_t>(kv_head) * D + dim0;
  const uint16_t* v_base = a.v_cache + static_cast<int64_t>(kv_head) * D + dim0;
  constexpr int kStride = kDecodeWarps * KPW;  // keys the block takes per round
  if constexpr (PIPELINED) {
    // Keys in chunks of kSlotChunk: the block stages their page-table entries, then each
    // lane streams its keys' K and V dims through its ring, kStages - 1 keys ahead (in
    // flight in shared memory, not registers).
    constexpr int kStageElems = KPW * 2 * D;  // a stage: KPW keys, K then V
    constexpr int kStages = kRingBytes / (kStageElems * 2);
    static_assert(kStages >= 2);
    extern __shared__ __align__(16) unsigned char pipeline_smem[];
    int32_t* slots = reinterpret_cast<int32_t*>(pipeline_smem);
    uint16_t* ring = reinterpret_cast<uint16_t*>(pipeline_smem + kSlotChunk * sizeof(int32_t)) +
                     warp * kStages * kStageElems + key_lane * 2 * D + dim0;
    for (int32_t c0 = item.key_begin; c0 < item.key_end; c0 += kSlotChunk) {
      const int32_t c1 = min(item.key_end, c0 + kSlotChunk);
      __syncthreads();  // the previous chunk's entries are no longer read
      for (int i = threadIdx.x; i < c1 - c0; i += kDecodeThreads) slots[i] = a.kv_slots[seq.kv_begin + c0 + i];
      __syncthreads();
      const int32_t first = c0 + warp * KPW + key_lane;  // this lane group's key at iteration 0
      const int iters = c1 - c0 > warp * KPW ? (c1 - c0 - warp * KPW + kStride - 1) / kStride : 0;
      auto issue = [&](int t) {  // iteration t's key into stage t % kStages (one commit per call)
        const int32_t k = first + t * kStride;
        if (t < iters && k < c1) {
          const int64_t off = static_cast<int64_t>(slots[k - c0]) * kv_stride;
          uint16_t* dst = ring + (t % kStages) * kStageElems;
#pragma unroll
          for (int j = 0; j < DPL; j += 8) {
            CopyAsync16(dst + j, k_base + off + j, true);
            CopyAsync16(dst + D + j, v_base + off + j, true);
          }
        }
        CommitCopies();
      };
      for (int t = 0; t < kStages - 1; ++t) issue(t);
      for (int t = 0; t < iters; ++t) {
        issue(t + kStages - 1);  // into the stage read at t - 1
        WaitCopies<kStages - 1>();  // iteration t's copies have landed
        const uint16_t* src = ring + (t % kStages) * kStageElems;
        float kf[DPL], vf[DPL];
        LoadRow<DPL>(src, kf);
        LoadRow<DPL>(src + D, vf);
        float s[ROWS];
        score(kf, s);
        if (first + t * kStride < c1) st.Add(s, vf);
      }
      WaitCopies<0>();  // nothing lands in the ring after this chunk
    }
  } else {
    // Two keys per lane group per iteration, both loaded before either is used. Every lane
    // of the warp runs the same iterations (the shuffles need them all); a lane group past
    // the range scores nothing.
    for (int32_t k0 = item.key_begin + warp * KPW + key_lane; k0 - key_lane < item.key_end; k0 += 2 * kStride) {
      const int32_t k1 = k0 + kStride;
      const bool has0 = k0 < item.key_end, has1 = k1 < item.key_end;
      float kf0[DPL], vf0[DPL], kf1[DPL], vf1[DPL];
      const int64_t off0 = has0 ? static_cast<int64_t>(a.kv_slots[seq.kv_begin + k0]) * kv_stride : 0;
      const int64_t off1 = has1 ? static_cast<int64_t>(a.kv_slots[seq.kv_begin + k1]) * kv_stride : 0;
      LoadRow<DPL>(k_base + off0, kf0);
      LoadRow<DPL>(v_base + off0, vf0);
      LoadRow<DPL>(k_base + off1, kf1);
      LoadRow<DPL>(v_base + off1, vf1);
      float s[ROWS];
      score(kf0, s);
      if (has0) st.Add(s, vf0);
      score(kf1, s);
      if (has1) st.Add(s, vf1);
    }
  }

  // Lane groups of the warp, then warps of the block.
#pragma unroll
  for (int o = L; o < 32; o <<= 1) st.MergeLane(o);
  if (lane < L) {
#pragma unroll
    for (int r = 0; r < ROWS; ++r) {
#pragma unroll
      for (int i = 0; i < DPL; ++i) merge_acc[warp][r * D + dim0 + i] = st.acc[r][i];
      if (lane == 0) {
        merge_ml[warp][r][0] = st.m[r];
        merge_ml[warp][r][1] = st.l[r];
      }
    }
  }
  __syncthreads();
  const bool split = item.num_splits > 1, in_cluster = a.cluster_splits > 1;
  for (int idx = threadIdx.x; idx < ROWS * D; idx += kDecodeThreads) {
    const int r = idx / D, d = idx % D;
    float m_max = -FLT_MAX;
#pragma unroll
    for (int w = 0; w < kDecodeWarps; ++w) m_max = fmaxf(m_max, merge_ml[w][r][0]);
    float num = 0.0f, den = 0.0f;
#pragma unroll
    for (int w = 0; w < kDecodeWarps; ++w) {
      const float weight = __expf(merge_ml[w][r][0] - m_max);
      num += weight * merge_acc[w][idx];
      den += weight * merge_ml[w][r][1];
    }
    if (!split) {
      a.out[token * q_stride + static_cast<int64_t>(head0 + r) * D + d] = FloatToBf16(den > 0.0f ? num / den : 0.0f);
      continue;
    }
    if (in_cluster) {
      split_acc[idx] = num;
      if (d == 0) {
        split_ml[r][0] = den > 0.0f ? m_max : -FLT_MAX;
        split_ml[r][1] = den;
      }
      continue;
    }
    StorePartial(a, item, kv_head, ROWS, r, d, num, m_max, den);
  }
  if (in_cluster) {
    MergeClusterSplits<D, ROWS>(a, split_acc, split_ml, token, head0);
  } else if (split) {
    MergeSplitsIfLast(a, item, seq, kv_head);
  }
}

// Clusters of more than 8 blocks are allowed only once a kernel opts in.
template <int D, int ROWS>
cudaError_t AllowLargeClusters() {
  static const cudaError_t allowed =
      cudaFuncSetAttribute(DecodeAttentionKernel<D, ROWS, false>, cudaFuncAttributeNonPortableClusterSizeAllowed, 1);
  return allowed;
}

template <int D, int ROWS>
cudaError_t AllowPipelinedSharedMemory() {
  static const cudaError_t allowed =
      cudaFuncSetAttribute(DecodeAttentionKernel<D, ROWS, true>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                           static_cast<int>(kPipelinedSharedBytes));
  return allowed;
}

template <int D, int ROWS>
cudaError_t Launch(const AttentionLaunch& a, cudaStream_t stream) {
  if constexpr (ROWS * D > kMaxDecodeRowDims) {
    return cudaErrorInvalidValue;  // DecodeAttentionSupports rules these out
  } else {
    const dim3 grid(a.num_items, a.num_kv_heads);
    if constexpr (ROWS <= kMaxPipelinedRows) {
      if (a.pipelined) {
        if (const cudaError_t err = AllowPipelinedSharedMemory<D, ROWS>(); err != cudaSuccess) return err;
        LaunchChained(DecodeAttentionKernel<D, ROWS, true>, grid, dim3(kDecodeThreads), kPipelinedSharedBytes, stream,
                      a);
        return cudaGetLastError();
      }
    }
    if (a.cluster_splits > 8) {
      const cudaError_t err = AllowLargeClusters<D, ROWS>();
      if (err != cudaSuccess) return err;
    }
    const unsigned cluster = a.cluster_splits > 1 ? static_cast<unsigned>(a.cluster_splits) : 1;
    LaunchChainedInClusters(DecodeAttentionKernel<D, ROWS, false>, grid, dim3(kDecodeThreads), 0, cluster, stream, a);
    return cudaGetLastError();
  }
}

template <int D, int ROWS>
int Clusters(int splits) {
  if constexpr (ROWS * D > kMaxDecodeRowDims) {
    return 0;
  } else {
    if (splits > 8 && AllowLargeClusters<D, ROWS>() != cudaSuccess) return 0;
    cudaLaunchAttribute attribute{};
    attribute.id = cudaLaunchAttributeClusterDimension;
    attribute.val.clusterDim = {static_cast<unsigned>(splits), 1, 1};
    cudaLaunchConfig_t config{};
    config.gridDim = dim3(static_cast<unsigned>(splits), 1, 1);
    config.blockDim = dim3(kDecodeThreads);
    config.attrs = &attribute;
    config.numAttrs = 1;
    int clusters = 0;
    if (cudaOccupancyMaxActiveClusters(&clusters, DecodeAttentionKernel<D, ROWS, false>, &config) != cudaSuccess) {
      cudaGetLastError();  // leaves no error behind for the next launch to report
      return 0;
    }
    return clusters;
  }
}

// f.template Run<D, ROWS>() for the kernel that takes items of `rows` q heads of `head_dim`
// (F: a struct with that member template).
template <int D, typename F>
auto WithRows(int rows, const F& f) {
  switch (rows) {
    case 1: return f.template Run<D, 1>();
    case 2: return f.template Run<D, 2>();
    case 4: return f.template Run<D, 4>();
    default: return f.template Run<D, 8>();
  }
}

template <typename F>
auto WithKernelFor(int head_dim, int rows, const F& f) {
  switch (head_dim) {
    case 64: return WithRows<64>(rows, f);
    case 128: return WithRows<128>(rows, f);
    default: return WithRows<256>(rows, f);
  }
}

struct LaunchIt {
  const AttentionLaunch& a;
  cudaStream_t stream;
  template <int D, int ROWS>
  cudaError_t Run() const {
    return Launch<D, ROWS>(a, stream);
  }
};

struct CountClusters {
  int splits;
  template <int D, int ROWS>
  int Run() const {
    return Clusters<D, ROWS>(splits);
  }
};

}  // namespace

bool DecodeAttentionSupports(int head_dim, int rows) {
  const bool rows_ok = rows == 1 || rows == 2 || rows == 4 || rows == 8;
  return rows_ok && (head_dim == 64 || head_dim == 128 || head_dim == 256) && rows * head_dim <= kMaxDecodeRowDims;
}

cudaError_t LaunchDecodeAttention(const AttentionLaunch& a, cudaStream_t stream) {
  if (a.num_items == 0) return cudaSuccess;
  return WithKernelFor(a.head_dim, a.decode_rows, LaunchIt{a, stream});
}

bool DecodeAttentionPipelines(int head_dim, int rows) {
  return DecodeAttentionSupports(head_dim, rows) && rows <= kMaxPipelinedRows;
}

int DecodeAttentionClusters(int head_dim, int rows, int splits) {
  if (splits < 2 || splits > kMaxAttentionSplits || !DecodeAttentionSupports(head_dim, rows)) return 0;
  return WithKernelFor(head_dim, rows, CountClusters{splits});
}

}  // namespace sgl::cuda
