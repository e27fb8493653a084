// Tests of SafetensorsFile (valid files, every malformed header) and HfCheckpoint
// (single-file and sharded folders, missing shards and tensors, bad config.json).
#include "format/safetensors_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "format/hf_checkpoint.h"
#include "safetensors_builder.h"
#include "testing/temp_dir.h"

namespace sgl {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using test::BuildSafetensors;
using test::SafetensorsHeader;
using test::SafetensorsImage;
using test::SafetensorsTestTensor;
using Json = nlohmann::json;

constexpr const char* kName = "model.safetensors";

Result<std::unique_ptr<SafetensorsFile>> ParseBytes(const std::vector<uint8_t>& bytes) {
  return SafetensorsFile::Parse(bytes, kName);
}

std::string ParseError(const std::vector<uint8_t>& bytes) {
  auto result = ParseBytes(bytes);
  EXPECT_FALSE(result.ok()) << "parsed an image that should be rejected";
  if (result.ok()) return "";
  EXPECT_THAT(result.status().message(), HasSubstr(kName));
  return result.status().message();
}

const std::vector<SafetensorsTestTensor> kTensors = {
    {"model.embed_tokens.weight", "BF16", {6, 4}},
    {"model.norm.weight", "F32", {4}},
    {"lm_head.weight", "F16", {6, 4}},
    {"scalar", "F32", {}},
    {"empty", "F32", {0, 3}},
};

TEST(SafetensorsFileTest, ParsesTensorsOfEverySupportedType) {
  const std::vector<uint8_t> bytes = BuildSafetensors(kTensors);
  auto file = ParseBytes(bytes);
  ASSERT_TRUE(file.ok()) << file.status().message();
  EXPECT_EQ((*file)->name(), kName);
  ASSERT_EQ((*file)->tensors().size(), kTensors.size());
  const Json header = SafetensorsHeader(kTensors);
  const size_t data_start = bytes.size() - test::SafetensorsDataSize(kTensors);
  for (const SafetensorsTestTensor& expected : kTensors) {
    const TensorView* view = (*file)->FindTensor(expected.name);
    ASSERT_NE(view, nullptr) << expected.name;
    EXPECT_EQ(view->name, expected.name);
    EXPECT_EQ(Name(view->dtype), expected.dtype);
    EXPECT_EQ(view->shape, expected.shape);
    EXPECT_EQ(view->num_bytes, test::SafetensorsByteSize(expected));
    const size_t begin = header[expected.name]["data_offsets"][0].get<size_t>();
    EXPECT_EQ(view->data, bytes.data() + data_start + begin) << expected.name;
    const auto* data = static_cast<const uint8_t*>(view->data);
    for (size_t i = 0; i < view->num_bytes; ++i) ASSERT_EQ(data[i], test::SafetensorsTestByte(begin + i));
  }
  EXPECT_EQ((*file)->FindTensor("__metadata__"), nullptr);
  EXPECT_EQ((*file)->FindTensor("absent"), nullptr);
}

TEST(SafetensorsFileTest, HeaderOnlyFileHasNoTensors) {
  auto file = ParseBytes(SafetensorsImage("{}", 0));
  ASSERT_TRUE(file.ok()) << file.status().message();
  EXPECT_TRUE((*file)->tensors().empty());
}

TEST(SafetensorsFileTest, HeaderPaddedWithSpacesParses) {
  std::string header = SafetensorsHeader(kTensors).dump();
  header.append(5, ' ');
  auto file = ParseBytes(SafetensorsImage(header, test::SafetensorsDataSize(kTensors)));
  ASSERT_TRUE(file.ok()) << file.status().message();
  EXPECT_EQ((*file)->tensors().size(), kTensors.size());
}

TEST(SafetensorsFileTest, OpenMapsAFile) {
  test::TempDir dir;
  const std::string path = dir.Write("m.safetensors", BuildSafetensors(kTensors));
  auto file = SafetensorsFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status().message();
  EXPECT_EQ((*file)->name(), path);
  EXPECT_NE((*file)->FindTensor("lm_head.weight"), nullptr);
  auto missing = SafetensorsFile::Open(dir.PathOf("nope.safetensors"));
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), HasSubstr("nope.safetensors"));
}

