// Shared by the x86 kernel files: MatMulTile for quantized weights, i.e. the choice
// between the decode path (few activation rows: StreamMatMul) and the prefill path
// (activation rows interleaved into groups of Isa::kGroupActs vector lanes), plus the
// scratch layout and row chunking, and the per-type kernel tables (X86MatMulFor,
// X86QuantizeFor). Promise: MatMulTileQuant<Isa, T> implements
// MatMulTile (quant_kernels.h) for weight type T.
//
// `Isa` is the including file's policy struct: the Ops primitives of quant_x86_stream.h,
// plus kGroupActs (lanes per group), kMinActsForGroup (leftover activation rows from
// which a zero-padded extra group beats per-row dots), kPrefillRows (weight rows sharing
// each activation load) and GroupDotAndStore<F, kRows>(rows, group, num_outer,
// first_act, count, out, out_stride).
#pragma once

#include <cstddef>
#include <cstdint>

#include "backend/cpu/quant/quant_impl.h"
#include "backend/cpu/quant/quant_x86_decode.h"
#include "backend/cpu/quant/quant_x86_stream.h"

namespace sgl::cpu::internal {
namespace {

// Decoded rows per chunk: as many as fit ~96 KiB (they stay cache-resident while every
// activation group passes over them), a multiple of kPrefillRows, at most kMaxChunkRows.
inline constexpr int64_t kMaxChunkRows = 32;

template <typename Isa, typename F>
int64_t ChunkRows(int64_t num_outer) {
  int64_t rows =
      static_cast<int64_t>((96 * 1024) / DecodedRow<F>::Bytes(num_outer)) / Isa::kPrefillRows * Isa::kPrefillRows;
  if (rows < Isa::kPrefillRows) rows = Isa::kPrefillRows;
  return rows > kMaxChunkRows ? kMaxChunkRows : rows;
}

template <typename Isa, DType T>
void MatMulTileQuant(const void* weights, size_t weight_row_bytes, int64_t num_rows, const void* acts,
                     size_t act_row_bytes, int64_t num_acts, int64_t k, float* out, int64_t out_stride) {
  using F = Format<T>;
  using Group = ActGroup<F, Isa::kGroupActs>;
  constexpr int64_t kLanes = Isa::kGroupActs;
  const auto* w = static_cast<const uint8_t*>(weights);
  const auto* a = static_cast<const uint8_t*>(acts);
  const int64_t num_outer = k / F::kOuter;

  int64_t num_groups = num_acts / kLanes;
  if (num_acts % kLanes >= Isa::kMinActsForGroup) ++num_groups;
  const int64_t first_single = num_groups * kLanes < num_acts ? num_groups * kLanes : num_acts;
  const int64_t num_singles = num_acts - first_single;  // < kLanes
  const bool stream = kHasStreamKernel<T> && num_groups == 0;
  const int64_t chunk_rows = stream ? 0 : (num_groups == 0 ? 1 : ChunkRows<Isa, F>(num_outer));

  Scratch scratch(chunk_rows * DecodedRow<F>::Bytes(num_outer) + num_groups * Group::Bytes(num_outer) +
                  num_singles * PackedAct<F>::Bytes(num_outer) + Arena::RoundUp(num_groups * sizeof(Group)));
  Arena arena(scratch.data());
  PackedAct<F> singles[kLanes];
  for (int64_t i = 0; i < num_singles; ++i)
    singles[i] = PackedAct<F>::Make(arena, a + (first_single + i) * act_row_bytes, num_outer);
  if constexpr (kHasStreamKernel<T>) {
    if (stream) {
      StreamMatMul<Isa, T>(w, weight_row_bytes, num_rows, singles, num_singles, num_outer, out, out_stride);
      return;
    }
  }

  DecodedRow<F> rows[kMaxChunkRows];
  for (int64_t r = 0; r < chunk_rows; ++r) rows[r] = DecodedRow<F>::Carve(arena, num_outer);
  Group* groups = arena.Take<Group>(num_groups);
  auto group_size = [&](int64_t g) { return num_acts - g * kLanes < kLanes ? num_acts - g * kLanes : kLanes; };
  for (int64_t g = 0; g < num_groups; ++g)
    groups[g] = Group::Make(arena, a + g * kLanes * act_row_bytes, act_row_bytes, group_size(g), num_outer);

  for (int64_t row0 = 0; row0 < num_rows; row0 += chunk_rows) {
    const int64_t n = num_rows - row0 < chunk_rows ? num_rows - row0 : chunk_rows;
    for (int64_t r = 0; r < n; ++r) DecodeRowFor<Isa>(rows[r], w + (row0 + r) * weight_row_bytes, num_outer);
    for (int64_t g = 0; g < num_groups; ++g) {
      int64_t r = 0;
      for (; r + Isa::kPrefillRows <= n; r += Isa::kPrefillRows) {
        Isa::template GroupDotAndStore<F, Isa::kPrefillRows>(rows + r, groups[g], num_outer, g * kLanes, group_size(g),
                                                             out + row0 + r, out_stride);
      }
      for (; r < n; ++r)
        Isa::template GroupDotAndStore<F, 1>(rows + r, groups[g], num_outer, g * kLanes, group_size(g), out + row0 + r,
                                             out_stride);
    }
    for (int64_t i = 0; i < num_singles; ++i) {
      for (int64_t r = 0; r < n; ++r)
        out[(first_single + i) * out_stride + row0 + r] = DotDecoded<Isa>(rows[r], singles[i], num_outer);
    }
  }
}

// The IsaKernels table entries, shared by the x86 files. `Table` names the including
// file's Isa policy and its float tiles and activation quantizers (see Avx2Table).
template <typename Table>
MatMulTileFn X86MatMulFor(DType weight_type) {
  using Isa = typename Table::Isa;
  switch (weight_type) {
    case DType::kF32: return Table::kF32Tile;
    case DType::kF16: return Table::kF16Tile;
    case DType::kBF16: return Table::kBF16Tile;
    case DType::kQ4_0: return MatMulTileQuant<Isa, DType::kQ4_0>;
    case DType::kQ4_1: return MatMulTileQuant<Isa, DType::kQ4_1>;
    case DType::kQ5_0: return MatMulTileQuant<Isa, DType::kQ5_0>;
    case DType::kQ5_1: return MatMulTileQuant<Isa, DType::kQ5_1>;
    case DType::kQ8_0: return MatMulTileQuant<Isa, DType::kQ8_0>;
    case DType::kQ2_K: return MatMulTileQuant<Isa, DType::kQ2_K>;
    case DType::kQ3_K: return MatMulTileQuant<Isa, DType::kQ3_K>;
    case DType::kQ4_K: return MatMulTileQuant<Isa, DType::kQ4_K>;
    case DType::kQ5_K: return MatMulTileQuant<Isa, DType::kQ5_K>;
    case DType::kQ6_K: return MatMulTileQuant<Isa, DType::kQ6_K>;
    default: return nullptr;
  }
}

template <typename Table>
QuantizeRowFn X86QuantizeFor(DType activation_type) {
  switch (activation_type) {
    case DType::kF32: return Table::kCopyF32;
    case DType::kQ8_0: return Table::kQuantizeQ8_0;
    case DType::kQ8_1: return Table::kQuantizeQ8_1;
    case DType::kQ8_K: return Table::kQuantizeQ8_K;
    default: return nullptr;
  }
}

}  // namespace
}  // namespace sgl::cpu::internal
