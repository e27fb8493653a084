// Grammar: named rules whose bodies are Exprs, and the root rule a match starts from.
// What every front end produces; GrammarAutomaton compiles it. A plain value type.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "constrain/expr.h"

namespace sgl::constrain {

struct GrammarRule {
  std::string name;
  Expr body;
};

struct Grammar {
  std::vector<GrammarRule> rules;
  int32_t root_rule = 0;

  // Appends a rule (body filled in later is fine) and returns its id.
  int32_t AddRule(std::string name, Expr body = EmptyExpr()) {
    rules.push_back({std::move(name), std::move(body)});
    return static_cast<int32_t>(rules.size()) - 1;
  }
};

}  // namespace sgl::constrain
