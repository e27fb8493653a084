#include "server/server_args.h"

namespace sgl::server {

Json ServerArgs::ToJson() const {
  const EngineOptions& e = engine;
  return Json{{"model_path", e.model_path},
              {"tokenizer_path", e.tokenizer_path.empty() ? e.model_path : e.tokenizer_path},
              {"served_model_name", ModelName()},
              {"chat_template", chat_template.empty() ? Json(nullptr) : Json(chat_template)},
              {"host", host},
              {"port", port},
              {"device", e.device},
              {"dtype", dtype},
              {"tp_size", e.tp_size},
              {"dp_size", dp_size},
              {"context_length", e.context_length > 0 ? Json(e.context_length) : Json(nullptr)},
              {"mem_fraction_static", e.mem_fraction_static > 0 ? Json(e.mem_fraction_static) : Json(nullptr)},
              {"max_total_tokens", e.max_total_tokens > 0 ? Json(e.max_total_tokens) : Json(nullptr)},
              {"max_running_requests", e.max_running_requests},
              {"max_queued_requests", max_queued_requests > 0 ? Json(max_queued_requests) : Json(nullptr)},
              {"chunked_prefill_size", e.chunked_prefill_size},
              {"max_prefill_tokens", e.max_prefill_tokens},
              {"schedule_policy", e.schedule_policy},
              {"disable_radix_cache", e.disable_radix_cache},
              {"disable_local_image_files", !e.allow_local_image_files},
              {"grammar_backend", e.grammar_backend},
              {"disable_jump_forward", e.disable_jump_forward},
              {"disable_grammar_budget", e.disable_grammar_budget},
              {"disable_overlap_schedule", e.disable_overlap_schedule},
              {"page_size", e.page_size},
              {"random_seed", e.random_seed},
              {"log_level", log_level},
              {"log_requests", log_requests},
              {"log_req_id", log_req_id},
              {"log_format", log_format},
              {"log_requests_level", log_requests_level},
              {"enable_metrics", enable_metrics},
              {"api_key", api_key.empty() ? Json(nullptr) : Json("<set>")},
              {"skip_server_warmup", skip_server_warmup},
              {"tool_call_parser", tool_call_parser.empty() ? Json(nullptr) : Json(tool_call_parser)}};
}

}  // namespace sgl::server
