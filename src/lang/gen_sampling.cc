#include "lang/gen_sampling.h"

namespace sgl::lang {
namespace {

template <typename T, typename U>
void Override(T& field, const std::optional<U>& value) {
  if (value) field = *value;
}

}  // namespace

SamplingParams ResolveGenSampling(const SamplingParams& defaults, const GenOptions& o,
                                  const std::vector<std::string>& template_stop) {
  SamplingParams p = defaults;
  Override(p.max_new_tokens, o.max_tokens);
  Override(p.min_new_tokens, o.min_tokens);
  Override(p.temperature, o.temperature);
  Override(p.top_p, o.top_p);
  Override(p.top_k, o.top_k);
  Override(p.min_p, o.min_p);
  Override(p.frequency_penalty, o.frequency_penalty);
  Override(p.presence_penalty, o.presence_penalty);
  Override(p.ignore_eos, o.ignore_eos);
  if (!o.stop.empty()) p.stop = o.stop;
  if (!o.stop_token_ids.empty()) p.stop_token_ids = o.stop_token_ids;
  if (o.regex) p.regex = o.regex;
  if (o.json_schema) p.json_schema = o.json_schema;
  if (o.ebnf) p.ebnf = o.ebnf;
  p.stop.insert(p.stop.end(), template_stop.begin(), template_stop.end());
  p.skip_special_tokens = true;
  p.spaces_between_special_tokens = true;
  return p;
}

}  // namespace sgl::lang
