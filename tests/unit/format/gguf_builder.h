// GgufBuilder: writes GGUF images in memory, for tests only. By default it produces a
// valid file (tensors laid out back to back at aligned offsets, the last tensor ending
// exactly at end of file); setters override single fields (counts, offsets, sizes, raw
// value types) to make the malformed images the reader must reject.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/dtype.h"
#include "format/gguf_file.h"

namespace sgl::test {

struct GgufTestTensor {
  std::string name;
  uint32_t ggml_type = 0;
  std::vector<uint64_t> ne;            // innermost first, as stored in the file
  std::optional<uint64_t> offset;      // default: after the previous tensor, aligned
  std::optional<uint64_t> data_bytes;  // default: the size that the type and ne[] imply
};

// Byte `i` of the data of the `tensor_index`-th tensor a builder writes.
inline uint8_t GgufTestByte(size_t tensor_index, size_t i) {
  return static_cast<uint8_t>(tensor_index * 37 + i * 7 + 1);
}

template <typename T>
void AppendLittleEndian(std::vector<uint8_t>& out, T v) {
  uint8_t bytes[sizeof(T)];
  std::memcpy(bytes, &v, sizeof(T));
  out.insert(out.end(), bytes, bytes + sizeof(T));
}

inline void AppendGgufString(std::vector<uint8_t>& out, const std::string& s) {
  AppendLittleEndian<uint64_t>(out, s.size());
  out.insert(out.end(), s.begin(), s.end());
}

// The GGUF type id (0 = uint8 ... 9 = array ... 12 = float64) of what `value` holds.
inline uint32_t GgufTypeId(const GgufValue& value) {
  return std::visit(
      [](const auto& v) -> uint32_t {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, uint8_t>) return 0;
        else if constexpr (std::is_same_v<T, int8_t>) return 1;
        else if constexpr (std::is_same_v<T, uint16_t>) return 2;
        else if constexpr (std::is_same_v<T, int16_t>) return 3;
        else if constexpr (std::is_same_v<T, uint32_t>) return 4;
        else if constexpr (std::is_same_v<T, int32_t>) return 5;
        else if constexpr (std::is_same_v<T, float>) return 6;
        else if constexpr (std::is_same_v<T, bool>) return 7;
        else if constexpr (std::is_same_v<T, std::string>) return 8;
        else if constexpr (std::is_same_v<T, GgufArray>) return 9;
        else if constexpr (std::is_same_v<T, uint64_t>) return 10;
        else if constexpr (std::is_same_v<T, int64_t>) return 11;
        else return 12;
      },
      value.value);
}

// The encoding of `value` without its type id. An empty array is written as uint8[0].
inline void AppendGgufValue(std::vector<uint8_t>& out, const GgufValue& value) {
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          AppendGgufString(out, v);
        } else if constexpr (std::is_same_v<T, GgufArray>) {
          AppendLittleEndian<uint32_t>(out, v.empty() ? 0 : GgufTypeId(v[0]));
          AppendLittleEndian<uint64_t>(out, v.size());
          for (const GgufValue& element : v) AppendGgufValue(out, element);
        } else if constexpr (std::is_same_v<T, bool>) {
          AppendLittleEndian<uint8_t>(out, v ? 1 : 0);
        } else {
          AppendLittleEndian<T>(out, v);
        }
      },
      value.value);
}

template <typename T>
GgufValue MakeGgufValue(T v) {
  GgufValue value;
  value.value.emplace<T>(std::move(v));
  return value;
}

inline uint64_t AlignUpForTest(uint64_t n, uint64_t alignment) { return (n + alignment - 1) / alignment * alignment; }

class GgufBuilder {
 public:
  GgufBuilder& SetVersion(uint32_t version) { version_ = version; return *this; }
  GgufBuilder& SetMagic(std::string magic) { magic_ = std::move(magic); return *this; }
  GgufBuilder& SetTensorCount(uint64_t count) { tensor_count_ = count; return *this; }
  GgufBuilder& SetKvCount(uint64_t count) { kv_count_ = count; return *this; }
  // Lays tensors out at `alignment` and writes general.alignment (uint32) for it.
  GgufBuilder& SetAlignment(uint32_t alignment) {
    alignment_ = alignment;
    return AddKv("general.alignment", MakeGgufValue<uint32_t>(alignment));
  }
  // Overrides the data section's length (default: up to the end of the last tensor).
  GgufBuilder& SetDataSectionSize(uint64_t size) { data_section_size_ = size; return *this; }

