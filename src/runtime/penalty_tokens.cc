#include "runtime/penalty_tokens.h"

#include <algorithm>

namespace sgl {

void PenaltyTokens::Update(std::span<const int32_t> prompt, std::span<const int32_t> output) {
  const bool grown_from_here = absorbed_ && prompt.size() == num_prompt_tokens_ && output.size() >= num_output_tokens_ &&
                               (num_output_tokens_ == 0 || output[num_output_tokens_ - 1] == last_output_token_);
  if (!grown_from_here) {
    Reset();
    seen_.assign(prompt.begin(), prompt.end());  // sorted once, not inserted token by token
    std::sort(seen_.begin(), seen_.end());
    seen_.erase(std::unique(seen_.begin(), seen_.end()), seen_.end());
    num_prompt_tokens_ = prompt.size();
    absorbed_ = true;
  }
  for (size_t i = num_output_tokens_; i < output.size(); ++i) {
    AddSeen(output[i]);
    AddOutput(output[i]);
  }
  num_output_tokens_ = output.size();
  if (!output.empty()) last_output_token_ = output.back();
}

void PenaltyTokens::Reset() {
  seen_.clear();
  counts_.clear();
  num_prompt_tokens_ = num_output_tokens_ = 0;
  absorbed_ = false;
}

void PenaltyTokens::AddSeen(int32_t token) {
  auto it = std::lower_bound(seen_.begin(), seen_.end(), token);
  if (it == seen_.end() || *it != token) seen_.insert(it, token);
}

void PenaltyTokens::AddOutput(int32_t token) {
  auto it = std::lower_bound(counts_.begin(), counts_.end(), token, [](const Count& c, int32_t t) { return c.token < t; });
  if (it == counts_.end() || it->token != token) it = counts_.insert(it, Count{token, 0});
  ++it->count;
}

}  // namespace sgl
