#include "base/dtype.h"

#include <cassert>

namespace sgl {
namespace {

constexpr int64_t kQK = 32;    // elements per block of the legacy quants
constexpr int64_t kQKK = 256;  // elements per super-block of the k-quants

const DTypeInfo* Lookup(uint32_t v) {
  static const DTypeInfo kF32{"F32", 1, 4, false}, kF16{"F16", 1, 2, false}, kBF16{"BF16", 1, 2, false},
      kI32{"I32", 1, 4, false}, kQ4_0{"Q4_0", kQK, 2 + 16, true}, kQ4_1{"Q4_1", kQK, 4 + 16, true},
      kQ5_0{"Q5_0", kQK, 2 + 4 + 16, true}, kQ5_1{"Q5_1", kQK, 4 + 4 + 16, true},
      kQ8_0{"Q8_0", kQK, 2 + 32, true}, kQ8_1{"Q8_1", kQK, 4 + 32, true},
      kQ2_K{"Q2_K", kQKK, 16 + 64 + 4, true}, kQ3_K{"Q3_K", kQKK, 32 + 64 + 12 + 2, true},
      kQ4_K{"Q4_K", kQKK, 4 + 12 + 128, true}, kQ5_K{"Q5_K", kQKK, 4 + 12 + 32 + 128, true},
      kQ6_K{"Q6_K", kQKK, 128 + 64 + 16 + 2, true}, kQ8_K{"Q8_K", kQKK, 4 + 256 + 32, true};
  switch (static_cast<DType>(v)) {
    case DType::kF32: return &kF32;
    case DType::kF16: return &kF16;
    case DType::kBF16: return &kBF16;
    case DType::kI32: return &kI32;
    case DType::kQ4_0: return &kQ4_0;
    case DType::kQ4_1: return &kQ4_1;
    case DType::kQ5_0: return &kQ5_0;
    case DType::kQ5_1: return &kQ5_1;
    case DType::kQ8_0: return &kQ8_0;
    case DType::kQ8_1: return &kQ8_1;
    case DType::kQ2_K: return &kQ2_K;
    case DType::kQ3_K: return &kQ3_K;
    case DType::kQ4_K: return &kQ4_K;
    case DType::kQ5_K: return &kQ5_K;
    case DType::kQ6_K: return &kQ6_K;
    case DType::kQ8_K: return &kQ8_K;
  }
  return nullptr;
}

}  // namespace

std::optional<DType> DTypeFromGguf(uint32_t ggml_type) {
  if (Lookup(ggml_type) == nullptr) return std::nullopt;
  return static_cast<DType>(ggml_type);
}

const DTypeInfo& Info(DType t) {
  const DTypeInfo* info = Lookup(static_cast<uint32_t>(t));
  assert(info != nullptr);
  return *info;
}

}  // namespace sgl
