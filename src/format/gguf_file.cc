#include "format/gguf_file.h"

#include <bit>
#include <cstring>
#include <limits>
#include <string_view>
#include <utility>

namespace sgl {
namespace {

static_assert(std::endian::native == std::endian::little, "the GGUF reader assumes a little-endian host");

constexpr uint32_t kGgufMagic = 0x46554747;  // "GGUF" read as a little-endian u32
constexpr uint32_t kMaxDims = 4;
constexpr uint64_t kMaxNameLength = 65535;                // metadata keys and tensor names
// Real files hold a few arrays of vocabulary size (up to ~10^6 elements). A parsed
// element takes ~40 bytes, so this caps metadata memory near 640 MiB whatever the file.
constexpr uint64_t kMaxArrayElementsInFile = uint64_t{1} << 24;
constexpr int kMaxArrayNesting = 8;
constexpr size_t kDefaultAlignment = 32;
constexpr uint64_t kMaxAlignment = uint64_t{1} << 30;
constexpr const char* kAlignmentKey = "general.alignment";

// GGUF metadata value type ids, as stored in the file.
enum GgufType : uint32_t {
  kUint8 = 0, kInt8 = 1, kUint16 = 2, kInt16 = 3, kUint32 = 4, kInt32 = 5, kFloat32 = 6,
  kBool = 7, kString = 8, kArray = 9, kUint64 = 10, kInt64 = 11, kFloat64 = 12,
};
constexpr uint32_t kNumGgufTypes = 13;

// Smallest encodings, used to reject counts that the remaining bytes cannot hold.
constexpr uint64_t kMinKvBytes = 8 + 4 + 1;                // key length, type, one byte
constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 8 + 4 + 8;  // name length, n_dims, ne[0], type, offset

std::string_view TypeName(size_t type) {
  static constexpr std::string_view kNames[kNumGgufTypes] = {
      "uint8", "int8", "uint16", "int16", "uint32", "int32", "float32",
      "bool", "string", "array", "uint64", "int64", "float64"};
  return type < kNumGgufTypes ? kNames[type] : "unknown";
}

uint64_t MinEncodedSize(uint32_t type) {
  switch (type) {
    case kUint8: case kInt8: case kBool: return 1;
    case kUint16: case kInt16: return 2;
    case kUint32: case kInt32: case kFloat32: return 4;
    case kUint64: case kInt64: case kFloat64: return 8;
    case kString: return 8;      // length only
    case kArray: return 4 + 8;   // element type and count
    default: return 1;
  }
}

// A bounds-checked little-endian reader over a byte span.
class ByteCursor {
 public:
  explicit ByteCursor(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  size_t position() const { return pos_; }
  size_t remaining() const { return bytes_.size() - pos_; }

  template <typename T>
  Status Read(T* out, std::string_view what) {
    if (remaining() < sizeof(T)) return Truncated(sizeof(T), what);
    std::memcpy(out, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return Status::Ok();
  }

  Status ReadString(std::string* out, uint64_t max_length, std::string_view what) {
    uint64_t length = 0;
    SGL_RETURN_IF_ERROR(Read(&length, what));
    if (length > max_length) return Corrupt("{} has length {}, more than the limit of {}", what, length, max_length);
    if (length > remaining()) {
      return Corrupt("{} of length {} at offset {} runs past end of file ({} bytes remain)", what, length, pos_,
                     remaining());
    }
    out->assign(reinterpret_cast<const char*>(bytes_.data() + pos_), length);
    pos_ += length;
    return Status::Ok();
  }

 private:
  Status Truncated(size_t needed, std::string_view what) const {
    return Corrupt("truncated: {} needs {} bytes at offset {} but only {} remain", what, needed, pos_, remaining());
  }

  std::span<const uint8_t> bytes_;
  size_t pos_ = 0;
};

struct GgufHeader {
  uint32_t version = 0;
  uint64_t tensor_count = 0;
  uint64_t kv_count = 0;
};

struct TensorInfo {
  std::string name;
  std::vector<uint64_t> ne;  // innermost first, as stored
  uint32_t ggml_type = 0;
  uint64_t offset = 0;  // relative to the data section
};

Status CheckVersion(uint32_t version) {
  if (version == 2 || version == 3) return Status::Ok();
  if (version == 1) return Unsupported("GGUF version 1 is not supported (only versions 2 and 3)");
  if (version == 0x02000000 || version == 0x03000000) {  // 2 or 3 stored big-endian
    return Unsupported("big-endian GGUF files are not supported");
  }
  return Unsupported("unsupported GGUF version {} (only versions 2 and 3 are supported)", version);
}

Result<GgufHeader> ReadHeader(ByteCursor& cursor) {
  uint32_t magic = 0;
  SGL_RETURN_IF_ERROR(cursor.Read(&magic, "magic"));
  if (magic != kGgufMagic) return Corrupt("not a GGUF file (bad magic 0x{:08x})", magic);
  GgufHeader header;
  SGL_RETURN_IF_ERROR(cursor.Read(&header.version, "version"));
  SGL_RETURN_IF_ERROR(CheckVersion(header.version));
  SGL_RETURN_IF_ERROR(cursor.Read(&header.tensor_count, "tensor count"));
  SGL_RETURN_IF_ERROR(cursor.Read(&header.kv_count, "metadata count"));
  if (header.kv_count > cursor.remaining() / kMinKvBytes) {
    return Corrupt("metadata count {} is impossible: only {} bytes follow the header", header.kv_count,
                   cursor.remaining());
  }
  if (header.tensor_count > cursor.remaining() / kMinTensorInfoBytes) {
    return Corrupt("tensor count {} is impossible: only {} bytes follow the header", header.tensor_count,
                   cursor.remaining());
  }
  return header;
}

template <typename T>
Result<GgufValue> ReadScalar(ByteCursor& cursor) {
  T v{};
  SGL_RETURN_IF_ERROR(cursor.Read(&v, "value"));
  GgufValue value;
  value.value.emplace<T>(v);
  return value;
}

Result<GgufValue> ReadBool(ByteCursor& cursor) {
  uint8_t byte = 0;
  SGL_RETURN_IF_ERROR(cursor.Read(&byte, "bool"));
  if (byte > 1) return Corrupt("bool value {} at offset {} is neither 0 nor 1", byte, cursor.position() - 1);
  GgufValue value;
  value.value.emplace<bool>(byte == 1);
  return value;
}

Result<GgufValue> ReadString(ByteCursor& cursor) {
  GgufValue value;
  std::string& s = value.value.emplace<std::string>();
  SGL_RETURN_IF_ERROR(cursor.ReadString(&s, std::numeric_limits<uint64_t>::max(), "string"));
  return value;
}

// How deep the array being read is nested, and how many more array elements the file
// may hold in all.
struct ArrayLimits {
  int nesting = 0;
  uint64_t elements_left = kMaxArrayElementsInFile;
};

Result<GgufValue> ReadValue(ByteCursor& cursor, uint32_t type, ArrayLimits& limits);

Result<GgufValue> ReadArray(ByteCursor& cursor, ArrayLimits& limits) {
  if (limits.nesting >= kMaxArrayNesting) return Corrupt("arrays nested more than {} deep", kMaxArrayNesting);
  uint32_t element_type = 0;
  uint64_t count = 0;
  SGL_RETURN_IF_ERROR(cursor.Read(&element_type, "array element type"));
  SGL_RETURN_IF_ERROR(cursor.Read(&count, "array length"));
  if (element_type >= kNumGgufTypes) return Corrupt("array has unknown element type {}", element_type);
  if (count > limits.elements_left) {
    return Corrupt("array of {} elements exceeds the limit of {} array elements per file", count,
                   kMaxArrayElementsInFile);
  }
  limits.elements_left -= count;
  const uint64_t min_bytes = count * MinEncodedSize(element_type);
  if (min_bytes > cursor.remaining()) {
    return Corrupt("array of {} {} elements needs at least {} bytes but only {} remain", count,
                   TypeName(element_type), min_bytes, cursor.remaining());
  }
  GgufValue value;
  GgufArray& elements = value.value.emplace<GgufArray>();
  elements.reserve(count);
  ++limits.nesting;
  for (uint64_t i = 0; i < count; ++i) {
    Result<GgufValue> element = ReadValue(cursor, element_type, limits);
    if (!element.ok()) return element.status().WithContext(fmt::format("array element {}", i));
    elements.push_back(std::move(element).value());
  }
  --limits.nesting;
  return value;
}

Result<GgufValue> ReadValue(ByteCursor& cursor, uint32_t type, ArrayLimits& limits) {
  switch (type) {
    case kUint8: return ReadScalar<uint8_t>(cursor);
    case kInt8: return ReadScalar<int8_t>(cursor);
    case kUint16: return ReadScalar<uint16_t>(cursor);
    case kInt16: return ReadScalar<int16_t>(cursor);
    case kUint32: return ReadScalar<uint32_t>(cursor);
    case kInt32: return ReadScalar<int32_t>(cursor);
    case kFloat32: return ReadScalar<float>(cursor);
    case kBool: return ReadBool(cursor);
    case kString: return ReadString(cursor);
    case kArray: return ReadArray(cursor, limits);
    case kUint64: return ReadScalar<uint64_t>(cursor);
    case kInt64: return ReadScalar<int64_t>(cursor);
    case kFloat64: return ReadScalar<double>(cursor);
    default: return Corrupt("unknown value type {}", type);
  }
}

Result<std::map<std::string, GgufValue>> ReadMetadata(ByteCursor& cursor, uint64_t count) {
  std::map<std::string, GgufValue> metadata;
  ArrayLimits limits;
  for (uint64_t i = 0; i < count; ++i) {
    std::string key;
    uint32_t type = 0;
    Status s = cursor.ReadString(&key, kMaxNameLength, "key");
    if (s.ok() && key.empty()) s = Corrupt("key is empty");
    if (s.ok()) s = cursor.Read(&type, "value type");
    if (!s.ok()) return s.WithContext(fmt::format("metadata entry {}", i));
    Result<GgufValue> value = ReadValue(cursor, type, limits);
    if (!value.ok()) return value.status().WithContext(fmt::format("metadata key '{}'", key));
    if (!metadata.emplace(key, std::move(value).value()).second) {
      return Corrupt("duplicate metadata key '{}'", key);
    }
  }
  return metadata;
}

// The value of an integer-typed GgufValue if it fits in int64; nullopt otherwise.
std::optional<int64_t> IntegerValue(const GgufValue& v) {
  return std::visit(
      [](const auto& x) -> std::optional<int64_t> {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, uint64_t>) {
          if (x > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
          return static_cast<int64_t>(x);
        } else if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
          return static_cast<int64_t>(x);
        } else {
          return std::nullopt;
        }
      },
      v.value);
}

bool IsInteger(const GgufValue& v) {
  return std::visit(
      [](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        return std::is_integral_v<T> && !std::is_same_v<T, bool>;
      },
      v.value);
}

// The value of any integer or float GgufValue as a double; nullopt otherwise.
std::optional<double> NumberValue(const GgufValue& v) {
  return std::visit(
      [](const auto& x) -> std::optional<double> {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_arithmetic_v<T> && !std::is_same_v<T, bool>) {
          return static_cast<double>(x);
        } else {
          return std::nullopt;
        }
      },
      v.value);
}

// The GGUF type id of the alternative `v` holds.
uint32_t TypeIdOf(const GgufValue& v) {
  return std::visit(
      [](const auto& x) -> uint32_t {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, uint8_t>) return kUint8;
        else if constexpr (std::is_same_v<T, int8_t>) return kInt8;
        else if constexpr (std::is_same_v<T, uint16_t>) return kUint16;
        else if constexpr (std::is_same_v<T, int16_t>) return kInt16;
        else if constexpr (std::is_same_v<T, uint32_t>) return kUint32;
        else if constexpr (std::is_same_v<T, int32_t>) return kInt32;
        else if constexpr (std::is_same_v<T, float>) return kFloat32;
        else if constexpr (std::is_same_v<T, bool>) return kBool;
        else if constexpr (std::is_same_v<T, std::string>) return kString;
        else if constexpr (std::is_same_v<T, GgufArray>) return kArray;
        else if constexpr (std::is_same_v<T, uint64_t>) return kUint64;
        else if constexpr (std::is_same_v<T, int64_t>) return kInt64;
        else return kFloat64;
      },
      v.value);
}

std::string_view TypeNameOf(const GgufValue& v) { return TypeName(TypeIdOf(v)); }

Result<size_t> AlignmentFrom(const std::map<std::string, GgufValue>& metadata) {
  auto it = metadata.find(kAlignmentKey);
  if (it == metadata.end()) return kDefaultAlignment;
  std::optional<int64_t> alignment = IntegerValue(it->second);
  if (!alignment) return Corrupt("{} must be an integer, not {}", kAlignmentKey, TypeNameOf(it->second));
  if (*alignment <= 0 || static_cast<uint64_t>(*alignment) > kMaxAlignment ||
      !std::has_single_bit(static_cast<uint64_t>(*alignment))) {
    return Corrupt("{} must be a power of two between 1 and {}, got {}", kAlignmentKey, kMaxAlignment, *alignment);
  }
  return static_cast<size_t>(*alignment);
}

Result<TensorInfo> ReadTensorInfo(ByteCursor& cursor) {
  TensorInfo info;
  SGL_RETURN_IF_ERROR(cursor.ReadString(&info.name, kMaxNameLength, "tensor name"));
  uint32_t n_dims = 0;
  Status s = cursor.Read(&n_dims, "dimension count");
  if (s.ok() && (n_dims == 0 || n_dims > kMaxDims)) {
    s = Corrupt("has {} dimensions; GGUF allows 1 to {}", n_dims, kMaxDims);
  }
  for (uint32_t d = 0; s.ok() && d < n_dims; ++d) {
    uint64_t extent = 0;
    s = cursor.Read(&extent, "dimension");
    if (s.ok() && extent > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      s = Corrupt("dimension {} is {}, too large", d, extent);
    }
    info.ne.push_back(extent);
  }
  if (s.ok()) s = cursor.Read(&info.ggml_type, "type");
  if (s.ok()) s = cursor.Read(&info.offset, "offset");
  if (!s.ok()) return s.WithContext(fmt::format("tensor '{}'", info.name));
  return info;
}

Result<std::vector<TensorInfo>> ReadTensorInfos(ByteCursor& cursor, uint64_t count) {
  std::vector<TensorInfo> infos;
  infos.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    Result<TensorInfo> info = ReadTensorInfo(cursor);
    if (!info.ok()) return info.status().WithContext(fmt::format("tensor info {}", i));
    infos.push_back(std::move(info).value());
  }
  return infos;
}

