// Each row's token from float32 logits, as row_sampling.h defines it: one block per row.
// The block first applies the row's LogitEdits and token mask in place. A row without a
// cut (greedy, or a plain temperature draw) is one strided scan and a block reduction of
// (value, column): the logits, or the logits with Gumbel noise. A row with top-k / top-p /
// min-p finds each cut without sorting: the k-th candidate and the top-p crossing are
// radix selects over order-preserving keys (8 bits a pass, counts or fixed-point masses
// histogrammed in shared memory; integer sums, so the result does not depend on thread
// order), ties at a cut's key are resolved by column with a second select, and the
// shortest cut wins; the draw is then a reduction over the candidates inside it.
#include <cfloat>

#include "backend/cuda/chained_launch.cuh"
#include "backend/cuda/kernels.h"
#include "backend/row_sampling.h"

namespace sgl::cuda {
namespace {

constexpr int kThreads = 1024;

struct Best {
  float value;
  int32_t index;
};

// The better of two candidates: the larger value, the lower index on ties.
__device__ __forceinline__ Best Better(Best a, Best b) {
  return (b.value > a.value || (b.value == a.value && b.index < a.index)) ? b : a;
}

__device__ __forceinline__ Best WarpBest(Best b) {
  for (int offset = 16; offset > 0; offset /= 2) {
    Best other{__shfl_down_sync(0xffffffffu, b.value, offset), __shfl_down_sync(0xffffffffu, b.index, offset)};
    b = Better(b, other);
  }
  return b;
}

// The block's best candidate, on every thread.
__device__ Best BlockBest(Best best) {
  __shared__ Best warp_best[kThreads / 32];
  __shared__ Best result;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  best = WarpBest(best);
  __syncthreads();
  if (lane == 0) warp_best[warp] = best;
  __syncthreads();
  if (warp == 0) {
    best = lane < static_cast<int>(blockDim.x / 32) ? warp_best[lane] : Best{-INFINITY, INT32_MAX};
    best = WarpBest(best);
    if (lane == 0) result = best;
  }
  __syncthreads();
  return result;
}

// Sum over the block of a 64-bit count or mass, on every thread.
__device__ uint64_t BlockSum(uint64_t v) {
  __shared__ uint64_t warp_sum[kThreads / 32];
  __shared__ uint64_t result;
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  __syncthreads();
  if (lane == 0) warp_sum[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = lane < static_cast<int>(blockDim.x / 32) ? warp_sum[lane] : 0;
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    if (lane == 0) result = v;
  }
  __syncthreads();
  return result;
}

// Keys that order like the floats (larger float, larger key).
__device__ __forceinline__ uint32_t KeyOf(float x) {
  const uint32_t b = __float_as_uint(x);
  return (b & 0x80000000u) ? ~b : (b | 0x80000000u);
}
__device__ __forceinline__ float FloatOf(uint32_t key) {
  return __uint_as_float((key & 0x80000000u) ? (key & 0x7fffffffu) : ~key);
}

// A prefix of the candidate order: every column with key > key, and those with key ==
// key up to column `last_tie`. `size` is how many columns that is.
struct Cut {
  uint32_t key;
  int32_t last_tie;
  uint64_t size;
  __device__ bool Holds(uint32_t k, int64_t c) const { return k > key || (k == key && c <= last_tie); }
};

// MSB-first radix select over the 32-bit values value(c) of the columns with in(c): the
// largest v such that the weights of columns with value >= v add up to at least `target`
// (1 <= target <= their total). Returns v; *above gets the weight of columns with value > v.
template <typename Value, typename In, typename Weight>
__device__ uint32_t RadixSelect(int64_t cols, Value value, In in, Weight weight, uint64_t target, uint64_t* above) {
  __shared__ uint64_t hist[256];
  __shared__ uint32_t chosen_prefix;
  __shared__ uint64_t chosen_above;
  uint32_t prefix = 0, mask = 0;
  uint64_t mass_above = 0;
  for (int shift = 24; shift >= 0; shift -= 8) {
    for (int b = threadIdx.x; b < 256; b += blockDim.x) hist[b] = 0;
    __syncthreads();
    for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) {
      if (!in(c)) continue;
      const uint32_t v = value(c);
      if ((v & mask) != prefix) continue;
      const uint64_t w = weight(c);
      if (w != 0) atomicAdd(reinterpret_cast<unsigned long long*>(&hist[(v >> shift) & 255u]), w);
    }
    __syncthreads();
    if (threadIdx.x == 0) {
      int b = 255;
      for (; b > 0; --b) {
        if (mass_above + hist[b] >= target) break;
        mass_above += hist[b];
      }
      chosen_prefix = prefix | (static_cast<uint32_t>(b) << shift);
      chosen_above = mass_above;
    }
    __syncthreads();
    prefix = chosen_prefix;
    mass_above = chosen_above;
    mask |= 255u << shift;
  }
  *above = mass_above;
  return prefix;
}

// How many columns with in(c) have a key above t.
template <typename In>
__device__ uint64_t CountAbove(const float* row, int64_t cols, In in, uint32_t t) {
  uint64_t n = 0;
  for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) n += in(c) && KeyOf(row[c]) > t;
  return BlockSum(n);
}

