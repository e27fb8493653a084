#include "server/trace_log.h"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace sgl::server {

Json TraceJson(const TraceRecord& r, const Tokenizer& tokenizer) {
  Json t = {{"rid", r.rid},
            {"route", r.route},
            {"e2e_ms", r.e2e_ms},
            {"tokenize_ms", r.tokenize_ms},
            {"prompt_tokens", r.prompt_tokens}};
  if (r.error) {
    t["finish"] = "error";
    t["error"] = *r.error;
    return t;
  }
  const GenerateStats& s = r.stats;
  const int64_t decoded = std::max<int64_t>(s.completion_tokens - 1, 0);
  t["cached_tokens"] = s.cached_tokens;
  t["queue_ms"] = s.queue_seconds * 1e3;
  t["prefill_ms"] = s.prefill_seconds * 1e3;
  t["prefill_chunks"] = s.prefill_chunks;
  t["decode_tokens"] = decoded;
  t["decode_ms"] = s.decode_seconds * 1e3;
  t["decode_tok_per_s"] = s.decode_seconds > 0 ? decoded / s.decode_seconds : 0.0;
  t["completion_tokens"] = s.completion_tokens;
  t["retractions"] = s.num_retractions;
  t["prompt_tokens"] = s.prompt_tokens;  // with images: after their placeholders are expanded
  if (s.num_images > 0) {
    t["images"] = s.num_images;
    t["image_preprocess_ms"] = s.image_preprocess_seconds * 1e3;
    t["vision_encode_ms"] = s.vision_encode_seconds * 1e3;
    t["encoder_cache_hit"] = s.encoder_cache_hits > 0;
    t["encoder_cache_hits"] = s.encoder_cache_hits;
  }
  if (r.constrained) {
    t["grammar_compile_ms"] = s.grammar_compile_seconds * 1e3;
    t["grammar_cache_hit"] = s.grammar_cache_hit;
    t["jump_forward_tokens"] = s.jump_forward_tokens;  // of completion_tokens, not sampled
  }
  if (s.grammar_stop) {  // where the grammar stopped a constrained request that ended badly
    t["grammar_stop_position"] = s.grammar_stop->token_position;
    t["grammar_stop_reason"] = s.grammar_stop->reason;
    if (r.output_text) t["grammar_stop_text"] = *r.output_text;
  }
  t["finish"] = r.finish;
  if (r.prompt_ids) t["prompt"] = tokenizer.Decode(*r.prompt_ids, false);
  if (r.output_text) t["output"] = *r.output_text;
  return t;
}

std::string TraceText(const Json& trace) {
  std::string line;
  for (const auto& [key, value] : trace.items())
    if (key != "rid")
      line += value.is_number_float() ? fmt::format(" {}={:.3f}", key, value.get<double>())
                                      : fmt::format(" {}={}", key, value.is_string() ? value.get<std::string>() : value.dump());
  return line;
}

TraceLog::TraceLog(const Tokenizer& tokenizer, bool json) : tokenizer_(tokenizer), json_(json), thread_([this] { Run(); }) {}

TraceLog::~TraceLog() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

void TraceLog::Add(TraceRecord record) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(record));
  }
  cv_.notify_one();
}

void TraceLog::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and everything written
    TraceRecord r = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    const Json t = TraceJson(r, tokenizer_);
    if (json_) spdlog::info("{}", t.dump(-1, ' ', false, Json::error_handler_t::replace));
    else spdlog::info("[{}] trace:{}", r.rid, TraceText(t));
    lock.lock();
  }
}

}  // namespace sgl::server
