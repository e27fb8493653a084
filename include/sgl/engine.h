// Engine: the embeddable inference engine. Create() loads a model (.gguf file or Hugging
// Face folder) and its tokenizer onto a backend and starts its scheduler thread
// (continuous batching, chunked prefill, RadixAttention prefix cache). Submit() queues a
// request (token ids or text, sampling, logprob options) and streams its output as
// deltas; every method may be called from many threads at once, and concurrent requests
// are batched together. The HTTP server and the frontend language are clients of this.
#pragma once

#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sgl/sampling_params.h"
#include "sgl/status.h"

namespace sgl {

class Tokenizer;

struct EngineOptions {
  std::string model_path;
  std::string tokenizer_path;         // empty: the model's own (GGUF vocabulary or tokenizer.json beside it)
  std::string device = "auto";        // cpu, cuda, or auto (cuda when built with it and a GPU is visible)
  int num_threads = 0;                // CPU threads (all tensor-parallel ranks together); 0 = all hardware threads
  int tp_size = 1;                    // tensor-parallel ranks: GPUs 0..tp_size-1 on cuda, threads on cpu
  int cuda_graph_max_bs = 256;        // decode batches up to this size run as CUDA graphs; 0: none (tp_size > 1: none)
  int64_t context_length = 0;         // 0: the model's; more than the model's is refused
  int64_t max_total_tokens = 0;       // KV cache capacity in tokens; 0: from mem_fraction_static
  // Share of the device's memory for weights + KV (the rest: activations, graphs); 0: 0.88.
  // On a GPU, of its total memory; on the CPU, of MemAvailable.
  double mem_fraction_static = 0;
  int64_t chunked_prefill_size = 512; // prompt tokens per request per step; -1: no chunking
  int64_t max_prefill_tokens = 16384; // prompt tokens per step
  int page_size = 1;                  // KV cache page size in tokens
  int max_running_requests = 64;
  bool disable_radix_cache = false;
  std::string schedule_policy = "fcfs";  // fcfs, lpm, dfs-weight, lof, random
  uint64_t random_seed = 0;
  // Constrained decoding (regex / json_schema / ebnf): xgrammar, outlines or llguidance
  // (SGLang's names; all mean this engine's own grammar backend), or none (refused).
  std::string grammar_backend = "xgrammar";
  // Constrained requests (without logprobs) append the text their grammar forces
  // without a model step per token; SGLang's --disable-jump-forward turns it off.
  bool disable_jump_forward = false;
  // Constrained requests near max_new_tokens are steered to finish their grammar (then
  // stop) within it, instead of being cut mid-way; --disable-grammar-budget turns it off.
  bool disable_grammar_budget = false;
  // The next step is built while the device runs this one (overlap scheduling);
  // SGLang's --disable-overlap-schedule turns it off. Tuning: it is used only while the
  // scheduler's own work per step averages at least plan_ahead_min_host_us.
  bool disable_overlap_schedule = false;
  int64_t plan_ahead_min_host_us = 200;
  // Vision-language models: the encoder outputs kept by image hash (bytes), and whether
  // images may name local files (a server facing untrusted clients may turn this off).
  size_t encoder_cache_bytes = size_t{256} << 20;
  bool allow_local_image_files = true;
  // Testing: runs on the vision encoder's thread before each image it encodes (not on
  // encoder-cache hits); an error fails that image's request.
  std::function<Status()> before_vision_encode;
};

// What to report about log-probabilities (SGLang's GenerateReqInput fields).
struct LogprobOptions {
  bool return_logprob = false;
  int64_t logprob_start_len = -1;          // first prompt position reported; -1: output tokens only
  int top_logprobs_num = 0;                // the k most likely tokens at each reported position
  std::vector<int32_t> token_ids_logprob;  // these tokens' logprobs at each reported position
};

struct TokenLogprob {
  int32_t token_id = 0;
  float logprob = 0;  // NaN where undefined (the first prompt token)
};

// Log-probabilities at one position: of the token at that position, of the
// top_logprobs_num most likely tokens (best first, ties by lower id), and of
// token_ids_logprob (in the order asked). As SGLang computes them by default
// (SGLANG_RETURN_ORIGINAL_LOGPROB off): output positions from the logits the sampler sees,
// i.e. after logit_bias, penalties and the min_new_tokens mask, divided by the temperature
// (1 for greedy), before top-k/top-p/min-p; prompt positions from the model's raw logits.
struct PositionLogprobs {
  TokenLogprob token;
  std::vector<TokenLogprob> top;
  std::vector<TokenLogprob> requested;
};

struct FinishReason {
  enum class Type { kStop, kLength, kAbort };
  Type type = Type::kLength;
  std::optional<int32_t> matched_token;  // kStop by EOS or a stop token
  std::string matched_text;              // kStop by a stop string
  int64_t length = 0;                    // kLength: max_new_tokens (or the context that ran out)
  std::string message;                   // kAbort: why
  std::string TypeName() const { return type == Type::kStop ? "stop" : type == Type::kLength ? "length" : "abort"; }
};

// One image of a request, as SGLang's image_data accepts it: the encoded file's bytes
// (JPEG, PNG, WebP, GIF's first frame, BMP), or when `bytes` is empty a `source`: a
// data: URL, bare base64 or a local file path (http(s) URLs are refused: no fetching).
struct ImageInput {
  std::string bytes;
  std::string source;
};

struct GenerateRequest {
  std::vector<int32_t> input_ids;  // the prompt; when empty, `text` is encoded (with the tokenizer's special tokens)
  std::string text;
  SamplingParams sampling;
  LogprobOptions logprob;
  // For vision-language models: one per image placeholder in the prompt (GLM-4.1V: the
  // chat template's <|image|>), in order; the engine expands each placeholder.
  std::vector<ImageInput> images;
  // When set, max_new_tokens shrinks to what the context and the KV cache leave after the
  // prompt (as OpenAI chat's absent max_tokens; with images the prompt's final length is
  // known only once the engine has expanded their placeholders).
  bool cap_max_new_tokens = false;
};

// Where the grammar stopped a constrained request that ended badly: it ended (max tokens,
// a stop string, an abort) while the grammar was not in an accepting state, or the
// grammar failed mid-generation. The text so far is the result's text.
struct GrammarStop {
  int64_t token_position = 0;  // output tokens the grammar had accepted when it stopped
  std::string reason;          // "incomplete" or the grammar's error
};

struct GenerateStats {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cached_tokens = 0;  // prompt tokens reused from the prefix cache
  int num_retractions = 0;
  double queue_seconds = 0;    // from Submit to its first admission into a batch
  double prefill_seconds = 0;  // from its first admission to its first token
  int prefill_chunks = 0;      // forward passes that computed part of its prompt
  // Forward passes that sampled one of its output tokens, and output tokens that
  // jump-forward appended instead (the text its grammar forced).
  int sampling_steps = 0;
  int64_t jump_forward_tokens = 0;
  // From the first output token to the last. A grammar-forced start is output before the
  // request's first batch (jump-forward), so its queue and prefill times then end there.
  double decode_seconds = 0;
  // Constrained requests: the time from Submit until the grammar was compiled (queueing
  // and waiting for the same grammar compiled by another request included), and whether
  // it came from the engine's grammar cache.
  double grammar_compile_seconds = 0;
  bool grammar_cache_hit = false;
  // Requests with images: decoding + preprocessing them (on the submitting thread), the
  // vision encoder's time (on the scheduler thread; 0 when every image's tokens came
  // from the prefix cache or its output from the encoder cache), and how many images
  // took their encoder output from the encoder cache.
  int num_images = 0;
  double image_preprocess_seconds = 0;
  double vision_encode_seconds = 0;
  int encoder_cache_hits = 0;
  std::optional<GrammarStop> grammar_stop;  // constrained requests that ended badly
};

// What a streamed request produced since its previous delta.
struct GenerateDelta {
  std::vector<int32_t> token_ids;
  // New output text. Text that could still turn into a stop string, or that ends in an
  // incomplete UTF-8 sequence, is held back until it is settled.
  std::string text;
  std::vector<PositionLogprobs> output_logprobs;  // one per token in token_ids, when asked
  std::vector<PositionLogprobs> input_logprobs;   // in the first delta only, when asked
};

struct GenerateResult {
  std::vector<int32_t> output_ids;
  std::string text;  // the decoded output; a matched stop string is cut off unless no_stop_trim
  FinishReason finish_reason;
  GenerateStats stats;
  std::vector<PositionLogprobs> input_logprobs;   // prompt positions [max(logprob_start_len, 0), prompt_tokens)
  std::vector<PositionLogprobs> output_logprobs;  // one per output token
};

struct ModelInfo {
  std::string path;
  std::string tokenizer_path;
  std::string description;  // file format and tensor types
  std::string summary;      // architecture and sizes
  std::string backend;
  int64_t vocab_size = 0;
  int64_t context_length = 0;
  int64_t kv_capacity_tokens = 0;
  bool accepts_images = false;  // a vision-language model with its vision tower loaded
};

struct EngineStats {
  int num_running = 0;
  int num_waiting = 0;
  // Requests not yet in the scheduler's queue: waiting for their grammar's compile
  // (GrammarQueue) or their images' encode (ImageEncodeQueue). Queued too, for
  // --max-queued-requests.
  int num_waiting_aside = 0;
  int64_t prompt_tokens = 0;         // prompt tokens of all admitted requests
  int64_t cached_prompt_tokens = 0;  // of which served from the prefix cache
  int64_t kv_capacity_tokens = 0;
  int64_t kv_used_tokens = 0;        // held by requests or cached
  // Scheduler steps that ran a batch, their wall time, and the part of it spent in the
  // model's forward pass (the rest is host work: planning, sampling on the host, output).
  int64_t steps = 0;
  double step_seconds = 0;
  double forward_seconds = 0;
  int64_t steps_planned_ahead = 0;  // built while the step before ran (overlap scheduling)
};

// A request in flight: its id (for Abort) and its result to come.
struct GenerateHandle {
  uint64_t id = 0;
  std::future<Result<GenerateResult>> result;
};

class Engine {
 public:
  using DeltaCallback = std::function<void(const GenerateDelta&)>;
  using DoneCallback = std::function<void(const Result<GenerateResult>&)>;

