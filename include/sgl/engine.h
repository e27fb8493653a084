// Engine: the embeddable inference engine. Create() loads a model (.gguf file or Hugging
// Face folder) onto a backend and starts its scheduler thread (continuous batching,
// chunked prefill, RadixAttention prefix cache); Generate() continues a prompt of token
// ids, streaming each new token to a callback. Generate() and PromptLogits() may be
// called from many threads at once: their requests are batched together.
#pragma once

#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "sgl/sampling_params.h"
#include "sgl/status.h"

namespace sgl {

struct EngineOptions {
  std::string model_path;
  std::string device = "cpu";
  int num_threads = 0;                // CPU threads; 0 = all hardware threads
  int64_t max_total_tokens = 0;       // KV cache capacity in tokens; 0 = min(context, 4096)
  int64_t chunked_prefill_size = 512; // prompt tokens per request per step; -1: no chunking
  int64_t max_prefill_tokens = 16384; // prompt tokens per step
  int page_size = 1;                  // KV cache page size in tokens
  int max_running_requests = 64;
  bool disable_radix_cache = false;
  std::string schedule_policy = "fcfs";  // fcfs, lpm, dfs-weight, lof, random
  uint64_t random_seed = 0;
};

struct GenerateStats {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cached_tokens = 0;  // prompt tokens reused from the prefix cache
  double prefill_seconds = 0;
  double decode_seconds = 0;  // from the first sampled token to the last
};

struct GenerateResult {
  std::vector<int32_t> output_ids;
  std::string finish_reason;  // "stop" (EOS or a stop token) or "length"
  GenerateStats stats;
};

struct ModelInfo {
  std::string path;
  std::string description;  // file format and tensor types
  std::string summary;      // architecture and sizes
  std::string backend;
  int64_t vocab_size = 0;
  int64_t context_length = 0;
  int64_t kv_capacity_tokens = 0;
};

struct EngineStats {
  int num_running = 0;
  int num_waiting = 0;
  int64_t prompt_tokens = 0;         // prompt tokens of all admitted requests
  int64_t cached_prompt_tokens = 0;  // of which served from the prefix cache
  int64_t kv_capacity_tokens = 0;
  int64_t kv_used_tokens = 0;        // held by requests or cached
};

// A request in flight: its id (for Abort) and its result to come.
struct GenerateHandle {
  uint64_t id = 0;
  std::future<Result<GenerateResult>> result;
};

class Engine {
 public:
  static Result<std::unique_ptr<Engine>> Create(const EngineOptions& options);
  virtual ~Engine() = default;

  virtual ModelInfo Info() const = 0;
  // A snapshot of the scheduler's counters (thread-safe).
  virtual EngineStats Stats() const = 0;
  // Streams each sampled token to `on_token` (may be empty; called on the scheduler
  // thread) as soon as it is known.
  // Fails with InvalidArgument for an empty prompt, token ids outside the vocabulary, or
  // a prompt plus max_new_tokens that does not fit the KV cache.
  virtual Result<GenerateResult> Generate(const std::vector<int32_t>& input_ids, const SamplingParams& params,
                                          const std::function<void(int32_t)>& on_token) = 0;
  // The same without blocking; on_token must stay callable until the result is ready.
  virtual GenerateHandle GenerateAsync(const std::vector<int32_t>& input_ids, const SamplingParams& params,
                                       std::function<void(int32_t)> on_token) = 0;
  // Ends request `id` wherever it is; its result becomes an error saying it was aborted.
  virtual void Abort(uint64_t id) = 0;
  // Empties the prefix cache; fails while requests are running or waiting.
  virtual Status FlushCache() = 0;
  // Returns the logits of every position of `input_ids` ([input_ids.size(), vocab_size]),
  // computed in full (no cached prefix); for tests and tools.
  virtual Result<std::vector<float>> PromptLogits(const std::vector<int32_t>& input_ids) = 0;
};

}  // namespace sgl
