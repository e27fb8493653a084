// Tests of GgufFile: round trips of every metadata type, versions, alignment, tensor
// layouts, typed getters, and rejection (with a useful message) of malformed images.
#include "format/gguf_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

#include "gguf_builder.h"
#include "testing/temp_dir.h"

namespace sgl {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using test::GgufBuilder;
using test::GgufTestTensor;
using test::MakeGgufValue;

constexpr const char* kName = "model.gguf";

Result<std::unique_ptr<GgufFile>> ParseBytes(const std::vector<uint8_t>& bytes) {
  return GgufFile::Parse(bytes, kName);
}

// Parses `bytes`, expects failure, and returns the message.
std::string ParseError(const std::vector<uint8_t>& bytes) {
  auto result = ParseBytes(bytes);
  EXPECT_FALSE(result.ok()) << "parsed an image that should be rejected";
  if (result.ok()) return "";
  EXPECT_THAT(result.status().message(), HasSubstr(kName));
  return result.status().message();
}

GgufValue Array(std::vector<GgufValue> elements) { return MakeGgufValue<GgufArray>(std::move(elements)); }

std::vector<std::pair<std::string, GgufValue>> EveryMetadataType() {
  return {
      {"t.uint8", MakeGgufValue<uint8_t>(200)},
      {"t.int8", MakeGgufValue<int8_t>(-100)},
      {"t.uint16", MakeGgufValue<uint16_t>(60000)},
      {"t.int16", MakeGgufValue<int16_t>(-30000)},
      {"t.uint32", MakeGgufValue<uint32_t>(4000000000u)},
      {"t.int32", MakeGgufValue<int32_t>(-2000000000)},
      {"t.float32", MakeGgufValue<float>(1.5f)},
      {"t.bool.true", MakeGgufValue<bool>(true)},
      {"t.bool.false", MakeGgufValue<bool>(false)},
      {"t.string", MakeGgufValue<std::string>("hello, gguf")},
      {"t.string.empty", MakeGgufValue<std::string>("")},
      {"t.uint64", MakeGgufValue<uint64_t>(std::numeric_limits<uint64_t>::max())},
      {"t.int64", MakeGgufValue<int64_t>(std::numeric_limits<int64_t>::min())},
      {"t.float64", MakeGgufValue<double>(-2.25e300)},
      {"t.array.uint8", Array({MakeGgufValue<uint8_t>(1), MakeGgufValue<uint8_t>(2)})},
      {"t.array.float32", Array({MakeGgufValue<float>(0.5f), MakeGgufValue<float>(-1.0f)})},
      {"t.array.string", Array({MakeGgufValue<std::string>("a"), MakeGgufValue<std::string>("")})},
      {"t.array.empty", Array({})},
      {"t.array.nested",
       Array({Array({MakeGgufValue<int32_t>(1), MakeGgufValue<int32_t>(2)}),
              Array({Array({MakeGgufValue<std::string>("deep")})}), Array({})})},
  };
}

TEST(GgufFileTest, EveryMetadataTypeRoundTrips) {
  GgufBuilder builder;
  for (const auto& [key, value] : EveryMetadataType()) builder.AddKv(key, value);
  auto file = ParseBytes(builder.Build());
  ASSERT_TRUE(file.ok()) << file.status().message();
  const auto expected = EveryMetadataType();
  EXPECT_EQ((*file)->metadata().size(), expected.size());
  for (const auto& [key, value] : expected) {
    const GgufValue* found = (*file)->Find(key);
    ASSERT_NE(found, nullptr) << key;
    EXPECT_EQ(found->value.index(), value.value.index()) << key;
    EXPECT_TRUE(*found == value) << key;
  }
  EXPECT_EQ((*file)->Find("absent"), nullptr);
  EXPECT_TRUE((*file)->tensors().empty());
}

class GgufVersionTest : public ::testing::TestWithParam<uint32_t> {};

TEST_P(GgufVersionTest, ParsesMetadataAndTensors) {
  GgufBuilder builder;
  builder.SetVersion(GetParam())
      .AddKv("general.architecture", MakeGgufValue<std::string>("llama"))
      .AddTensor("w", DType::kF32, {2, 8});
  auto file = ParseBytes(builder.Build());
  ASSERT_TRUE(file.ok()) << file.status().message();
  EXPECT_EQ((*file)->version(), GetParam());
  EXPECT_EQ(*(*file)->GetString("general.architecture"), "llama");
  ASSERT_EQ((*file)->tensors().size(), 1u);
  EXPECT_EQ((*file)->tensors()[0].shape, (std::vector<int64_t>{2, 8}));
}

INSTANTIATE_TEST_SUITE_P(V2AndV3, GgufVersionTest, ::testing::Values(2u, 3u));

void ExpectTensorBytes(const TensorView& view, size_t tensor_index) {
  const auto* data = static_cast<const uint8_t*>(view.data);
  for (size_t i = 0; i < view.num_bytes; ++i) {
    ASSERT_EQ(data[i], test::GgufTestByte(tensor_index, i)) << view.name << " byte " << i;
  }
}

TEST(GgufFileTest, TensorsOfSeveralTypesAndShapes) {
  struct Case {
    const char* name;
    DType type;
    std::vector<int64_t> shape;
    size_t bytes;
  };
  const std::vector<Case> cases = {
      {"f32.matrix", DType::kF32, {3, 5}, 60},
      {"f16.vector", DType::kF16, {7}, 14},
      {"bf16.3d", DType::kBF16, {2, 3, 4}, 48},
      {"q4_0", DType::kQ4_0, {2, 64}, 2 * 2 * 18},
      {"q4_1", DType::kQ4_1, {3, 32}, 3 * 20},
      {"q8_0.4d", DType::kQ8_0, {1, 2, 3, 32}, 6 * 34},
      {"q4_k", DType::kQ4_K, {2, 256}, 2 * 144},
      {"q6_k", DType::kQ6_K, {512}, 2 * 210},
      {"i32", DType::kI32, {3}, 12},
      {"empty", DType::kF32, {0, 4}, 0},
  };
  GgufBuilder builder;
  for (const Case& c : cases) builder.AddTensor(c.name, c.type, c.shape);
  const std::vector<uint8_t> bytes = builder.Build();
  auto file = ParseBytes(bytes);
  ASSERT_TRUE(file.ok()) << file.status().message();
  ASSERT_EQ((*file)->tensors().size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    const TensorView& view = (*file)->tensors()[i];
    EXPECT_EQ(view.name, cases[i].name);
    EXPECT_EQ(view.dtype, cases[i].type) << view.name;
    EXPECT_EQ(view.shape, cases[i].shape) << view.name;
    EXPECT_EQ(view.num_bytes, cases[i].bytes) << view.name;
    const size_t offset = static_cast<size_t>(static_cast<const uint8_t*>(view.data) - bytes.data());
    EXPECT_EQ((offset - builder.DataSectionOffset()) % 32, 0u) << view.name << " is not 32-byte aligned";
    ExpectTensorBytes(view, i);
    EXPECT_EQ((*file)->FindTensor(cases[i].name), &view);
  }
  EXPECT_EQ((*file)->FindTensor("absent"), nullptr);
}

TEST(GgufFileTest, DefaultAlignmentIs32) {
  GgufBuilder builder;
  builder.AddTensor("a", DType::kF32, {3}).AddTensor("b", DType::kF32, {1});
  const std::vector<uint8_t> bytes = builder.Build();
  auto file = ParseBytes(bytes);
  ASSERT_TRUE(file.ok()) << file.status().message();
  EXPECT_EQ((*file)->alignment(), 32u);
  const auto* base = bytes.data() + builder.DataSectionOffset();
  EXPECT_EQ(builder.DataSectionOffset() % 32, 0u);
  EXPECT_EQ((*file)->tensors()[0].data, base);
  EXPECT_EQ((*file)->tensors()[1].data, base + 32);
}

class GgufAlignmentTest : public ::testing::TestWithParam<uint32_t> {};

TEST_P(GgufAlignmentTest, CustomAlignmentPlacesDataSection) {
  const uint32_t alignment = GetParam();
  GgufBuilder builder;
  builder.SetAlignment(alignment)
      .AddTensor("a", DType::kF16, {3})
      .AddTensor("b", DType::kQ8_0, {2, 32})
      .AddTensor("c", DType::kF32, {5});
  const std::vector<uint8_t> bytes = builder.Build();
  auto file = ParseBytes(bytes);
  ASSERT_TRUE(file.ok()) << file.status().message();
  EXPECT_EQ((*file)->alignment(), alignment);
  EXPECT_EQ(builder.DataSectionOffset() % alignment, 0u);
  const auto* base = bytes.data() + builder.DataSectionOffset();
  EXPECT_EQ((*file)->tensors()[0].data, base);
  for (size_t i = 0; i < 3; ++i) {
    const auto offset = static_cast<const uint8_t*>((*file)->tensors()[i].data) - base;
    EXPECT_EQ(offset % alignment, 0) << i;
    ExpectTensorBytes((*file)->tensors()[i], i);
  }
}

INSTANTIATE_TEST_SUITE_P(PowersOfTwo, GgufAlignmentTest, ::testing::Values(1u, 8u, 64u, 4096u));

TEST(GgufFileTest, AlignmentMustBeAPowerOfTwo) {
  for (uint32_t bad : {0u, 3u, 48u}) {
    GgufBuilder builder;
    builder.AddKv("general.alignment", MakeGgufValue<uint32_t>(bad));
    EXPECT_THAT(ParseError(builder.Build()),
                AllOf(HasSubstr("general.alignment must be a power of two"), HasSubstr(std::to_string(bad))));
  }
}

TEST(GgufFileTest, AlignmentMustBeAnInteger) {
  GgufBuilder builder;
  builder.AddKv("general.alignment", MakeGgufValue<std::string>("32"));
  EXPECT_THAT(ParseError(builder.Build()), HasSubstr("general.alignment must be an integer, not string"));
}

TEST(GgufFileTest, UnalignedTensorOffsetIsRejected) {
  GgufBuilder builder;
  builder.AddTensor("a", DType::kF32, {8});
  builder.AddTensor(GgufTestTensor{"blk.0.ffn_up.weight", 0, {4}, 48, 16});
  builder.SetDataSectionSize(64);
  EXPECT_THAT(ParseError(builder.Build()),
              HasSubstr("tensor 'blk.0.ffn_up.weight' data offset 48 is not a multiple of the alignment 32"));
}

// --- typed getters --------------------------------------------------------------------

class GgufGetterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    GgufBuilder builder;
    for (const auto& [key, value] : EveryMetadataType()) builder.AddKv(key, value);
    builder.AddKv("t.array.int16", Array({MakeGgufValue<int16_t>(-1), MakeGgufValue<int16_t>(7)}));
    builder.AddKv("t.array.uint64_big", Array({MakeGgufValue<uint64_t>(std::numeric_limits<uint64_t>::max())}));
    bytes_ = builder.Build();
    auto file = ParseBytes(bytes_);
    ASSERT_TRUE(file.ok()) << file.status().message();
    file_ = std::move(file).value();
  }
  std::vector<uint8_t> bytes_;
  std::unique_ptr<GgufFile> file_;
};

