// Expr: the grammar expression tree every front end (regex, EBNF, JSON Schema) builds and
// the automaton builder compiles. Terminals are sets of bytes, so UTF-8 is spelled out as
// byte sequences by the front ends. A value type: children are owned by their parent.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "constrain/byte_set.h"

namespace sgl::constrain {

enum class ExprKind { kEmpty, kBytes, kSeq, kAlt, kRepeat, kRuleRef };

struct Expr {
  ExprKind kind = ExprKind::kEmpty;
  ByteSet bytes;                 // kBytes: one byte from this set
  std::vector<Expr> children;    // kSeq, kAlt; kRepeat has exactly one
  int32_t min_count = 0;         // kRepeat: [min_count, max_count] repetitions
  std::optional<int32_t> max_count;  // kRepeat: nullopt = unbounded
  int32_t rule_id = -1;          // kRuleRef: index into Grammar::rules
};

Expr EmptyExpr();
Expr BytesExpr(ByteSet bytes);
Expr ByteExpr(uint8_t b);
Expr LiteralExpr(std::string_view text);  // the exact bytes of `text`
Expr SeqExpr(std::vector<Expr> parts);
Expr AltExpr(std::vector<Expr> options);
Expr RepeatExpr(Expr inner, int32_t min_count, std::optional<int32_t> max_count);
Expr OptionalExpr(Expr inner);
Expr StarExpr(Expr inner);
Expr PlusExpr(Expr inner);
Expr RuleRefExpr(int32_t rule_id);

// Number of nodes in the tree, repetitions expanded (what the NFA will roughly cost).
int64_t ExpandedSize(const Expr& e);

}  // namespace sgl::constrain
