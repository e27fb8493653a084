// GgufFile: a parsed GGUF (v2 or v3) model file: metadata key/values of every type,
// tensor infos, and tensor data reached through a memory map (nothing is copied).
// Parse() validates everything it reads (magic, version, counts, string lengths, types,
// offsets, alignment, tensor bounds) and returns an error naming the file and the
// problem instead of crashing on malformed input. Immutable and thread-safe after Open.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "base/mapped_file.h"
#include "base/status.h"
#include "format/tensor_view.h"

namespace sgl {

struct GgufValue;
using GgufArray = std::vector<GgufValue>;
// One metadata value. Integers keep their width and signedness as stored.
struct GgufValue {
  std::variant<uint8_t, int8_t, uint16_t, int16_t, uint32_t, int32_t, float, bool, std::string, uint64_t,
               int64_t, double, GgufArray>
      value;

  bool operator==(const GgufValue&) const = default;
};

class GgufFile {
 public:
  static Result<std::unique_ptr<GgufFile>> Open(const std::string& path);
  // Parses an in-memory image (used by Open and by the fuzzer). `bytes` must outlive
  // the result; `name` is used in error messages.
  static Result<std::unique_ptr<GgufFile>> Parse(std::span<const uint8_t> bytes, const std::string& name);

  uint32_t version() const { return version_; }
  size_t alignment() const { return alignment_; }
  const std::map<std::string, GgufValue>& metadata() const { return metadata_; }
  const std::vector<TensorView>& tensors() const { return tensors_; }
  const TensorView* FindTensor(const std::string& name) const;

  // Typed metadata access. Integer getters accept any integer type whose value fits.
  // Missing key => NotFound; wrong type => InvalidArgument; both name the key.
  const GgufValue* Find(const std::string& key) const;
  Result<std::string> GetString(const std::string& key) const;
  Result<int64_t> GetInt(const std::string& key) const;
  Result<double> GetFloat(const std::string& key) const;  // any float or integer type
  Result<bool> GetBool(const std::string& key) const;
  Result<std::vector<std::string>> GetStringArray(const std::string& key) const;
  Result<std::vector<double>> GetFloatArray(const std::string& key) const;
  Result<std::vector<int64_t>> GetIntArray(const std::string& key) const;

  const std::string& name() const { return name_; }

 private:
  GgufFile() = default;
  std::string name_;
  std::unique_ptr<MappedFile> file_;  // null when parsed from memory
  uint32_t version_ = 0;
  size_t alignment_ = 32;
  std::map<std::string, GgufValue> metadata_;
  std::vector<TensorView> tensors_;
  std::map<std::string, size_t> tensor_index_;
};

}  // namespace sgl