TEST_F(GgufGetterTest, GetIntAcceptsEveryIntegerTypeThatFits) {
  EXPECT_EQ(*file_->GetInt("t.uint8"), 200);
  EXPECT_EQ(*file_->GetInt("t.int8"), -100);
  EXPECT_EQ(*file_->GetInt("t.uint16"), 60000);
  EXPECT_EQ(*file_->GetInt("t.int16"), -30000);
  EXPECT_EQ(*file_->GetInt("t.uint32"), 4000000000);
  EXPECT_EQ(*file_->GetInt("t.int32"), -2000000000);
  EXPECT_EQ(*file_->GetInt("t.int64"), std::numeric_limits<int64_t>::min());
  auto too_big = file_->GetInt("t.uint64");
  ASSERT_FALSE(too_big.ok());
  EXPECT_THAT(too_big.status().message(), AllOf(HasSubstr(kName), HasSubstr("'t.uint64'"), HasSubstr("int64")));
}

TEST_F(GgufGetterTest, GetFloatAcceptsFloatsAndIntegers) {
  EXPECT_EQ(*file_->GetFloat("t.float32"), 1.5);
  EXPECT_EQ(*file_->GetFloat("t.float64"), -2.25e300);
  EXPECT_EQ(*file_->GetFloat("t.int16"), -30000.0);
}

