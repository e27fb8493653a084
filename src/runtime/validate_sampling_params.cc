#include "runtime/validate_sampling_params.h"

#include <cmath>

namespace sgl {

Status ValidateSamplingParams(const SamplingParams& p) {
  if (!std::isfinite(p.temperature) || p.temperature < 0)
    return InvalidArgument("temperature must be a finite number >= 0, got {}", p.temperature);
  if (!(p.top_p > 0 && p.top_p <= 1)) return InvalidArgument("top_p must be in (0, 1], got {}", p.top_p);
  if (p.top_k < 1 && p.top_k != -1) return InvalidArgument("top_k must be -1 (disable) or >= 1, got {}", p.top_k);
  if (!(p.min_p >= 0 && p.min_p <= 1)) return InvalidArgument("min_p must be in [0, 1], got {}", p.min_p);
  if (!(p.frequency_penalty >= -2 && p.frequency_penalty <= 2))
    return InvalidArgument("frequency_penalty must be in [-2, 2], got {}", p.frequency_penalty);
  if (!(p.presence_penalty >= -2 && p.presence_penalty <= 2))
    return InvalidArgument("presence_penalty must be in [-2, 2], got {}", p.presence_penalty);
  if (!(p.repetition_penalty > 0 && p.repetition_penalty <= 2))
    return InvalidArgument("repetition_penalty must be in (0, 2], got {}", p.repetition_penalty);
  if (p.max_new_tokens < 0) return InvalidArgument("max_new_tokens must be >= 0, got {}", p.max_new_tokens);
  if (p.min_new_tokens < 0 || p.min_new_tokens > p.max_new_tokens)
    return InvalidArgument("min_new_tokens must be in [0, max_new_tokens = {}], got {}", p.max_new_tokens,
                           p.min_new_tokens);
  for (const auto& [token, bias] : p.logit_bias)
    if (!std::isfinite(bias)) return InvalidArgument("logit_bias for token {} is not finite", token);
  if (int(p.regex.has_value()) + int(p.json_schema.has_value()) + int(p.ebnf.has_value()) > 1)
    return InvalidArgument("only one of regex, json_schema and ebnf can be given");
  return Status::Ok();
}

}  // namespace sgl
