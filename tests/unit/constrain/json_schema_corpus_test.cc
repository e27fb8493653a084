// The JSON Schema corpus (tests/fixtures/json_schemas/): how many schemas compile
// (coverage) and whether random generations on the SmolLM2 vocabulary validate under
// Python's `jsonschema` (compliance), both printed.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "constrain/grammar_compiler.h"
#include "constrain/grammar_matcher.h"
#include "closer_token.h"
#include "constrain_testing.h"

namespace sgl::constrain {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> CorpusFiles() {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(sgl::testing::SourcePath("tests/fixtures/json_schemas"))) {
    if (e.path().extension() == ".json") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}


// Picks allowed tokens at random, leaning towards ending once `soft_limit` tokens are out.
std::optional<std::string> Generate(GrammarMatcher& m, std::mt19937& rng, int soft_limit, int hard_limit) {
  const TokenVocabulary& v = m.grammar().vocab();
  std::vector<uint32_t> mask(m.grammar().bitmask_words());
  std::string text;
  for (int step = 0; step < hard_limit; ++step) {
    m.FillNextTokenBitmask(mask);
    std::vector<int32_t> ids;
    for (int32_t id = 0; id < v.vocab_size(); ++id) {
      if (((mask[id >> 5] >> (id & 31)) & 1) && !v.is_stop(id)) ids.push_back(id);
    }
    if (m.CanEnd() && (ids.empty() || step >= soft_limit || std::uniform_real_distribution<>(0, 1)(rng) < 0.3)) {
      EXPECT_TRUE(m.AcceptToken(v.stop_ids()[0]));
      return text;
    }
    if (ids.empty()) return std::nullopt;
    int32_t id = ids[std::uniform_int_distribution<size_t>(0, ids.size() - 1)(rng)];
    if (step >= soft_limit) id = testing::Closer(v, ids, text, id);
    EXPECT_TRUE(m.AcceptToken(id));
    text += v.token_bytes(id);
  }
  return std::nullopt;
}

std::string Python() {
  if (const char* p = std::getenv("SGL_PYTHON")) return p;
  if (fs::exists("/opt/refenv/bin/python3")) return "/opt/refenv/bin/python3";
  return "python3";
}

TEST(JsonSchemaCorpusTest, CompilesAndGeneratesValidJson) {
  auto vocab = testing::SmolLm2Vocab();
  ASSERT_TRUE(vocab);
  GrammarCompiler compiler(vocab);
  std::vector<fs::path> files = CorpusFiles();
  ASSERT_GE(files.size(), 200u);
  std::string out_path = (fs::temp_directory_path() / ("sgl_schema_outputs_" + std::to_string(::getpid()) + ".jsonl")).string();
  std::ofstream out(out_path);
  std::mt19937 rng(42);
  int compiled = 0, generated = 0;
  for (const fs::path& f : files) {
    GrammarSpec spec{GrammarKind::kJsonSchema, sgl::testing::ReadFileOrEmpty(f.string()), {}};
    auto g = compiler.Compile(spec);
    if (!g.ok()) {
      ADD_FAILURE() << f.filename() << ": " << g.status().message();
      continue;
    }
    ++compiled;
    for (int k = 0; k < 2; ++k) {
      GrammarMatcher m(*g);
      auto text = Generate(m, rng, 150, 600);
      if (!text) {
        ADD_FAILURE() << f.filename() << ": no complete output";
        continue;
      }
      ++generated;
      out << nlohmann::json{{"schema", f.string()}, {"output", *text}}.dump() << "\n";
    }
  }
  out.close();
  std::printf("json schema corpus: %d of %zu compiled, %d outputs generated\n", compiled, files.size(), generated);
  std::string cmd = Python() + " " + sgl::testing::SourcePath("tests/fixtures/json_schemas/validate.py") + " " + out_path;
  int rc = std::system(cmd.c_str());
  EXPECT_EQ(rc, 0) << "invalid outputs (see above), or python jsonschema missing: " << cmd;
  fs::remove(out_path);
}

}  // namespace
}  // namespace sgl::constrain