TEST_F(GgufGetterTest, StringAndBool) {
  EXPECT_EQ(*file_->GetString("t.string"), "hello, gguf");
  EXPECT_EQ(*file_->GetString("t.string.empty"), "");
  EXPECT_TRUE(*file_->GetBool("t.bool.true"));
  EXPECT_FALSE(*file_->GetBool("t.bool.false"));
}

TEST_F(GgufGetterTest, Arrays) {
  EXPECT_EQ(*file_->GetStringArray("t.array.string"), (std::vector<std::string>{"a", ""}));
  EXPECT_EQ(*file_->GetFloatArray("t.array.float32"), (std::vector<double>{0.5, -1.0}));
  EXPECT_EQ(*file_->GetFloatArray("t.array.uint8"), (std::vector<double>{1, 2}));
  EXPECT_EQ(*file_->GetIntArray("t.array.int16"), (std::vector<int64_t>{-1, 7}));
  EXPECT_TRUE(file_->GetIntArray("t.array.empty")->empty());
  EXPECT_TRUE(file_->GetStringArray("t.array.empty")->empty());
}

TEST_F(GgufGetterTest, MissingKeyIsNotFoundNamingTheKey) {
  auto result = file_->GetInt("llama.context_length");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(result.status().message(), "model.gguf: metadata key 'llama.context_length' not found");
  EXPECT_EQ(file_->GetStringArray("nope").status().code(), StatusCode::kNotFound);
}

