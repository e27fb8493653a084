// Jump-forward on a real model: the same prompts decoded unconstrained, constrained by a
// JSON Schema with jump-forward off, and with it on (two engines, one per setting; the
// unconstrained runs use the first). Requests run one at a time, rounds alternating the
// modes so outside load hits all alike. Per mode: output tokens per second of wall time
// (submit to result), forward passes that sampled a token per request, tokens appended
// by jump-forward, and how many JSON outputs parse and finished by the grammar.
// Usage: bench_jump_forward [--model PATH] [--threads N] [--rounds N] [--schema FILE]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sgl/engine.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Config {
  std::string model = "models/SmolLM2-135M-Instruct.Q4_1.gguf";
  std::string schema_path;  // empty: kDefaultSchema
  int threads = 2, rounds = 3, max_new_tokens = 160;
};

// An API payload: fixed keys, a const, enums sharing prefixes, free strings and numbers.
const char* const kDefaultSchema = R"({"type":"object","properties":{
  "record_type":{"const":"customer_order"},
  "order_status":{"enum":["pending_payment","pending_review","shipped_partially","shipped_completely"]},
  "customer_full_name":{"type":"string","maxLength":24},
  "shipping_country_code":{"enum":["US","GB","DE","FR"]},
  "item_quantity":{"type":"integer","minimum":1,"maximum":99},
  "is_gift_wrapped":{"type":"boolean"}},
  "required":["record_type","order_status","customer_full_name","shipping_country_code","item_quantity",
              "is_gift_wrapped"],
  "additionalProperties":false})";

const std::vector<std::string> kPrompts = {
    "Write one customer order as JSON:", "Give me an example order record in JSON.",
    "Describe a gift purchase as a JSON order:", "JSON for an order from Germany:"};

struct Totals {
  int requests = 0, valid = 0;
  int64_t tokens = 0, sampling_steps = 0, jumped = 0;
  double seconds = 0;
};

enum Mode { kPlain, kOff, kOn };

sgl::GenerateRequest MakeRequest(const std::string& prompt, Mode mode, const std::string& schema, int max_tokens) {
  sgl::GenerateRequest r;
  r.text = prompt;
  r.sampling.temperature = 0;
  r.sampling.max_new_tokens = max_tokens;
  if (mode == kPlain) {
    r.sampling.ignore_eos = true;  // as many tokens as the constrained output had
  } else {
    r.sampling.json_schema = schema;
  }
  return r;
}

bool Measure(sgl::Engine& engine, const sgl::GenerateRequest& request, bool check_json, Totals& t) {
  const Clock::time_point start = Clock::now();
  auto result = engine.Generate(request);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (!result.ok()) {
    std::fprintf(stderr, "request failed: %s\n", result.status().message().c_str());
    return false;
  }
  ++t.requests;
  t.seconds += seconds;
  t.tokens += result->stats.completion_tokens;
  t.sampling_steps += result->stats.sampling_steps;
  t.jumped += result->stats.jump_forward_tokens;
  if (check_json && result->finish_reason.type == sgl::FinishReason::Type::kStop &&
      nlohmann::json::accept(result->text))
    ++t.valid;
  return true;
}

std::unique_ptr<sgl::Engine> MakeEngine(const Config& c, bool disable_jump_forward) {
  sgl::EngineOptions o;
  o.model_path = c.model;
  o.device = "cpu";
  o.num_threads = c.threads;
  o.max_total_tokens = 4096;
  o.disable_jump_forward = disable_jump_forward;
  auto engine = sgl::Engine::Create(o);
  if (!engine.ok()) std::fprintf(stderr, "%s\n", engine.status().message().c_str());
  return engine.ok() ? std::move(engine).value() : nullptr;
}

bool ParseArgs(int argc, char** argv, Config& c) {
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--model")) c.model = argv[i + 1];
    else if (!std::strcmp(argv[i], "--threads")) c.threads = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--rounds")) c.rounds = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--schema")) c.schema_path = argv[i + 1];
    else return false;
  }
  return (argc % 2) == 1 && c.threads > 0 && c.rounds > 0;
}

}  // namespace

int main(int argc, char** argv) {
  Config c;
  if (!ParseArgs(argc, argv, c)) {
    std::fprintf(stderr, "usage: %s [--model PATH] [--threads N] [--rounds N] [--schema FILE]\n", argv[0]);
    return 2;
  }
  std::string schema = kDefaultSchema;
  if (!c.schema_path.empty()) {
    std::ifstream file(c.schema_path);
    std::stringstream text;
    text << file.rdbuf();
    if (!file) {
      std::fprintf(stderr, "cannot read %s\n", c.schema_path.c_str());
      return 1;
    }
    schema = text.str();
  }
  auto off_engine = MakeEngine(c, /*disable_jump_forward=*/true);
  auto on_engine = MakeEngine(c, /*disable_jump_forward=*/false);
  if (!off_engine || !on_engine) return 1;
  // Warm-up: the grammar compiles once per engine (its cache), outside the timings.
  for (sgl::Engine* e : {off_engine.get(), on_engine.get()})
    if (!e->Generate(MakeRequest(kPrompts[0], kOff, schema, c.max_new_tokens)).ok()) return 1;

  Totals totals[3];
  for (int round = 0; round < c.rounds; ++round) {
    for (const std::string& prompt : kPrompts) {
      Totals& on = totals[kOn];
      const int64_t before = on.tokens;
      if (!Measure(*on_engine, MakeRequest(prompt, kOn, schema, c.max_new_tokens), true, on)) return 1;
      if (!Measure(*off_engine, MakeRequest(prompt, kOff, schema, c.max_new_tokens), true, totals[kOff])) return 1;
      // Unconstrained: as many tokens as the jump-forward output, so the rates compare.
      const int plain_tokens = static_cast<int>(on.tokens - before);
      if (!Measure(*off_engine, MakeRequest(prompt, kPlain, schema, plain_tokens), false, totals[kPlain])) return 1;
    }
  }
  const char* names[3] = {"unconstrained", "json_schema, jump-forward off", "json_schema, jump-forward on"};
  std::printf("| mode | requests | output tokens / request | sampling steps / request | jump-forward tokens / request "
              "| wall s / request | output tokens/s | valid JSON |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
  for (int m : {kPlain, kOff, kOn}) {
    const Totals& t = totals[m];
    const double n = t.requests;
    std::printf("| %s | %d | %.1f | %.1f | %.1f | %.2f | %.2f | %s |\n", names[m], t.requests, t.tokens / n,
                t.sampling_steps / n, t.jumped / n, t.seconds / n, t.tokens / t.seconds,
                m == kPlain ? "-" : (std::to_string(t.valid) + "/" + std::to_string(t.requests)).c_str());
  }
  return 0;
}
