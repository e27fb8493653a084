// The Engine: one model on a backend (CPU or CUDA, see backend_factory.h), or split over
// tp_size ranks (TensorParallelModel), behind a Scheduler running on its own thread. Each Submit becomes a Request whose callback (on
// the scheduler thread) turns its tokens, settled text and logprobs into deltas and, at
// the end, the result.
#include "sgl/engine.h"

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "backend/backend_factory.h"
#include "constrain/token_vocabulary.h"
#include "model/model.h"
#include "model/tensor_parallel_model.h"
#include "parallel/rank_factory.h"
#include "runtime/grammar_queue.h"
#include "runtime/grammar_step.h"
#include "runtime/image_embedder.h"
#include "runtime/image_encode_queue.h"
#include "runtime/image_prompt.h"
#include "runtime/kv_capacity.h"
#include "runtime/scheduler.h"
#include "runtime/scheduler_reasons.h"
#include "runtime/validate_sampling_params.h"
#include "tokenizer/tokenizer.h"

namespace sgl {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point from, Clock::time_point to) { return std::chrono::duration<double>(to - from).count(); }

// A submitted request as its caller sees it: the promise of its result, its delta
// callback and timings. Shared by Submit and the request's callback.
struct Pending {
  std::promise<Result<GenerateResult>> promise;
  Engine::DeltaCallback on_delta;
  Engine::DoneCallback on_done;
  Clock::time_point start = Clock::now(), first_token, last_token;
  bool any_token = false;
  bool sent_input_logprobs = false;

  // on_done first, then the future (Submit's contract).
  void Finish(Result<GenerateResult> result) {
    if (on_done) on_done(result);
    promise.set_value(std::move(result));
  }
};

// On the scheduler thread: one delta for the new token and whatever text it settled
// (at the end, all text left), then the result once finished.
void OnUpdate(Pending& pending, const Request& r, std::optional<int32_t> token, bool finished) {
  GenerateDelta delta;
  if (token) {
    pending.last_token = Clock::now();
    if (!pending.any_token) pending.first_token = pending.last_token;
    pending.any_token = true;
    delta.token_ids.push_back(*token);
    if (r.logprob.return_logprob && !r.output_logprobs.empty()) delta.output_logprobs.push_back(r.output_logprobs.back());
  }
  if (r.output_text) delta.text = r.output_text->TakeStreamable();
  if (!pending.sent_input_logprobs && (token || finished)) {
    delta.input_logprobs = r.input_logprobs;
    pending.sent_input_logprobs = true;
  }
  const bool any = !delta.token_ids.empty() || !delta.text.empty() || !delta.input_logprobs.empty();
  if (pending.on_delta && any) pending.on_delta(delta);
  if (!finished) return;
  GenerateResult result;
  result.output_ids = r.output_ids;
  result.text = r.output_text ? r.output_text->text() : std::string();
  result.finish_reason = r.finish_reason;
  result.input_logprobs = r.input_logprobs;
  result.output_logprobs = r.output_logprobs;
  result.stats.prompt_tokens = r.prompt_len();
  result.stats.completion_tokens = static_cast<int64_t>(r.output_ids.size());
  result.stats.cached_tokens = r.cached_tokens;
  result.stats.num_retractions = r.num_retractions;
  result.stats.grammar_compile_seconds = r.grammar_compile_seconds;
  result.stats.grammar_cache_hit = r.grammar_cache_hit;
  result.stats.num_images = static_cast<int>(r.images.size());
  result.stats.image_preprocess_seconds = r.image_preprocess_seconds;
  result.stats.vision_encode_seconds = r.vision_encode_seconds;
  result.stats.encoder_cache_hits = r.encoder_cache_hits;
  if (r.grammar)
    result.stats.grammar_stop =
        WhereGrammarStopped(*r.grammar, static_cast<int64_t>(r.output_ids.size()), r.grammar_error);
  const Clock::time_point first = pending.any_token ? pending.first_token : Clock::now();
  const Clock::time_point admitted = std::min(r.admitted_at.value_or(first), first);
  result.stats.queue_seconds = Seconds(pending.start, admitted);
  result.stats.prefill_seconds = Seconds(admitted, first);
  result.stats.prefill_chunks = r.prefill_chunks;
  result.stats.sampling_steps = r.sampling_steps;
  result.stats.jump_forward_tokens = r.jump_forward_tokens;
  result.stats.decode_seconds = pending.any_token ? Seconds(pending.first_token, pending.last_token) : 0;
  pending.Finish(std::move(result));
}

