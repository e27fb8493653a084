// Evaluator: renders a parsed template against a context. One Evaluator per render; it
// owns the scopes, the macros' closures and the Budget. Not thread-safe (one per thread).
#pragma once

#include <memory>
#include <string>
#include <unordered_map>

#include "base/status.h"
#include "tokenizer/chat_template/ast.h"
#include "tokenizer/chat_template/builtins.h"

namespace sgl::jinja {

struct RenderLimits {
  size_t max_output_bytes = 16u << 20;   // rendered text and any single string or list
  uint64_t max_steps = 50'000'000;       // evaluation steps + created bytes/16 (bounds time)
  int max_call_depth = 64;               // macro and filter-block nesting at run time
  int max_eval_depth = 500;              // statement + expression recursion (bounds stack use)
  int max_value_depth = 200;             // nesting of lists/dicts a variable may hold
};

// Variables of one frame (template, loop iteration, macro call); reads fall through to
// the parent.
struct Scope {
  std::unordered_map<std::string, Value> vars;
  std::shared_ptr<Scope> parent;
  const Value* Find(const std::string& name) const;
};

class Evaluator {
 public:
  // `source` (for error positions) and `root` must outlive the Evaluator.
  Evaluator(const std::string& source, const RenderLimits& limits);
  Evaluator(const Evaluator&) = delete;
  Evaluator& operator=(const Evaluator&) = delete;

  // Renders `root` with `context` variables over the globals.
  Result<std::string> Render(const Body& root, const Dict& context);

 private:
  enum class Flow { kNormal, kBreak, kContinue };

  Status ExecBody(const Body& body, std::string& out);
  Status ExecStmt(const Stmt& s, std::string& out);  // depth-guarded ExecStmtNode
  Status ExecStmtNode(const Stmt& s, std::string& out);
  Status ExecFor(const Stmt& s, std::string& out);
  Status ExecSet(const Stmt& s);
  Status ExecWith(const Stmt& s, std::string& out);
  Status ExecCallBlock(const Stmt& s, std::string& out);
  Status Append(std::string& out, const std::string& text);
  Result<Value> Eval(const Expr& e);  // depth-guarded EvalNode
  Result<Value> EvalNode(const Expr& e);
  Result<Value> EvalCall(const Expr& e);
  Result<Value> EvalFilter(const Expr& e, const Value* block_value);
  Result<CallArgs> EvalArgs(const Expr& e, size_t first);
  Result<Value> CallMacro(const Stmt& macro, const std::shared_ptr<Scope>& closure, CallArgs& args);
  Status Located(const Status& st, size_t pos);
  Status CheckStorable(const Value& v) const;

  const std::string& source_;
  RenderLimits limits_;
  Budget budget_;
  std::shared_ptr<Scope> scope_;
  Flow flow_ = Flow::kNormal;
  int call_depth_ = 0;
  int eval_depth_ = 0;
  bool located_ = false;
};

}  // namespace sgl::jinja
