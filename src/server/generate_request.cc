#include "server/generate_request.h"

#include <set>

#include "server/sampling_params_json.h"

namespace sgl::server {
namespace {

// The prompts, as text or as ids.
struct Prompts {
  std::vector<std::string> texts;
  std::vector<std::vector<int32_t>> ids;
  bool batch = false;
  size_t size() const { return texts.empty() ? ids.size() : texts.size(); }
};

Result<Prompts> ReadPrompts(const JsonFields& f) {
  Prompts p;
  const Json* text = f.Find("text");
  const Json* ids = f.Find("input_ids");
  if (f.Has("input_embeds")) return Unsupported("'input_embeds' is not supported");
  if (text == nullptr && ids == nullptr) return InvalidArgument("Either text, input_ids or input_embeds should be provided.");
  if (text != nullptr && ids != nullptr) return InvalidArgument("Only one of text and input_ids can be provided.");
  if (text != nullptr) {
    p.batch = text->is_array();
    SGL_RETURN_IF_ERROR(f.Read("text", p.texts));
    if (p.texts.empty()) return InvalidArgument("'text' is an empty list");
    return p;
  }
  if (!ids->is_array()) return f.WrongType("input_ids", "a list of token ids or a list of such lists");
  p.batch = !ids->empty() && (*ids)[0].is_array();
  if (!p.batch) {
    p.ids.emplace_back();
    SGL_RETURN_IF_ERROR(f.Read("input_ids", p.ids.back()));
  } else {
    for (size_t i = 0; i < ids->size(); ++i) {
      p.ids.emplace_back();
      SGL_RETURN_IF_ERROR(ReadTokenIds((*ids)[i], fmt::format("input_ids[{}]", i), p.ids.back()));
    }
  }
  for (size_t i = 0; i < p.ids.size(); ++i)
    if (p.ids[i].empty()) return InvalidArgument("input_ids{} is empty", p.batch ? fmt::format("[{}]", i) : "");
  return p;
}

// A field that is either one value for every prompt or a list with one per prompt.
// Returns the element for prompt i (null when absent).
Result<Json> PerPrompt(const JsonFields& f, const char* name, size_t i, size_t batch_size, bool list_is_value) {
  const Json* v = f.Find(name);
  if (v == nullptr) return Json(nullptr);
  const bool per_prompt = v->is_array() && !(list_is_value && (v->empty() || !(*v)[0].is_array()));
  if (!per_prompt) return *v;
  if (v->size() != batch_size)
    return InvalidArgument("'{}' has {} entries for {} prompts", f.Name(name), v->size(), batch_size);
  return (*v)[i];
}

Status ReadLogprobOptions(const JsonFields& f, size_t i, size_t batch, LogprobOptions& out) {
  auto read = [&](const char* name, auto& field, bool list_is_value) -> Status {
    SGL_ASSIGN_OR_RETURN(Json v, PerPrompt(f, name, i, batch, list_is_value));
    const Json wrapper = Json{{name, v}};
    return JsonFields(wrapper, "").Read(name, field);
  };
  SGL_RETURN_IF_ERROR(read("return_logprob", out.return_logprob, false));
  SGL_RETURN_IF_ERROR(read("logprob_start_len", out.logprob_start_len, false));
  SGL_RETURN_IF_ERROR(read("top_logprobs_num", out.top_logprobs_num, false));
  SGL_RETURN_IF_ERROR(read("token_ids_logprob", out.token_ids_logprob, true));
  if (out.top_logprobs_num < 0) return InvalidArgument("'top_logprobs_num' must be >= 0");
  if (out.logprob_start_len < -1) return InvalidArgument("'logprob_start_len' must be >= -1");
  return Status::Ok();
}

// image_data, as SGLang reads it: for a single prompt a string or a list of strings (its
// images); for a batch one entry per prompt (a string, a list, or null), or one string
// for every prompt.
Result<std::vector<ImageInput>> ReadImageData(const JsonFields& f, size_t i, size_t batch_size, bool batch) {
  const Json* v = f.Find("image_data");
  std::vector<ImageInput> out;
  if (v == nullptr) return out;
  std::string name = "image_data";
  if (batch && v->is_array()) {
    if (v->size() != batch_size)
      return InvalidArgument("'image_data' has {} entries for {} prompts", v->size(), batch_size);
    v = &(*v)[i];
    name = fmt::format("image_data[{}]", i);
  }
  if (v->is_null()) return out;
  if (v->is_string()) {
    out.push_back({.source = v->get<std::string>()});
    return out;
  }
  if (!v->is_array()) return InvalidArgument("'{}' must be a string or a list of strings", name);
  for (size_t k = 0; k < v->size(); ++k) {
    if (!(*v)[k].is_string()) return InvalidArgument("'{}[{}]' must be a string (a data: URL, base64 or a file path)", name, k);
    out.push_back({.source = (*v)[k].get<std::string>()});
  }
  return out;
}

Status ReadRids(const JsonFields& f, size_t num_items, bool batch, const std::function<std::string()>& new_rid,
                std::vector<std::string>& out) {
  const Json* v = f.Find("rid");
  if (v == nullptr) {
    for (size_t i = 0; i < num_items; ++i) out.push_back(new_rid());
    return Status::Ok();
  }
  if (v->is_string()) {
    const std::string rid = v->get<std::string>();
    if (!batch) out.push_back(rid);
    else
      for (size_t i = 0; i < num_items; ++i) out.push_back(fmt::format("{}_{}", rid, i));
    return Status::Ok();
  }
  SGL_RETURN_IF_ERROR(f.Read("rid", out));
  if (out.size() != num_items) return InvalidArgument("'rid' has {} entries for {} requests", out.size(), num_items);
  if (std::set<std::string>(out.begin(), out.end()).size() != out.size())
    return InvalidArgument("'rid' has duplicate ids");
  return Status::Ok();
}

}  // namespace

Result<ParsedGenerate> ParseGenerateRequest(const Json& body, const Tokenizer& tokenizer,
                                            const std::function<std::string()>& new_rid, bool accepts_images) {
  const JsonFields f(body, "");
  static const std::set<std::string> kKnown = {
      "text", "input_ids", "input_embeds", "image_data", "video_data", "audio_data", "modalities", "sampling_params",
      "rid", "stream", "return_logprob", "logprob_start_len", "top_logprobs_num", "token_ids_logprob",
      "return_text_in_logprobs", "lora_path", "custom_logit_processor", "return_hidden_states", "session_params",
      "priority", "log_metrics", "bootstrap_host", "bootstrap_port", "bootstrap_room", "data_parallel_rank"};
  for (const auto& [key, value] : body.items())
    if (!kKnown.contains(key)) return InvalidArgument("'{}' is not a field of /generate", key);
  if (f.Has("image_data") && !accepts_images)
    return InvalidArgument("'image_data' needs a vision-language model; the loaded model is text-only");
  for (const char* name : {"video_data", "audio_data"})
    if (f.Has(name)) return Unsupported("'{}' is not supported", name);
  for (const char* name : {"lora_path", "custom_logit_processor", "session_params"})
    if (f.Has(name)) return Unsupported("'{}' is not supported", name);

  ParsedGenerate out;
  SGL_RETURN_IF_ERROR(f.Read("stream", out.stream));
  bool return_text = false;
  SGL_RETURN_IF_ERROR(f.Read("return_text_in_logprobs", return_text));
  SGL_ASSIGN_OR_RETURN(Prompts prompts, ReadPrompts(f));
  const size_t batch = prompts.size();
  const int64_t vocab = tokenizer.vocab_size();

  std::vector<GenerationItem> per_prompt;
  int n = 1;
  for (size_t i = 0; i < batch; ++i) {
    GenerationItem item;
    SGL_ASSIGN_OR_RETURN(Json sp, PerPrompt(f, "sampling_params", i, batch, false));
    const Json* all_sp = f.Find("sampling_params");
    const std::string path = all_sp != nullptr && all_sp->is_array() ? fmt::format("sampling_params[{}]", i) : "sampling_params";
    SGL_ASSIGN_OR_RETURN(SamplingRequest sampling, ParseSamplingParams(&sp, path, vocab));
    if (i > 0 && sampling.n != n) return InvalidArgument("every prompt of a batch must ask for the same n");
    n = sampling.n;
    item.request.sampling = sampling.params;
    SGL_RETURN_IF_ERROR(ReadLogprobOptions(f, i, batch, item.request.logprob));
    item.return_text_in_logprobs = return_text;
    item.request.input_ids = prompts.texts.empty() ? prompts.ids[i] : tokenizer.Encode(prompts.texts[i], true);
    if (item.request.input_ids.empty()) return InvalidArgument("the prompt{} encodes to no tokens", prompts.batch ? fmt::format(" [{}]", i) : "");
    SGL_ASSIGN_OR_RETURN(item.request.images, ReadImageData(f, i, batch, prompts.batch));
    per_prompt.push_back(std::move(item));
  }
  out.is_batch = prompts.batch || n > 1;
  for (GenerationItem& item : per_prompt)
    for (int j = 0; j < n; ++j) {
      out.items.push_back(item);
      // Each sample draws its own randomness; a given seed still fixes the whole set.
      if (j > 0 && item.request.sampling.seed) out.items.back().request.sampling.seed = *item.request.sampling.seed + j;
    }
  std::vector<std::string> rids;
  SGL_RETURN_IF_ERROR(ReadRids(f, out.items.size(), out.is_batch, new_rid, rids));
  for (size_t i = 0; i < out.items.size(); ++i) out.items[i].rid = rids[i];
  return out;
}

}  // namespace sgl::server
