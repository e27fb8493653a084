#include "constrain/expr.h"

#include <algorithm>
#include <utility>

namespace sgl::constrain {

Expr EmptyExpr() { return Expr{}; }

Expr BytesExpr(ByteSet bytes) {
  Expr e;
  e.kind = ExprKind::kBytes;
  e.bytes = bytes;
  return e;
}

Expr ByteExpr(uint8_t b) { return BytesExpr(ByteSet::Single(b)); }

Expr LiteralExpr(std::string_view text) {
  std::vector<Expr> parts;
  parts.reserve(text.size());
  for (char c : text) parts.push_back(ByteExpr(static_cast<uint8_t>(c)));
  return SeqExpr(std::move(parts));
}

Expr SeqExpr(std::vector<Expr> parts) {
  if (parts.size() == 1) return std::move(parts[0]);
  Expr e;
  e.kind = parts.empty() ? ExprKind::kEmpty : ExprKind::kSeq;
  e.children = std::move(parts);
  return e;
}

Expr AltExpr(std::vector<Expr> options) {
  if (options.size() == 1) return std::move(options[0]);
  Expr e;
  e.kind = ExprKind::kAlt;  // an empty alternation matches nothing
  e.children = std::move(options);
  return e;
}

Expr RepeatExpr(Expr inner, int32_t min_count, std::optional<int32_t> max_count) {
  Expr e;
  e.kind = ExprKind::kRepeat;
  e.children.push_back(std::move(inner));
  e.min_count = min_count;
  e.max_count = max_count;
  return e;
}

Expr OptionalExpr(Expr inner) { return RepeatExpr(std::move(inner), 0, 1); }
Expr StarExpr(Expr inner) { return RepeatExpr(std::move(inner), 0, std::nullopt); }
Expr PlusExpr(Expr inner) { return RepeatExpr(std::move(inner), 1, std::nullopt); }

Expr RuleRefExpr(int32_t rule_id) {
  Expr e;
  e.kind = ExprKind::kRuleRef;
  e.rule_id = rule_id;
  return e;
}

int64_t ExpandedSize(const Expr& e) {
  int64_t n = 1;
  for (const Expr& c : e.children) n += ExpandedSize(c);
  if (e.kind == ExprKind::kRepeat) {
    int64_t copies = e.max_count ? *e.max_count : e.min_count + 1;
    n = 1 + (n - 1) * std::max<int64_t>(copies, 1);
  }
  return n;
}

}  // namespace sgl::constrain
