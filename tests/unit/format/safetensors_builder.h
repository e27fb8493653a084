// Builders of safetensors images for tests: SafetensorsHeader() makes the JSON header of
// a valid file with tensors laid out back to back (tests may edit it to break it), and
// SafetensorsImage() frames any header text and data size into file bytes.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace sgl::test {

struct SafetensorsTestTensor {
  std::string name;
  std::string dtype;  // "F32", "F16", "BF16", or anything else for rejection tests
  std::vector<int64_t> shape;
};

inline size_t SafetensorsElementSize(const std::string& dtype) {
  if (dtype == "F32" || dtype == "I32") return 4;
  if (dtype == "F16" || dtype == "BF16" || dtype == "I16") return 2;
  if (dtype == "U8" || dtype == "I8" || dtype == "BOOL") return 1;
  return 8;
}

inline size_t SafetensorsByteSize(const SafetensorsTestTensor& t) {
  size_t n = SafetensorsElementSize(t.dtype);
  for (int64_t d : t.shape) n *= static_cast<size_t>(d);
  return n;
}

// Byte `i` of a data section SafetensorsImage writes.
inline uint8_t SafetensorsTestByte(size_t i) { return static_cast<uint8_t>(i * 13 + 5); }

inline nlohmann::json SafetensorsHeader(const std::vector<SafetensorsTestTensor>& tensors) {
  nlohmann::json header = nlohmann::json::object();
  header["__metadata__"] = {{"format", "pt"}};
  size_t offset = 0;
  for (const SafetensorsTestTensor& t : tensors) {
    const size_t size = SafetensorsByteSize(t);
    header[t.name] = {{"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {offset, offset + size}}};
    offset += size;
  }
  return header;
}

inline size_t SafetensorsDataSize(const std::vector<SafetensorsTestTensor>& tensors) {
  size_t total = 0;
  for (const SafetensorsTestTensor& t : tensors) total += SafetensorsByteSize(t);
  return total;
}

// 8-byte little-endian header length, the header text, then `data_size` bytes.
inline std::vector<uint8_t> SafetensorsImage(std::string_view header, size_t data_size) {
  std::vector<uint8_t> out(8);
  const uint64_t length = header.size();
  std::memcpy(out.data(), &length, sizeof(length));
  out.insert(out.end(), header.begin(), header.end());
  for (size_t i = 0; i < data_size; ++i) out.push_back(SafetensorsTestByte(i));
  return out;
}

inline std::vector<uint8_t> BuildSafetensors(const std::vector<SafetensorsTestTensor>& tensors) {
  return SafetensorsImage(SafetensorsHeader(tensors).dump(), SafetensorsDataSize(tensors));
}

}  // namespace sgl::test