TEST_F(GgufGetterTest, WrongTypeIsInvalidArgumentNamingKeyAndType) {
  auto s = file_->GetString("t.uint32");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.status().message(), "model.gguf: metadata key 't.uint32' is uint32, not a string");
  EXPECT_THAT(file_->GetInt("t.float32").status().message(), HasSubstr("'t.float32' is float32, not an integer"));
  EXPECT_THAT(file_->GetInt("t.bool.true").status().message(), HasSubstr("is bool, not an integer"));
  EXPECT_THAT(file_->GetFloat("t.string").status().message(), HasSubstr("is string, not a number"));
  EXPECT_THAT(file_->GetBool("t.uint8").status().message(), HasSubstr("is uint8, not a bool"));
  EXPECT_THAT(file_->GetStringArray("t.string").status().message(), HasSubstr("is string, not an array"));
  EXPECT_THAT(file_->GetStringArray("t.array.uint8").status().message(),
              HasSubstr("'t.array.uint8' element 0 is uint8, not a string"));
  EXPECT_THAT(file_->GetIntArray("t.array.float32").status().message(),
              HasSubstr("element 0 is float32, not an integer"));
  EXPECT_THAT(file_->GetFloatArray("t.array.nested").status().message(),
              HasSubstr("element 0 is array, not a number"));
  EXPECT_THAT(file_->GetIntArray("t.array.uint64_big").status().message(),
              HasSubstr("element 0 does not fit in int64"));
}

// --- files on disk --------------------------------------------------------------------