  static Result<std::unique_ptr<Engine>> Create(const EngineOptions& options);
  virtual ~Engine() = default;

  virtual ModelInfo Info() const = 0;
  // A snapshot of the scheduler's counters (thread-safe).
  virtual EngineStats Stats() const = 0;
  // The model's tokenizer (thread-safe, lives as long as the engine).
  virtual const Tokenizer& tokenizer() const = 0;

  // Queues a request and returns (a request with images first decodes and preprocesses
  // them on the calling thread). `on_delta` (may be empty) is called on the
  // scheduler thread with each step's new tokens and settled text; it must be quick and
  // stay callable until the result is ready. An aborted request still gets a result,
  // with finish_reason kAbort. Fails (through the future) with InvalidArgument for an
  // empty prompt, token ids outside the vocabulary, a prompt plus max_new_tokens over the
  // context or the KV cache, invalid sampling or logprob options, or a regex / JSON Schema
  // / EBNF grammar that does not compile, or images that do not load, decode, or match the
  // prompt's placeholders in number, or any image for a text-only model (the message
  // names the problem; an http(s) image URL is Unsupported). A constrained
  // request is compiled off the scheduler thread and queued once its grammar is ready; a
  // request with images waits likewise for the vision encoder's thread (or its encoder
  // cache), and fails with Internal, naming the image, when the encoder fails.
  // `on_done` (may be empty) gets the same result just before the future does: on the
  // scheduler thread, on a grammar-compile or encoder thread for a request that fails or
  // is aborted there, on the thread calling Abort for a request still queued for its
  // encode, or on the calling thread for a request refused at once. Event-driven callers (the HTTP server)
  // use it instead of waiting on the future.
  virtual GenerateHandle Submit(const GenerateRequest& request, DeltaCallback on_delta, DoneCallback on_done = {}) = 0;
  // Ends request `id` wherever it is; its result gets finish_reason kAbort.
  virtual void Abort(uint64_t id) = 0;
  // Empties the prefix cache; fails while requests are running or waiting.
  virtual Status FlushCache() = 0;
  // Returns the logits of every position of `input_ids` ([input_ids.size(), vocab_size]),
  // computed in full (no cached prefix); for tests and tools.
  virtual Result<std::vector<float>> PromptLogits(const std::vector<int32_t>& input_ids) = 0;

  // Blocking conveniences over Submit.
  Result<GenerateResult> Generate(const GenerateRequest& request, DeltaCallback on_delta = {}) {
    return Submit(request, std::move(on_delta), {}).result.get();
  }
  // Continues a prompt of token ids, reporting each new token to `on_token`.
  Result<GenerateResult> Generate(const std::vector<int32_t>& input_ids, const SamplingParams& params,
                                  const std::function<void(int32_t)>& on_token);
};

}  // namespace sgl