class LocalEngine final : public Engine {
 public:
  Status Init(const EngineOptions& options) {
    options_ = options;
    SGL_RETURN_IF_ERROR(StartGrammarQueue(options.grammar_backend));
    SGL_RETURN_IF_ERROR(LoadModelOnRanks(options));
    const std::string& tokenizer_path = options.tokenizer_path.empty() ? options.model_path : options.tokenizer_path;
    SGL_ASSIGN_OR_RETURN(tokenizer_, Tokenizer::FromModelPath(tokenizer_path));
    const ModelConfig& c = model_->config();
    if (options.context_length < 0 || options.context_length > c.context_length)
      return InvalidArgument("context_length {} is outside [0, {}] (0: the model's {})", options.context_length,
                             c.context_length, c.context_length);
    context_length_ = options.context_length > 0 ? options.context_length : c.context_length;
    SchedulerOptions s;
    SGL_ASSIGN_OR_RETURN(s.max_total_tokens, KvCapacity(options));
    s.page_size = options.page_size;
    s.chunked_prefill_size = options.chunked_prefill_size;
    s.max_prefill_tokens = options.max_prefill_tokens;
    s.max_running_requests = options.max_running_requests;
    s.disable_radix_cache = options.disable_radix_cache;
    SGL_ASSIGN_OR_RETURN(s.policy, ParseSchedulePolicy(options.schedule_policy));
    s.random_seed = options.random_seed;
    s.disable_grammar_budget = options.disable_grammar_budget;
    s.disable_overlap_schedule = options.disable_overlap_schedule;
    s.plan_ahead_min_host_us = options.plan_ahead_min_host_us;
    std::unique_ptr<ImageEmbedder> images;
    if (vision_) {
      images = std::make_unique<ImageEmbedder>();
      encode_queue_ = std::make_unique<ImageEncodeQueue>(*vision_, options.encoder_cache_bytes, options.before_vision_encode);
    }
    std::unique_ptr<JumpForward> jump_forward;
    if (!options.disable_jump_forward) jump_forward = std::make_unique<JumpForward>(*tokenizer_);
    SGL_ASSIGN_OR_RETURN(scheduler_, Scheduler::Create(*model_, s, std::move(images), std::move(jump_forward)));
    scheduler_->Start();
    return Status::Ok();
  }

  // The whole model on one backend, or its shards on tp_size ranks.
  Status LoadModelOnRanks(const EngineOptions& options) {
    if (options.tp_size < 1) return InvalidArgument("tp_size must be >= 1, got {}", options.tp_size);
    if (options.tp_size == 1) {
      SGL_ASSIGN_OR_RETURN(backend_, CreateBackend({options.device, options.num_threads, options.cuda_graph_max_bs}));
      SGL_ASSIGN_OR_RETURN(model_, LoadModel(options.model_path, *backend_));
      return LoadVisionOnItsBackend(options);
    }
    SGL_ASSIGN_OR_RETURN(RankFactory factory, MakeRankFactory(options.device, options.tp_size, options.num_threads));
    SGL_ASSIGN_OR_RETURN(model_, TensorParallelModel::Load(options.model_path, options.tp_size, factory));
    return Status::Ok();
  }

  // A vision-language model's encoder gets a backend of the model's kind to itself, driven
  // by the encoder thread alone (a Backend has one driving thread): on the CPU a pool of
  // half the model's threads (the encoder runs in bursts, beside the decode loop), on CUDA
  // its own stream, cuBLAS handle and scratch, without graphs. Loaded before the KV cache
  // is sized, so the vision weights count as in use.
  Status LoadVisionOnItsBackend(const EngineOptions& options) {
    if (!multimodal::TakesImages(model_->config().arch)) return Status::Ok();
    const int model_threads = options.num_threads > 0 ? options.num_threads
                                                      : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    BackendOptions b{ResolveDevice(options.device), std::max(1, model_threads / 2), /*cuda_graph_max_bs=*/0};
    SGL_ASSIGN_OR_RETURN(vision_backend_, CreateBackend(b));
    SGL_ASSIGN_OR_RETURN(vision_, multimodal::LoadVisionModel(options.model_path, model_->config().arch, *vision_backend_));
    return Status::Ok();
  }