// The cut that keeps the columns with in(c) and key > t, and of those with key == t the
// first `ties` by column (ties >= 1).
template <typename In>
__device__ Cut CutAt(const float* row, int64_t cols, In in, uint32_t t, uint64_t above_count, uint64_t ties) {
  const uint64_t all_ties = BlockSum([&] {
    uint64_t n = 0;
    for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) n += in(c) && KeyOf(row[c]) == t;
    return n;
  }());
  if (ties >= all_ties) {
    int32_t last = -1;  // the last tie in `in`: every tie
    for (int64_t c = threadIdx.x; c < cols; c += blockDim.x)
      if (in(c) && KeyOf(row[c]) == t) last = max(last, static_cast<int32_t>(c));
    const Best b = BlockBest(Best{static_cast<float>(last), last});
    return Cut{t, b.index == INT32_MAX ? -1 : static_cast<int32_t>(b.value), above_count + all_ties};
  }
  // The ties-th smallest column among the ties: a select over ~column.
  uint64_t unused;
  const uint32_t flipped = RadixSelect(
      cols, [&](int64_t c) { return ~static_cast<uint32_t>(c); },
      [&](int64_t c) { return in(c) && KeyOf(row[c]) == t; }, [](int64_t) { return uint64_t{1}; }, ties, &unused);
  return Cut{t, static_cast<int32_t>(~flipped), above_count + ties};
}

