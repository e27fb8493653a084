// Tensor-core attention for prefill chunks (and, with `bidirectional`, for vision
// encoders' full attention over dense q/k/v rows). A block of 4 warps takes 64 consecutive new
// tokens of one sequence for one q head; per tile of 64 keys gathered through the page
// table into shared memory, each warp computes its 16 rows' scores S = Q K^T with bf16
// WMMA (float accumulation), applies scale, softcap and the causal/window mask while
// updating the rows' running max and sum (online softmax), rescales its rows of the
// float output kept in shared memory, and adds P V with WMMA. Only the key-tile loads
// need the whole block; everything else is per warp.
#include <mma.h>

#include <cfloat>
#include <cstdlib>
#include <cstring>

#include "backend/cuda/attention_kernel.h"
#include "backend/cuda/attention_tile_item.cuh"
#include "backend/cuda/bf16_math.cuh"

namespace sgl::cuda {
namespace {

using namespace nvcuda;

constexpr int kRows = kAttentionTensorCoreRows;  // 64 query rows per block
constexpr int kKeys = 64;                        // keys per tile
constexpr int kWarps = 4;
constexpr int kThreads = kWarps * 32;
constexpr int kLdS = kKeys + 4;  // float scores, padded
constexpr int kLdP = kKeys + 8;  // bf16 probabilities, padded

struct Smem {
  int ld_qkv, ld_o;
  __device__ __host__ explicit Smem(int d) : ld_qkv(d + 8), ld_o(d + 4) {}
  __device__ __host__ size_t QkvBytes() const { return sizeof(__nv_bfloat16) * kRows * ld_qkv; }
  __device__ __host__ size_t Bytes() const {
    return 3 * QkvBytes() + sizeof(float) * kRows * kLdS + sizeof(__nv_bfloat16) * kRows * kLdP +
           sizeof(float) * kRows * ld_o + sizeof(float) * 3 * kRows;
  }
};

__global__ void __launch_bounds__(kThreads) TensorCoreAttentionKernel(AttentionLaunch a) {
  extern __shared__ __align__(128) unsigned char smem[];
  const int D = a.head_dim;
  const Smem layout(D);
  const int ldq = layout.ld_qkv, ldo = layout.ld_o;
  __nv_bfloat16* q_s = reinterpret_cast<__nv_bfloat16*>(smem);
  __nv_bfloat16* k_s = q_s + kRows * ldq;
  __nv_bfloat16* v_s = k_s + kRows * ldq;
  float* s_s = reinterpret_cast<float*>(v_s + kRows * ldq);
  __nv_bfloat16* p_s = reinterpret_cast<__nv_bfloat16*>(s_s + kRows * kLdS);
  float* o_s = reinterpret_cast<float*>(p_s + kRows * kLdP);
  float* m_s = o_s + kRows * ldo;
  float* l_s = m_s + kRows;
  float* alpha_s = l_s + kRows;

  const TileItemView view(a, a.tile_items[blockIdx.x], blockIdx.y, D);
  const AttentionTileItem& item = view.item;
  const BatchSequence& seq = view.seq;
  const int32_t key_begin = view.key_begin, key_end = view.key_end;
  const int chunks = D / 8;
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;

  view.LoadQueries(a.q, D, kRows, reinterpret_cast<uint16_t*>(q_s), ldq, kThreads);
  for (int idx = threadIdx.x; idx < kRows * D; idx += kThreads) o_s[(idx / D) * ldo + idx % D] = 0.0f;
  if (threadIdx.x < kRows) {
    m_s[threadIdx.x] = -FLT_MAX;
    l_s[threadIdx.x] = 0.0f;
  }

  const int row0 = warp * 16;
  for (int32_t k0 = key_begin; k0 < key_end; k0 += kKeys) {
    __syncthreads();  // the previous tile is consumed (and q_s, o_s written, first time)
    for (int idx = threadIdx.x; idx < kKeys * chunks; idx += kThreads) {
      const int j = idx / chunks, c = idx % chunks;
      const int32_t key = k0 + j;
      uint4 kv = make_uint4(0, 0, 0, 0), vv = make_uint4(0, 0, 0, 0);
      if (key < key_end) {
        const int64_t row = a.bidirectional ? seq.token_begin + key : a.kv_slots[seq.kv_begin + key];
        const int64_t off = row * view.kv_stride + static_cast<int64_t>(view.kv_head) * D + c * 8;
        kv = *reinterpret_cast<const uint4*>(a.k_cache + off);
        vv = *reinterpret_cast<const uint4*>(a.v_cache + off);
      }
      *reinterpret_cast<uint4*>(k_s + j * ldq + c * 8) = kv;
      *reinterpret_cast<uint4*>(v_s + j * ldq + c * 8) = vv;
    }
    __syncthreads();

    // Scores of this warp's 16 rows against the 64 keys.
    wmma::fragment<wmma::accumulator, 16, 16, 16, float> sacc[kKeys / 16];
#pragma unroll
    for (int n = 0; n < kKeys / 16; ++n) wmma::fill_fragment(sacc[n], 0.0f);
    for (int kk = 0; kk < D / 16; ++kk) {
      wmma::fragment<wmma::matrix_a, 16, 16, 16, __nv_bfloat16, wmma::row_major> qa;
      wmma::load_matrix_sync(qa, q_s + row0 * ldq + kk * 16, ldq);
#pragma unroll
      for (int n = 0; n < kKeys / 16; ++n) {
        wmma::fragment<wmma::matrix_b, 16, 16, 16, __nv_bfloat16, wmma::col_major> kb;
        wmma::load_matrix_sync(kb, k_s + n * 16 * ldq + kk * 16, ldq);
        wmma::mma_sync(sacc[n], qa, kb, sacc[n]);
      }
    }
#pragma unroll
    for (int n = 0; n < kKeys / 16; ++n)
      wmma::store_matrix_sync(s_s + row0 * kLdS + n * 16, sacc[n], kLdS, wmma::mem_row_major);
    __syncwarp();

    // Online softmax: two lanes per row, 32 keys each.
    {
      const int r = row0 + lane / 2, half = lane & 1;
      const int32_t self = view.prefix + item.token_begin + r;
      const int32_t first = a.sliding_window > 0 ? max(0, self - a.sliding_window + 1) : 0;
      const bool row_valid = r < item.num_tokens;
      float sv[32];
      float mx = -FLT_MAX;
#pragma unroll
      for (int j = 0; j < 32; ++j) {
        const int32_t key = k0 + half * 32 + j;
        float x = s_s[r * kLdS + half * 32 + j] * a.scale;
        if (a.softcap > 0.0f) x = a.softcap * tanhf(x / a.softcap);
        const bool visible = row_valid && key < key_end && (a.bidirectional || (key >= first && key <= self));
        sv[j] = visible ? x : -INFINITY;
        mx = fmaxf(mx, sv[j]);
      }
      mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
      const float m_old = m_s[r];
      const float m_new = fmaxf(m_old, mx);
      float sum = 0.0f;
#pragma unroll
      for (int j = 0; j < 32; ++j) {
        const float p = sv[j] == -INFINITY ? 0.0f : __expf(sv[j] - m_new);
        p_s[r * kLdP + half * 32 + j] = __float2bfloat16_rn(p);
        sum += p;
      }
      sum += __shfl_xor_sync(0xffffffffu, sum, 1);
      const float alpha = __expf(m_old - m_new);
      __syncwarp();
      if (half == 0) {
        m_s[r] = m_new;
        l_s[r] = l_s[r] * alpha + sum;
        alpha_s[r] = alpha;
      }
    }
    __syncwarp();
    for (int idx = lane; idx < 16 * D; idx += 32) {
      const int r = row0 + idx / D;
      o_s[r * ldo + idx % D] *= alpha_s[r];
    }
    __syncwarp();

    // O rows += P V.
    for (int nf = 0; nf < D / 16; ++nf) {
      wmma::fragment<wmma::accumulator, 16, 16, 16, float> oacc;
      wmma::load_matrix_sync(oacc, o_s + row0 * ldo + nf * 16, ldo, wmma::mem_row_major);
#pragma unroll
      for (int kk = 0; kk < kKeys / 16; ++kk) {
        wmma::fragment<wmma::matrix_a, 16, 16, 16, __nv_bfloat16, wmma::row_major> pa;
        wmma::fragment<wmma::matrix_b, 16, 16, 16, __nv_bfloat16, wmma::row_major> vb;
        wmma::load_matrix_sync(pa, p_s + row0 * kLdP + kk * 16, kLdP);
        wmma::load_matrix_sync(vb, v_s + kk * 16 * ldq + nf * 16, ldq);
        wmma::mma_sync(oacc, pa, vb, oacc);
      }
      wmma::store_matrix_sync(o_s + row0 * ldo + nf * 16, oacc, ldo, wmma::mem_row_major);
    }
    __syncwarp();
  }

  __syncwarp();
  for (int idx = lane; idx < 16 * D; idx += 32) {
    const int r = row0 + idx / D, d = idx % D;
    if (r >= item.num_tokens) continue;
    const float l = l_s[r];
    a.out[view.RowOffset(r, D) + d] =
        FloatToBf16(l > 0.0f ? o_s[r * ldo + d] / l : 0.0f);
  }
}

// SGL_CUDA_MMA_ATTENTION=0 in the environment keeps every head size on this kernel (A/B runs).
bool MmaAttentionEnabled() {
  static const bool enabled = [] {
    const char* v = std::getenv("SGL_CUDA_MMA_ATTENTION");
    return v == nullptr || std::strcmp(v, "0") != 0;
  }();
  return enabled;
}

}  // namespace

cudaError_t PrepareTensorCoreAttention() {
  const cudaError_t err = PrepareMmaAttention();
  if (err != cudaSuccess) return err;
  return cudaFuncSetAttribute(TensorCoreAttentionKernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                              static_cast<int>(Smem(kMaxAttentionHeadDim).Bytes()));
}

cudaError_t LaunchTensorCoreAttention(const AttentionLaunch& a, cudaStream_t stream) {
  if (MmaAttentionSupports(a.head_dim) && MmaAttentionEnabled()) return LaunchMmaAttention(a, stream);
  TensorCoreAttentionKernel<<<dim3(a.num_tile_items, a.num_q_heads), kThreads, Smem(a.head_dim).Bytes(), stream>>>(a);
  return cudaGetLastError();
}

}  // namespace sgl::cuda