  // SGLang's backend names all mean ours; "none" refuses constrained requests. The
  // vocabulary is built at the first compile, from the tokenizer and model loaded by then.
  Status StartGrammarQueue(const std::string& backend) {
    if (backend == "none") return Status::Ok();
    if (backend != "xgrammar" && backend != "outlines" && backend != "llguidance")
      return InvalidArgument("grammar backend '{}' is not one of xgrammar, outlines, llguidance, none", backend);
    auto make_vocab = [this] {
      return constrain::TokenVocabulary::FromTokenizer(*tokenizer_, model_->config().eos_token_ids);
    };
    grammar_queue_ = std::make_unique<GrammarQueue>(make_vocab, kGrammarThreads);
    return Status::Ok();
  }

  // max_total_tokens, or what mem_fraction_static of the memory leaves after the weights
  // (SGLang's way), capped at what max_running_requests full contexts need. On a GPU the
  // weights are loaded by now: the share is of its total memory, minus all that is in use
  // (with tensor parallelism: per GPU, the fullest one).
  Result<int64_t> KvCapacity(const EngineOptions& options) const {
    if (options.max_total_tokens > 0) return options.max_total_tokens;
    KvBudget budget;
    if (const std::optional<DeviceMemory> device = model_->QueryDeviceMemory()) {
      budget.available_bytes = device->total_bytes;
      budget.weights_bytes = device->total_bytes - device->free_bytes;
    } else {
      SGL_ASSIGN_OR_RETURN(budget.available_bytes, MemAvailableBytes());
      budget.weights_bytes = WeightFileBytes(options.model_path);
    }
    budget.mem_fraction_static = options.mem_fraction_static > 0 ? options.mem_fraction_static : 0.88;
    budget.bytes_per_token = static_cast<int64_t>(model_->KvBytesPerSlot());
    budget.max_useful_tokens = context_length_ * std::max(1, options.max_running_requests);
    SGL_ASSIGN_OR_RETURN(const int64_t tokens, KvCapacityTokens(budget));
    spdlog::info("KV cache: {} tokens ({} MiB; mem_fraction_static {} of {} MiB available, {} MiB in use by the weights, "
                 "capped at {} tokens = context {} x {} running requests)",
                 tokens, tokens * budget.bytes_per_token >> 20, budget.mem_fraction_static,
                 budget.available_bytes >> 20, budget.weights_bytes >> 20, budget.max_useful_tokens,
                 context_length_, options.max_running_requests);
    return tokens;
  }

  ~LocalEngine() override {
    grammar_queue_.reset();  // its last requests may still go to the encoder or the scheduler
    encode_queue_.reset();   // its last requests may still go to the scheduler
    scheduler_.reset();      // stops the thread before the model goes
  }

  ModelInfo Info() const override {
    const ModelConfig& c = model_->config();
    return {options_.model_path, options_.tokenizer_path.empty() ? options_.model_path : options_.tokenizer_path,
            model_->files().Description(), c.Summary(), model_->BackendName(), c.vocab_size,
            context_length_, scheduler_->capacity_tokens(), vision_ != nullptr};
  }

  EngineStats Stats() const override {
    const Scheduler::Stats& s = scheduler_->stats();
    int num_aside;
    {
      std::lock_guard<std::mutex> lock(aside_mu_);
      num_aside = static_cast<int>(aside_.size());
    }
    const int64_t forward_ns = s.forward_ns.load();  // before the steps it belongs to (see StepOnce)
    return {s.num_running.load(), s.num_waiting.load(), num_aside, s.prompt_tokens.load(),
            s.cached_prompt_tokens.load(), scheduler_->capacity_tokens(), s.kv_used_tokens.load(),
            s.steps.load(), s.step_ns.load() * 1e-9, forward_ns * 1e-9, s.steps_planned_ahead.load()};
  }

