// Constrained requests shared by the engine grammar tests (CPU and CUDA): one regex, one
// JSON Schema and one EBNF grammar, each with a checker that does not use our grammar
// engine (std::regex, nlohmann::json), and the request builder.
#pragma once

#include <algorithm>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "sgl/engine.h"

namespace sgl::testing {

// The output of a constrained request must be complete (the grammar ended it), so it
// can be checked whole.
inline const std::string kRegex = R"((yes|no), because [a-z ]{1,40}\.)";
inline const std::string kSchema = R"({"type": "object", "properties": {
    "name": {"type": "string", "maxLength": 16},
    "age": {"type": "integer", "minimum": 0, "maximum": 120},
    "tags": {"type": "array", "items": {"enum": ["red", "green", "blue"]}, "maxItems": 3}},
  "required": ["name", "age", "tags"]})";
inline const std::string kEbnf = R"(root ::= "The answer is " number "."
number ::= [1-9] [0-9]*)";

// JSON Schema's maxLength counts characters (code points), not UTF-8 bytes.
inline size_t CodePoints(const std::string& s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<uint8_t>(c) & 0xC0) != 0x80; }));
}

inline bool MatchesSchema(const std::string& text) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || j.size() != 3) return false;
  if (!j.contains("name") || !j["name"].is_string() || CodePoints(j["name"].get<std::string>()) > 16) return false;
  if (!j.contains("age") || !j["age"].is_number_integer() || j["age"] < 0 || j["age"] > 120) return false;
  if (!j.contains("tags") || !j["tags"].is_array() || j["tags"].size() > 3) return false;
  for (const auto& tag : j["tags"])
    if (tag != "red" && tag != "green" && tag != "blue") return false;
  return true;
}

inline bool Matches(const SamplingParams& p, const std::string& text) {
  if (p.regex) return std::regex_match(text, std::regex(*p.regex));
  if (p.json_schema) return MatchesSchema(text);
  if (p.ebnf) return std::regex_match(text, std::regex(R"(The answer is [1-9][0-9]*\.)"));
  return false;
}

inline GenerateRequest Constrained(const std::string& prompt, const std::string& kind, float temperature, uint64_t seed) {
  GenerateRequest r;
  r.text = prompt;
  r.sampling.max_new_tokens = 96;
  r.sampling.temperature = temperature;
  r.sampling.seed = seed;
  if (kind == "regex") r.sampling.regex = kRegex;
  if (kind == "json") r.sampling.json_schema = kSchema;
  if (kind == "ebnf") r.sampling.ebnf = kEbnf;
  return r;
}

inline void ExpectValid(const GenerateRequest& request, const Result<GenerateResult>& result) {
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(result->finish_reason.type, FinishReason::Type::kStop) << result->text;
  EXPECT_TRUE(Matches(request.sampling, result->text)) << "output: " << result->text;
}

// Greedy, a constrained request's tokens drawn by the backend under its mask equal those
// the host's sampler draws under the same mask (a logprob request's path); with a
// frequency penalty, so logits processing and the mask act together. Call with
// jump-forward off, as it is for logprob requests, so both paths take every step.
inline void ExpectBackendDrawEqualsHostGreedy(Engine& engine, const std::string& prompt, const std::string& kind) {
  GenerateRequest on_backend = Constrained(prompt, kind, 0, 0);
  on_backend.sampling.frequency_penalty = 0.5f;
  GenerateRequest on_host = on_backend;
  on_host.logprob.return_logprob = true;
  auto a = engine.Generate(on_backend);
  auto b = engine.Generate(on_host);
  ExpectValid(on_backend, a);
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_EQ(a->output_ids, b->output_ids) << kind;
  EXPECT_EQ(b->output_logprobs.size(), b->output_ids.size());
  EXPECT_GT(a->output_ids.size(), 3u) << kind << ": a few decode steps, so a decode graph is replayed on CUDA";
}

inline const std::vector<std::string> kKinds = {"regex", "json", "ebnf"};

}  // namespace sgl::testing
