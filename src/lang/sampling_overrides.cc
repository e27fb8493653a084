#include "lang/sampling_overrides.h"

namespace sgl::lang {
namespace {

template <typename T>
void Override(T& field, const std::optional<T>& value) {
  if (value) field = *value;
}

}  // namespace

RunOptions WithOverrides(RunOptions options, const SamplingOverrides& o) {
  SamplingParams& d = options.defaults;
  Override(d.max_new_tokens, o.max_new_tokens);
  Override(d.min_new_tokens, o.min_new_tokens);
  Override(d.temperature, o.temperature);
  Override(d.top_p, o.top_p);
  Override(d.top_k, o.top_k);
  Override(d.min_p, o.min_p);
  Override(d.frequency_penalty, o.frequency_penalty);
  Override(d.presence_penalty, o.presence_penalty);
  Override(d.ignore_eos, o.ignore_eos);
  Override(d.stop, o.stop);
  Override(d.stop_token_ids, o.stop_token_ids);
  return options;
}

}  // namespace sgl::lang
