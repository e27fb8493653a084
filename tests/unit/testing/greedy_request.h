// A request for the scheduler tests: greedy (temperature 0), past the end-of-sequence token
// (ignore_eos), so that its output depends only on the model and its prompt.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "runtime/request.h"
#include "runtime/sampler.h"

namespace sgl::testing {

inline std::shared_ptr<Request> GreedyRequest(uint64_t id, const std::vector<int32_t>& prompt,
                                              int64_t max_new_tokens) {
  auto req = std::make_shared<Request>();
  req->id = id;
  req->input_ids = prompt;
  req->params.temperature = 0;
  req->params.ignore_eos = true;
  req->params.max_new_tokens = max_new_tokens;
  req->sampler = std::make_unique<Sampler>(0);
  return req;
}

}  // namespace sgl::testing