TEST(GgufFileTest, OpenMapsAFileAndNamesItInErrors) {
  test::TempDir dir;
  GgufBuilder builder;
  builder.AddKv("general.name", MakeGgufValue<std::string>("tiny")).AddTensor("w", DType::kQ8_0, {4, 32});
  const std::string path = dir.Write("tiny.gguf", builder.Build());
  auto file = GgufFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status().message();
  EXPECT_EQ((*file)->name(), path);
  EXPECT_EQ(*(*file)->GetString("general.name"), "tiny");
  ExpectTensorBytes((*file)->tensors()[0], 0);

  const std::string bad = dir.Write("bad.gguf", std::string_view("GGUF"));
  auto error = GgufFile::Open(bad);
  ASSERT_FALSE(error.ok());
  EXPECT_THAT(error.status().message(), AllOf(HasSubstr(bad), HasSubstr("truncated")));

  auto missing = GgufFile::Open(dir.PathOf("missing.gguf"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("missing.gguf"));
}

// --- malformed images -----------------------------------------------------------------

std::vector<uint8_t> RichValidImage() {
  GgufBuilder builder;
  builder.SetAlignment(64);
  for (const auto& [key, value] : EveryMetadataType()) builder.AddKv(key, value);
  builder.AddTensor("token_embd.weight", DType::kQ4_1, {3, 64})
      .AddTensor("blk.0.attn_norm.weight", DType::kF32, {5})
      .AddTensor("output.weight", DType::kQ8_0, {2, 32});
  return builder.Build();
}

TEST(GgufFileTest, EveryTruncationIsAnErrorNotACrash) {
  const std::vector<uint8_t> bytes = RichValidImage();
  ASSERT_TRUE(ParseBytes(bytes).ok());
  for (size_t length = 0; length < bytes.size(); ++length) {
    // A copy of exactly `length` bytes, so AddressSanitizer catches any read past it.
    const std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(length));
    auto result = ParseBytes(prefix);
    ASSERT_FALSE(result.ok()) << "prefix of " << length << " bytes parsed";
    ASSERT_THAT(result.status().message(), HasSubstr(kName)) << length;
  }
}

TEST(GgufFileTest, BadMagic) {
  GgufBuilder builder;
  builder.SetMagic("GGML");
  EXPECT_THAT(ParseError(builder.Build()), HasSubstr("not a GGUF file (bad magic"));
}

TEST(GgufFileTest, VersionOneIsRejected) {
  GgufBuilder builder;
  builder.SetVersion(1);
  const std::string message = ParseError(builder.Build());
  EXPECT_THAT(message, HasSubstr("GGUF version 1 is not supported"));
  auto result = ParseBytes(builder.Build());
  EXPECT_EQ(result.status().code(), StatusCode::kUnsupported);
}

TEST(GgufFileTest, UnknownVersionsAreRejected) {
  GgufBuilder builder;
  builder.SetVersion(4);
  EXPECT_THAT(ParseError(builder.Build()), HasSubstr("unsupported GGUF version 4"));
  builder.SetVersion(0x03000000);
  EXPECT_THAT(ParseError(builder.Build()), HasSubstr("big-endian"));
}

TEST(GgufFileTest, HugeCountsAreRejectedBeforeAllocating) {
  GgufBuilder kvs;
  kvs.SetKvCount(std::numeric_limits<uint64_t>::max());
  EXPECT_THAT(ParseError(kvs.Build()), HasSubstr("metadata count 18446744073709551615 is impossible"));
  GgufBuilder tensors;
  tensors.SetTensorCount(uint64_t{1} << 40);
  EXPECT_THAT(ParseError(tensors.Build()), HasSubstr("tensor count 1099511627776 is impossible"));
}

TEST(GgufFileTest, CountLargerThanEntriesIsTruncation) {
  GgufBuilder builder;
  builder.AddKv("a", MakeGgufValue<uint8_t>(1)).AddKv("b", MakeGgufValue<uint8_t>(2));
  builder.AddKv("c", MakeGgufValue<uint8_t>(3)).SetKvCount(4);
  // The fourth entry is read from the zero padding before the data section.
  EXPECT_THAT(ParseError(builder.Build()), HasSubstr("metadata entry 3: key is empty"));
  builder.AddKv("d", MakeGgufValue<std::string>("end")).SetKvCount(5);
  std::vector<uint8_t> unpadded = builder.Build();
  while (unpadded.back() == 0) unpadded.pop_back();  // drop the padding: the file ends after "end"
  EXPECT_THAT(ParseError(unpadded), AllOf(HasSubstr("metadata entry 4"), HasSubstr("truncated")));
}

TEST(GgufFileTest, KeyLengthPastEndOfFile) {
  GgufBuilder builder;
  builder.AddKv("general.name", MakeGgufValue<std::string>("x"));
  std::vector<uint8_t> bytes = builder.Build();
  // The key's length field starts right after the 24-byte header.
  const uint64_t huge = 1000;
  std::memcpy(bytes.data() + 24, &huge, sizeof(huge));
  EXPECT_THAT(ParseError(bytes), AllOf(HasSubstr("metadata entry 0"), HasSubstr("key of length 1000"),
                                       HasSubstr("runs past end of file")));
}