  const Tokenizer& tokenizer() const override { return *tokenizer_; }

  GenerateHandle Submit(const GenerateRequest& request, DeltaCallback on_delta, DoneCallback on_done) override {
    auto pending = std::make_shared<Pending>();
    pending->on_delta = std::move(on_delta);
    pending->on_done = std::move(on_done);
    GenerateHandle handle;
    handle.result = pending->promise.get_future();
    std::vector<int32_t> input_ids =
        request.input_ids.empty() && !request.text.empty() ? tokenizer_->Encode(request.text, true) : request.input_ids;
    SamplingParams sampling = request.sampling;
    Result<std::optional<ImagePrompt>> images = CheckRequest(input_ids, request, sampling);
    if (!images.ok()) {
      pending->Finish(images.status());
      return handle;
    }
    if (*images) input_ids = std::move((*images)->input_ids);
    pending->start = Clock::now();  // the queue wait starts after the images were prepared
    auto req = MakeRequest(std::move(input_ids), sampling);
    if (*images) AttachImages(**images, *req);
    req->logprob = request.logprob;
    req->output_text = std::make_unique<OutputText>(*tokenizer_, request.sampling);
    handle.id = req->id;
    req->on_update = [pending](const Request& r, std::optional<int32_t> token, bool finished) {
      OnUpdate(*pending, r, token, finished);
    };
    std::optional<constrain::GrammarSpec> spec = GrammarSpecFor(request.sampling);
    if (!spec && req->images.empty()) {
      scheduler_->Submit(req);
      return handle;
    }
    {
      std::lock_guard<std::mutex> lock(aside_mu_);
      aside_[req->id] = false;
    }
    if (spec) {
      CompileThenAdvance(std::move(req), std::move(pending), std::move(*spec));
    } else {
      EncodeThenSubmit(std::move(req), std::move(pending));
    }
    return handle;
  }

  void Abort(uint64_t id) override {
    {
      std::lock_guard<std::mutex> lock(aside_mu_);
      auto it = aside_.find(id);
      if (it == aside_.end()) return scheduler_->Abort(id);
      it->second = true;  // finished as aborted when it leaves its compile or encode
    }
    // An encode not started yet ends now (its callback runs here); a running one finishes first.
    if (encode_queue_) (void)encode_queue_->Cancel(id);
  }

  Status FlushCache() override { return scheduler_->FlushCache().get(); }

  Result<std::vector<float>> PromptLogits(const std::vector<int32_t>& input_ids) override {
    SGL_RETURN_IF_ERROR(CheckPrompt(input_ids));
    if (static_cast<int64_t>(input_ids.size()) > scheduler_->capacity_tokens())
      return InvalidArgument("prompt of {} tokens exceeds the KV cache capacity of {} tokens", input_ids.size(),
                             scheduler_->capacity_tokens());
    SamplingParams params;
    params.max_new_tokens = 0;
    auto req = MakeRequest(input_ids, params);
    req->want_prompt_logits = true;
    std::promise<void> done;
    req->on_update = [&](const Request&, std::optional<int32_t>, bool finished) {
      if (finished) done.set_value();
    };
    scheduler_->Submit(req);
    done.get_future().wait();
    if (req->finish_reason.type == FinishReason::Type::kAbort)  // why it was aborted (a failed forward pass, ...)
      return Status(StatusCode::kInternal, fmt::format("the request was aborted: {}", req->finish_reason.message));
    return std::move(req->prompt_logits);
  }

 private:
  std::shared_ptr<Request> MakeRequest(std::vector<int32_t> input_ids, const SamplingParams& params) {
    auto req = std::make_shared<Request>();
    req->id = next_id_.fetch_add(1);
    req->input_ids = std::move(input_ids);
    req->params = params;
    req->sampler = std::make_unique<Sampler>(params.seed.value_or(options_.random_seed + req->id));
    return req;
  }