// Total elements of `ne`, or nullopt if the product overflows int64.
std::optional<int64_t> CheckedElementCount(const std::vector<uint64_t>& ne) {
  int64_t count = 1;
  for (uint64_t extent : ne) {
    if (__builtin_mul_overflow(count, static_cast<int64_t>(extent), &count)) return std::nullopt;
  }
  return count;
}

Result<size_t> TensorByteSize(const TensorInfo& info, DType dtype) {
  const DTypeInfo& type = Info(dtype);
  const int64_t row_length = static_cast<int64_t>(info.ne[0]);
  if (row_length % type.block_size != 0) {
    return Corrupt("tensor '{}' of type {} has row length {}, not a multiple of its block size {}", info.name,
                   type.name, row_length, type.block_size);
  }
  std::optional<int64_t> elements = CheckedElementCount(info.ne);
  size_t bytes = 0;
  if (!elements || __builtin_mul_overflow(static_cast<size_t>(*elements / type.block_size), type.block_bytes,
                                          &bytes)) {
    return Corrupt("tensor '{}' has too many elements to address", info.name);
  }
  return bytes;
}

// Validates one tensor against the image and returns its view into `bytes`.
Result<TensorView> MakeTensorView(const TensorInfo& info, std::span<const uint8_t> bytes, size_t data_start,
                                  size_t alignment) {
  std::optional<DType> dtype = DTypeFromGguf(info.ggml_type);
  if (!dtype) return Unsupported("tensor '{}' has unknown or unsupported ggml type {}", info.name, info.ggml_type);
  SGL_ASSIGN_OR_RETURN(size_t num_bytes, TensorByteSize(info, *dtype));
  if (info.offset % alignment != 0) {
    return Corrupt("tensor '{}' data offset {} is not a multiple of the alignment {}", info.name, info.offset,
                   alignment);
  }
  const size_t size = bytes.size();
  if (info.offset > size) {
    return Corrupt("tensor '{}' (data offset {}) starts past end of file (size {})", info.name, info.offset, size);
  }
  const size_t file_offset = data_start + info.offset;
  if (file_offset > size || num_bytes > size - file_offset) {
    return Corrupt("tensor '{}' (offset {}, {} bytes) extends past end of file (size {})", info.name, file_offset,
                   num_bytes, size);
  }
  TensorView view;
  view.name = info.name;
  view.dtype = *dtype;
  view.shape.assign(info.ne.rbegin(), info.ne.rend());
  view.data = bytes.data() + file_offset;
  view.num_bytes = num_bytes;
  return view;
}

