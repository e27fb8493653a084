// EngineBackend: the frontend language on the in-process sgl::Engine (the default
// backend). Prompts are tokenized as `sgl serve` tokenizes /generate text, so a program
// builds the same tokens here as over HTTP; consecutive gens and forks share their KV
// prefixes through the engine's radix cache. Thread-safe; the engine must outlive it.
#pragma once

#include <memory>

#include "lang/backend.h"
#include "sgl/engine.h"

namespace sgl::lang {

class EngineBackend : public Backend {
 public:
  explicit EngineBackend(Engine& engine) : engine_(engine) {}

  std::string model_path() const override;
  Result<GenOutput> Generate(const Prompt& prompt, const SamplingParams& sampling, const TextCallback& on_text) override;
  Result<int64_t> Prefill(const Prompt& prompt) override;
  Result<std::vector<std::vector<PromptTokenLogprob>>> PromptLogprobs(const std::vector<std::string>& texts,
                                                                      const std::vector<std::string>& images_base64,
                                                                      int64_t logprob_start_len) override;

 private:
  Result<GenerateRequest> Request(const Prompt& prompt, const SamplingParams& sampling) const;

  Engine& engine_;
};

}  // namespace sgl::lang
