// Our forward pass against Hugging Face transformers on tiny random-weight models of
// every supported architecture, loaded both from the HF folder and from the GGUF
// conversions (see tests/fixtures/README.md for how they were made).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <numeric>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "backend/cpu/cpu_backend.h"
#include "model/model.h"
#include "runtime/sampler.h"
#include "sgl/engine.h"
#include "testing/test_paths.h"

namespace sgl {
namespace {

struct Reference {
  std::vector<std::vector<int32_t>> prompts;
  std::vector<std::vector<std::vector<float>>> logits;  // [prompt][position][vocab]
  std::vector<std::vector<int32_t>> greedy;
};

Reference LoadReference(const std::string& arch) {
  const std::string text = testing::ReadFileOrEmpty(testing::SourcePath("tests/fixtures/models/" + arch + "/reference.json"));
  auto j = nlohmann::json::parse(text);
  Reference r;
  r.prompts = j.at("prompts").get<decltype(r.prompts)>();
  r.logits = j.at("logits").get<decltype(r.logits)>();
  r.greedy = j.at("greedy").get<decltype(r.greedy)>();
  return r;
}

struct Variant {
  std::string arch;
  std::string file;  // relative to the fixture folder
  double tolerance;  // max |ours - ref| allowed, relative to max |ref| of the row
};

void PrintTo(const Variant& v, std::ostream* os) { *os << v.arch << "/" << v.file; }

std::string VariantName(const ::testing::TestParamInfo<Variant>& info) {
  std::string name = info.param.arch + "_" + info.param.file;
  for (char& ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return name;
}

class FixtureModelTest : public ::testing::TestWithParam<Variant> {
 protected:
  std::unique_ptr<Engine> MakeEngine() {
    EngineOptions options;
    options.device = "cpu";  // the CUDA backend has its own test at BF16 tolerance
    options.model_path = testing::SourcePath("tests/fixtures/models/" + GetParam().arch + "/" + GetParam().file);
    options.num_threads = 2;
    options.max_total_tokens = 256;
    options.chunked_prefill_size = 7;  // exercise chunked prefill on every prompt longer than 7
    auto engine = Engine::Create(options);
    EXPECT_TRUE(engine.ok()) << engine.status().message();
    return engine.ok() ? std::move(engine).value() : nullptr;
  }
};

TEST_P(FixtureModelTest, PromptLogitsMatchTransformers) {
  const Reference ref = LoadReference(GetParam().arch);
  auto engine = MakeEngine();
  ASSERT_NE(engine, nullptr);
  for (size_t p = 0; p < ref.prompts.size(); ++p) {
    auto logits = engine->PromptLogits(ref.prompts[p]);
    ASSERT_TRUE(logits.ok()) << logits.status().message();
    const size_t vocab = ref.logits[p][0].size();
    ASSERT_EQ(logits->size(), ref.prompts[p].size() * vocab);
    for (size_t pos = 0; pos < ref.prompts[p].size(); ++pos) {
      const auto& want = ref.logits[p][pos];
      double scale = 0, worst = 0;
      for (size_t v = 0; v < vocab; ++v) {
        scale = std::max(scale, std::abs(double(want[v])));
        worst = std::max(worst, std::abs(double((*logits)[pos * vocab + v]) - want[v]));
      }
      ASSERT_LE(worst, GetParam().tolerance * std::max(1.0, scale)) << "prompt " << p << " position " << pos;
    }
  }
}

TEST_P(FixtureModelTest, GreedyDecodingMatchesTransformersFor32Tokens) {
  const Reference ref = LoadReference(GetParam().arch);
  auto engine = MakeEngine();
  ASSERT_NE(engine, nullptr);
  SamplingParams params;
  params.temperature = 0;
  params.ignore_eos = true;
  params.max_new_tokens = 32;
  for (size_t p = 0; p < ref.prompts.size(); ++p) {
    auto result = engine->Generate(ref.prompts[p], params, {});
    ASSERT_TRUE(result.ok()) << result.status().message();
    EXPECT_EQ(result->output_ids, ref.greedy[p]) << "prompt " << p;
  }
}

// One batch mixing a prefill chunk of one sequence with the whole prompt of another,
// then a batch mixing the rest of the first with a decode step of the second, must give
// the same logits as transformers running each sequence alone.
TEST_P(FixtureModelTest, MixedRaggedBatchesMatchSeparateRuns) {
  const Reference ref = LoadReference(GetParam().arch);
  const std::string path = testing::SourcePath("tests/fixtures/models/" + GetParam().arch + "/" + GetParam().file);
  CpuBackend backend(2);
  auto model = LoadModel(path, backend);
  ASSERT_TRUE(model.ok()) << model.status().message();
  const ModelConfig& c = (*model)->config();
  ASSERT_TRUE(backend.CreateKvCache({c.num_layers, 512, c.num_kv_heads, c.head_dim}).ok());

  const auto& a = ref.prompts.back();   // the longest prompt, split in two chunks
  const auto& b = ref.prompts.front();  // a short prompt, then one decode step
  const size_t split = a.size() / 2;
  std::vector<int32_t> a_slots(a.size()), b_slots(b.size() + 1);
  std::iota(a_slots.begin(), a_slots.end(), 300);  // deliberately not starting at 0
  for (size_t i = 0; i < b_slots.size(); ++i) b_slots[i] = static_cast<int32_t>(10 + 2 * i);  // non-contiguous

  ForwardBatch first;
  first.AddSequence({a.begin(), a.begin() + split}, {a_slots.begin(), a_slots.begin() + split}, false);
  first.AddSequence(b, {b_slots.begin(), b_slots.begin() + b.size()}, false);
  first.logit_rows.resize(first.num_tokens());
  std::iota(first.logit_rows.begin(), first.logit_rows.end(), 0);
  std::vector<float> logits;
  ASSERT_TRUE((*model)->Forward(first, &logits).ok());
  const size_t vocab = c.vocab_size;
  auto check_row = [&](const float* got, const std::vector<float>& want, const std::string& what) {
    double scale = 0, worst = 0;
    for (size_t v = 0; v < vocab; ++v) {
      scale = std::max(scale, std::abs(double(want[v])));
      worst = std::max(worst, std::abs(double(got[v]) - want[v]));
    }
    EXPECT_LE(worst, GetParam().tolerance * std::max(1.0, scale)) << what;
  };
  for (size_t i = 0; i < split; ++i) check_row(&logits[i * vocab], ref.logits.back()[i], "chunk 1 of a, pos " + std::to_string(i));
  for (size_t i = 0; i < b.size(); ++i)
    check_row(&logits[(split + i) * vocab], ref.logits.front()[i], "b, pos " + std::to_string(i));

  ForwardBatch second;
  second.AddSequence({a.begin() + split, a.end()}, a_slots, true);
  second.AddSequence({ref.greedy.front()[0]}, b_slots, true);
  second.logit_rows.clear();
  for (size_t i = 0; i < a.size() - split; ++i) second.logit_rows.push_back(static_cast<int32_t>(i));
  second.logit_rows.push_back(static_cast<int32_t>(a.size() - split));
  ASSERT_TRUE((*model)->Forward(second, &logits).ok());
  for (size_t i = split; i < a.size(); ++i)
    check_row(&logits[(i - split) * vocab], ref.logits.back()[i], "chunk 2 of a, pos " + std::to_string(i));
  const float* b_next = &logits[(a.size() - split) * vocab];
  EXPECT_EQ(Argmax({b_next, vocab}), ref.greedy.front()[1]);
}

// A step that asks for some rows' logits on the host and only the argmax of the others
// (greedy decoding on the device): every argmax is that of the row's full logits, the
// host rows are those logits, and the other rows are not copied.
TEST_P(FixtureModelTest, ArgmaxRowsAndHostRowsAgreeWithTheFullLogits) {
  const Reference ref = LoadReference(GetParam().arch);
  const std::string path = testing::SourcePath("tests/fixtures/models/" + GetParam().arch + "/" + GetParam().file);
  CpuBackend backend(2);
  auto model = LoadModel(path, backend);
  ASSERT_TRUE(model.ok()) << model.status().message();
  const ModelConfig& c = (*model)->config();
  ASSERT_TRUE(backend.CreateKvCache({c.num_layers, 512, c.num_kv_heads, c.head_dim}).ok());
  const auto& prompt = ref.prompts.back();
  std::vector<int32_t> slots(prompt.size());
  std::iota(slots.begin(), slots.end(), 0);
  ForwardBatch batch;
  batch.AddSequence(prompt, slots, false);
  batch.logit_rows.resize(batch.num_tokens());
  std::iota(batch.logit_rows.begin(), batch.logit_rows.end(), 0);
  std::vector<float> full;
  ASSERT_TRUE((*model)->Forward(batch, &full).ok());

  const size_t vocab = c.vocab_size, rows = batch.logit_rows.size();
  for (size_t r = 0; r < rows; ++r) batch.host_logit_rows.push_back(r % 3 == 1);
  constexpr float kUntouched = 12345.0f;
  ForwardOutput out;
  out.logits.assign(rows * vocab, kUntouched);
  ASSERT_TRUE((*model)->Forward(batch, &out).ok());
  ASSERT_EQ(out.argmax.size(), rows);
  // A soft cap makes every row come to the host (the argmax is taken after capping).
  const bool all_rows = c.final_logit_softcap > 0;
  for (size_t r = 0; r < rows; ++r) {
    std::span<const float> want(full.data() + r * vocab, vocab);
    EXPECT_EQ(out.argmax[r], Argmax(want)) << "row " << r;
    std::span<const float> got(out.logits.data() + r * vocab, vocab);
    if (all_rows || batch.host_logit_rows[r]) {
      EXPECT_TRUE(std::equal(got.begin(), got.end(), want.begin())) << "row " << r;
    } else {
      EXPECT_TRUE(std::all_of(got.begin(), got.end(), [](float v) { return v == kUntouched; })) << "row " << r;
    }
  }
}

// Batch invariance through a whole forward pass with quantized weights (model-q4_1.gguf,
// see make_q4_1.py beside it): a prompt's logits must be bit-identical whether it runs
// alone or packed with other sequences, before or after it, since the batch size decides
// which kernel path (decode stream, prefill group, leftover rows) each token's activations
// take. Every position is compared, the last one included: in a 2-layer model most
// rounding differences vanish when the next layer quantizes its input to 8 bits, so one
// position alone would rarely show a broken kernel. (Even so, this model did not expose
// the original path-dependent rounding; the same check on the real models in
// real_models_test.cc does, and the kernel test MatMulTileIsBatchInvariant pins it down.)
TEST(QuantizedFixtureModelTest, PromptLogitsDoNotDependOnTheBatch) {
  const Reference ref = LoadReference("llama");
  CpuBackend backend(2);
  auto model = LoadModel(testing::SourcePath("tests/fixtures/models/llama/model-q4_1.gguf"), backend);
  ASSERT_TRUE(model.ok()) << model.status().message();
  const ModelConfig& c = (*model)->config();
  ASSERT_TRUE(backend.CreateKvCache({c.num_layers, 512, c.num_kv_heads, c.head_dim}).ok());
  const size_t vocab = c.vocab_size;
  ASSERT_GE(ref.prompts.size(), 2u);

  // Runs `seqs` as one batch (consecutive KV slots from `first_slot` on) and returns the
  // logits of every position of sequence `which`.
  auto prompt_logits = [&](const std::vector<std::vector<int32_t>>& seqs, size_t which, int32_t first_slot) {
    ForwardBatch batch;
    int32_t slot = first_slot, row = 0;
    for (size_t i = 0; i < seqs.size(); ++i) {
      std::vector<int32_t> slots(seqs[i].size());
      std::iota(slots.begin(), slots.end(), slot);
      slot += static_cast<int32_t>(slots.size());
      batch.AddSequence(seqs[i], slots, false);
      for (size_t t = 0; t < seqs[i].size(); ++t, ++row)
        if (i == which) batch.logit_rows.push_back(row);
    }
    std::vector<float> logits;
    EXPECT_TRUE((*model)->Forward(batch, &logits).ok());
    return logits;
  };

  std::vector<int32_t> long_other;
  for (const auto& p : ref.prompts) long_other.insert(long_other.end(), p.begin(), p.end());
  for (const auto& prompt : ref.prompts) {
    const std::vector<float> alone = prompt_logits({prompt}, 0, 0);
    ASSERT_EQ(alone.size(), prompt.size() * vocab);
    // Meaningful logits (finite, not all equal), so that equality below says something.
    EXPECT_TRUE(std::all_of(alone.begin(), alone.end(), [](float v) { return std::isfinite(v); }));
    EXPECT_NE(*std::min_element(alone.begin(), alone.end()), *std::max_element(alone.begin(), alone.end()));
    // The prompt after, between and before other sequences.
    const std::vector<std::vector<std::vector<int32_t>>> batches = {
        {ref.prompts.front(), prompt}, {long_other, prompt, ref.prompts.front()}, {prompt, long_other}};
    for (size_t b = 0; b < batches.size(); ++b) {
      const std::vector<float> batched = prompt_logits(batches[b], b == 2 ? 0 : 1, 100);
      ASSERT_EQ(batched.size(), alone.size());
      for (size_t pos = 0; pos < prompt.size(); ++pos) {
        EXPECT_EQ(std::memcmp(&batched[pos * vocab], &alone[pos * vocab], vocab * sizeof(float)), 0)
            << prompt.size() << "-token prompt in batch " << b << ", position " << pos
            << ": logits differ from the prompt run alone";
      }
    }
  }
}

std::vector<Variant> AllVariants() {
  std::vector<Variant> variants;
  const std::string root = testing::SourcePath("tests/fixtures/models");
  for (const char* arch : {"llama", "smollm2", "mistral", "qwen2", "qwen3", "gemma3"}) {
    variants.push_back({arch, "hf", 1e-4});
    variants.push_back({arch, "model.gguf", 1e-4});
    if (std::filesystem::exists(root + "/" + arch + "/model-f16.gguf")) variants.push_back({arch, "model-f16.gguf", 2e-2});
  }
  return variants;
}

INSTANTIATE_TEST_SUITE_P(AllArchitectures, FixtureModelTest, ::testing::ValuesIn(AllVariants()), VariantName);

}  // namespace
}  // namespace sgl
