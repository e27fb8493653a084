// The SGLang frontend language in C++: programs are C++ callables of a State& and
// arguments that append text, roles, gen, select, images and forks to the state; run them
// on the in-process Engine (EngineBackend) or a server speaking SGLang's native API
// (HttpBackend). See docs/frontend.md. Everything lives in namespace sgl::lang:
//
//   lang::Program<std::string> qa([](lang::State& s, std::string q) {
//     s += lang::user(q);
//     s += lang::assistant(lang::gen("answer", {.max_tokens = 64, .temperature = 0}));
//   });
//   lang::State s = qa.Run({.backend = std::make_shared<lang::EngineBackend>(*engine)}, "Hi?");
//   s["answer"].str();
//   auto later = qa.AsyncRun(options, {.max_new_tokens = 512, .temperature = 0.7f}, "Why?");
//
// Role text may name images inline, as deployment guides write them:
//   s += lang::user("Describe <image>photo.jpg</image> in one line.");
#pragma once

#include "lang/backend.h"
#include "lang/engine_backend.h"
#include "lang/expr.h"
#include "lang/fork_group.h"
#include "lang/http_backend.h"
#include "lang/program.h"
#include "lang/role_template_registry.h"
#include "lang/run_options.h"
#include "lang/sampling_overrides.h"
#include "lang/state.h"
#include "lang/value.h"
