// How select picks a choice, exactly as SGLang's RuntimeEndpoint.select does with its
// default method (token_length_normalized): the mean of each choice prompt's logprobs
// from two tokens before the choice on (zero and missing logprobs left out of the mean),
// minus the first of those tokens when the prompt text already ends with it ("token
// healing" did not happen), then the first choice with the highest mean. Pure functions.
#pragma once

#include <string>
#include <vector>

#include "lang/backend.h"

namespace sgl::lang {

struct ChoiceDecision {
  size_t index = 0;
  std::vector<double> normalized_prompt_logprobs;  // one per choice
};

// `logprobs[i]` are choice i's prompt positions from logprob_start_len on (see above);
// `prompt_text` the state's text before the choice. REQUIRES: one entry per choice, at
// least one choice.
ChoiceDecision TokenLengthNormalized(const std::string& prompt_text,
                                     const std::vector<std::vector<PromptTokenLogprob>>& logprobs);

}  // namespace sgl::lang