struct ParsedGguf {
  uint32_t version = 0;
  size_t alignment = 32;
  std::map<std::string, GgufValue> metadata;
  std::vector<TensorView> tensors;
  std::map<std::string, size_t> tensor_index;
};

Result<ParsedGguf> ParseImage(std::span<const uint8_t> bytes) {
  ByteCursor cursor(bytes);
  ParsedGguf parsed;
  SGL_ASSIGN_OR_RETURN(GgufHeader header, ReadHeader(cursor));
  parsed.version = header.version;
  SGL_ASSIGN_OR_RETURN(parsed.metadata, ReadMetadata(cursor, header.kv_count));
  SGL_ASSIGN_OR_RETURN(parsed.alignment, AlignmentFrom(parsed.metadata));
  SGL_ASSIGN_OR_RETURN(std::vector<TensorInfo> infos, ReadTensorInfos(cursor, header.tensor_count));
  const size_t data_start = (cursor.position() + parsed.alignment - 1) / parsed.alignment * parsed.alignment;
  parsed.tensors.reserve(infos.size());
  for (const TensorInfo& info : infos) {
    if (!parsed.tensor_index.emplace(info.name, parsed.tensors.size()).second) {
      return Corrupt("duplicate tensor name '{}'", info.name);
    }
    SGL_ASSIGN_OR_RETURN(TensorView view, MakeTensorView(info, bytes, data_start, parsed.alignment));
    parsed.tensors.push_back(std::move(view));
  }
  return parsed;
}

}  // namespace

