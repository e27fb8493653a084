#include "lang/choice_selection.h"

#include <cmath>
#include <limits>

namespace sgl::lang {
namespace {

// compute_normalized_prompt_logprobs: Python's `if x[0]` drops None and 0.0 alike.
double MeanOfTruthy(const std::vector<PromptTokenLogprob>& positions) {
  double sum = 0;
  int count = 0;
  for (const PromptTokenLogprob& p : positions)
    if (p.logprob && *p.logprob != 0) {
      sum += *p.logprob;
      ++count;
    }
  return count == 0 ? -std::numeric_limits<double>::infinity() : sum / count;
}

}  // namespace

ChoiceDecision TokenLengthNormalized(const std::string& prompt_text,
                                     const std::vector<std::vector<PromptTokenLogprob>>& logprobs) {
  ChoiceDecision d;
  for (const std::vector<PromptTokenLogprob>& positions : logprobs) {
    double normalized = MeanOfTruthy(positions);
    const size_t n = positions.size();
    if (n > 1 && prompt_text.ends_with(positions[0].text)) {
      // The first scored token is still the prompt's own: take it back out of the mean.
      normalized = (normalized * static_cast<double>(n) - positions[0].logprob.value_or(0)) / static_cast<double>(n - 1);
    }
    d.normalized_prompt_logprobs.push_back(normalized);
  }
  for (size_t i = 1; i < d.normalized_prompt_logprobs.size(); ++i)
    if (d.normalized_prompt_logprobs[i] > d.normalized_prompt_logprobs[d.index]) d.index = i;
  return d;
}

}  // namespace sgl::lang
