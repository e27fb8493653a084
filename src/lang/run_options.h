// RunOptions: what a program runs against: the backend, the default sampling for its
// gens (SGLang's SglFunction.run defaults: 128 new tokens, temperature 1), the role
// template, and an optional streaming callback. Plain value type.
#pragma once

#include <memory>
#include <string>

#include "lang/backend.h"

namespace sgl::lang {

struct RunOptions {
  std::shared_ptr<Backend> backend = nullptr;
  SamplingParams defaults = {};  // gen options left unset come from here
  std::string role_template = {};  // a registry name; empty: chosen from the backend's model path
  // Streaming: every piece of text as it joins the state's text (constant text, role
  // prefixes, select's choice, gen's tokens as they are produced), on the program's
  // thread. The pieces add up to the final text. Not passed on to forks or batch runs.
  Backend::TextCallback on_text = nullptr;
};

}  // namespace sgl::lang