TEST(SafetensorsFileTest, EveryTruncationIsAnErrorNotACrash) {
  const std::vector<uint8_t> bytes = BuildSafetensors(kTensors);
  for (size_t length = 0; length < bytes.size(); ++length) {
    const std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(length));
    auto result = ParseBytes(prefix);
    ASSERT_FALSE(result.ok()) << "prefix of " << length << " bytes parsed";
    ASSERT_THAT(result.status().message(), HasSubstr(kName)) << length;
  }
}

TEST(SafetensorsFileTest, TooSmallForHeaderLength) {
  EXPECT_THAT(ParseError({1, 2, 3}), HasSubstr("file of 3 bytes is too small for the 8-byte header length"));
}

TEST(SafetensorsFileTest, HeaderLengthPastEndOfFile) {
  std::vector<uint8_t> bytes = SafetensorsImage("{}", 0);
  bytes[0] = 200;
  EXPECT_THAT(ParseError(bytes), HasSubstr("header length 200 exceeds the 2 bytes that follow it"));
  std::vector<uint8_t> huge = SafetensorsImage("{}", 0);
  for (size_t i = 0; i < 8; ++i) huge[i] = 0xff;
  EXPECT_THAT(ParseError(huge), HasSubstr("header length 18446744073709551615 exceeds"));
}

TEST(SafetensorsFileTest, BadJson) {
  EXPECT_THAT(ParseError(SafetensorsImage("{\"a\": ", 0)),
              AllOf(HasSubstr("header: invalid JSON"), HasSubstr("parse error")));
  EXPECT_THAT(ParseError(SafetensorsImage("", 0)), HasSubstr("invalid JSON"));
}

TEST(SafetensorsFileTest, HeaderMustBeAnObject) {
  EXPECT_THAT(ParseError(SafetensorsImage("[1, 2]", 0)), HasSubstr("header is not a JSON object"));
  EXPECT_THAT(ParseError(SafetensorsImage("{\"w\": 3}", 0)), HasSubstr("tensor 'w' entry is not a JSON object"));
}

TEST(SafetensorsFileTest, UnsupportedDtypeNamesDtypeAndTensor) {
  const std::vector<SafetensorsTestTensor> tensors = {{"model.norm.weight", "F32", {2}},
                                                      {"position_ids", "I64", {1, 4}}};
  auto result = ParseBytes(BuildSafetensors(tensors));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(result.status().message(),
            "model.safetensors: tensor 'position_ids' has dtype I64; only F32, F16 and BF16 are supported");
}

TEST(SafetensorsFileTest, MissingOrMistypedFields) {
  const size_t data_size = test::SafetensorsDataSize(kTensors);
  auto with = [&](const std::function<void(Json&)>& edit) {
    Json header = SafetensorsHeader(kTensors);
    edit(header["model.norm.weight"]);
    return ParseError(SafetensorsImage(header.dump(), data_size));
  };
  EXPECT_THAT(with([](Json& t) { t.erase("dtype"); }), HasSubstr("tensor 'model.norm.weight' has no string \"dtype\""));
  EXPECT_THAT(with([](Json& t) { t["dtype"] = 5; }), HasSubstr("has no string \"dtype\""));
  EXPECT_THAT(with([](Json& t) { t.erase("shape"); }), HasSubstr("has no \"shape\" array"));
  EXPECT_THAT(with([](Json& t) { t["shape"] = {-4}; }), HasSubstr("shape entry that is not a non-negative integer: -4"));
  EXPECT_THAT(with([](Json& t) { t["shape"] = {4.0}; }), HasSubstr("not a non-negative integer: 4.0"));
  EXPECT_THAT(with([](Json& t) { t.erase("data_offsets"); }), HasSubstr("no \"data_offsets\" pair"));
  EXPECT_THAT(with([](Json& t) { t["data_offsets"] = {0}; }), HasSubstr("no \"data_offsets\" pair"));
  EXPECT_THAT(with([](Json& t) { t["data_offsets"] = {"0", "16"}; }), HasSubstr("no \"data_offsets\" pair"));
}