  // A request held aside (in aside_) waits for its grammar on a GrammarQueue thread, then
  // for its images' encoder rows on the ImageEncodeQueue's; a failure there fails it.
  void CompileThenAdvance(std::shared_ptr<Request> req, std::shared_ptr<Pending> pending, constrain::GrammarSpec spec) {
    grammar_queue_->Enqueue(std::move(spec), [this, req, pending](Result<PreparedGrammar> prepared) {
      if (!prepared.ok()) return FailAside(*req, *pending, prepared.status());
      req->grammar = std::move(prepared->matcher);
      req->grammar_compile_seconds = prepared->compile_seconds;
      req->grammar_cache_hit = prepared->cache_hit;
      if (req->images.empty() || AbortedAside(req->id)) return SubmitFromAside(req);  // aborted: finished, unencoded
      EncodeThenSubmit(req, pending);
    });
  }

  void EncodeThenSubmit(std::shared_ptr<Request> req, std::shared_ptr<Pending> pending) {
    encode_queue_->Enqueue(req, [this, req, pending](Status encoded) {
      if (!encoded.ok()) return FailAside(*req, *pending, encoded);
      SubmitFromAside(req);
    });
  }

  bool AbortedAside(uint64_t id) {
    std::lock_guard<std::mutex> lock(aside_mu_);
    return aside_.at(id);
  }

  // The request leaves aside_ for the scheduler, under aside_mu_, so that an Abort that no
  // longer finds it aside reaches the scheduler after it; one aborted meanwhile finishes here.
  void SubmitFromAside(const std::shared_ptr<Request>& req) {
    {
      std::lock_guard<std::mutex> lock(aside_mu_);
      auto it = aside_.find(req->id);
      const bool aborted = it->second;
      aside_.erase(it);
      if (!aborted) return scheduler_->Submit(req);
    }
    FinishAside(*req, Aborted("aborted by request"));
  }

  // The request leaves aside_ with `error`, or as aborted when it was aborted meanwhile.
  void FailAside(Request& req, Pending& pending, const Status& error) {
    bool aborted;
    {
      std::lock_guard<std::mutex> lock(aside_mu_);
      auto it = aside_.find(req.id);
      aborted = it->second;
      aside_.erase(it);
    }
    if (aborted) return FinishAside(req, Aborted("aborted by request"));
    pending.Finish(error);
  }

  // Delivers a request that never reached the scheduler, as its Deliver would.
  static void FinishAside(Request& req, FinishReason reason) {
    req.finish_reason = std::move(reason);
    if (req.output_text) req.output_text->Finish();
    if (req.on_update) req.on_update(req, std::nullopt, true);
  }

  // Checks the request; a request with images has them loaded and its prompt expanded
  // here, on the caller's thread (the result), so the length checks see the real length.
  // `params` (request.sampling) gets a capped max_new_tokens with cap_max_new_tokens.
  Result<std::optional<ImagePrompt>> CheckRequest(const std::vector<int32_t>& input_ids, const GenerateRequest& request,
                                                  SamplingParams& params) const {
    SGL_RETURN_IF_ERROR(CheckPrompt(input_ids));
    SGL_RETURN_IF_ERROR(ValidateSamplingParams(params));
    if (params.IsConstrained() && !grammar_queue_)
      return InvalidArgument("constrained decoding (regex, json_schema, ebnf) is off: the grammar backend is none");
    SGL_RETURN_IF_ERROR(CheckLogprobOptions(request.logprob));
    std::optional<ImagePrompt> images;
    if (!request.images.empty()) {
      if (!vision_)
        return InvalidArgument("the model ({}) does not take images: it is not a vision-language model",
                               model_->config().Summary());
      ImagePromptOptions o;
      o.vocab_size = model_->config().vocab_size;
      o.source.allow_local_files = options_.allow_local_image_files;
      SGL_ASSIGN_OR_RETURN(images, BuildImagePrompt(input_ids, request.images, *vision_, o));
    }
    const int64_t prompt_len = images ? static_cast<int64_t>(images->input_ids.size()) : static_cast<int64_t>(input_ids.size());
    if (request.cap_max_new_tokens) {
      const int64_t room = std::min(context_length_, scheduler_->capacity_tokens()) - prompt_len;
      params.max_new_tokens = static_cast<int>(std::max<int64_t>(0, std::min<int64_t>(params.max_new_tokens, room)));
    }
    const int64_t total = prompt_len + params.max_new_tokens;
    if (total > context_length_)
      return InvalidArgument("prompt ({} tokens) + max_new_tokens ({}) = {} tokens exceeds the context length of {} tokens",
                             prompt_len, params.max_new_tokens, total, context_length_);
    const int64_t capacity = scheduler_->capacity_tokens();
    if (total > capacity)
      return InvalidArgument("prompt ({} tokens) + max_new_tokens ({}) exceeds the KV cache capacity of {} tokens",
                             prompt_len, params.max_new_tokens, capacity);
    return images;
  }

