// SGLang's `sampling_params` JSON object <-> SamplingParams, with SGLang's defaults (a null
// field is the default), its validation rules (the messages say which field and which
// range) and `n`, the number of samples per prompt.
#pragma once

#include <string>

#include "server/json_fields.h"
#include "sgl/sampling_params.h"

namespace sgl::server {

struct SamplingRequest {
  SamplingParams params;
  int n = 1;
};

// `object` may be null (all defaults). Unknown fields are refused, as SGLang does.
Result<SamplingRequest> ParseSamplingParams(const Json* object, const std::string& path, int64_t vocab_size);

// SGLang's range checks; `path` prefixes the field names in messages.
Status ValidateSamplingParams(const SamplingParams& p, int64_t vocab_size, const std::string& path);

// The fields SGLang's sampling_params and the OpenAI routes (with SGLang's extras) share:
// temperature, top_p, top_k, min_p, the three penalties, stop, stop_token_ids, ignore_eos,
// skip_special_tokens, spaces_between_special_tokens, no_stop_trim, seed, logit_bias.
Status ReadSharedSamplingFields(const JsonFields& fields, SamplingParams& p);

// The constraint fields, SGLang's names: `regex`, `json_schema` (a string; an object is
// taken as its JSON text) and `ebnf`, at most one; "" or null means unset (SGLang's
// frontend sends ""). `structural_tag` and `stop_regex` are refused as unsupported.
Status ReadConstraintFields(const JsonFields& fields, SamplingParams& p);

// `logit_bias`: an object of token id (as a string) -> bias.
Status ReadLogitBias(const JsonFields& fields, std::map<int32_t, float>& out);

// The parameters as /get_server_info and logs show them.
Json SamplingParamsToJson(const SamplingParams& p);

}  // namespace sgl::server
