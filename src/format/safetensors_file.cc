#include "format/safetensors_file.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "format/json_document.h"

namespace sgl {
namespace {

constexpr size_t kHeaderLengthBytes = 8;
constexpr uint64_t kMaxHeaderBytes = uint64_t{100} << 20;  // the reference implementation's limit
constexpr const char* kMetadataKey = "__metadata__";

using Json = nlohmann::json;

std::optional<DType> DTypeFromName(std::string_view name) {
  if (name == "F32") return DType::kF32;
  if (name == "F16") return DType::kF16;
  if (name == "BF16") return DType::kBF16;
  return std::nullopt;
}

std::string ShapeString(const std::vector<int64_t>& shape) { return fmt::format("[{}]", fmt::join(shape, ", ")); }

// A JSON value that is a non-negative integer no larger than `max`.
std::optional<uint64_t> UnsignedValue(const Json& j, uint64_t max) {
  if (!j.is_number_unsigned()) return std::nullopt;
  const uint64_t v = j.get<uint64_t>();
  if (v > max) return std::nullopt;
  return v;
}

Result<DType> ReadDType(const std::string& tensor, const Json& entry) {
  auto it = entry.find("dtype");
  if (it == entry.end() || !it->is_string()) return Corrupt("tensor '{}' has no string \"dtype\"", tensor);
  const std::string& name = it->get_ref<const std::string&>();
  std::optional<DType> dtype = DTypeFromName(name);
  if (!dtype) return Unsupported("tensor '{}' has dtype {}; only F32, F16 and BF16 are supported", tensor, name);
  return *dtype;
}

Result<std::vector<int64_t>> ReadShape(const std::string& tensor, const Json& entry) {
  auto it = entry.find("shape");
  if (it == entry.end() || !it->is_array()) return Corrupt("tensor '{}' has no \"shape\" array", tensor);
  std::vector<int64_t> shape;
  shape.reserve(it->size());
  for (const Json& extent : *it) {
    std::optional<uint64_t> v = UnsignedValue(extent, std::numeric_limits<int64_t>::max());
    if (!v) {
      return Corrupt("tensor '{}' has a shape entry that is not a non-negative integer: {:.32}", tensor,
                     extent.dump());
    }
    shape.push_back(static_cast<int64_t>(*v));
  }
  return shape;
}

struct ByteRange {
  uint64_t begin = 0;
  uint64_t end = 0;
};

Result<ByteRange> ReadDataOffsets(const std::string& tensor, const Json& entry, size_t data_size) {
  auto it = entry.find("data_offsets");
  std::optional<uint64_t> begin, end;
  if (it != entry.end() && it->is_array() && it->size() == 2) {
    begin = UnsignedValue((*it)[0], std::numeric_limits<uint64_t>::max());
    end = UnsignedValue((*it)[1], std::numeric_limits<uint64_t>::max());
  }
  if (!begin || !end) return Corrupt("tensor '{}' has no \"data_offsets\" pair of non-negative integers", tensor);
  if (*begin > *end || *end > data_size) {
    return Corrupt("tensor '{}' data_offsets [{}, {}] lie outside the data section ({} bytes)", tensor, *begin,
                   *end, data_size);
  }
  return ByteRange{*begin, *end};
}

// Bytes needed by `shape` elements of `dtype`, or nullopt on overflow.
std::optional<uint64_t> ExpectedBytes(const std::vector<int64_t>& shape, DType dtype) {
  uint64_t bytes = Info(dtype).block_bytes;
  for (int64_t extent : shape) {
    if (__builtin_mul_overflow(bytes, static_cast<uint64_t>(extent), &bytes)) return std::nullopt;
  }
  return bytes;
}

Result<TensorView> ReadTensor(const std::string& tensor, const Json& entry, std::span<const uint8_t> data) {
  if (!entry.is_object()) return Corrupt("tensor '{}' entry is not a JSON object", tensor);
  TensorView view;
  view.name = tensor;
  SGL_ASSIGN_OR_RETURN(view.dtype, ReadDType(tensor, entry));
  SGL_ASSIGN_OR_RETURN(view.shape, ReadShape(tensor, entry));
  SGL_ASSIGN_OR_RETURN(ByteRange range, ReadDataOffsets(tensor, entry, data.size()));
  const uint64_t actual = range.end - range.begin;
  std::optional<uint64_t> expected = ExpectedBytes(view.shape, view.dtype);
  if (!expected || *expected != actual) {
    return Corrupt("tensor '{}' has {} bytes (data_offsets [{}, {}]) but shape {} of {} needs {}", tensor, actual,
                   range.begin, range.end, ShapeString(view.shape), Name(view.dtype),
                   expected ? fmt::to_string(*expected) : std::string("more than 2^64"));
  }
  view.data = data.data() + range.begin;
  view.num_bytes = actual;
  return view;
}

// Rejects two non-empty tensors sharing bytes.
Status CheckNoOverlap(const std::vector<TensorView>& tensors) {
  std::vector<const TensorView*> by_start;
  for (const TensorView& t : tensors) {
    if (t.num_bytes > 0) by_start.push_back(&t);
  }
  auto start = [](const TensorView* t) { return static_cast<const uint8_t*>(t->data); };
  std::sort(by_start.begin(), by_start.end(), [&](auto* a, auto* b) { return start(a) < start(b); });
  for (size_t i = 1; i < by_start.size(); ++i) {
    const TensorView* prev = by_start[i - 1];
    if (start(by_start[i]) < start(prev) + prev->num_bytes) {
      return Corrupt("tensors '{}' and '{}' overlap in the data section", prev->name, by_start[i]->name);
    }
  }
  return Status::Ok();
}

Result<std::string_view> HeaderText(std::span<const uint8_t> bytes) {
  if (bytes.size() < kHeaderLengthBytes) {
    return Corrupt("file of {} bytes is too small for the 8-byte header length", bytes.size());
  }
  uint64_t header_length = 0;
  std::memcpy(&header_length, bytes.data(), sizeof(header_length));
  const size_t available = bytes.size() - kHeaderLengthBytes;
  if (header_length > available) {
    return Corrupt("header length {} exceeds the {} bytes that follow it", header_length, available);
  }
  if (header_length > kMaxHeaderBytes) {
    return Corrupt("header length {} exceeds the limit of {} bytes", header_length, kMaxHeaderBytes);
  }
  return std::string_view(reinterpret_cast<const char*>(bytes.data() + kHeaderLengthBytes), header_length);
}

Result<std::vector<TensorView>> ParseImage(std::span<const uint8_t> bytes) {
  SGL_ASSIGN_OR_RETURN(std::string_view header_text, HeaderText(bytes));
  Result<Json> header = ParseJsonDocument(header_text);
  if (!header.ok()) return header.status().WithContext("header");
  if (!header->is_object()) return Corrupt("header is not a JSON object");
  const std::span<const uint8_t> data = bytes.subspan(kHeaderLengthBytes + header_text.size());
  std::vector<TensorView> tensors;
  tensors.reserve(header->size());
  for (const auto& [name, entry] : header->items()) {
    if (name == kMetadataKey) continue;
    SGL_ASSIGN_OR_RETURN(TensorView view, ReadTensor(name, entry, data));
    tensors.push_back(std::move(view));
  }
  SGL_RETURN_IF_ERROR(CheckNoOverlap(tensors));
  return tensors;
}

}  // namespace

Result<std::unique_ptr<SafetensorsFile>> SafetensorsFile::Open(const std::string& path) {
  SGL_ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> mapped, MappedFile::Open(path));
  SGL_ASSIGN_OR_RETURN(std::unique_ptr<SafetensorsFile> file, Parse({mapped->data(), mapped->size()}, path));
  file->file_ = std::move(mapped);
  return file;
}

Result<std::unique_ptr<SafetensorsFile>> SafetensorsFile::Parse(std::span<const uint8_t> bytes,
                                                                 const std::string& name) {
  Result<std::vector<TensorView>> tensors = ParseImage(bytes);
  if (!tensors.ok()) return tensors.status().WithContext(name);
  std::unique_ptr<SafetensorsFile> file(new SafetensorsFile());
  file->name_ = name;
  file->tensors_ = std::move(tensors).value();
  for (size_t i = 0; i < file->tensors_.size(); ++i) file->tensor_index_.emplace(file->tensors_[i].name, i);
  return file;
}

const TensorView* SafetensorsFile::FindTensor(const std::string& name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

}  // namespace sgl