__global__ void SampleRowsKernel(float* __restrict__ x, int64_t cols, const RowSampling* sampling,
                                 const LogitEdit* edits, const uint32_t* masks, int32_t* __restrict__ out) {
  LetNextKernelStart();
  WaitForPriorKernels();
  float* row = x + blockIdx.x * cols;
  const RowSampling s = sampling != nullptr ? sampling[blockIdx.x] : RowSampling{};
  for (int32_t e = s.edit_begin + threadIdx.x; e < s.edit_end; e += blockDim.x) {
    const LogitEdit edit = edits[e];
    if (edit.column >= 0 && edit.column < cols) row[edit.column] = EditLogit(row[edit.column], edit);
  }
  __syncthreads();
  if (s.mask_begin >= 0) {
    for (int64_t c = threadIdx.x; c < cols; c += blockDim.x)
      if (!MaskAllows(s, masks, c)) row[c] = -INFINITY;
    __syncthreads();
  }
  const float inv = s.temperature > 0.0f ? 1.0f / s.temperature : 0.0f;
  if (!s.Cuts(cols)) {
    Best best{-INFINITY, INT32_MAX};
    auto consider = [&](float logit, int64_t c) {  // each thread's columns come in increasing order
      const float v = s.temperature > 0.0f ? NoisyLogit(logit, inv, s.seed, c) : logit;
      if (v > best.value || best.index == INT32_MAX) best = Best{v, static_cast<int32_t>(c)};
    };
    int64_t scalar_from = 0;
    if (cols % 4 == 0 && (reinterpret_cast<uintptr_t>(row) & 15) == 0) {
      // A vocabulary row is latency-bound: 16-byte loads, four of them in flight.
      constexpr int kInFlight = 4;
      const float4* row4 = reinterpret_cast<const float4*>(row);
      const int64_t n4 = cols / 4;
      for (int64_t i = threadIdx.x; i < n4; i += kInFlight * kThreads) {
        float4 v[kInFlight];
#pragma unroll
        for (int u = 0; u < kInFlight; ++u)
          if (i + u * kThreads < n4) v[u] = row4[i + u * kThreads];
#pragma unroll
        for (int u = 0; u < kInFlight; ++u) {
          const int64_t c = 4 * (i + u * kThreads);
          if (c >= cols) break;
          consider(v[u].x, c);
          consider(v[u].y, c + 1);
          consider(v[u].z, c + 2);
          consider(v[u].w, c + 3);
        }
      }
      scalar_from = cols;
    }
    for (int64_t c = scalar_from + threadIdx.x; c < cols; c += blockDim.x) consider(row[c], c);
    best = BlockBest(best);
    if (threadIdx.x == 0) out[blockIdx.x] = best.index;
    return;
  }

  auto key = [&](int64_t c) { return KeyOf(row[c]); };
  auto everything = [](int64_t) { return true; };
  auto one = [](int64_t) { return uint64_t{1}; };
  uint64_t above;
  // top-k (or every column).
  Cut cut{0, INT32_MAX, static_cast<uint64_t>(cols)};
  if (s.top_k > 0 && s.top_k < cols) {
    const uint32_t t = RadixSelect(cols, key, everything, one, static_cast<uint64_t>(s.top_k), &above);
    cut = CutAt(row, cols, everything, t, above, static_cast<uint64_t>(s.top_k) - above);
  }
  const Cut top_k = cut;
  auto in_top_k = [&](int64_t c) { return top_k.Holds(KeyOf(row[c]), c); };
  const float max = row[BlockBest([&] {
                          Best b{-INFINITY, INT32_MAX};
                          for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) b = Better(b, Best{row[c], int32_t(c)});
                          return b;
                        }())
                            .index];
  auto weight = [&](int64_t c) { return CandidateWeight(row[c], max, inv); };
  if (s.top_p < 1.0f) {
    const uint64_t total = BlockSum([&] {
      uint64_t m = 0;
      for (int64_t c = threadIdx.x; c < cols; c += blockDim.x)
        if (in_top_k(c)) m += weight(c);
      return m;
    }());
    const uint64_t target = TopPTarget(s.top_p, total);
    Cut p;
    if (target == 0) {  // the first candidate alone reaches it
      const uint32_t t = RadixSelect(cols, key, everything, one, 1, &above);
      p = CutAt(row, cols, everything, t, 0, 1);
    } else {
      const uint32_t t = RadixSelect(cols, key, in_top_k, weight, target, &above);
      const uint64_t count_above = CountAbove(row, cols, in_top_k, t);
      const uint64_t w = CandidateWeight(FloatOf(t), max, inv);  // > 0: the crossing needs weight
      p = CutAt(row, cols, in_top_k, t, count_above, w == 0 ? 1 : (target - above + w - 1) / w);
    }
    if (p.size < cut.size) cut = p;
  }
  if (s.min_p > 0.0f) {
    // Every column at least as heavy as min_p times the best: a suffix of keys, all ties in.
    const uint64_t least = MinPWeight(s.min_p);
    const Best lightest = BlockBest([&] {
      Best b{-INFINITY, INT32_MAX};
      for (int64_t c = threadIdx.x; c < cols; c += blockDim.x)
        if (in_top_k(c) && weight(c) >= least) b = Better(b, Best{-row[c], int32_t(c)});
      return b;
    }());
    const uint32_t t = KeyOf(-lightest.value);
    const uint64_t count_above = CountAbove(row, cols, in_top_k, t);
    const Cut m = CutAt(row, cols, in_top_k, t, count_above, UINT64_MAX);
    if (m.size < cut.size) cut = m;
  }
  Best best{-INFINITY, INT32_MAX};
  for (int64_t c = threadIdx.x; c < cols; c += blockDim.x)
    if (cut.Holds(KeyOf(row[c]), c)) best = Better(best, Best{NoisyLogit(row[c], inv, s.seed, c), int32_t(c)});
  best = BlockBest(best);
  if (threadIdx.x == 0) out[blockIdx.x] = best.index;
}

}  // namespace

void LaunchSampleRows(float* x, int64_t rows, int64_t cols, const RowSampling* sampling, const LogitEdit* edits,
                      const uint32_t* masks, int32_t* out, cudaStream_t stream) {
  if (rows == 0 || cols == 0) return;
  LaunchChained(SampleRowsKernel, dim3(static_cast<unsigned>(rows)), dim3(kThreads), 0, stream, x, cols, sampling,
                edits, masks, out);
}

}  // namespace sgl::cuda
