#include "server/sampling_params_json.h"

#include <cmath>
#include <set>

namespace sgl::server {
namespace {

std::string Field(const std::string& path, const char* name) { return path.empty() ? name : path + "." + name; }

}  // namespace

Status ReadLogitBias(const JsonFields& f, std::map<int32_t, float>& out) {
  const Json* v = f.Find("logit_bias");
  if (!v) return Status::Ok();
  if (!v->is_object()) return f.WrongType("logit_bias", "an object of token id -> bias");
  for (const auto& [key, bias] : v->items()) {
    char* end = nullptr;
    const long id = std::strtol(key.c_str(), &end, 10);
    if (key.empty() || *end != '\0' || id < 0 || id > INT32_MAX)
      return InvalidArgument("'{}' has key '{}', which is not a token id", f.Name("logit_bias"), key);
    if (!bias.is_number()) return InvalidArgument("'{}[\"{}\"]' must be a number", f.Name("logit_bias"), key);
    out[static_cast<int32_t>(id)] = bias.get<float>();
  }
  return Status::Ok();
}

Status ReadConstraintFields(const JsonFields& f, SamplingParams& p) {
  // SGLang's Python frontend sends these empty ("" or []) when unused.
  auto given = [&](const char* name) {
    const Json* v = f.Find(name);
    if (v == nullptr) return false;
    if (v->is_string()) return !v->get_ref<const std::string&>().empty();  // Json::empty() is false for any string
    return !(v->is_array() && v->empty());
  };
  int constraints = 0;
  for (const char* name : {"regex", "json_schema", "ebnf", "structural_tag"}) constraints += given(name) ? 1 : 0;
  if (constraints > 1) return InvalidArgument("Only one of regex, json_schema, or ebnf can be set.");
  for (const char* name : {"structural_tag", "stop_regex"})
    if (given(name)) return Unsupported("'{}' is not supported", f.Name(name));
  auto read_text = [&](const char* name, std::optional<std::string>& out) -> Status {
    if (!given(name)) return Status::Ok();
    const Json& v = *f.Find(name);
    if (v.is_string()) {
      out = v.get<std::string>();
    } else if (std::string_view(name) == "json_schema" && v.is_object()) {
      out = v.dump();
    } else {
      return f.WrongType(name, std::string_view(name) == "json_schema" ? "a string (or a schema object)" : "a string");
    }
    return Status::Ok();
  };
  SGL_RETURN_IF_ERROR(read_text("regex", p.regex));
  SGL_RETURN_IF_ERROR(read_text("json_schema", p.json_schema));
  return read_text("ebnf", p.ebnf);
}

Status ReadSharedSamplingFields(const JsonFields& f, SamplingParams& p) {
  SGL_RETURN_IF_ERROR(f.Read("temperature", p.temperature));
  SGL_RETURN_IF_ERROR(f.Read("top_p", p.top_p));
  SGL_RETURN_IF_ERROR(f.Read("top_k", p.top_k));
  SGL_RETURN_IF_ERROR(f.Read("min_p", p.min_p));
  SGL_RETURN_IF_ERROR(f.Read("frequency_penalty", p.frequency_penalty));
  SGL_RETURN_IF_ERROR(f.Read("presence_penalty", p.presence_penalty));
  SGL_RETURN_IF_ERROR(f.Read("repetition_penalty", p.repetition_penalty));
  SGL_RETURN_IF_ERROR(f.Read("stop", p.stop));
  SGL_RETURN_IF_ERROR(f.Read("stop_token_ids", p.stop_token_ids));
  SGL_RETURN_IF_ERROR(f.Read("ignore_eos", p.ignore_eos));
  SGL_RETURN_IF_ERROR(f.Read("skip_special_tokens", p.skip_special_tokens));
  SGL_RETURN_IF_ERROR(f.Read("spaces_between_special_tokens", p.spaces_between_special_tokens));
  SGL_RETURN_IF_ERROR(f.Read("no_stop_trim", p.no_stop_trim));
  SGL_RETURN_IF_ERROR(f.Read("seed", p.seed));
  return ReadLogitBias(f, p.logit_bias);
}

Result<SamplingRequest> ParseSamplingParams(const Json* object, const std::string& path, int64_t vocab_size) {
  SamplingRequest out;
  if (object == nullptr || object->is_null()) return out;
  if (!object->is_object()) return InvalidArgument("'{}' must be an object", path);
  static const std::set<std::string> kKnown = {
      "max_new_tokens", "min_new_tokens", "temperature", "top_p", "top_k", "min_p", "frequency_penalty",
      "presence_penalty", "repetition_penalty", "stop", "stop_token_ids", "ignore_eos", "skip_special_tokens",
      "spaces_between_special_tokens", "no_stop_trim", "n", "logit_bias", "seed", "sampling_seed", "regex",
      "json_schema", "ebnf", "structural_tag", "stop_regex", "custom_params", "stream_interval"};
  for (const auto& [key, value] : object->items())
    if (!kKnown.contains(key)) return InvalidArgument("'{}' is not a sampling parameter", Field(path, key.c_str()));
  const JsonFields f(*object, path);
  SamplingParams& p = out.params;
  SGL_RETURN_IF_ERROR(f.Read("max_new_tokens", p.max_new_tokens));
  SGL_RETURN_IF_ERROR(f.Read("min_new_tokens", p.min_new_tokens));
  SGL_RETURN_IF_ERROR(ReadSharedSamplingFields(f, p));
  SGL_RETURN_IF_ERROR(f.Read("n", out.n));
  SGL_RETURN_IF_ERROR(f.Read("sampling_seed", p.seed));
  int stream_interval = 1;
  SGL_RETURN_IF_ERROR(f.Read("stream_interval", stream_interval));
  SGL_RETURN_IF_ERROR(ReadConstraintFields(f, p));
  if (out.n < 1) return InvalidArgument("'{}' must be >= 1, got {}", f.Name("n"), out.n);
  SGL_RETURN_IF_ERROR(ValidateSamplingParams(p, vocab_size, path));
  return out;
}

Status ValidateSamplingParams(const SamplingParams& p, int64_t vocab_size, const std::string& path) {
  auto bad = [&](const char* name, const std::string& rule, auto value) {
    return InvalidArgument("'{}' must be {}, got {}", Field(path, name), rule, value);
  };
  if (!std::isfinite(p.temperature) || p.temperature < 0) return bad("temperature", "non-negative", p.temperature);
  if (!(p.top_p > 0 && p.top_p <= 1)) return bad("top_p", "in (0, 1]", p.top_p);
  if (!(p.min_p >= 0 && p.min_p <= 1)) return bad("min_p", "in [0, 1]", p.min_p);
  if (p.top_k < 1 && p.top_k != -1) return bad("top_k", "-1 (all tokens) or >= 1", p.top_k);
  if (!(p.frequency_penalty >= -2 && p.frequency_penalty <= 2))
    return bad("frequency_penalty", "in [-2, 2]", p.frequency_penalty);
  if (!(p.presence_penalty >= -2 && p.presence_penalty <= 2)) return bad("presence_penalty", "in [-2, 2]", p.presence_penalty);
  if (!(p.repetition_penalty > 0 && p.repetition_penalty <= 2))
    return bad("repetition_penalty", "in (0, 2]", p.repetition_penalty);
  if (p.max_new_tokens < 0) return bad("max_new_tokens", "non-negative", p.max_new_tokens);
  if (p.min_new_tokens < 0 || p.min_new_tokens > p.max_new_tokens)
    return bad("min_new_tokens", fmt::format("in [0, max_new_tokens = {}]", p.max_new_tokens), p.min_new_tokens);
  for (const auto& [id, bias] : p.logit_bias)
    if (id >= vocab_size) return InvalidArgument("'{}' has token id {}, outside the vocabulary of {}", Field(path, "logit_bias"), id, vocab_size);
  for (int32_t id : p.stop_token_ids)
    if (id < 0 || id >= vocab_size)
      return InvalidArgument("'{}' has token id {}, outside the vocabulary of {}", Field(path, "stop_token_ids"), id, vocab_size);
  return Status::Ok();
}

Json SamplingParamsToJson(const SamplingParams& p) {
  Json j = {{"max_new_tokens", p.max_new_tokens},
            {"min_new_tokens", p.min_new_tokens},
            {"temperature", p.temperature},
            {"top_p", p.top_p},
            {"top_k", p.top_k},
            {"min_p", p.min_p},
            {"frequency_penalty", p.frequency_penalty},
            {"presence_penalty", p.presence_penalty},
            {"repetition_penalty", p.repetition_penalty},
            {"stop", p.stop},
            {"stop_token_ids", p.stop_token_ids},
            {"ignore_eos", p.ignore_eos},
            {"skip_special_tokens", p.skip_special_tokens},
            {"spaces_between_special_tokens", p.spaces_between_special_tokens},
            {"no_stop_trim", p.no_stop_trim}};
  j["seed"] = p.seed ? Json(*p.seed) : Json(nullptr);
  j["regex"] = p.regex ? Json(*p.regex) : Json(nullptr);
  j["json_schema"] = p.json_schema ? Json(*p.json_schema) : Json(nullptr);
  j["ebnf"] = p.ebnf ? Json(*p.ebnf) : Json(nullptr);
  return j;
}

}  // namespace sgl::server
