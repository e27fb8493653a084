// ScriptedBackend: a Backend for tests that need no model: it reports a given model path,
// answers each Generate with the next scripted text (recording the prompt and sampling it
// was sent), and scores choices with scripted logprobs.
#pragma once

#include <deque>
#include <mutex>

#include "lang/backend.h"

namespace sgl::lang::test {

class ScriptedBackend : public Backend {
 public:
  explicit ScriptedBackend(std::string model_path) : model_path_(std::move(model_path)) {}

  std::deque<std::string> answers;
  std::vector<Prompt> prompts;
  std::vector<SamplingParams> samplings;
  int prefills = 0;

  std::string model_path() const override { return model_path_; }
  Result<GenOutput> Generate(const Prompt& prompt, const SamplingParams& sampling, const TextCallback& on_text) override {
    std::lock_guard lock(mu_);
    prompts.push_back(prompt);
    samplings.push_back(sampling);
    if (answers.empty()) return InvalidArgument("no scripted answer left");
    GenOutput out{answers.front(), {}};
    answers.pop_front();
    if (on_text) on_text(out.text);
    return out;
  }
  Result<int64_t> Prefill(const Prompt& prompt) override {
    std::lock_guard lock(mu_);
    ++prefills;
    return static_cast<int64_t>(prompt.text.size());
  }
  Result<std::vector<std::vector<PromptTokenLogprob>>> PromptLogprobs(const std::vector<std::string>& texts,
                                                                      const std::vector<std::string>&,
                                                                      int64_t) override {
    return Unsupported("ScriptedBackend does not score prompts");
  }

 private:
  std::mutex mu_;
  std::string model_path_;
};

}  // namespace sgl::lang::test
