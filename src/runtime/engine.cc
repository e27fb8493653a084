// The single-request Engine: one model, one CPU backend, the KV cache used as one
// contiguous page table [0, prompt + generated). Prompts are prefilled in chunks.
#include "sgl/engine.h"

#include <chrono>
#include <numeric>

#include "backend/cpu/cpu_backend.h"
#include "model/model.h"
#include "runtime/sampler.h"

namespace sgl {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

class LocalEngine final : public Engine {
 public:
  Status Init(const EngineOptions& options) {
    options_ = options;
    if (options.device != "cpu") return Unsupported("device '{}' is not available in this build (use cpu)", options.device);
    if (options.chunked_prefill_size <= 0) return InvalidArgument("chunked prefill size must be positive");
    backend_ = std::make_unique<CpuBackend>(options.num_threads);
    SGL_ASSIGN_OR_RETURN(model_, LoadModel(options.model_path, *backend_));
    const ModelConfig& c = model_->config();
    capacity_ = options.max_total_tokens > 0 ? options.max_total_tokens : std::min<int64_t>(c.context_length, 4096);
    KvCacheShape shape{c.num_layers, capacity_, c.num_kv_heads, c.head_dim};
    return backend_->CreateKvCache(shape);
  }

  ModelInfo Info() const override {
    const ModelConfig& c = model_->config();
    return {options_.model_path, model_->files().Description(), c.Summary(), backend_->Name(), c.vocab_size,
            c.context_length, capacity_};
  }

  Result<GenerateResult> Generate(const std::vector<int32_t>& input_ids, const SamplingParams& params,
                                  const std::function<void(int32_t)>& on_token) override {
    SGL_RETURN_IF_ERROR(CheckPrompt(input_ids));
    if (params.max_new_tokens < 0) return InvalidArgument("max_new_tokens must be >= 0");
    const int64_t total = static_cast<int64_t>(input_ids.size()) + params.max_new_tokens;
    if (total > capacity_)
      return InvalidArgument("prompt ({} tokens) + max_new_tokens ({}) exceeds the KV cache capacity of {} tokens",
                             input_ids.size(), params.max_new_tokens, capacity_);

    GenerateResult result;
    result.stats.prompt_tokens = static_cast<int64_t>(input_ids.size());
    Sampler sampler(params.seed.value_or(options_.random_seed));
    std::vector<float> logits;
    const auto prefill_start = Clock::now();
    SGL_RETURN_IF_ERROR(Prefill(input_ids, /*all_logits=*/false, &logits));
    result.stats.prefill_seconds = SecondsSince(prefill_start);

    const auto decode_start = Clock::now();
    std::vector<int32_t> slots(input_ids.size());
    std::iota(slots.begin(), slots.end(), 0);
    result.finish_reason = "length";
    for (int step = 0; step < params.max_new_tokens; ++step) {
      if (step > 0) {
        ForwardBatch batch;
        slots.push_back(static_cast<int32_t>(slots.size()));
        batch.AddSequence({result.output_ids.back()}, slots, /*want_logits=*/true);
        SGL_RETURN_IF_ERROR(model_->Forward(batch, &logits));
      }
      const int32_t token = sampler.Sample(logits, params);
      result.output_ids.push_back(token);
      if (on_token) on_token(token);
      if (IsStop(token, params)) {
        result.finish_reason = "stop";
        break;
      }
    }
    result.stats.completion_tokens = static_cast<int64_t>(result.output_ids.size());
    result.stats.decode_seconds = SecondsSince(decode_start);
    return result;
  }

  Result<std::vector<float>> PromptLogits(const std::vector<int32_t>& input_ids) override {
    SGL_RETURN_IF_ERROR(CheckPrompt(input_ids));
    if (static_cast<int64_t>(input_ids.size()) > capacity_)
      return InvalidArgument("prompt of {} tokens exceeds the KV cache capacity of {} tokens", input_ids.size(), capacity_);
    std::vector<float> logits;
    SGL_RETURN_IF_ERROR(Prefill(input_ids, /*all_logits=*/true, &logits));
    return logits;
  }

 private:
  Status CheckPrompt(const std::vector<int32_t>& ids) const {
    if (ids.empty()) return InvalidArgument("the prompt is empty");
    const int64_t vocab = model_->config().vocab_size;
    for (int32_t id : ids)
      if (id < 0 || id >= vocab) return InvalidArgument("token id {} is outside the vocabulary [0, {})", id, vocab);
    return Status::Ok();
  }

  bool IsStop(int32_t token, const SamplingParams& params) const {
    const auto& stops = params.stop_token_ids;
    if (std::find(stops.begin(), stops.end(), token) != stops.end()) return true;
    const auto& eos = model_->config().eos_token_ids;
    return !params.ignore_eos && std::find(eos.begin(), eos.end(), token) != eos.end();
  }

  // Runs the prompt in chunks from slot 0. Leaves in `logits` the last position's row, or
  // every position's rows when `all_logits`.
  Status Prefill(const std::vector<int32_t>& ids, bool all_logits, std::vector<float>* logits) {
    const int64_t vocab = model_->config().vocab_size;
    std::vector<float> chunk_logits;
    if (all_logits) logits->clear();
    std::vector<int32_t> slots;
    for (size_t begin = 0; begin < ids.size(); begin += options_.chunked_prefill_size) {
      const size_t end = std::min(ids.size(), begin + static_cast<size_t>(options_.chunked_prefill_size));
      while (slots.size() < end) slots.push_back(static_cast<int32_t>(slots.size()));
      ForwardBatch batch;
      const bool last_chunk = end == ids.size();
      batch.AddSequence(std::vector<int32_t>(ids.begin() + begin, ids.begin() + end), slots, !all_logits && last_chunk);
      if (all_logits) {
        batch.logit_rows.resize(end - begin);
        std::iota(batch.logit_rows.begin(), batch.logit_rows.end(), 0);
      }
      SGL_RETURN_IF_ERROR(model_->Forward(batch, &chunk_logits));
      if (all_logits) logits->insert(logits->end(), chunk_logits.begin(), chunk_logits.end());
    }
    if (!all_logits) logits->assign(chunk_logits.end() - vocab, chunk_logits.end());
    return Status::Ok();
  }

  EngineOptions options_;
  std::unique_ptr<CpuBackend> backend_;
  std::unique_ptr<Model> model_;
  int64_t capacity_ = 0;
};

}  // namespace

Result<std::unique_ptr<Engine>> Engine::Create(const EngineOptions& options) {
  auto engine = std::make_unique<LocalEngine>();
  SGL_RETURN_IF_ERROR(engine->Init(options));
  return std::unique_ptr<Engine>(std::move(engine));
}

}  // namespace sgl