Result<std::unique_ptr<GgufFile>> GgufFile::Open(const std::string& path) {
  SGL_ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> mapped, MappedFile::Open(path));
  SGL_ASSIGN_OR_RETURN(std::unique_ptr<GgufFile> file, Parse({mapped->data(), mapped->size()}, path));
  file->file_ = std::move(mapped);
  return file;
}

Result<std::unique_ptr<GgufFile>> GgufFile::Parse(std::span<const uint8_t> bytes, const std::string& name) {
  Result<ParsedGguf> parsed = ParseImage(bytes);
  if (!parsed.ok()) return parsed.status().WithContext(name);
  std::unique_ptr<GgufFile> file(new GgufFile());
  file->name_ = name;
  file->version_ = parsed->version;
  file->alignment_ = parsed->alignment;
  file->metadata_ = std::move(parsed->metadata);
  file->tensors_ = std::move(parsed->tensors);
  file->tensor_index_ = std::move(parsed->tensor_index);
  return file;
}

const TensorView* GgufFile::FindTensor(const std::string& name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

const GgufValue* GgufFile::Find(const std::string& key) const {
  auto it = metadata_.find(key);
  return it == metadata_.end() ? nullptr : &it->second;
}

// --- typed getters ----------------------------------------------------------------

namespace {

Result<const GgufValue*> RequireKey(const GgufFile& file, const std::string& key) {
  const GgufValue* value = file.Find(key);
  if (value == nullptr) return NotFound("{}: metadata key '{}' not found", file.name(), key);
  return value;
}

Status WrongType(const GgufFile& file, const std::string& key, const GgufValue& value, std::string_view wanted) {
  return InvalidArgument("{}: metadata key '{}' is {}, not {}", file.name(), key, TypeNameOf(value), wanted);
}

Result<const GgufArray*> RequireArray(const GgufFile& file, const std::string& key) {
  SGL_ASSIGN_OR_RETURN(const GgufValue* value, RequireKey(file, key));
  const GgufArray* array = std::get_if<GgufArray>(&value->value);
  if (array == nullptr) return WrongType(file, key, *value, "an array");
  return array;
}

Status WrongElementType(const GgufFile& file, const std::string& key, size_t index, const GgufValue& element,
                        std::string_view wanted) {
  return InvalidArgument("{}: metadata key '{}' element {} is {}, not {}", file.name(), key, index,
                         TypeNameOf(element), wanted);
}

Status DoesNotFit(const GgufFile& file, const std::string& key, const GgufValue& value) {
  return InvalidArgument("{}: metadata key '{}' value {} does not fit in int64", file.name(), key,
                         std::get<uint64_t>(value.value));
}

}  // namespace

Result<std::string> GgufFile::GetString(const std::string& key) const {
  SGL_ASSIGN_OR_RETURN(const GgufValue* value, RequireKey(*this, key));
  const std::string* s = std::get_if<std::string>(&value->value);
  if (s == nullptr) return WrongType(*this, key, *value, "a string");
  return *s;
}

Result<int64_t> GgufFile::GetInt(const std::string& key) const {
  SGL_ASSIGN_OR_RETURN(const GgufValue* value, RequireKey(*this, key));
  if (!IsInteger(*value)) return WrongType(*this, key, *value, "an integer");
  std::optional<int64_t> v = IntegerValue(*value);
  if (!v) return DoesNotFit(*this, key, *value);
  return *v;
}

Result<double> GgufFile::GetFloat(const std::string& key) const {
  SGL_ASSIGN_OR_RETURN(const GgufValue* value, RequireKey(*this, key));
  std::optional<double> v = NumberValue(*value);
  if (!v) return WrongType(*this, key, *value, "a number");
  return *v;
}

Result<bool> GgufFile::GetBool(const std::string& key) const {
  SGL_ASSIGN_OR_RETURN(const GgufValue* value, RequireKey(*this, key));
  const bool* b = std::get_if<bool>(&value->value);
  if (b == nullptr) return WrongType(*this, key, *value, "a bool");
  return *b;
}

Result<std::vector<std::string>> GgufFile::GetStringArray(const std::string& key) const {
  SGL_ASSIGN_OR_RETURN(const GgufArray* array, RequireArray(*this, key));
  std::vector<std::string> out;
  out.reserve(array->size());
  for (size_t i = 0; i < array->size(); ++i) {
    const std::string* s = std::get_if<std::string>(&(*array)[i].value);
    if (s == nullptr) return WrongElementType(*this, key, i, (*array)[i], "a string");
    out.push_back(*s);
  }
  return out;
}

Result<std::vector<double>> GgufFile::GetFloatArray(const std::string& key) const {
  SGL_ASSIGN_OR_RETURN(const GgufArray* array, RequireArray(*this, key));
  std::vector<double> out;
  out.reserve(array->size());
  for (size_t i = 0; i < array->size(); ++i) {
    std::optional<double> v = NumberValue((*array)[i]);
    if (!v) return WrongElementType(*this, key, i, (*array)[i], "a number");
    out.push_back(*v);
  }
  return out;
}

Result<std::vector<int64_t>> GgufFile::GetIntArray(const std::string& key) const {
  SGL_ASSIGN_OR_RETURN(const GgufArray* array, RequireArray(*this, key));
  std::vector<int64_t> out;
  out.reserve(array->size());
  for (size_t i = 0; i < array->size(); ++i) {
    const GgufValue& element = (*array)[i];
    if (!IsInteger(element)) return WrongElementType(*this, key, i, element, "an integer");
    std::optional<int64_t> v = IntegerValue(element);
    if (!v) return InvalidArgument("{}: metadata key '{}' element {} does not fit in int64", name_, key, i);
    out.push_back(*v);
  }
  return out;
}

}  // namespace sgl