TEST(GgufFileTest, StringValueLengthPastEndOfFile) {
  std::vector<uint8_t> encoded;
  test::AppendLittleEndian<uint64_t>(encoded, 1u << 20);
  encoded.insert(encoded.end(), {'a', 'b', 'c'});
  GgufBuilder builder;
  builder.AddRawKv("tokenizer.chat_template", 8, encoded);
  EXPECT_THAT(ParseError(builder.Build()), AllOf(HasSubstr("metadata key 'tokenizer.chat_template'"),
                                                 HasSubstr("string of length 1048576"),
                                                 HasSubstr("runs past end of file")));
}

TEST(GgufFileTest, OverlongKeyIsRejected) {
  GgufBuilder builder;
  builder.AddKv(std::string(70000, 'k'), MakeGgufValue<uint8_t>(1));
  EXPECT_THAT(ParseError(builder.Build()), HasSubstr("key has length 70000, more than the limit"));
}

TEST(GgufFileTest, UnknownMetadataType) {
  GgufBuilder builder;
  builder.AddRawKv("general.mystery", 13, {0, 0, 0, 0});
  EXPECT_THAT(ParseError(builder.Build()),
              AllOf(HasSubstr("metadata key 'general.mystery'"), HasSubstr("unknown value type 13")));
}

TEST(GgufFileTest, UnknownArrayElementType) {
  std::vector<uint8_t> encoded;
  test::AppendLittleEndian<uint32_t>(encoded, 77);
  test::AppendLittleEndian<uint64_t>(encoded, 0);
  GgufBuilder builder;
  builder.AddRawKv("a", 9, encoded);
  EXPECT_THAT(ParseError(builder.Build()), HasSubstr("array has unknown element type 77"));
}

TEST(GgufFileTest, ArrayCountLargerThanTheFileIsRejected) {
  for (uint64_t count : {uint64_t{1} << 62, uint64_t{1} << 20}) {
    std::vector<uint8_t> encoded;
    test::AppendLittleEndian<uint32_t>(encoded, 8);  // strings
    test::AppendLittleEndian<uint64_t>(encoded, count);
    GgufBuilder builder;
    builder.AddRawKv("tokenizer.ggml.tokens", 9, encoded);
    EXPECT_THAT(ParseError(builder.Build()),
                AllOf(HasSubstr("metadata key 'tokenizer.ggml.tokens'"), HasSubstr(std::to_string(count))));
  }
}

TEST(GgufFileTest, ArrayElementsPerFileAreCapped) {
  std::vector<uint8_t> encoded;
  test::AppendLittleEndian<uint32_t>(encoded, 0);  // uint8
  test::AppendLittleEndian<uint64_t>(encoded, (uint64_t{1} << 24) + 1);
  GgufBuilder builder;
  builder.AddRawKv("big", 9, encoded);
  EXPECT_THAT(ParseError(builder.Build()),
              HasSubstr("metadata key 'big': array of 16777217 elements exceeds the limit of 16777216 array "
                        "elements per file"));
}

TEST(GgufFileTest, DeeplyNestedArraysAreRejected) {
  std::vector<uint8_t> encoded;
  for (int i = 0; i < 100; ++i) {
    test::AppendLittleEndian<uint32_t>(encoded, 9);
    test::AppendLittleEndian<uint64_t>(encoded, 1);
  }
  GgufBuilder builder;
  builder.AddRawKv("deep", 9, encoded);
  EXPECT_THAT(ParseError(builder.Build()), HasSubstr("arrays nested more than 8 deep"));
}

TEST(GgufFileTest, BoolMustBeZeroOrOne) {
  GgufBuilder builder;
  builder.AddRawKv("flag", 7, {2});
  EXPECT_THAT(ParseError(builder.Build()), AllOf(HasSubstr("'flag'"), HasSubstr("bool value 2")));
}

TEST(GgufFileTest, DuplicateKeyIsRejected) {
  GgufBuilder builder;
  builder.AddKv("general.name", MakeGgufValue<std::string>("a"));
  builder.AddKv("general.name", MakeGgufValue<std::string>("b"));
  EXPECT_THAT(ParseError(builder.Build()), HasSubstr("duplicate metadata key 'general.name'"));
}

