// SamplingOverrides: sampling given to one run of a program, as SGLang's
// SglFunction.run(..., temperature=0.7, max_new_tokens=512) takes it: each set field
// replaces the program's default (RunOptions::defaults) for that run, and a gen's own
// options still win over it. Plain value type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lang/run_options.h"

namespace sgl::lang {

struct SamplingOverrides {
  std::optional<int> max_new_tokens = std::nullopt;
  std::optional<int> min_new_tokens = std::nullopt;
  std::optional<float> temperature = std::nullopt;
  std::optional<float> top_p = std::nullopt;
  std::optional<int> top_k = std::nullopt;
  std::optional<float> min_p = std::nullopt;
  std::optional<float> frequency_penalty = std::nullopt;
  std::optional<float> presence_penalty = std::nullopt;
  std::optional<bool> ignore_eos = std::nullopt;
  std::optional<std::vector<std::string>> stop = std::nullopt;
  std::optional<std::vector<int32_t>> stop_token_ids = std::nullopt;
};

// `options` with its defaults replaced where `overrides` sets a field.
RunOptions WithOverrides(RunOptions options, const SamplingOverrides& overrides);

}  // namespace sgl::lang
