// ParseGenerateRequest: SGLang's native /generate body (GenerateReqInput) -> the engine
// requests it stands for. A single prompt or a batch (`text` list or `input_ids` list of
// lists), per-item or shared sampling_params and logprob options, rids (given, suffixed
// for batches, or fresh), and n > 1 samples per prompt (item i * n + j is prompt i's
// sample j), image_data (SGLang's forms) per prompt. Text is tokenized here, with the
// tokenizer's special tokens.
#pragma once

#include <string>
#include <vector>

#include "server/generation_group.h"
#include "server/json_fields.h"
#include "tokenizer/tokenizer.h"

namespace sgl::server {

struct ParsedGenerate {
  std::vector<GenerationItem> items;
  bool is_batch = false;  // answer with a list (a batch input, or n > 1)
  bool stream = false;
};

// `new_rid` makes ids for items that have none. `image_data` is refused unless
// `accepts_images`; its images are loaded and checked later, by the engine.
Result<ParsedGenerate> ParseGenerateRequest(const Json& body, const Tokenizer& tokenizer,
                                            const std::function<std::string()>& new_rid, bool accepts_images = false);

}  // namespace sgl::server
