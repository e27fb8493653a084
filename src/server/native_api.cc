#include "server/native_api.h"

#include <cmath>

#include <spdlog/spdlog.h>

#include "server/generate_request.h"

namespace sgl::server {
namespace {

Json Logprob(float v) { return std::isnan(v) ? Json(nullptr) : Json(v); }

// [logprob, token_id, text|null]
Json Triple(const ApiContext& ctx, const TokenLogprob& t, bool with_text) {
  return Json::array({Logprob(t.logprob), t.token_id,
                      with_text ? Json(ctx.tokenizer.Decode(std::vector<int32_t>{t.token_id}, false)) : Json(nullptr)});
}

Json Triples(const ApiContext& ctx, const std::vector<TokenLogprob>& ts, bool with_text) {
  Json out = Json::array();
  for (const TokenLogprob& t : ts) out.push_back(Triple(ctx, t, with_text));
  return out;
}

void AddLogprobs(const ApiContext& ctx, const GenerationItem& item, Json& meta) {
  const LogprobOptions& o = item.request.logprob;
  if (!o.return_logprob) return;
  const bool text = item.return_text_in_logprobs;
  auto emit = [&](const char* prefix, const std::vector<PositionLogprobs>& positions) {
    Json tokens = Json::array(), top = Json::array(), ids = Json::array();
    for (const PositionLogprobs& p : positions) {
      tokens.push_back(Triple(ctx, p.token, text));
      top.push_back(Triples(ctx, p.top, text));
      ids.push_back(Triples(ctx, p.requested, text));
    }
    meta[fmt::format("{}_token_logprobs", prefix)] = std::move(tokens);
    if (o.top_logprobs_num > 0) meta[fmt::format("{}_top_logprobs", prefix)] = std::move(top);
    if (!o.token_ids_logprob.empty()) meta[fmt::format("{}_token_ids_logprobs", prefix)] = std::move(ids);
  };
  emit("input", item.input_logprobs);
  emit("output", item.output_logprobs);
}

// One item's {"text", "output_ids", "meta_info"} as it stands.
Json ItemJson(const ApiContext& ctx, const GenerationItem& item) {
  Json meta = {{"id", item.rid},
               {"finish_reason", nullptr},
               {"prompt_tokens", item.request.input_ids.size()},
               {"completion_tokens", item.output_ids.size()},
               {"cached_tokens", 0}};
  if (item.result && item.result->ok()) {
    const GenerateResult& r = **item.result;
    meta["finish_reason"] = FinishReasonJson(r.finish_reason);
    meta["prompt_tokens"] = r.stats.prompt_tokens;  // with images: after their placeholders are expanded
    meta["cached_tokens"] = r.stats.cached_tokens;
    meta["total_retractions"] = r.stats.num_retractions;
    meta["e2e_latency"] = std::chrono::duration<double>(Clock::now() - item.submitted).count();
  }
  AddLogprobs(ctx, item, meta);
  return Json{{"text", item.text}, {"output_ids", item.output_ids}, {"meta_info", std::move(meta)}};
}

// The first failed item's status, if any.
const Status* FirstError(const std::vector<GenerationItem>& items) {
  for (const GenerationItem& item : items)
    if (item.result && !item.result->ok()) return &item.result->status();
  return nullptr;
}

void StreamGenerate(ApiContext& ctx, std::shared_ptr<HttpExchange> exchange, ParsedGenerate parsed) {
  exchange->StartStream(200, "text/event-stream");
  const bool batch = parsed.is_batch;
  GenerationGroup::Callbacks callbacks;
  callbacks.on_delta = [&ctx, exchange, batch](const GenerationItem& item, const GenerateDelta& delta) {
    if (delta.token_ids.empty() && delta.text.empty()) return;
    Json chunk = ItemJson(ctx, item);
    if (batch) chunk["index"] = item.index;
    exchange->WriteChunk(SseData(chunk));
  };
  callbacks.on_done = [&ctx, exchange, batch](std::vector<GenerationItem>& items) {
    for (const GenerationItem& item : items) {
      if (!item.result->ok()) {
        exchange->WriteChunk(SseData(ErrorBody(HttpStatusFor(item.result->status()), item.result->status().message())));
        continue;
      }
      Json chunk = ItemJson(ctx, item);
      if (batch) chunk["index"] = item.index;
      exchange->WriteChunk(SseData(chunk));
    }
    exchange->WriteChunk("data: [DONE]\n\n");
    exchange->EndStream();
  };
  GenerationGroup::Start(ctx.Generation("/generate"), exchange, std::move(parsed.items), std::move(callbacks));
}

}  // namespace

Json FinishReasonJson(const FinishReason& r) {
  switch (r.type) {
    case FinishReason::Type::kStop:
      if (r.matched_token) return Json{{"type", "stop"}, {"matched", *r.matched_token}};
      return Json{{"type", "stop"}, {"matched", r.matched_text}};
    case FinishReason::Type::kLength: return Json{{"type", "length"}, {"length", r.length}};
    case FinishReason::Type::kAbort: return Json{{"type", "abort"}, {"message", r.message}};
  }
  return nullptr;
}

void HandleGenerate(ApiContext& ctx, const HttpRequest& request, std::shared_ptr<HttpExchange> exchange) {
  Result<Json> body = JsonFields::ParseObject(request.body);
  if (!body.ok()) return ReplyStatus(*exchange, body.status());
  // A client's X-Request-Id names its request when the body gives no rid.
  const std::string header_id = request.Header("x-request-id");
  int ids_made = 0;
  auto new_rid = [&] {
    if (header_id.empty()) return ctx.NewRequestId();
    return ids_made++ == 0 ? header_id : fmt::format("{}_{}", header_id, ids_made - 1);
  };
  const auto parse_start = Clock::now();
  Result<ParsedGenerate> parsed = ParseGenerateRequest(*body, ctx.tokenizer, new_rid, ctx.engine.Info().accepts_images);
  if (!parsed.ok()) return ReplyStatus(*exchange, parsed.status());
  const double tokenize_seconds = std::chrono::duration<double>(Clock::now() - parse_start).count();
  for (GenerationItem& item : parsed->items) item.tokenize_seconds = tokenize_seconds;
  exchange->AddHeader("X-Request-Id", header_id.empty() ? parsed->items[0].rid : header_id);
  for (const GenerationItem& item : parsed->items)
    if (ctx.live.Find(item.rid)) return ReplyError(*exchange, 400, fmt::format("rid '{}' is already in use", item.rid), "rid");
  if (ctx.Overloaded()) return ReplyError(*exchange, 503, "the server is overloaded: too many queued requests");
  if (ctx.args.log_requests)
    for (const GenerationItem& item : parsed->items)
      spdlog::info("[{}] /generate: {} prompt tokens, max_new_tokens {}", item.rid, item.request.input_ids.size(),
                   item.request.sampling.max_new_tokens);
  if (parsed->stream) return StreamGenerate(ctx, exchange, std::move(*parsed));
  const bool batch = parsed->is_batch;
  GenerationGroup::Callbacks callbacks;
  callbacks.on_done = [&ctx, exchange, batch](std::vector<GenerationItem>& items) {
    if (const Status* error = FirstError(items)) return ReplyStatus(*exchange, *error);
    if (!batch) return ReplyJson(*exchange, 200, ItemJson(ctx, items[0]));
    Json out = Json::array();
    for (const GenerationItem& item : items) out.push_back(ItemJson(ctx, item));
    ReplyJson(*exchange, 200, out);
  };
  GenerationGroup::Start(ctx.Generation("/generate"), exchange, std::move(parsed->items), std::move(callbacks));
}

void HandleHealthGenerate(ApiContext& ctx, const HttpRequest&, std::shared_ptr<HttpExchange> exchange) {
  GenerationItem item;
  item.rid = "HEALTH_CHECK_" + ctx.NewRequestId();
  item.request.input_ids = {ctx.tokenizer.bos_id().value_or(0)};
  item.request.sampling.max_new_tokens = 1;
  item.request.sampling.temperature = 0;
  GenerationGroup::Callbacks callbacks;
  callbacks.on_done = [exchange](std::vector<GenerationItem>& items) {
    const auto& r = *items[0].result;
    if (r.ok() && r->finish_reason.type != FinishReason::Type::kAbort) return exchange->Reply(200, "text/plain", "");
    exchange->Reply(503, "text/plain", r.ok() ? r->finish_reason.message : r.status().message());
  };
  std::vector<GenerationItem> items;
  items.push_back(std::move(item));
  GenerationGroup::Start({ctx.engine, nullptr, nullptr, ctx.live, "/health_generate"}, exchange, std::move(items), std::move(callbacks));
}

void HandleModelInfo(ApiContext& ctx, const HttpRequest&, std::shared_ptr<HttpExchange> exchange) {
  const ModelInfo info = ctx.engine.Info();
  ReplyJson(*exchange, 200,
            Json{{"model_path", info.path},
                 {"tokenizer_path", info.tokenizer_path},
                 {"is_generation", true},
                 {"preferred_sampling_params", nullptr},
                 {"weight_version", "default"},
                 {"has_image_understanding", info.accepts_images},
                 {"has_audio_understanding", false},
                 {"model_type", info.summary},
                 {"architectures", nullptr}});
}

void HandleServerInfo(ApiContext& ctx, const HttpRequest&, std::shared_ptr<HttpExchange> exchange) {
  const ModelInfo info = ctx.engine.Info();
  const EngineStats s = ctx.engine.Stats();
  Json out = ctx.args.ToJson();
  out["version"] = SGL_VERSION;
  out["max_total_num_tokens"] = info.kv_capacity_tokens;
  out["context_length"] = info.context_length;
  out["backend"] = info.backend;
  out["internal_states"] = Json::array({Json{{"num_running_reqs", s.num_running},
                                             {"num_queue_reqs", s.num_waiting},
                                             {"num_used_tokens", s.kv_used_tokens},
                                             {"token_usage", s.kv_capacity_tokens ? double(s.kv_used_tokens) / s.kv_capacity_tokens : 0.0},
                                             {"cache_hit_rate", s.prompt_tokens ? double(s.cached_prompt_tokens) / s.prompt_tokens : 0.0}}});
  ReplyJson(*exchange, 200, out);
}

void HandleFlushCache(ApiContext& ctx, const HttpRequest&, std::shared_ptr<HttpExchange> exchange) {
  const Status s = ctx.engine.FlushCache();
  if (s.ok()) return exchange->Reply(200, "text/plain", "Cache flushed.\nPlease check backend logs for more details. (When there are running or waiting requests, the operation will not be performed.)\n");
  exchange->Reply(400, "text/plain", "Cache not flushed: " + s.message() + "\n");
}

void HandleAbortRequest(ApiContext& ctx, const HttpRequest& request, std::shared_ptr<HttpExchange> exchange) {
  Result<Json> body = JsonFields::ParseObject(request.body.empty() ? "{}" : request.body);
  if (!body.ok()) return ReplyStatus(*exchange, body.status());
  const JsonFields f(*body, "");
  std::string rid;
  bool abort_all = false;
  if (Status s = f.Read("rid", rid); !s.ok()) return ReplyStatus(*exchange, s);
  if (Status s = f.Read("abort_all", abort_all); !s.ok()) return ReplyStatus(*exchange, s);
  if (abort_all) {
    for (uint64_t id : ctx.live.All()) ctx.engine.Abort(id);
  } else if (std::optional<uint64_t> id = ctx.live.Find(rid)) {
    ctx.engine.Abort(*id);
  }
  exchange->Reply(200, "text/plain", "");
}

}  // namespace sgl::server