TEST(GgufFileTest, DuplicateTensorNameIsRejected) {
  GgufBuilder builder;
  builder.AddTensor("output.weight", DType::kF32, {4}).AddTensor("output.weight", DType::kF32, {4});
  EXPECT_THAT(ParseError(builder.Build()), HasSubstr("duplicate tensor name 'output.weight'"));
}

TEST(GgufFileTest, UnknownGgmlTypeNamesTypeAndTensor) {
  GgufBuilder builder;
  builder.AddTensor(GgufTestTensor{"blk.3.attn_k.weight", 99, {32}, std::nullopt, 32});
  auto result = ParseBytes(builder.Build());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(result.status().message(),
            "model.gguf: tensor 'blk.3.attn_k.weight' has unknown or unsupported ggml type 99");
}

TEST(GgufFileTest, TensorPastEndOfFile) {
  GgufBuilder builder;
  builder.AddTensor("blk.0.attn_q.weight", DType::kF32, {32, 32});  // 4096 bytes
  builder.SetDataSectionSize(2000);
  const std::vector<uint8_t> bytes = builder.Build();
  const uint64_t offset = builder.DataSectionOffset();
  EXPECT_EQ(ParseError(bytes), fmt::format("model.gguf: tensor 'blk.0.attn_q.weight' (offset {}, 4096 bytes) "
                                           "extends past end of file (size {})",
                                           offset, bytes.size()));
}

TEST(GgufFileTest, TensorOffsetFarPastEndOfFile) {
  GgufBuilder builder;
  builder.AddTensor(GgufTestTensor{"w", 0, {8}, uint64_t{1} << 63, 0});
  EXPECT_THAT(ParseError(builder.Build()),
              HasSubstr("tensor 'w' (data offset 9223372036854775808) starts past end of file"));
}

TEST(GgufFileTest, RowLengthMustBeAMultipleOfTheBlockSize) {
  GgufBuilder builder;
  builder.AddTensor(GgufTestTensor{"blk.0.ffn_down.weight", static_cast<uint32_t>(DType::kQ4_0), {33, 2},
                                   std::nullopt, 64});
  EXPECT_THAT(ParseError(builder.Build()),
              HasSubstr("tensor 'blk.0.ffn_down.weight' of type Q4_0 has row length 33, not a multiple of its "
                        "block size 32"));
}

TEST(GgufFileTest, DimensionCountMustBeOneToFour) {
  GgufBuilder five;
  five.AddTensor(GgufTestTensor{"t5", 0, {1, 1, 1, 1, 1}, std::nullopt, std::nullopt});
  EXPECT_THAT(ParseError(five.Build()), AllOf(HasSubstr("tensor 't5'"), HasSubstr("has 5 dimensions")));
  GgufBuilder zero;
  zero.AddTensor(GgufTestTensor{"t0", 0, {}, std::nullopt, 4});
  EXPECT_THAT(ParseError(zero.Build()), AllOf(HasSubstr("tensor 't0'"), HasSubstr("has 0 dimensions")));
}

TEST(GgufFileTest, HugeDimensionsAreRejected) {
  GgufBuilder negative;
  negative.AddTensor(GgufTestTensor{"neg", 0, {uint64_t{1} << 63}, std::nullopt, 0});
  EXPECT_THAT(ParseError(negative.Build()), HasSubstr("dimension 0 is 9223372036854775808, too large"));
  GgufBuilder overflow;
  overflow.AddTensor(GgufTestTensor{"big", 0, {uint64_t{1} << 40, uint64_t{1} << 40}, std::nullopt, 0});
  EXPECT_THAT(ParseError(overflow.Build()), HasSubstr("tensor 'big' has too many elements"));
  GgufBuilder bytes_overflow;
  bytes_overflow.AddTensor(GgufTestTensor{"wide", 0, {uint64_t{1} << 62}, std::nullopt, 0});
  EXPECT_THAT(ParseError(bytes_overflow.Build()), HasSubstr("tensor 'wide' has too many elements"));
}

}  // namespace
}  // namespace sgl