  void AttachImages(ImagePrompt& prompt, Request& req) const {
    req.images = std::move(prompt.images);
    req.image_token_id = vision_->image_token_id();
    req.mrope = std::move(prompt.mrope);
    req.image_preprocess_seconds = prompt.preprocess_seconds;
  }

  Status CheckLogprobOptions(const LogprobOptions& o) const {
    if (!o.return_logprob) return Status::Ok();
    if (o.logprob_start_len < -1) return InvalidArgument("logprob_start_len must be >= -1, got {}", o.logprob_start_len);
    if (o.top_logprobs_num < 0) return InvalidArgument("top_logprobs_num must be >= 0, got {}", o.top_logprobs_num);
    const int64_t vocab = model_->config().vocab_size;
    for (int32_t id : o.token_ids_logprob)
      if (id < 0 || id >= vocab) return InvalidArgument("token_ids_logprob: id {} is outside the vocabulary [0, {})", id, vocab);
    return Status::Ok();
  }

  Status CheckPrompt(const std::vector<int32_t>& ids) const {
    if (ids.empty()) return InvalidArgument("the prompt is empty");
    const int64_t vocab = model_->config().vocab_size;
    for (int32_t id : ids)
      if (id < 0 || id >= vocab) return InvalidArgument("token id {} is outside the vocabulary [0, {})", id, vocab);
    return Status::Ok();
  }

  EngineOptions options_;
  int64_t context_length_ = 0;
  std::unique_ptr<Backend> backend_;  // with tp_size 1; the ranks' backends are the model's
  std::unique_ptr<Model> model_;
  // The model's vision side (VLMs; null otherwise): Preprocess on callers' threads, Encode
  // on the encode queue's, over vision_backend_.
  std::unique_ptr<Backend> vision_backend_;
  std::unique_ptr<multimodal::VisionModel> vision_;
  std::unique_ptr<Tokenizer> tokenizer_;
  std::unique_ptr<Scheduler> scheduler_;
  std::unique_ptr<GrammarQueue> grammar_queue_;      // null with grammar backend "none"
  std::unique_ptr<ImageEncodeQueue> encode_queue_;  // VLMs only
  mutable std::mutex aside_mu_;
  // GUARDED_BY(aside_mu_): requests compiling or encoding, not yet at the scheduler: id -> aborted meanwhile
  std::unordered_map<uint64_t, bool> aside_;
  std::atomic<uint64_t> next_id_{0};
  static constexpr int kGrammarThreads = 2;
};

}  // namespace

Result<GenerateResult> Engine::Generate(const std::vector<int32_t>& input_ids, const SamplingParams& params,
                                        const std::function<void(int32_t)>& on_token) {
  GenerateRequest request;
  request.input_ids = input_ids;
  request.sampling = params;
  DeltaCallback on_delta;
  if (on_token)
    on_delta = [&on_token](const GenerateDelta& d) {
      for (int32_t t : d.token_ids) on_token(t);
    };
  return Generate(request, std::move(on_delta));
}

Result<std::unique_ptr<Engine>> Engine::Create(const EngineOptions& options) {
  auto engine = std::make_unique<LocalEngine>();
  SGL_RETURN_IF_ERROR(engine->Init(options));
  return std::unique_ptr<Engine>(std::move(engine));
}

}  // namespace sgl