TEST(SafetensorsFileTest, OffsetsOutOfRange) {
  const size_t data_size = test::SafetensorsDataSize(kTensors);
  Json past_end = SafetensorsHeader(kTensors);
  past_end["model.norm.weight"]["data_offsets"] = {data_size - 8, data_size + 8};
  EXPECT_THAT(ParseError(SafetensorsImage(past_end.dump(), data_size)),
              HasSubstr(fmt::format("tensor 'model.norm.weight' data_offsets [{}, {}] lie outside the data "
                                    "section ({} bytes)",
                                    data_size - 8, data_size + 8, data_size)));
  Json reversed = SafetensorsHeader(kTensors);
  reversed["model.norm.weight"]["data_offsets"] = {16, 0};
  EXPECT_THAT(ParseError(SafetensorsImage(reversed.dump(), data_size)),
              HasSubstr("data_offsets [16, 0] lie outside"));
  Json huge = SafetensorsHeader(kTensors);
  huge["model.norm.weight"]["data_offsets"] = {0, std::numeric_limits<uint64_t>::max()};
  EXPECT_THAT(ParseError(SafetensorsImage(huge.dump(), data_size)), HasSubstr("lie outside the data section"));
}

TEST(SafetensorsFileTest, SizeMustMatchShape) {
  const size_t data_size = test::SafetensorsDataSize(kTensors);
  Json header = SafetensorsHeader(kTensors);
  header["model.norm.weight"]["shape"] = {5};
  EXPECT_THAT(ParseError(SafetensorsImage(header.dump(), data_size)),
              HasSubstr("tensor 'model.norm.weight' has 16 bytes (data_offsets"));
  EXPECT_THAT(ParseError(SafetensorsImage(header.dump(), data_size)), HasSubstr("shape [5] of F32 needs 20"));
  Json overflow = SafetensorsHeader(kTensors);
  overflow["model.norm.weight"]["shape"] = {uint64_t{1} << 40, uint64_t{1} << 40};
  EXPECT_THAT(ParseError(SafetensorsImage(overflow.dump(), data_size)), HasSubstr("needs more than 2^64"));
}

TEST(SafetensorsFileTest, OverlappingTensorsAreRejected) {
  const std::vector<SafetensorsTestTensor> tensors = {{"a", "F32", {4}}, {"b", "F32", {4}}};
  Json header = SafetensorsHeader(tensors);
  header["b"]["data_offsets"] = {8, 24};
  header["a"]["data_offsets"] = {0, 16};
  EXPECT_THAT(ParseError(SafetensorsImage(header.dump(), 32)), HasSubstr("tensors 'a' and 'b' overlap"));
}

// --- HfCheckpoint -----------------------------------------------------------------------

constexpr const char* kConfig = R"({"architectures": ["LlamaForCausalLM"], "hidden_size": 4})";

TEST(HfCheckpointTest, SingleFileCheckpoint) {
  test::TempDir dir;
  dir.Write("config.json", kConfig);
  dir.Write("model.safetensors", BuildSafetensors(kTensors));
  auto checkpoint = HfCheckpoint::Open(dir.path());
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status().message();
  EXPECT_EQ((*checkpoint)->dir(), dir.path());
  EXPECT_EQ((*checkpoint)->config()["hidden_size"], 4);
  EXPECT_EQ((*checkpoint)->tensors().size(), kTensors.size());
  const TensorView* norm = (*checkpoint)->FindTensor("model.norm.weight");
  ASSERT_NE(norm, nullptr);
  EXPECT_EQ(norm->shape, (std::vector<int64_t>{4}));
  EXPECT_EQ((*checkpoint)->FindTensor("absent"), nullptr);
}

