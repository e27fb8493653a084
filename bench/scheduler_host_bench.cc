// The scheduler's own work per step (what overlap scheduling has to hide), without a
// model: a Model whose forward pass returns a token per row at once, under a workload of
// `--requests` requests of `--prompt` random tokens and `--output` output tokens each,
// all running together. Reports the wall time per decode step, which is all host work:
// building the batch (page tables, sampling rows) and processing the results (appending,
// stop checks, delivery), against the model-level decode step measured on the H200 for
// the same shape (bench/RESULTS.md) as a share.
// Usage: bench_scheduler_host [--model PATH] [--requests N] [--prompt N] [--output N] [--gpu-step-ms X]
//                             [--text 0|1]  (1: detokenized and streamed as the Engine does; default)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>

#include "model/model.h"
#include "runtime/output_text.h"
#include "tokenizer/tokenizer.h"
#include "runtime/scheduler.h"

namespace sgl {
namespace {

using Clock = std::chrono::steady_clock;

// Draws a pseudo-random token for every logits row (a hash of its input id and position,
// as random weights give), instantly.
class InstantModel final : public Model {
 public:
  explicit InstantModel(std::unique_ptr<ModelFiles> files) : Model(std::move(files)) {}
  Status Forward(const ForwardBatch& batch, ForwardOutput* out) override {
    out->tokens.resize(batch.logit_rows.size());
    for (size_t r = 0; r < batch.logit_rows.size(); ++r)
    {
      const size_t t = static_cast<size_t>(batch.logit_rows[r]);
      const uint64_t h = (static_cast<uint64_t>(batch.input_ids[t]) * 0x9E3779B97F4A7C15ull) ^
                         (static_cast<uint64_t>(batch.positions[t]) * 0xC2B2AE3D27D4EB4Full);
      out->tokens[r] = static_cast<int32_t>((h >> 17) % static_cast<uint64_t>(config().vocab_size));
    }
    return Status::Ok();
  }
  Status CreateKvCache(int64_t) override { return Status::Ok(); }
  std::optional<DeviceMemory> QueryDeviceMemory() const override { return std::nullopt; }
  size_t KvBytesPerSlot() const override { return 0; }
  std::string BackendName() const override { return "instant"; }
};

struct Flags {
  std::string model = "models/SmolLM2-135M-Instruct.Q4_1.gguf";
  int requests = 256, prompt = 1000, output = 200;
  double gpu_step_ms = 0;  // the model-level step this shape takes on a GPU, for the share
  bool text = true;         // detokenize and stream as the Engine does (the model's tokenizer)
};

int Run(const Flags& f) {
  auto files = ModelFiles::Open(f.model);
  if (!files.ok()) {
    std::fprintf(stderr, "error: %s\n", files.status().message().c_str());
    return 1;
  }
  InstantModel model(std::move(files).value());
  SchedulerOptions o;
  o.max_total_tokens = static_cast<int64_t>(f.requests) * (f.prompt + f.output + 1);
  o.max_running_requests = f.requests;
  o.chunked_prefill_size = 8192;
  o.max_prefill_tokens = 1 << 20;
  o.disable_overlap_schedule = true;  // the work itself, not how much of it is hidden
  auto scheduler = Scheduler::Create(model, o);
  if (!scheduler.ok()) {
    std::fprintf(stderr, "error: %s\n", scheduler.status().message().c_str());
    return 1;
  }
  std::unique_ptr<Tokenizer> tokenizer;
  if (f.text) {
    auto t = Tokenizer::FromModelPath(f.model);
    if (!t.ok()) {
      std::fprintf(stderr, "error: %s\n", t.status().message().c_str());
      return 1;
    }
    tokenizer = std::move(t).value();
  }
  std::mt19937 rng(1);
  const int vocab = static_cast<int>(model.config().vocab_size);
  for (int i = 0; i < f.requests; ++i) {
    auto req = std::make_shared<Request>();
    req->id = static_cast<uint64_t>(i);
    for (int t = 0; t < f.prompt; ++t) req->input_ids.push_back(static_cast<int32_t>(rng() % vocab));
    req->params.temperature = 0;
    req->params.ignore_eos = true;
    req->params.max_new_tokens = f.output;
    req->sampler = std::make_unique<Sampler>(i);
    if (tokenizer) {
      req->output_text = std::make_unique<OutputText>(*tokenizer, req->params);
      req->on_update = [](const Request& r, std::optional<int32_t>, bool) {
        volatile size_t sink = r.output_text->TakeStreamable().size();  // what the Engine's delta takes
        (void)sink;
      };
    }
    (*scheduler)->Submit(std::move(req));
  }
  // Prefill first (untimed): every request then decodes in each step.
  while ((*scheduler)->num_waiting() > 0 || (*scheduler)->stats().steps == 0) (void)(*scheduler)->Step();
  const auto start = Clock::now();
  int steps = 0;
  while ((*scheduler)->Step()) ++steps;
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count() / std::max(steps, 1);
  std::printf("%d requests, prompt %d, output %d: %d decode steps, %.3f ms of host work per step", f.requests,
              f.prompt, f.output, steps, ms);
  if (f.gpu_step_ms > 0) std::printf(" = %.1f%% of a %.1f ms GPU step", 100 * ms / f.gpu_step_ms, f.gpu_step_ms);
  std::printf("\n");
  return 0;
}

}  // namespace
}  // namespace sgl

int main(int argc, char** argv) {
  sgl::Flags f;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--model") f.model = argv[i + 1];
    else if (flag == "--requests") f.requests = std::atoi(argv[i + 1]);
    else if (flag == "--prompt") f.prompt = std::atoi(argv[i + 1]);
    else if (flag == "--output") f.output = std::atoi(argv[i + 1]);
    else if (flag == "--gpu-step-ms") f.gpu_step_ms = std::atof(argv[i + 1]);
    else if (flag == "--text") f.text = std::atoi(argv[i + 1]) != 0;
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  return sgl::Run(f);
}
