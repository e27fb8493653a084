// DType: the element and block formats weights and activations come in. The numeric
// values are GGUF's (ggml_type) so a GGUF tensor header maps to a DType directly.
// A quantized type stores `block_size` elements in `block_bytes` bytes; a row's length
// must be a multiple of its block size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace sgl {

enum class DType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ5_0 = 6,
  kQ5_1 = 7,
  kQ8_0 = 8,
  kQ8_1 = 9,
  kQ2_K = 10,
  kQ3_K = 11,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
  kQ8_K = 15,
  kI32 = 26,
  kBF16 = 30,
};

struct DTypeInfo {
  std::string_view name;
  int64_t block_size;  // elements per block (1 for plain types)
  size_t block_bytes;  // bytes per block
  bool quantized;
};

// Returns nullopt for a value that is not a DType this project supports.
std::optional<DType> DTypeFromGguf(uint32_t ggml_type);
const DTypeInfo& Info(DType t);
inline std::string_view Name(DType t) { return Info(t).name; }

// Bytes taken by `num_elements` elements; REQUIRES: num_elements % block_size == 0.
inline size_t RowBytes(DType t, int64_t num_elements) {
  const DTypeInfo& info = Info(t);
  return static_cast<size_t>(num_elements / info.block_size) * info.block_bytes;
}

}  // namespace sgl