const std::vector<SafetensorsTestTensor> kShard1 = {{"model.embed_tokens.weight", "BF16", {6, 4}},
                                                    {"model.layers.0.mlp.up_proj.weight", "F16", {8, 4}}};
const std::vector<SafetensorsTestTensor> kShard2 = {{"model.norm.weight", "F32", {4}},
                                                    {"lm_head.weight", "BF16", {6, 4}}};
constexpr const char* kShard1Name = "model-00001-of-00002.safetensors";
constexpr const char* kShard2Name = "model-00002-of-00002.safetensors";

Json IndexFor(const std::vector<std::pair<const char*, const std::vector<SafetensorsTestTensor>*>>& shards) {
  Json weight_map = Json::object();
  for (const auto& [file, tensors] : shards) {
    for (const SafetensorsTestTensor& t : *tensors) weight_map[t.name] = file;
  }
  return {{"metadata", {{"total_size", 123}}}, {"weight_map", weight_map}};
}

void WriteShardedCheckpoint(const test::TempDir& dir) {
  dir.Write("config.json", kConfig);
  dir.Write(kShard1Name, BuildSafetensors(kShard1));
  dir.Write(kShard2Name, BuildSafetensors(kShard2));
  dir.Write("model.safetensors.index.json", IndexFor({{kShard1Name, &kShard1}, {kShard2Name, &kShard2}}).dump());
}

TEST(HfCheckpointTest, ShardedCheckpoint) {
  test::TempDir dir;
  WriteShardedCheckpoint(dir);
  auto checkpoint = HfCheckpoint::Open(dir.path());
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status().message();
  EXPECT_EQ((*checkpoint)->tensors().size(), 4u);
  for (const auto* shard : {&kShard1, &kShard2}) {
    for (const SafetensorsTestTensor& t : *shard) {
      const TensorView* view = (*checkpoint)->FindTensor(t.name);
      ASSERT_NE(view, nullptr) << t.name;
      EXPECT_EQ(view->shape, t.shape);
      EXPECT_EQ(Name(view->dtype), t.dtype);
    }
  }
  // The first tensor of each shard starts that shard's data section.
  const auto* first = static_cast<const uint8_t*>((*checkpoint)->FindTensor("model.norm.weight")->data);
  EXPECT_EQ(first[1], test::SafetensorsTestByte(1));
}

TEST(HfCheckpointTest, IndexIsPreferredOverSingleFile) {
  test::TempDir dir;
  WriteShardedCheckpoint(dir);
  dir.Write("model.safetensors", std::string_view("garbage"));
  auto checkpoint = HfCheckpoint::Open(dir.path());
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status().message();
  EXPECT_EQ((*checkpoint)->tensors().size(), 4u);
}

