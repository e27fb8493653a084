#include "server/openai_api.h"

#include <cmath>
#include <ctime>

#include <spdlog/spdlog.h>

#include "server/native_api.h"
#include "server/sampling_params_json.h"

namespace sgl::server {
namespace {

using OrderedJson = nlohmann::ordered_json;

int64_t UnixNow() { return static_cast<int64_t>(std::time(nullptr)); }

double SecondsSince(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// What /v1/completions and /v1/chat/completions read alike.
struct OpenAiRequest {
  SamplingParams sampling;
  int n = 1;
  bool stream = false;
  bool include_usage = false;
  bool logprobs = false;
  int top_logprobs = 0;
  std::optional<int64_t> max_tokens;  // unset: the endpoint's default
  const ToolCallParser* tool_parser = nullptr;  // chat with tools and a --tool-call-parser
};

Status ReadStreamOptions(const JsonFields& f, OpenAiRequest& r) {
  const Json* options = f.Find("stream_options");
  if (options == nullptr) return Status::Ok();
  if (!r.stream) return InvalidArgument("Stream options can only be defined when `stream=True`.");
  if (!options->is_object()) return f.WrongType("stream_options", "an object");
  return JsonFields(*options, "stream_options").Read("include_usage", r.include_usage);
}

// OpenAI's response_format as SGLang maps it: json_object -> the schema {"type": "object"}
// (any JSON object); json_schema -> its `schema` (`strict` or not, the output follows it).
Status ReadResponseFormat(const JsonFields& f, SamplingParams& p) {
  const Json* format = f.Find("response_format");
  if (format == nullptr || format->is_null()) return Status::Ok();
  if (!format->is_object() || !format->contains("type") || !(*format)["type"].is_string())
    return InvalidArgument("'response_format' must be an object with a string 'type'");
  const std::string type = (*format)["type"].get<std::string>();
  if (type == "text") return Status::Ok();
  if (type != "json_object" && type != "json_schema")
    return Unsupported("'response_format' of type '{}' is not supported (text, json_object, json_schema are)", type);
  if (p.IsConstrained())
    return InvalidArgument("'response_format' {} cannot be combined with regex, json_schema or ebnf", type);
  if (type == "json_object") {
    p.json_schema = R"({"type": "object"})";
    return Status::Ok();
  }
  const Json* spec = format->contains("json_schema") ? &(*format)["json_schema"] : nullptr;
  if (spec == nullptr || !spec->is_object())
    return InvalidArgument("'response_format.json_schema' must be an object with 'name' and 'schema'");
  const JsonFields g(*spec, "response_format.json_schema");
  std::string name;
  bool strict = false;
  SGL_RETURN_IF_ERROR(g.Read("name", name));
  SGL_RETURN_IF_ERROR(g.Read("strict", strict));  // checked for its type; the schema is always enforced
  if (!g.Has("name")) return InvalidArgument("'response_format.json_schema.name' is required");
  const Json* schema = g.Find("schema");
  if (schema == nullptr || !(schema->is_object() || schema->is_boolean()))
    return InvalidArgument("'response_format.json_schema.schema' must be a JSON Schema object");
  p.json_schema = schema->dump();
  (void)strict;
  return Status::Ok();
}

Status ReadConstraints(const JsonFields& f, SamplingParams& p) {
  SGL_RETURN_IF_ERROR(ReadConstraintFields(f, p));  // SGLang's extras, sent through extra_body
  SGL_RETURN_IF_ERROR(ReadResponseFormat(f, p));
  if (f.Has("suffix")) return Unsupported("'suffix' is not supported");
  return Status::Ok();
}

// OpenAI's fields, then SGLang's extra sampling fields (sent through extra_body).
Result<OpenAiRequest> ReadOpenAiRequest(const JsonFields& f, int64_t vocab, bool chat) {
  OpenAiRequest r;
  SamplingParams& p = r.sampling;
  SGL_RETURN_IF_ERROR(f.Read("n", r.n));
  SGL_RETURN_IF_ERROR(f.Read("stream", r.stream));
  SGL_RETURN_IF_ERROR(ReadStreamOptions(f, r));
  SGL_RETURN_IF_ERROR(ReadSharedSamplingFields(f, p));
  SGL_RETURN_IF_ERROR(f.Read("min_tokens", p.min_new_tokens));
  SGL_RETURN_IF_ERROR(ReadConstraints(f, p));
  int64_t max_tokens = -1;
  SGL_RETURN_IF_ERROR(f.Read("max_tokens", max_tokens));
  if (chat) SGL_RETURN_IF_ERROR(f.Read("max_completion_tokens", max_tokens));
  if (f.Has("max_tokens") || (chat && f.Has("max_completion_tokens"))) {
    if (max_tokens < 0) return InvalidArgument("'max_tokens' must be >= 0, got {}", max_tokens);
    r.max_tokens = max_tokens;
  }
  if (chat) {
    SGL_RETURN_IF_ERROR(f.Read("logprobs", r.logprobs));
    SGL_RETURN_IF_ERROR(f.Read("top_logprobs", r.top_logprobs));
    if (r.top_logprobs < 0 || r.top_logprobs > 20) return InvalidArgument("'top_logprobs' must be in [0, 20]");
    if (r.top_logprobs > 0 && !r.logprobs) return InvalidArgument("'top_logprobs' requires 'logprobs' to be true");
  } else if (f.Has("logprobs")) {
    SGL_RETURN_IF_ERROR(f.Read("logprobs", r.top_logprobs));
    if (r.top_logprobs < 0) return InvalidArgument("'logprobs' must be >= 0");
    r.logprobs = true;
  }
  if (r.n < 1) return InvalidArgument("'n' must be >= 1, got {}", r.n);
  if (r.n > 128) return InvalidArgument("'n' must be <= 128, got {}", r.n);
  SGL_RETURN_IF_ERROR(ValidateSamplingParams(p, vocab, ""));
  return r;
}

// n items per prompt (prompt i's sample j is item i * n + j), each asking max_tokens.
Result<std::vector<GenerationItem>> MakeItems(ApiContext& ctx, const OpenAiRequest& r,
                                              const std::vector<std::vector<int32_t>>& prompts, bool chat,
                                              const std::string& header_id, double tokenize_seconds) {
  const ModelInfo info = ctx.engine.Info();
  std::vector<GenerationItem> items;
  for (const auto& prompt : prompts) {
    if (prompt.empty()) return InvalidArgument("the prompt is empty");
    const int64_t room = std::min(info.context_length, info.kv_capacity_tokens) - static_cast<int64_t>(prompt.size());
    if (room <= 0)
      return InvalidArgument("the prompt has {} tokens; the context holds {} (KV cache {})", prompt.size(),
                             info.context_length, info.kv_capacity_tokens);
    const int64_t max_tokens = r.max_tokens.value_or(chat ? room : 16);
    for (int j = 0; j < r.n; ++j) {
      GenerationItem item;
      item.rid = header_id.empty() ? ctx.NewRequestId() : items.empty() ? header_id : fmt::format("{}_{}", header_id, items.size());
      item.tokenize_seconds = tokenize_seconds;
      item.request.input_ids = prompt;
      item.request.sampling = r.sampling;
      item.request.sampling.max_new_tokens = static_cast<int>(std::min<int64_t>(max_tokens, INT32_MAX));
      item.request.cap_max_new_tokens = chat && !r.max_tokens;  // images make the prompt longer in the engine
      if (j > 0 && r.sampling.seed) item.request.sampling.seed = *r.sampling.seed + j;
      item.request.logprob.return_logprob = r.logprobs;
      item.request.logprob.top_logprobs_num = r.top_logprobs;
      items.push_back(std::move(item));
    }
  }
  return items;
}

const char* FinishReasonName(const FinishReason& reason) {
  switch (reason.type) {
    case FinishReason::Type::kStop: return "stop";
    case FinishReason::Type::kLength: return "length";
    case FinishReason::Type::kAbort: return "abort";
  }
  return "stop";
}

Json MatchedStop(const FinishReason& reason) {
  if (reason.type != FinishReason::Type::kStop) return nullptr;
  if (reason.matched_token) return *reason.matched_token;
  return reason.matched_text;
}

std::string TokenText(const ApiContext& ctx, int32_t id) { return ctx.tokenizer.Decode(std::vector<int32_t>{id}, false); }

Json Bytes(const std::string& s) {
  Json out = Json::array();
  for (unsigned char c : s) out.push_back(static_cast<int>(c));
  return out;
}

Json LogprobValue(float v) { return std::isnan(v) ? Json(nullptr) : Json(v); }

// Chat: {"content": [{token, logprob, bytes, top_logprobs: [...]}], "refusal": null}
Json ChatLogprobs(const ApiContext& ctx, const std::vector<PositionLogprobs>& positions, size_t begin) {
  Json content = Json::array();
  for (size_t i = begin; i < positions.size(); ++i) {
    const PositionLogprobs& p = positions[i];
    const std::string text = TokenText(ctx, p.token.token_id);
    Json top = Json::array();
    for (const TokenLogprob& t : p.top) {
      const std::string tt = TokenText(ctx, t.token_id);
      top.push_back(Json{{"token", tt}, {"logprob", LogprobValue(t.logprob)}, {"bytes", Bytes(tt)}});
    }
    content.push_back(Json{{"token", text}, {"logprob", LogprobValue(p.token.logprob)}, {"bytes", Bytes(text)}, {"top_logprobs", top}});
  }
  return Json{{"content", content}, {"refusal", nullptr}};
}

// Completions: {"tokens", "token_logprobs", "top_logprobs": [{text: logprob}], "text_offset"}
Json CompletionLogprobs(const ApiContext& ctx, const std::vector<PositionLogprobs>& positions, size_t begin,
                        size_t text_offset) {
  Json tokens = Json::array(), values = Json::array(), tops = Json::array(), offsets = Json::array();
  for (size_t i = begin; i < positions.size(); ++i) {
    const PositionLogprobs& p = positions[i];
    const std::string text = TokenText(ctx, p.token.token_id);
    tokens.push_back(text);
    values.push_back(LogprobValue(p.token.logprob));
    Json top = Json::object();
    for (const TokenLogprob& t : p.top) top[TokenText(ctx, t.token_id)] = LogprobValue(t.logprob);
    tops.push_back(std::move(top));
    offsets.push_back(text_offset);
    text_offset += text.size();
  }
  return Json{{"tokens", tokens}, {"token_logprobs", values}, {"top_logprobs", tops}, {"text_offset", offsets}};
}

Json Usage(const std::vector<GenerationItem>& items, int n) {
  int64_t prompt = 0, completion = 0, cached = 0;
  for (const GenerationItem& item : items) {
    const GenerateResult& r = **item.result;
    if (item.index % n == 0) {
      prompt += r.stats.prompt_tokens;
      cached += r.stats.cached_tokens;
    }
    completion += r.stats.completion_tokens;
  }
  return Json{{"prompt_tokens", prompt},
              {"completion_tokens", completion},
              {"total_tokens", prompt + completion},
              {"prompt_tokens_details", {{"cached_tokens", cached}}}};
}

const Status* FirstError(const std::vector<GenerationItem>& items) {
  for (const GenerationItem& item : items)
    if (!item.result->ok()) return &item.result->status();
  return nullptr;
}

// Runs the items and answers in the shape of one endpoint (chat or text completion).
class OpenAiRun {
 public:
  OpenAiRun(ApiContext& ctx, std::shared_ptr<HttpExchange> exchange, const OpenAiRequest& r, bool chat, std::string model)
      : ctx_(ctx), exchange_(std::move(exchange)), request_(r), chat_(chat), model_(std::move(model)),
        id_((chat ? "chatcmpl-" : "cmpl-") + ctx.NewRequestId()), created_(UnixNow()) {}

  static void Start(std::shared_ptr<OpenAiRun> run, std::vector<GenerationItem> items, std::vector<std::string> echo) {
    run->echo_ = std::move(echo);
    run->tool_text_sent_.assign(items.size(), 0);
    GenerationGroup::Callbacks callbacks;
    if (run->request_.stream) {
      run->exchange_->StartStream(200, "text/event-stream");
      if (run->chat_)
        for (size_t i = 0; i < items.size(); ++i)
          run->SendChunk(Json{{"index", i}, {"delta", {{"role", "assistant"}, {"content", ""}}}, {"logprobs", nullptr}, {"finish_reason", nullptr}});
      callbacks.on_delta = [run](const GenerationItem& item, const GenerateDelta& delta) { run->OnDelta(item, delta); };
      callbacks.on_done = [run](std::vector<GenerationItem>& items) { run->FinishStream(items); };
    } else {
      callbacks.on_done = [run](std::vector<GenerationItem>& items) { run->Reply(items); };
    }
    GenerationGroup::Start(run->ctx_.Generation(run->chat_ ? "/v1/chat/completions" : "/v1/completions"), run->exchange_, std::move(items),
                           std::move(callbacks));
  }

 private:
  std::string Echo(size_t index) const { return echo_.empty() ? std::string() : echo_[index / request_.n]; }

  Json Logprobs(const GenerationItem& item, size_t begin, size_t text_offset) const {
    if (!request_.logprobs) return nullptr;
    return chat_ ? ChatLogprobs(ctx_, item.output_logprobs, begin) : CompletionLogprobs(ctx_, item.output_logprobs, begin, text_offset);
  }

  Json Envelope(Json choices, bool chunk) const {
    const char* object = chat_ ? (chunk ? "chat.completion.chunk" : "chat.completion") : "text_completion";
    return Json{{"id", id_}, {"object", object}, {"created", created_}, {"model", model_}, {"choices", std::move(choices)}};
  }

  void SendChunk(Json choice) { exchange_->WriteChunk(SseData(Envelope(Json::array({std::move(choice)}), true))); }

  void OnDelta(const GenerationItem& item, const GenerateDelta& delta) {
    if (request_.tool_parser != nullptr) return SendPlainText(item);
    if (delta.text.empty() && !(request_.logprobs && !delta.token_ids.empty())) return;
    const size_t first = item.output_logprobs.size() - delta.output_logprobs.size();
    std::string text = delta.text;
    if (!chat_ && item.streamed_bytes == delta.text.size()) text = Echo(item.index) + text;  // the first text
    Json choice = {{"index", item.index}, {"logprobs", Logprobs(item, first, item.streamed_bytes - delta.text.size())},
                   {"finish_reason", nullptr}};
    if (chat_) choice["delta"] = Json{{"content", text}};
    else choice["text"] = text;
    SendChunk(std::move(choice));
  }

  void FinishStream(std::vector<GenerationItem>& items) {
    if (const Status* error = FirstError(items)) {
      exchange_->WriteChunk(SseData(ErrorBody(HttpStatusFor(*error), error->message())));
    } else {
      for (const GenerationItem& item : items) {
        const GenerateResult& r = **item.result;
        if (request_.tool_parser != nullptr && FinishToolCalls(item)) continue;
        const size_t sent = request_.tool_parser != nullptr ? tool_text_sent_[item.index] : item.streamed_bytes;
        const std::string tail = item.text.size() > sent ? item.text.substr(sent) : "";
        Json choice = {{"index", item.index}, {"logprobs", nullptr}, {"finish_reason", FinishReasonName(r.finish_reason)},
                       {"matched_stop", MatchedStop(r.finish_reason)}};
        if (chat_) choice["delta"] = tail.empty() ? Json::object() : Json{{"content", tail}};
        else choice["text"] = (item.streamed_bytes == 0 ? Echo(item.index) : "") + tail;
        SendChunk(std::move(choice));
      }
      if (request_.include_usage) {
        Json usage = Envelope(Json::array(), true);
        usage["usage"] = Usage(items, request_.n);
        exchange_->WriteChunk(SseData(usage));
      }
    }
    exchange_->WriteChunk("data: [DONE]\n\n");
    exchange_->EndStream();
  }

  void Reply(std::vector<GenerationItem>& items) {
    if (const Status* error = FirstError(items)) return ReplyStatus(*exchange_, *error);
    Json choices = Json::array();
    for (const GenerationItem& item : items) {
      const GenerateResult& r = **item.result;
      Json choice = {{"index", item.index}, {"logprobs", Logprobs(item, 0, Echo(item.index).size())},
                     {"finish_reason", FinishReasonName(r.finish_reason)}, {"matched_stop", MatchedStop(r.finish_reason)}};
      if (chat_)
        choice["message"] = Json{{"role", "assistant"}, {"content", item.text}, {"reasoning_content", nullptr}, {"tool_calls", nullptr}};
      if (request_.tool_parser != nullptr) {
        ParsedToolCalls parsed = request_.tool_parser->Parse(item.text);
        if (!parsed.calls.empty()) {
          choice["message"]["content"] = parsed.text.empty() ? Json(nullptr) : Json(parsed.text);
          choice["message"]["tool_calls"] = ToolCallsJson(parsed.calls);
          choice["finish_reason"] = "tool_calls";
        }
      } else if (!chat_)
        choice["text"] = Echo(item.index) + item.text;
      choices.push_back(std::move(choice));
    }
    Json out = Envelope(std::move(choices), false);
    out["usage"] = Usage(items, request_.n);
    ReplyJson(*exchange_, 200, out);
  }

  // With a tool call parser: OpenAI's tool_calls entries, each with a fresh id.
  Json ToolCallsJson(const std::vector<ToolCall>& calls) {
    Json out = Json::array();
    for (size_t i = 0; i < calls.size(); ++i)
      out.push_back(Json{{"id", "call_" + ctx_.NewRequestId().substr(0, 24)}, {"index", i}, {"type", "function"},
                         {"function", {{"name", calls[i].name}, {"arguments", calls[i].arguments}}}});
    return out;
  }

  // Streaming with a tool call parser: only text that cannot be part of a call goes out
  // as it is generated; the rest waits for the end.
  void SendPlainText(const GenerationItem& item) {
    size_t& sent = tool_text_sent_[item.index];
    const size_t plain_end = request_.tool_parser->HeldBackFrom(item.text);
    if (plain_end <= sent) return;
    SendChunk(Json{{"index", item.index}, {"delta", {{"content", item.text.substr(sent, plain_end - sent)}}},
                   {"logprobs", nullptr}, {"finish_reason", nullptr}});
    sent = plain_end;
  }

  // The end of a streamed item whose output holds tool calls: the plain text before them,
  // then the calls, then finish_reason "tool_calls". False when it holds none.
  bool FinishToolCalls(const GenerationItem& item) {
    const ParsedToolCalls parsed = request_.tool_parser->Parse(item.text);
    if (parsed.calls.empty()) return false;
    SendPlainText(item);
    SendChunk(Json{{"index", item.index}, {"delta", {{"tool_calls", ToolCallsJson(parsed.calls)}}}, {"logprobs", nullptr},
                   {"finish_reason", nullptr}});
    SendChunk(Json{{"index", item.index}, {"delta", Json::object()}, {"logprobs", nullptr}, {"finish_reason", "tool_calls"},
                   {"matched_stop", nullptr}});
    return true;
  }

  ApiContext& ctx_;
  std::shared_ptr<HttpExchange> exchange_;
  OpenAiRequest request_;
  bool chat_;
  std::string model_;
  std::string id_;
  int64_t created_;
  std::vector<std::string> echo_;  // per prompt, for completions with echo
  std::vector<size_t> tool_text_sent_;  // per item, bytes of its text sent (with a tool call parser)
};

// prompt: a string, a list of strings, a list of token ids, or a list of such lists.
Result<std::vector<std::vector<int32_t>>> ReadCompletionPrompts(const JsonFields& f, const Tokenizer& tokenizer,
                                                                 std::vector<std::string>* texts) {
  const Json* prompt = f.Find("prompt");
  if (prompt == nullptr) return InvalidArgument("'prompt' is required");
  std::vector<std::vector<int32_t>> out;
  if (prompt->is_string()) {
    texts->push_back(prompt->get<std::string>());
  } else if (prompt->is_array() && !prompt->empty() && (*prompt)[0].is_string()) {
    SGL_RETURN_IF_ERROR(f.Read("prompt", *texts));
  } else if (prompt->is_array() && !prompt->empty() && (*prompt)[0].is_array()) {
    for (size_t i = 0; i < prompt->size(); ++i) {
      out.emplace_back();
      SGL_RETURN_IF_ERROR(ReadTokenIds((*prompt)[i], fmt::format("prompt[{}]", i), out.back()));
    }
  } else if (prompt->is_array() && !prompt->empty()) {
    out.emplace_back();
    SGL_RETURN_IF_ERROR(ReadTokenIds(*prompt, "prompt", out.back()));
  } else {
    return f.WrongType("prompt", "a non-empty string, list of strings, list of token ids or list of such lists");
  }
  for (const std::string& text : *texts) out.push_back(tokenizer.Encode(text, true));
  if (texts->empty())
    for (const auto& ids : out) texts->push_back(tokenizer.Decode(ids, false));
  return out;
}

// A chat prompt: its token ids and, for a vision-language model, its images in order.
struct ChatPromptInput {
  std::vector<int32_t> ids;
  std::vector<ImageInput> images;
};

// An image_url part's URL: {"image_url": {"url": ...}} or {"image_url": "..."}.
Result<std::string> ImageUrlOf(const OrderedJson& part, const std::string& where) {
  if (part.contains("image_url")) {
    const OrderedJson& u = part["image_url"];
    if (u.is_string()) return u.get<std::string>();
    if (u.is_object() && u.contains("url") && u["url"].is_string()) return u["url"].get<std::string>();
  }
  return InvalidArgument("'{}.image_url' must be {{\"url\": \"data:..., base64 or a file path\"}}", where);
}

// One message's list of parts. For a text-only model the text parts are joined into a
// string; for a vision-language model the list stays (as transformers' templates expect),
// an image_url part becoming {"type": "image"} and its URL the next of `images`.
Result<OrderedJson> NormalizeParts(const OrderedJson& parts, size_t i, std::vector<ImageInput>* images) {
  std::string text;
  OrderedJson list = OrderedJson::array();
  for (size_t k = 0; k < parts.size(); ++k) {
    const OrderedJson& part = parts[k];
    const std::string where = fmt::format("messages[{}].content[{}]", i, k);
    const std::string type = part.is_object() && part.contains("type") && part["type"].is_string() ? part["type"].get<std::string>() : "";
    if (type == "text" && part.contains("text") && part["text"].is_string()) {
      if (!text.empty()) text += "\n";
      text += part["text"].get<std::string>();
      list.push_back(OrderedJson{{"type", "text"}, {"text", part["text"]}});
    } else if (type == "image_url" && images != nullptr) {
      SGL_ASSIGN_OR_RETURN(std::string url, ImageUrlOf(part, where));
      images->push_back({.source = std::move(url)});
      list.push_back(OrderedJson{{"type", "image"}});
    } else if (type == "image_url" || type == "input_audio" || type == "video_url") {
      return InvalidArgument("'{}' is of type '{}', which needs a vision-language model; the loaded model is text-only",
                             where, type);
    } else {
      return InvalidArgument("'{}' must be a {{\"type\": \"text\", \"text\": ...}} part", where);
    }
  }
  if (images != nullptr) return list;
  return OrderedJson(text);
}

// `images`: null for a text-only model (image parts are refused), else where they go.
Result<OrderedJson> NormalizeMessages(const OrderedJson& messages, std::vector<ImageInput>* images) {
  if (!messages.is_array() || messages.empty()) return InvalidArgument("'messages' must be a non-empty list");
  OrderedJson out = OrderedJson::array();
  for (size_t i = 0; i < messages.size(); ++i) {
    const OrderedJson& m = messages[i];
    if (!m.is_object()) return InvalidArgument("'messages[{}]' must be an object", i);
    if (!m.contains("role") || !m["role"].is_string()) return InvalidArgument("'messages[{}].role' must be a string", i);
    OrderedJson msg = m;
    if (m.contains("content") && m["content"].is_array()) {
      SGL_ASSIGN_OR_RETURN(msg["content"], NormalizeParts(m["content"], i, images));
    } else if (m.contains("content") && !m["content"].is_string() && !m["content"].is_null()) {
      return InvalidArgument("'messages[{}].content' must be a string or a list of parts", i);
    }
    out.push_back(std::move(msg));
  }
  return out;
}

Result<ChatPromptInput> ChatPromptIds(const ApiContext& ctx, const std::string& body) {
  if (!ctx.chat.ok()) return Status(StatusCode::kInvalidArgument, "this model has no chat template (" + ctx.chat.status().message() + "); start the server with --chat-template");
  OrderedJson ordered = OrderedJson::parse(body, nullptr, false);
  ChatPromptInput out;
  const bool accepts_images = ctx.engine.Info().accepts_images;
  SGL_ASSIGN_OR_RETURN(OrderedJson messages, NormalizeMessages(ordered["messages"], accepts_images ? &out.images : nullptr));
  OrderedJson extra = OrderedJson::object();
  if (ordered.contains("tools") && !ordered["tools"].is_null()) {
    if (!ordered["tools"].is_array()) return InvalidArgument("'tools' must be a list");
    extra["tools"] = ordered["tools"];
  }
  if (ordered.contains("chat_template_kwargs") && ordered["chat_template_kwargs"].is_object())
    for (const auto& [key, value] : ordered["chat_template_kwargs"].items()) extra[key] = value;
  bool add_generation_prompt = true;
  if (ordered.contains("continue_final_message") && ordered["continue_final_message"] == true) add_generation_prompt = false;
  SGL_ASSIGN_OR_RETURN(out.ids, ctx.chat->Encode(messages, add_generation_prompt, extra));
  return out;
}

template <typename Handler>
void WithBody(ApiContext& ctx, const HttpRequest& request, const std::shared_ptr<HttpExchange>& exchange, Handler&& handler) {
  Result<Json> body = JsonFields::ParseObject(request.body);
  if (!body.ok()) return ReplyStatus(*exchange, body.status());
  if (ctx.Overloaded()) return ReplyError(*exchange, 503, "the server is overloaded: too many queued requests");
  if (Status s = handler(*body); !s.ok()) ReplyStatus(*exchange, s);
}

std::string ModelName(const ApiContext& ctx, const JsonFields& f) {
  std::string model = ctx.args.ModelName();
  (void)f.Read("model", model);
  return model;
}

}  // namespace

void HandleListModels(ApiContext& ctx, const HttpRequest&, std::shared_ptr<HttpExchange> exchange) {
  const ModelInfo info = ctx.engine.Info();
  Json card = {{"id", ctx.args.ModelName()}, {"object", "model"}, {"created", UnixNow()}, {"owned_by", "sglang"},
               {"root", info.path}, {"max_model_len", info.context_length}};
  ReplyJson(*exchange, 200, Json{{"object", "list"}, {"data", Json::array({card})}});
}

void HandleRetrieveModel(ApiContext& ctx, const HttpRequest& request, std::shared_ptr<HttpExchange> exchange) {
  const std::string id = request.path.substr(std::string("/v1/models/").size());
  if (id != ctx.args.ModelName())
    return ReplyJson(*exchange, 404, Json{{"error", {{"message", fmt::format("The model '{}' does not exist", id)},
                                                     {"type", "invalid_request_error"}, {"param", "model"},
                                                     {"code", "model_not_found"}}}});
  const ModelInfo info = ctx.engine.Info();
  ReplyJson(*exchange, 200, Json{{"id", id}, {"object", "model"}, {"created", UnixNow()}, {"owned_by", "sglang"},
                                 {"root", info.path}, {"max_model_len", info.context_length}});
}

void HandleCompletions(ApiContext& ctx, const HttpRequest& request, std::shared_ptr<HttpExchange> exchange) {
  WithBody(ctx, request, exchange, [&](const Json& body) -> Status {
    const JsonFields f(body, "");
    SGL_ASSIGN_OR_RETURN(OpenAiRequest r, ReadOpenAiRequest(f, ctx.tokenizer.vocab_size(), false));
    std::vector<std::string> texts;
    const auto start = Clock::now();
    SGL_ASSIGN_OR_RETURN(auto prompts, ReadCompletionPrompts(f, ctx.tokenizer, &texts));
    bool echo = false;
    SGL_RETURN_IF_ERROR(f.Read("echo", echo));
    SGL_ASSIGN_OR_RETURN(auto items, MakeItems(ctx, r, prompts, false, request.Header("x-request-id"), SecondsSince(start)));
    exchange->AddHeader("X-Request-Id", items[0].rid);
    if (ctx.args.log_requests) spdlog::info("[{}] /v1/completions: {} prompts, n {}", items[0].rid, prompts.size(), r.n);
    auto run = std::make_shared<OpenAiRun>(ctx, exchange, r, false, ModelName(ctx, f));
    OpenAiRun::Start(run, std::move(items), echo ? texts : std::vector<std::string>{});
    return Status::Ok();
  });
}

// tool_choice "required" or {"type": "function", "function": {"name": N}}: as SGLang does,
// the output is constrained to a JSON array of calls [{"name", "parameters"}] of the
// allowed tools (at least one), whose parameters follow each tool's schema.
Result<std::string> ForcedToolCallsSchema(const Json& tools, const Json& choice) {
  std::string only;
  if (choice.is_object()) {
    if (!choice.contains("function") || !choice["function"].is_object() || !choice["function"].contains("name") ||
        !choice["function"]["name"].is_string())
      return InvalidArgument("'tool_choice' must name a function: {{\"type\": \"function\", \"function\": {{\"name\": ...}}}}");
    only = choice["function"]["name"].get<std::string>();
  }
  Json variants = Json::array();
  for (size_t i = 0; i < tools.size(); ++i) {
    const Json& tool = tools[i];
    if (!tool.is_object() || !tool.contains("function") || !tool["function"].is_object() ||
        !tool["function"].contains("name") || !tool["function"]["name"].is_string())
      return InvalidArgument("'tools[{}]' must be {{\"type\": \"function\", \"function\": {{\"name\": ..., \"parameters\": ...}}}}", i);
    const std::string name = tool["function"]["name"].get<std::string>();
    if (!only.empty() && name != only) continue;
    const Json params = tool["function"].contains("parameters") && tool["function"]["parameters"].is_object()
                            ? tool["function"]["parameters"]
                            : Json{{"type", "object"}};
    variants.push_back(Json{{"type", "object"},
                            {"properties", {{"name", {{"type", "string"}, {"enum", {name}}}}, {"parameters", params}}},
                            {"required", {"name", "parameters"}}});
  }
  if (variants.empty()) return InvalidArgument("'tool_choice' names function '{}', which is not in 'tools'", only);
  return Json{{"type", "array"}, {"minItems", 1}, {"items", {{"anyOf", variants}}}}.dump();
}

// tool_choice: "none" keeps calls as text; "auto" parses them with --tool-call-parser;
// "required" or a named function constrains the output to calls (ForcedToolCallsSchema).
Status ReadToolChoice(ApiContext& ctx, const JsonFields& f, OpenAiRequest& r) {
  const Json* choice = f.Find("tool_choice");
  const Json* tools = f.Find("tools");
  const bool has_tools = tools != nullptr && tools->is_array() && !tools->empty();
  const bool forced = choice != nullptr && ((choice->is_string() && *choice == "required") || choice->is_object());
  if (choice != nullptr && !forced && !(choice->is_string() && (*choice == "none" || *choice == "auto")))
    return InvalidArgument("'tool_choice' must be \"none\", \"auto\", \"required\" or a named function");
  if (!forced) {
    if (has_tools && ctx.tool_parser && !(choice != nullptr && *choice == "none")) r.tool_parser = &*ctx.tool_parser;
    return Status::Ok();
  }
  if (!has_tools) return InvalidArgument("'tool_choice' {} needs a non-empty 'tools' list", choice->dump());
  if (r.sampling.IsConstrained())
    return InvalidArgument("'tool_choice' {} cannot be combined with response_format, regex, json_schema or ebnf",
                           choice->dump());
  SGL_ASSIGN_OR_RETURN(std::string schema, ForcedToolCallsSchema(*tools, *choice));
  r.sampling.json_schema = std::move(schema);
  r.tool_parser = &*ctx.forced_tool_parser;
  return Status::Ok();
}

void HandleChatCompletions(ApiContext& ctx, const HttpRequest& request, std::shared_ptr<HttpExchange> exchange) {
  WithBody(ctx, request, exchange, [&](const Json& body) -> Status {
    const JsonFields f(body, "");
    if (!f.Has("messages")) return InvalidArgument("'messages' is required");
    SGL_ASSIGN_OR_RETURN(OpenAiRequest r, ReadOpenAiRequest(f, ctx.tokenizer.vocab_size(), true));
    SGL_RETURN_IF_ERROR(ReadToolChoice(ctx, f, r));
    const auto start = Clock::now();
    SGL_ASSIGN_OR_RETURN(ChatPromptInput chat_prompt, ChatPromptIds(ctx, request.body));
    const std::vector<int32_t>& prompt = chat_prompt.ids;
    SGL_ASSIGN_OR_RETURN(auto items, MakeItems(ctx, r, {prompt}, true, request.Header("x-request-id"), SecondsSince(start)));
    for (GenerationItem& item : items) item.request.images = chat_prompt.images;
    exchange->AddHeader("X-Request-Id", items[0].rid);
    if (ctx.args.log_requests)
      spdlog::info("[{}] /v1/chat/completions: {} prompt tokens, n {}", items[0].rid, prompt.size(), r.n);
    auto run = std::make_shared<OpenAiRun>(ctx, exchange, r, true, ModelName(ctx, f));
    OpenAiRun::Start(run, std::move(items), {});
    return Status::Ok();
  });
}

void HandleTokenize(ApiContext& ctx, const HttpRequest& request, std::shared_ptr<HttpExchange> exchange) {
  WithBody(ctx, request, exchange, [&](const Json& body) -> Status {
    const JsonFields f(body, "");
    std::string prompt;
    bool add_special_tokens = true;
    SGL_RETURN_IF_ERROR(f.Read("prompt", prompt));
    SGL_RETURN_IF_ERROR(f.Read("add_special_tokens", add_special_tokens));
    const std::vector<int32_t> tokens = ctx.tokenizer.Encode(prompt, add_special_tokens);
    ReplyJson(*exchange, 200, Json{{"tokens", tokens}, {"count", tokens.size()}, {"max_model_len", ctx.engine.Info().context_length}});
    return Status::Ok();
  });
}

void HandleDetokenize(ApiContext& ctx, const HttpRequest& request, std::shared_ptr<HttpExchange> exchange) {
  WithBody(ctx, request, exchange, [&](const Json& body) -> Status {
    const JsonFields f(body, "");
    std::vector<int32_t> tokens;
    SGL_RETURN_IF_ERROR(f.Read("tokens", tokens));
    ReplyJson(*exchange, 200, Json{{"text", ctx.tokenizer.Decode(tokens, false)}});
    return Status::Ok();
  });
}

}  // namespace sgl::server
