// libFuzzer target: a /generate request body of arbitrary bytes must become engine
// requests or an error Status; it must never crash or throw. Every accepted item must
// hold a non-empty prompt and valid sampling parameters.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "server/generate_request.h"
#include "server/sampling_params_json.h"

namespace {

const sgl::Tokenizer& FixtureTokenizer() {
  static const auto tokenizer =
      sgl::Tokenizer::FromTokenizerJson(std::string(SGL_SOURCE_DIR) + "/tests/fixtures/models/llama/hf/tokenizer.json");
  if (!tokenizer.ok()) std::abort();
  return **tokenizer;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const sgl::Tokenizer& tokenizer = FixtureTokenizer();
  auto body = sgl::server::JsonFields::ParseObject(std::string(reinterpret_cast<const char*>(data), size));
  if (!body.ok()) return 0;
  int counter = 0;
  auto parsed = sgl::server::ParseGenerateRequest(*body, tokenizer, [&] { return std::to_string(counter++); });
  if (!parsed.ok()) return 0;
  for (const auto& item : parsed->items) {
    if (item.request.input_ids.empty()) __builtin_trap();
    if (!sgl::server::ValidateSamplingParams(item.request.sampling, tokenizer.vocab_size(), "").ok()) __builtin_trap();
  }
  return 0;
}
