#include "lang/http_backend.h"

#include <nlohmann/json.hpp>

namespace sgl::lang {
namespace {

using Json = nlohmann::json;

Result<Json> ParseJson(const std::string& text, const char* what) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Corrupt("{}: the server's answer is not JSON: {}", what, text.substr(0, 200));
  return j;
}

// RuntimeEndpoint sends only one image ("Only support one image.").
Status AddImages(const std::vector<std::string>& images_base64, Json& body) {
  if (images_base64.size() > 1) return InvalidArgument("only one image per prompt is supported over HTTP");
  if (!images_base64.empty()) body["image_data"] = images_base64[0];
  return Status::Ok();
}

// Program text may hold any bytes; invalid UTF-8 travels as U+FFFD instead of failing.
std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

Json OrNull(const std::optional<std::string>& s) { return s ? Json(*s) : Json(nullptr); }

// The sampling_params RuntimeEndpoint.generate sends (SglSamplingParams.to_srt_kwargs).
Json SamplingJson(const SamplingParams& p) {
  return Json{{"skip_special_tokens", p.skip_special_tokens},
              {"spaces_between_special_tokens", p.spaces_between_special_tokens},
              {"max_new_tokens", p.max_new_tokens},
              {"min_new_tokens", p.min_new_tokens},
              {"n", 1},
              {"stop", p.stop},
              {"stop_token_ids", p.stop_token_ids},
              {"temperature", p.temperature},
              {"top_p", p.top_p},
              {"top_k", p.top_k},
              {"min_p", p.min_p},
              {"frequency_penalty", p.frequency_penalty},
              {"presence_penalty", p.presence_penalty},
              {"ignore_eos", p.ignore_eos},
              {"regex", OrNull(p.regex)},
              {"json_schema", OrNull(p.json_schema)},
              {"ebnf", OrNull(p.ebnf)}};
}

Result<GenMeta> MetaOf(const Json& answer) {
  const Json* meta = answer.is_object() && answer.contains("meta_info") ? &answer["meta_info"] : nullptr;
  if (meta == nullptr || !meta->is_object()) return Corrupt("the server's answer has no meta_info: {}", answer.dump());
  GenMeta m;
  m.prompt_tokens = meta->value("prompt_tokens", int64_t{0});
  m.completion_tokens = meta->value("completion_tokens", int64_t{0});
  m.cached_tokens = meta->value("cached_tokens", int64_t{0});
  if (const auto it = meta->find("finish_reason"); it != meta->end() && it->is_object())
    m.finish_reason = it->value("type", "");
  return m;
}

Result<std::vector<PromptTokenLogprob>> LogprobsOf(const Json& answer) {
  const Json& meta = answer.value("meta_info", Json::object());
  const auto it = meta.find("input_token_logprobs");
  if (it == meta.end() || !it->is_array()) return Corrupt("the server's answer has no input_token_logprobs");
  std::vector<PromptTokenLogprob> out;
  for (const Json& t : *it) {
    if (!t.is_array() || t.size() < 3 || !t[1].is_number_integer()) return Corrupt("a malformed logprob entry: {}", t.dump());
    PromptTokenLogprob p;
    if (t[0].is_number()) p.logprob = t[0].get<double>();
    p.token_id = t[1].get<int32_t>();
    p.text = t[2].is_string() ? t[2].get<std::string>() : "";
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<HttpBackend>> HttpBackend::Connect(const std::string& base_url, const std::string& api_key) {
  SGL_ASSIGN_OR_RETURN(HttpClient client, HttpClient::Create(base_url, api_key));
  SGL_ASSIGN_OR_RETURN(std::string body, client.Get("/get_model_info"));
  SGL_ASSIGN_OR_RETURN(Json info, ParseJson(body, "/get_model_info"));
  if (!info.is_object() || !info.contains("model_path") || !info["model_path"].is_string())
    return Corrupt("/get_model_info has no model_path: {}", body.substr(0, 200));
  return std::unique_ptr<HttpBackend>(new HttpBackend(std::move(client), info["model_path"].get<std::string>()));
}

Result<GenOutput> HttpBackend::Generate(const Prompt& prompt, const SamplingParams& sampling,
                                        const TextCallback& on_text) {
  Json body = {{"text", prompt.text}, {"sampling_params", SamplingJson(sampling)}};
  SGL_RETURN_IF_ERROR(AddImages(prompt.images_base64, body));
  if (!on_text) {
    SGL_ASSIGN_OR_RETURN(std::string text, client_.Post("/generate", Dump(body)));
    SGL_ASSIGN_OR_RETURN(Json answer, ParseJson(text, "/generate"));
    SGL_ASSIGN_OR_RETURN(GenMeta meta, MetaOf(answer));
    if (!answer["text"].is_string()) return Corrupt("/generate answered without text");
    return GenOutput{answer["text"].get<std::string>(), meta};
  }
  // Server-sent events: each `data:` line holds the cumulative text so far.
  body["stream"] = true;
  GenOutput out;
  std::string pending;
  Status event_error;
  auto on_event = [&](const std::string& data) {
    Result<Json> event = ParseJson(data, "/generate stream");
    if (!event.ok()) return event_error = event.status(), void();
    if (!event->is_object()) return event_error = Corrupt("/generate stream: an event is not an object"), void();
    if (event->contains("error")) return event_error = InvalidArgument("/generate: {}", (*event)["error"].dump()), void();
    const Json& text = (*event)["text"];
    if (!text.is_string()) return event_error = Corrupt("/generate stream: an event without text"), void();
    const std::string cumulative = text.get<std::string>();
    if (cumulative.size() > out.text.size() && cumulative.starts_with(out.text)) {
      on_text(std::string_view(cumulative).substr(out.text.size()));
      out.text = cumulative;
    }
    if (Result<GenMeta> meta = MetaOf(*event); meta.ok()) out.meta = *meta;
  };
  SGL_RETURN_IF_ERROR(client_.PostStreaming("/generate", Dump(body), [&](std::string_view piece) {
    pending += piece;
    for (size_t end; (end = pending.find('\n')) != std::string::npos;) {
      std::string line = pending.substr(0, end);
      pending.erase(0, end + 1);
      if (!line.starts_with("data:") || line == "data: [DONE]" || !event_error.ok()) continue;
      on_event(line.substr(5));
    }
  }));
  SGL_RETURN_IF_ERROR(event_error);
  return out;
}

Result<int64_t> HttpBackend::Prefill(const Prompt& prompt) {
  Json body = {{"text", prompt.text}, {"sampling_params", {{"max_new_tokens", 0}}}};
  SGL_RETURN_IF_ERROR(AddImages(prompt.images_base64, body));
  SGL_ASSIGN_OR_RETURN(std::string text, client_.Post("/generate", Dump(body)));
  SGL_ASSIGN_OR_RETURN(Json answer, ParseJson(text, "/generate"));
  SGL_ASSIGN_OR_RETURN(GenMeta meta, MetaOf(answer));
  return meta.prompt_tokens;
}

Result<std::vector<std::vector<PromptTokenLogprob>>> HttpBackend::PromptLogprobs(
    const std::vector<std::string>& texts, const std::vector<std::string>& images_base64, int64_t logprob_start_len) {
  Json body = {{"text", texts},
               {"sampling_params", {{"max_new_tokens", 0}, {"temperature", 0}}},
               {"return_logprob", true},
               {"return_text_in_logprobs", true},
               {"logprob_start_len", logprob_start_len}};
  SGL_RETURN_IF_ERROR(AddImages(images_base64, body));
  SGL_ASSIGN_OR_RETURN(std::string text, client_.Post("/generate", Dump(body)));
  SGL_ASSIGN_OR_RETURN(Json answer, ParseJson(text, "/generate"));
  if (!answer.is_array() || answer.size() != texts.size())
    return Corrupt("/generate answered {} items for {} prompts", answer.is_array() ? answer.size() : 0, texts.size());
  std::vector<std::vector<PromptTokenLogprob>> out;
  for (const Json& item : answer) {
    SGL_ASSIGN_OR_RETURN(std::vector<PromptTokenLogprob> positions, LogprobsOf(item));
    out.push_back(std::move(positions));
  }
  return out;
}

Status HttpBackend::FlushCache() { return client_.Post("/flush_cache", "").status(); }

}  // namespace sgl::lang
