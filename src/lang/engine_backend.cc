#include "lang/engine_backend.h"

#include <cmath>

#include "lang/text_channel.h"
#include "tokenizer/tokenizer.h"

namespace sgl::lang {
namespace {

GenMeta MetaOf(const GenerateResult& r) {
  return {r.stats.prompt_tokens, r.stats.completion_tokens, r.stats.cached_tokens, r.finish_reason.TypeName()};
}

}  // namespace

std::string EngineBackend::model_path() const { return engine_.Info().path; }

Result<GenerateRequest> EngineBackend::Request(const Prompt& prompt, const SamplingParams& sampling) const {
  GenerateRequest r;
  r.input_ids = engine_.tokenizer().Encode(prompt.text, true);
  if (r.input_ids.empty()) return InvalidArgument("the prompt encodes to no tokens");
  // The engine checks them: a text-only model refuses images, a VLM wants one
  // placeholder per image in the text.
  for (const std::string& image : prompt.images_base64) r.images.push_back({.source = image});
  r.sampling = sampling;
  return r;
}

Result<GenOutput> EngineBackend::Generate(const Prompt& prompt, const SamplingParams& sampling,
                                          const TextCallback& on_text) {
  SGL_ASSIGN_OR_RETURN(GenerateRequest request, Request(prompt, sampling));
  // The channel lives until Drain returns, which is after on_done has closed it: the
  // engine calls on_done after the last on_delta, and always calls it.
  TextChannel channel;
  Engine::DeltaCallback on_delta;
  if (on_text) on_delta = [&channel](const GenerateDelta& d) {
    if (!d.text.empty()) channel.Push(d.text);
  };
  GenerateHandle handle = engine_.Submit(request, on_delta, [&channel](const Result<GenerateResult>&) { channel.Close(); });
  channel.Drain(on_text);
  SGL_ASSIGN_OR_RETURN(GenerateResult result, handle.result.get());
  if (result.finish_reason.type == FinishReason::Type::kAbort)
    return Status(StatusCode::kInternal, "generation aborted: " + result.finish_reason.message);
  return GenOutput{std::move(result.text), MetaOf(result)};
}

Result<int64_t> EngineBackend::Prefill(const Prompt& prompt) {
  SamplingParams none;
  none.max_new_tokens = 0;
  SGL_ASSIGN_OR_RETURN(GenerateRequest request, Request(prompt, none));
  SGL_ASSIGN_OR_RETURN(GenerateResult result, engine_.Generate(request));
  return result.stats.prompt_tokens;
}

Result<std::vector<std::vector<PromptTokenLogprob>>> EngineBackend::PromptLogprobs(
    const std::vector<std::string>& texts, const std::vector<std::string>& images_base64, int64_t logprob_start_len) {
  SamplingParams none;
  none.max_new_tokens = 0;
  none.temperature = 0;
  std::vector<GenerateHandle> handles;
  for (const std::string& text : texts) {
    SGL_ASSIGN_OR_RETURN(GenerateRequest request, Request({text, images_base64}, none));
    request.logprob.return_logprob = true;
    request.logprob.logprob_start_len = logprob_start_len;
    handles.push_back(engine_.Submit(request, {}));  // all at once: one batch
  }
  const Tokenizer& tokenizer = engine_.tokenizer();
  std::vector<std::vector<PromptTokenLogprob>> out;
  for (GenerateHandle& h : handles) {
    SGL_ASSIGN_OR_RETURN(GenerateResult result, h.result.get());
    std::vector<PromptTokenLogprob>& positions = out.emplace_back();
    for (const PositionLogprobs& p : result.input_logprobs) {
      PromptTokenLogprob t;
      if (!std::isnan(p.token.logprob)) t.logprob = p.token.logprob;
      t.token_id = p.token.token_id;
      t.text = tokenizer.Decode(std::vector<int32_t>{p.token.token_id}, false);
      positions.push_back(std::move(t));
    }
  }
  return out;
}

}  // namespace sgl::lang