TEST(HfCheckpointTest, MissingShardIsNamed) {
  test::TempDir dir;
  WriteShardedCheckpoint(dir);
  std::filesystem::remove(dir.PathOf(kShard2Name));
  auto checkpoint = HfCheckpoint::Open(dir.path());
  ASSERT_FALSE(checkpoint.ok());
  EXPECT_EQ(checkpoint.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(checkpoint.status().message(),
              AllOf(HasSubstr("model.safetensors.index.json"),
                    HasSubstr("shard 'model-00002-of-00002.safetensors'"), HasSubstr("is missing")));
}

TEST(HfCheckpointTest, TensorListedInIndexButAbsentFromShard) {
  test::TempDir dir;
  WriteShardedCheckpoint(dir);
  Json index = IndexFor({{kShard1Name, &kShard1}, {kShard2Name, &kShard2}});
  index["weight_map"]["model.layers.0.self_attn.q_proj.weight"] = kShard2Name;
  dir.Write("model.safetensors.index.json", index.dump());
  auto checkpoint = HfCheckpoint::Open(dir.path());
  ASSERT_FALSE(checkpoint.ok());
  EXPECT_THAT(checkpoint.status().message(),
              AllOf(HasSubstr("model.safetensors.index.json"),
                    HasSubstr("tensor 'model.layers.0.self_attn.q_proj.weight' is listed in shard "
                              "'model-00002-of-00002.safetensors' but that shard does not contain it")));
}

TEST(HfCheckpointTest, CorruptShardIsNamed) {
  test::TempDir dir;
  WriteShardedCheckpoint(dir);
  dir.Write(kShard1Name, std::string_view("\x02\0\0\0\0\0\0\0[]", 10));
  auto checkpoint = HfCheckpoint::Open(dir.path());
  ASSERT_FALSE(checkpoint.ok());
  EXPECT_THAT(checkpoint.status().message(),
              AllOf(HasSubstr(kShard1Name), HasSubstr("header is not a JSON object")));
}

TEST(HfCheckpointTest, BadIndex) {
  test::TempDir dir;
  WriteShardedCheckpoint(dir);
  dir.Write("model.safetensors.index.json", std::string_view(R"({"metadata": {}})"));
  EXPECT_THAT(HfCheckpoint::Open(dir.path()).status().message(),
              AllOf(HasSubstr("model.safetensors.index.json"), HasSubstr("no \"weight_map\" object")));
  dir.Write("model.safetensors.index.json", std::string_view(R"({"weight_map": {"w": "../evil.safetensors"}})"));
  EXPECT_THAT(HfCheckpoint::Open(dir.path()).status().message(),
              HasSubstr("shard '../evil.safetensors' of tensor 'w' is not a file name in the checkpoint folder"));
  dir.Write("model.safetensors.index.json", std::string_view(R"({"weight_map": {"w": 7}})"));
  EXPECT_THAT(HfCheckpoint::Open(dir.path()).status().message(), HasSubstr("shard of tensor 'w' is not a string"));
  dir.Write("model.safetensors.index.json", std::string_view("{oops"));
  EXPECT_THAT(HfCheckpoint::Open(dir.path()).status().message(),
              AllOf(HasSubstr("model.safetensors.index.json: invalid JSON")));
}

TEST(HfCheckpointTest, BadConfig) {
  test::TempDir dir;
  dir.Write("model.safetensors", BuildSafetensors(kTensors));
  auto missing = HfCheckpoint::Open(dir.path());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("config.json"));

  dir.Write("config.json", std::string_view("{\"hidden_size\": 4,"));
  auto invalid = HfCheckpoint::Open(dir.path());
  ASSERT_FALSE(invalid.ok());
  EXPECT_THAT(invalid.status().message(), AllOf(HasSubstr("config.json: invalid JSON"), HasSubstr("parse error")));

  dir.Write("config.json", std::string_view("[4]"));
  EXPECT_THAT(HfCheckpoint::Open(dir.path()).status().message(), HasSubstr("config.json: not a JSON object"));
}

TEST(HfCheckpointTest, NoWeights) {
  test::TempDir dir;
  dir.Write("config.json", kConfig);
  auto checkpoint = HfCheckpoint::Open(dir.path());
  ASSERT_FALSE(checkpoint.ok());
  EXPECT_EQ(checkpoint.status().message(),
            dir.path() + ": no weights: neither model.safetensors.index.json nor model.safetensors found");
}

TEST(HfCheckpointTest, NotADirectory) {
  test::TempDir dir;
  auto checkpoint = HfCheckpoint::Open(dir.PathOf("absent"));
  ASSERT_FALSE(checkpoint.ok());
  EXPECT_THAT(checkpoint.status().message(), AllOf(HasSubstr("absent"), HasSubstr("not a directory")));
}

}  // namespace
}  // namespace sgl