  GgufBuilder& AddKv(const std::string& key, const GgufValue& value) {
    std::vector<uint8_t> encoded;
    AppendGgufValue(encoded, value);
    return AddRawKv(key, GgufTypeId(value), std::move(encoded));
  }
  // A key with any type id and any encoded bytes after it.
  GgufBuilder& AddRawKv(const std::string& key, uint32_t type, std::vector<uint8_t> encoded) {
    kvs_.push_back({key, type, std::move(encoded)});
    return *this;
  }

  // `shape` is outermost first, as TensorView reports it.
  GgufBuilder& AddTensor(const std::string& name, DType type, const std::vector<int64_t>& shape) {
    GgufTestTensor t{name, static_cast<uint32_t>(type), {}, std::nullopt, std::nullopt};
    t.ne.assign(shape.rbegin(), shape.rend());
    return AddTensor(std::move(t));
  }
  GgufBuilder& AddTensor(GgufTestTensor tensor) {
    tensors_.push_back(std::move(tensor));
    return *this;
  }

  // Where the data section begins in the image Build() returns.
  uint64_t DataSectionOffset() const { return AlignUpForTest(Header().size(), alignment_); }

  std::vector<uint8_t> Build() const {
    std::vector<uint8_t> out = Header();
    const uint64_t data_start = AlignUpForTest(out.size(), alignment_);
    const std::vector<uint64_t> offsets = Offsets();
    uint64_t data_size = 0;
    for (size_t i = 0; i < tensors_.size(); ++i) {
      if (!tensors_[i].offset) data_size = std::max(data_size, offsets[i] + DataBytes(tensors_[i]));
    }
    if (data_section_size_) data_size = *data_section_size_;
    out.resize(data_start + data_size, 0);
    for (size_t i = 0; i < tensors_.size(); ++i) {
      const uint64_t size = DataBytes(tensors_[i]);
      for (uint64_t j = 0; j < size && offsets[i] + j < data_size; ++j) {
        out[data_start + offsets[i] + j] = GgufTestByte(i, j);
      }
    }
    return out;
  }

 private:
  struct RawKv {
    std::string key;
    uint32_t type;
    std::vector<uint8_t> encoded;
  };

  static uint64_t DataBytes(const GgufTestTensor& t) {
    if (t.data_bytes) return *t.data_bytes;
    std::optional<DType> dtype = DTypeFromGguf(t.ggml_type);
    if (!dtype) return 0;
    uint64_t elements = 1;
    for (uint64_t e : t.ne) elements *= e;
    const DTypeInfo& info = Info(*dtype);
    if (elements % info.block_size != 0) return 0;
    return elements / info.block_size * info.block_bytes;
  }

  std::vector<uint64_t> Offsets() const {
    std::vector<uint64_t> offsets;
    uint64_t next = 0;
    for (const GgufTestTensor& t : tensors_) {
      if (t.offset) {
        offsets.push_back(*t.offset);
        continue;
      }
      offsets.push_back(AlignUpForTest(next, alignment_));
      next = offsets.back() + DataBytes(t);
    }
    return offsets;
  }

  std::vector<uint8_t> Header() const {
    std::vector<uint8_t> out(magic_.begin(), magic_.end());
    AppendLittleEndian<uint32_t>(out, version_);
    AppendLittleEndian<uint64_t>(out, tensor_count_.value_or(tensors_.size()));
    AppendLittleEndian<uint64_t>(out, kv_count_.value_or(kvs_.size()));
    for (const RawKv& kv : kvs_) {
      AppendGgufString(out, kv.key);
      AppendLittleEndian<uint32_t>(out, kv.type);
      out.insert(out.end(), kv.encoded.begin(), kv.encoded.end());
    }
    const std::vector<uint64_t> offsets = Offsets();
    for (size_t i = 0; i < tensors_.size(); ++i) {
      const GgufTestTensor& t = tensors_[i];
      AppendGgufString(out, t.name);
      AppendLittleEndian<uint32_t>(out, static_cast<uint32_t>(t.ne.size()));
      for (uint64_t e : t.ne) AppendLittleEndian<uint64_t>(out, e);
      AppendLittleEndian<uint32_t>(out, t.ggml_type);
      AppendLittleEndian<uint64_t>(out, offsets[i]);
    }
    return out;
  }

  std::string magic_ = "GGUF";
  uint32_t version_ = 3;
  uint64_t alignment_ = 32;
  std::optional<uint64_t> tensor_count_;
  std::optional<uint64_t> kv_count_;
  std::optional<uint64_t> data_section_size_;
  std::vector<RawKv> kvs_;
  std::vector<GgufTestTensor> tensors_;
};

}  // namespace sgl::test
