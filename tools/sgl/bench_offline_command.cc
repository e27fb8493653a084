// `sgl bench offline`: in-process throughput of the engine, like SGLang's
// bench_offline_throughput with its random dataset: --num-prompts requests of random
// token ids (lengths uniform in [ratio x len, len]), all submitted at once, decoded to
// their max_new_tokens (EOS ignored); reports request, input, output and total token
// throughput over the wall time from the first submission to the last finish.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <future>
#include <random>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "commands.h"
#include "sgl/engine.h"

namespace sgl::cli {
namespace {

struct OfflineFlags {
  EngineOptions engine;
  int num_prompts = 1000;
  int input_len = 1024;
  int output_len = 1024;
  double range_ratio = 0.0;
  uint64_t seed = 1;
  std::string output_file;
  SamplingParams sampling;  // greedy unless the sampling flags say otherwise
};

int RandomLength(std::mt19937_64& rng, int len, double ratio) {
  const int low = std::max(1, static_cast<int>(len * ratio));
  return std::uniform_int_distribution<int>(std::min(low, len), std::max(len, 1))(rng);
}

std::vector<GenerateRequest> MakeRequests(const OfflineFlags& f, int64_t vocab_size) {
  std::mt19937_64 rng(f.seed);
  std::uniform_int_distribution<int32_t> token(0, static_cast<int32_t>(vocab_size - 1));
  std::vector<GenerateRequest> requests(f.num_prompts);
  for (GenerateRequest& r : requests) {
    r.input_ids.resize(RandomLength(rng, f.input_len, f.range_ratio));
    for (int32_t& t : r.input_ids) t = token(rng);
    r.sampling = f.sampling;
    r.sampling.ignore_eos = true;
    r.sampling.max_new_tokens = f.output_len == 0 ? 0 : RandomLength(rng, f.output_len, f.range_ratio);
  }
  return requests;
}

int Run(const OfflineFlags& flags) {
  auto engine = Engine::Create(flags.engine);
  if (!engine.ok()) {
    spdlog::error("{}", engine.status().message());
    return 1;
  }
  const ModelInfo info = (*engine)->Info();
  const std::vector<GenerateRequest> requests = MakeRequests(flags, info.vocab_size);
  std::printf("model: %s\nbackend: %s\n%d requests, input ~%d, output ~%d tokens (range ratio %.2f)\n",
              info.path.c_str(), info.backend.c_str(), flags.num_prompts, flags.input_len, flags.output_len,
              flags.range_ratio);

  const auto start = std::chrono::steady_clock::now();
  std::vector<GenerateHandle> handles;
  handles.reserve(requests.size());
  for (const GenerateRequest& r : requests) handles.push_back((*engine)->Submit(r, nullptr));
  int64_t input_tokens = 0, output_tokens = 0, cached_tokens = 0;
  for (GenerateHandle& h : handles) {
    Result<GenerateResult> result = h.result.get();
    if (!result.ok()) {
      spdlog::error("request {} failed: {}", h.id, result.status().message());
      return 1;
    }
    input_tokens += result->stats.prompt_tokens;
    output_tokens += result->stats.completion_tokens;
    cached_tokens += result->stats.cached_tokens;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const EngineStats stats = (*engine)->Stats();

  const nlohmann::json out = {{"backend", info.backend},
                              {"num_prompts", flags.num_prompts},
                              {"duration_s", seconds},
                              {"total_input_tokens", input_tokens},
                              {"total_output_tokens", output_tokens},
                              {"cached_tokens", cached_tokens},
                              {"request_throughput", flags.num_prompts / seconds},
                              {"input_throughput", input_tokens / seconds},
                              {"output_throughput", output_tokens / seconds},
                              {"total_throughput", (input_tokens + output_tokens) / seconds},
                              {"steps", stats.steps},
                              {"step_seconds", stats.step_seconds},
                              {"forward_seconds", stats.forward_seconds}};
  std::printf("====== Offline Throughput Benchmark Result =======\n");
  std::printf("%-32s %.2f\n", "Benchmark duration (s):", seconds);
  std::printf("%-32s %lld\n", "Total input tokens:", static_cast<long long>(input_tokens));
  std::printf("%-32s %lld\n", "Total generated tokens:", static_cast<long long>(output_tokens));
  std::printf("%-32s %.2f\n", "Request throughput (req/s):", out["request_throughput"].get<double>());
  std::printf("%-32s %.2f\n", "Input token throughput (tok/s):", out["input_throughput"].get<double>());
  std::printf("%-32s %.2f\n", "Output token throughput (tok/s):", out["output_throughput"].get<double>());
  std::printf("%-32s %.2f\n", "Total token throughput (tok/s):", out["total_throughput"].get<double>());
  std::printf("%-32s %lld\n", "Scheduler steps:", static_cast<long long>(stats.steps));
  // Host-only: the scheduler thread's own work (planning, results), overlapped or not.
  const double steps = static_cast<double>(std::max<int64_t>(stats.steps, 1));
  std::printf("%-32s %.1f / %.1f\n", "Step / host-only ms per step:", 1e3 * stats.step_seconds / steps,
              1e3 * (stats.step_seconds - stats.forward_seconds) / steps);
  std::printf("==================================================\n");
  if (!flags.output_file.empty()) std::ofstream(flags.output_file) << out.dump(2) << "\n";
  return 0;
}

}  // namespace

void AddBenchOfflineCommand(CLI::App& bench, int* exit_code) {
  auto flags = std::make_shared<OfflineFlags>();
  OfflineFlags& f = *flags;
  f.engine.model_path = DefaultModelPath();
  f.engine.max_running_requests = 256;
  f.sampling.temperature = 0;
  CLI::App* cmd = bench.add_subcommand("offline", "Throughput of the engine in-process (like SGLang's bench_offline_throughput)");
  cmd->add_option("--model-path,--model,-m", f.engine.model_path, "A .gguf file or a Hugging Face folder")->capture_default_str();
  cmd->add_option("--num-prompts", f.num_prompts, "Requests")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--random-input-len", f.input_len, "Prompt length in tokens")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--random-output-len", f.output_len, "max_new_tokens")->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_option("--random-range-ratio", f.range_ratio, "Lengths are uniform in [ratio x len, len]")->capture_default_str()->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--seed", f.seed, "Random seed of the dataset")->capture_default_str();
  cmd->add_option("--output-file", f.output_file, "Also write the results as JSON here");
  cmd->add_option("--temperature", f.sampling.temperature, "Sampling temperature (0: greedy)")->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_option("--top-k", f.sampling.top_k, "Sample from the k best tokens (-1: all)")->capture_default_str();
  cmd->add_option("--top-p", f.sampling.top_p, "Nucleus sampling mass")->capture_default_str()->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--min-p", f.sampling.min_p, "Drop tokens below min_p x the best probability")->capture_default_str()->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--frequency-penalty", f.sampling.frequency_penalty, "Frequency penalty")->capture_default_str();
  cmd->add_option("--device", f.engine.device, "cpu, cuda, or auto")->capture_default_str()->check(CLI::IsMember({"cpu", "cuda", "auto"}));
  cmd->add_option("--threads", f.engine.num_threads, "CPU threads (0 = all)")->capture_default_str()->check(CLI::NonNegativeNumber);
  AddTpSizeOption(*cmd, &f.engine.tp_size);
  cmd->add_option("--max-running-requests", f.engine.max_running_requests, "Requests decoded together at most")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--max-total-tokens", f.engine.max_total_tokens, "KV cache capacity in tokens (default: from --mem-fraction-static)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--mem-fraction-static", f.engine.mem_fraction_static, "Share of memory for weights + KV cache");
  cmd->add_option("--chunked-prefill-size", f.engine.chunked_prefill_size, "Prompt tokens per request per step")->capture_default_str();
  cmd->add_option("--max-prefill-tokens", f.engine.max_prefill_tokens, "Prompt tokens per step")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--cuda-graph-max-bs", f.engine.cuda_graph_max_bs, "Largest decode batch run as a CUDA graph")->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_flag("--disable-radix-cache", f.engine.disable_radix_cache, "Do not reuse KV of shared prefixes");
  cmd->add_flag("--disable-overlap-schedule", f.engine.disable_overlap_schedule,
                "Build each step only after the last one's results");
  cmd->callback([flags, exit_code] { *exit_code = Run(*flags); });
}

}  // namespace sgl::cli
