// The mma.sync building blocks the tensor-core attention kernels share: ldmatrix loads of
// fragments, the bf16 m16n8k16 product, asynchronous copies into shared memory. Fragment
// layouts are those of mma.m16n8k16 (PTX ISA, "Matrix fragments for mma.m16n8k16").
// Device code only.
#pragma once

#include <cfloat>
#include <cstdint>

#include <cuda_bf16.h>

namespace sgl::cuda {

__device__ __forceinline__ uint32_t SmemAddress(const void* p) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

__device__ __forceinline__ void LoadMatrices(uint32_t (&r)[4], uint32_t address) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(address));
}

__device__ __forceinline__ void LoadMatricesTransposed(uint32_t (&r)[4], uint32_t address) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(address));
}

// c += a (16x16, row-major) * b (16x8, column-major), bf16 in, f32 accumulate.
__device__ __forceinline__ void Mma(float (&c)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
      "{%0, %1, %2, %3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// 16 bytes from global to shared memory, asynchronously; zeros when !valid.
__device__ __forceinline__ void CopyAsync16(void* shared, const void* global, bool valid) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(SmemAddress(shared)), "l"(global),
               "r"(valid ? 16 : 0)
               : "memory");
}

__device__ __forceinline__ void CommitCopies() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }

// Waits until at most N of this thread's committed groups of copies are still in flight.
template <int N>
__device__ __forceinline__ void WaitCopies() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory");
}

__device__ __forceinline__ uint32_t PackBf16(float lo, float hi) {
  const __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);
  return *reinterpret_cast<const uint32_t*>(&v);
}

// A tile of KEYS keys' K and V rows (one KV head, D dims) gathered into shared memory by
// THREADS threads with cp.async, in two halves so that no copy waits on a page-table read:
// Fetch reads the cache rows of the keys this thread copies (a tile ahead, while one is
// computed), Copy issues the copies from them as one committed group (zeros past the end).
template <int D, int KEYS, int THREADS>
struct KvTileGather {
  static constexpr int kChunks = D / 8;  // 16-byte pieces of a row
  static constexpr int kCopies = KEYS * kChunks / THREADS;
  static_assert(KEYS * kChunks % THREADS == 0);
  int32_t rows[kCopies];  // -1: past the keys' end

  // The tile from key k0 on; row_of(key) names a key's cache row (keys below key_end).
  template <typename RowOf>
  __device__ __forceinline__ void Fetch(int32_t k0, int32_t key_end, RowOf row_of) {
#pragma unroll
    for (int i = 0; i < kCopies; ++i) {
      const int32_t key = k0 + (threadIdx.x + i * THREADS) / kChunks;
      rows[i] = key >= key_end ? -1 : row_of(key);
    }
  }

  // Into k_dst / v_dst (a key every ld bf16) from caches of row_stride elements a row, the
  // KV head's dims starting at head_offset.
  __device__ __forceinline__ void Copy(const uint16_t* k_cache, const uint16_t* v_cache, int64_t row_stride,
                                       int64_t head_offset, uint16_t* k_dst, uint16_t* v_dst, int ld) const {
#pragma unroll
    for (int i = 0; i < kCopies; ++i) {
      const int idx = threadIdx.x + i * THREADS;
      const int j = idx / kChunks, c = idx % kChunks;
      const int64_t offset = static_cast<int64_t>(max(rows[i], 0)) * row_stride + head_offset + c * 8;
      CopyAsync16(k_dst + j * ld + c * 8, k_cache + offset, rows[i] >= 0);
      CopyAsync16(v_dst + j * ld + c * 8, v_cache + offset, rows[i] >= 0);
    }
    CommitCopies();
  }
};

// One key tile's online-softmax step on a warp's S accumulators (N n-tiles of 8 keys; log2
// units; keys to hide already -inf): each of this lane's two rows (group and group + 8)
// takes the tile's max over the 4 lanes that hold it, its running max and this lane's share
// of its sum are updated, S becomes P, and O (DN n-tiles) is rescaled.
template <int N, int DN>
__device__ __forceinline__ void SoftmaxTile(float (&s)[N][4], float (&row_max)[2], float (&row_sum)[2],
                                            float (&o)[DN][4]) {
  float tile_max[2] = {-FLT_MAX, -FLT_MAX};
#pragma unroll
  for (int n = 0; n < N; ++n) {
#pragma unroll
    for (int e = 0; e < 4; ++e) tile_max[e >> 1] = fmaxf(tile_max[e >> 1], s[n][e]);
  }
  float alpha[2];
#pragma unroll
  for (int h = 0; h < 2; ++h) {
    tile_max[h] = fmaxf(tile_max[h], __shfl_xor_sync(0xffffffffu, tile_max[h], 1));
    tile_max[h] = fmaxf(tile_max[h], __shfl_xor_sync(0xffffffffu, tile_max[h], 2));
    const float m_new = fmaxf(row_max[h], tile_max[h]);
    alpha[h] = exp2f(row_max[h] - m_new);
    row_max[h] = m_new;
    row_sum[h] *= alpha[h];
  }
#pragma unroll
  for (int n = 0; n < N; ++n) {
#pragma unroll
    for (int e = 0; e < 4; ++e) {
      const float p = exp2f(s[n][e] - row_max[e >> 1]);  // 0 for a hidden key
      s[n][e] = p;
      row_sum[e >> 1] += p;
    }
  }
#pragma unroll
  for (int j = 0; j < DN; ++j) {
    o[j][0] *= alpha[0];
    o[j][1] *= alpha[0];
    o[j][2] *= alpha[1];
    o[j][3] *= alpha[1];
  }
}

// O += P V over 16 keys: P's A fragment from the two n-tiles of P that hold them (p0: keys
// [0, 8), p1: [8, 16)), V's 16 rows of D at v (a row every `ld` bf16 in shared memory),
// read by ldmatrix.trans.
template <int D>
__device__ __forceinline__ void AddPv(float (&o)[D / 8][4], const float (&p0)[4], const float (&p1)[4],
                                      const uint16_t* v, int ld, int lane) {
  const int matrix = lane >> 3, matrix_row = lane & 7;  // ldmatrix: lane l names row l % 8 of matrix l / 8
  const uint32_t p[4] = {PackBf16(p0[0], p0[1]), PackBf16(p0[2], p0[3]), PackBf16(p1[0], p1[1]),
                         PackBf16(p1[2], p1[3])};
#pragma unroll
  for (int dp = 0; dp < D / 16; ++dp) {
    uint32_t b[4];  // keys [0, 8) and [8, 16), dims dp*16 + [0, 8) then [8, 16)
    LoadMatricesTransposed(b, SmemAddress(v + ((matrix & 1) * 8 + matrix_row) * ld + dp * 16 + (matrix >> 1) * 8));
    Mma(o[2 * dp], p, b[0], b[1]);
    Mma(o[2 * dp + 1], p, b[2], b[3]);
  }
}

}  // namespace sgl::cuda
