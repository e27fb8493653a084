// Statement execution and expression evaluation with jinja2's scoping: each loop
// iteration and macro call gets a fresh scope over its parent, so `set` inside a loop does
// not outlive the iteration (namespaces exist for that).
#include "tokenizer/chat_template/evaluator.h"

#include "tokenizer/chat_template/lexer.h"

namespace sgl::jinja {

const Value* Scope::Find(const std::string& name) const {
  for (const Scope* s = this; s != nullptr; s = s->parent.get()) {
    auto it = s->vars.find(name);
    if (it != s->vars.end()) return &it->second;
  }
  return nullptr;
}

Evaluator::Evaluator(const std::string& source, const RenderLimits& limits)
    : source_(source), limits_(limits), budget_(limits.max_steps, limits.max_output_bytes) {}

Result<std::string> Evaluator::Render(const Body& root, const Dict& context) {
  auto globals = std::make_shared<Scope>();
  for (auto& [k, v] : MakeGlobals(budget_)) globals->vars[k.as_string()] = v;
  scope_ = std::make_shared<Scope>();
  scope_->parent = globals;
  for (const auto& [k, v] : context) {
    if (k.is_string()) scope_->vars[k.as_string()] = v;
  }
  std::string out;
  SGL_RETURN_IF_ERROR(ExecBody(root, out));
  scope_.reset();  // breaks macro closures' cycles through the template scope
  globals.reset();
  return out;
}

Status Evaluator::Located(const Status& st, size_t pos) {
  if (st.ok() || located_) return st;
  located_ = true;
  return st.WithContext("template error at " + DescribePosition(source_, pos));
}

Status Evaluator::Append(std::string& out, const std::string& text) {
  if (out.size() + text.size() > limits_.max_output_bytes) {
    return InvalidArgument("template output exceeds the limit of {} bytes", limits_.max_output_bytes);
  }
  SGL_RETURN_IF_ERROR(budget_.Charge(text.size() / 16 + 1));
  out += text;
  return Status::Ok();
}

Status Evaluator::ExecBody(const Body& body, std::string& out) {
  for (const auto& s : body) {
    SGL_RETURN_IF_ERROR(ExecStmt(*s, out));
    if (flow_ != Flow::kNormal) break;
  }
  return Status::Ok();
}

Status Evaluator::ExecStmt(const Stmt& s, std::string& out) {
  if (eval_depth_ >= limits_.max_eval_depth) {
    return Located(InvalidArgument("template evaluation nested deeper than {} levels", limits_.max_eval_depth), s.pos);
  }
  ++eval_depth_;
  Status st = ExecStmtNode(s, out);
  --eval_depth_;
  return st;
}

Status Evaluator::ExecStmtNode(const Stmt& s, std::string& out) {
  Status st = budget_.Charge(1);
  if (!st.ok()) return Located(st, s.pos);
  switch (s.kind) {
    case Stmt::Kind::kText:
      return Located(Append(out, s.text), s.pos);
    case Stmt::Kind::kOutput: {
      Result<Value> v = Eval(*s.expr);
      if (!v.ok()) return Located(v.status(), s.pos);
      return Located(Append(out, ToStr(*v)), s.pos);
    }
    case Stmt::Kind::kIf:
      for (size_t i = 0; i < s.conds.size(); ++i) {
        Result<Value> cond = Eval(*s.conds[i]);
        if (!cond.ok()) return Located(cond.status(), s.pos);
        if (cond->Truthy()) return ExecBody(s.bodies[i], out);
      }
      if (s.bodies.size() > s.conds.size()) return ExecBody(s.bodies.back(), out);
      return Status::Ok();
    case Stmt::Kind::kFor:
      return Located(ExecFor(s, out), s.pos);
    case Stmt::Kind::kSet:
      return Located(ExecSet(s), s.pos);
    case Stmt::Kind::kSetBlock:
    case Stmt::Kind::kFilterBlock: {
      if (++call_depth_ > limits_.max_call_depth) {
        --call_depth_;
        return Located(InvalidArgument("template nesting exceeds {} levels", limits_.max_call_depth), s.pos);
      }
      std::string captured;
      Status body_status = ExecBody(s.bodies[0], captured);
      --call_depth_;
      SGL_RETURN_IF_ERROR(body_status);
      Value value(std::move(captured));
      if (s.filter) {
        Result<Value> filtered = EvalFilter(*s.filter, &value);
        if (!filtered.ok()) return Located(filtered.status(), s.pos);
        value = std::move(filtered).value();
      }
      if (s.kind == Stmt::Kind::kFilterBlock) return Located(Append(out, ToStr(value)), s.pos);
      scope_->vars[s.targets[0]] = std::move(value);
      return Status::Ok();
    }
    case Stmt::Kind::kMacro: {
      const Stmt* macro = &s;
      std::shared_ptr<Scope> closure = scope_;
      std::weak_ptr<Scope> weak_closure = closure;  // the scope holds the macro: no cycle
      Function fn = [this, macro, weak_closure](CallArgs& args) -> Result<Value> {
        std::shared_ptr<Scope> closure = weak_closure.lock();
        if (!closure) return InvalidArgument("macro '{}' called outside its scope", macro->text);
        return CallMacro(*macro, closure, args);
      };
      scope_->vars[s.text] = Value(Callable{s.text, std::make_shared<const Function>(std::move(fn))});
      return Status::Ok();
    }
    case Stmt::Kind::kWith:
      return Located(ExecWith(s, out), s.pos);
    case Stmt::Kind::kCallBlock:
      return Located(ExecCallBlock(s, out), s.pos);
    case Stmt::Kind::kBreak:
      flow_ = Flow::kBreak;
      return Status::Ok();
    case Stmt::Kind::kContinue:
      flow_ = Flow::kContinue;
      return Status::Ok();
  }
  return Located(Unsupported("unsupported statement"), s.pos);
}

namespace {

Status Unpack(const std::vector<std::string>& targets, const Value& value, Scope& scope) {
  if (!value.is_list()) {
    return InvalidArgument("cannot unpack a {} into {} names", value.TypeName(), targets.size());
  }
  const List& items = value.as_list();
  if (items.size() != targets.size()) {
    return InvalidArgument("cannot unpack {} values into {} names", items.size(), targets.size());
  }
  for (size_t i = 0; i < targets.size(); ++i) scope.vars[targets[i]] = items[i];
  return Status::Ok();
}

}  // namespace

Status Evaluator::ExecFor(const Stmt& s, std::string& out) {
  SGL_ASSIGN_OR_RETURN(Value iterable, Eval(*s.expr));
  SGL_ASSIGN_OR_RETURN(List items, Iterate(iterable));
  std::shared_ptr<Scope> outer = scope_;
  auto bind = [&](const Value& item) -> Status {
    scope_ = std::make_shared<Scope>();
    scope_->parent = outer;
    if (s.target_is_tuple) return Unpack(s.targets, item, *scope_);
    scope_->vars[s.targets[0]] = item;
    return Status::Ok();
  };
  if (s.cond) {
    List kept;
    for (const Value& item : items) {
      Status st = bind(item);
      Result<Value> keep = st.ok() ? Eval(*s.cond) : Result<Value>(st);
      scope_ = outer;
      if (!keep.ok()) return keep.status();
      if (keep->Truthy()) kept.push_back(item);
    }
    items = std::move(kept);
  }
  const int64_t length = static_cast<int64_t>(items.size());
  for (int64_t i = 0; i < length; ++i) {
    Status st = bind(items[i]);
    if (st.ok()) {
      Dict loop;
      loop.reserve(12);
      loop.emplace_back("index", Value(i + 1));
      loop.emplace_back("index0", Value(i));
      loop.emplace_back("revindex", Value(length - i));
      loop.emplace_back("revindex0", Value(length - i - 1));
      loop.emplace_back("first", Value(i == 0));
      loop.emplace_back("last", Value(i == length - 1));
      loop.emplace_back("length", Value(length));
      loop.emplace_back("depth", Value(1));
      loop.emplace_back("depth0", Value(0));
      loop.emplace_back("previtem", i > 0 ? items[i - 1] : Value(Undefined{"previtem"}));
      loop.emplace_back("nextitem", i + 1 < length ? items[i + 1] : Value(Undefined{"nextitem"}));
      Function cycle = [i](CallArgs& args) -> Result<Value> {
        if (args.positional.empty()) return InvalidArgument("loop.cycle() needs at least one value");
        return args.positional[i % args.positional.size()];
      };
      loop.emplace_back("cycle", Value(Callable{"cycle", std::make_shared<const Function>(std::move(cycle))}));
      scope_->vars["loop"] = Value(std::move(loop));
      st = ExecBody(s.bodies[0], out);
    }
    scope_ = outer;
    SGL_RETURN_IF_ERROR(st);
    if (flow_ == Flow::kBreak) {
      flow_ = Flow::kNormal;
      break;
    }
    flow_ = Flow::kNormal;
  }
  if (length == 0 && s.bodies.size() > 1) return ExecBody(s.bodies[1], out);
  return Status::Ok();
}

Status Evaluator::CheckStorable(const Value& v) const {
  if (v.Depth() > limits_.max_value_depth) {
    return InvalidArgument("value nested deeper than {} levels", limits_.max_value_depth);
  }
  return Status::Ok();
}

Status Evaluator::ExecSet(const Stmt& s) {
  SGL_ASSIGN_OR_RETURN(Value value, Eval(*s.expr));
  SGL_RETURN_IF_ERROR(CheckStorable(value));
  if (!s.attr.empty()) {
    const Value* target = scope_->Find(s.targets[0]);
    if (target == nullptr || !target->is_namespace()) {
      return InvalidArgument("cannot assign attribute on non-namespace object '{}'", s.targets[0]);
    }
    if (s.attr[0] == '_') return InvalidArgument("namespace attributes cannot start with '_' ('{}')", s.attr);
    if (value.ContainsNamespace()) return InvalidArgument("a namespace attribute cannot hold a namespace");
    Dict& attrs = target->as_namespace().attrs;
    for (auto& [k, v] : attrs) {
      if (k.is_string() && k.as_string() == s.attr) {
        v = std::move(value);
        return Status::Ok();
      }
    }
    attrs.emplace_back(Value(s.attr), std::move(value));
    return Status::Ok();
  }
  if (s.target_is_tuple) return Unpack(s.targets, value, *scope_);
  scope_->vars[s.targets[0]] = std::move(value);
  return Status::Ok();
}

Result<Value> Evaluator::CallMacro(const Stmt& macro, const std::shared_ptr<Scope>& closure, CallArgs& args) {
  if (args.positional.size() > macro.params.size()) {
    return InvalidArgument("macro '{}' takes not more than {} argument(s)", macro.text, macro.params.size());
  }
  if (call_depth_ + 1 > limits_.max_call_depth) {
    return InvalidArgument("macro calls nested deeper than {} levels", limits_.max_call_depth);
  }
  auto frame = std::make_shared<Scope>();
  frame->parent = closure;
  std::vector<bool> bound(macro.params.size(), false);
  for (size_t i = 0; i < args.positional.size(); ++i) {
    frame->vars[macro.params[i]] = args.positional[i];
    bound[i] = true;
  }
  for (auto& [key, value] : args.keyword) {
    size_t i = 0;
    while (i < macro.params.size() && macro.params[i] != key) ++i;
    if (i == macro.params.size() && key == "caller") {  // from a {% call %} block
      frame->vars[key] = value;
      continue;
    }
    if (i == macro.params.size()) return InvalidArgument("macro '{}' takes no keyword argument '{}'", macro.text, key);
    frame->vars[key] = value;
    bound[i] = true;
  }
  std::shared_ptr<Scope> saved = scope_;
  Flow saved_flow = flow_;
  scope_ = frame;
  ++call_depth_;
  Status st;
  for (size_t i = 0; i < macro.params.size() && st.ok(); ++i) {
    if (bound[i]) continue;
    if (macro.defaults[i]) {
      Result<Value> def = Eval(*macro.defaults[i]);
      if (def.ok()) frame->vars[macro.params[i]] = std::move(def).value();
      else st = def.status();
    } else {
      frame->vars[macro.params[i]] = Value(Undefined{macro.params[i]});
    }
  }
  std::string out;
  if (st.ok()) st = ExecBody(macro.bodies[0], out);
  --call_depth_;
  scope_ = saved;
  flow_ = saved_flow;
  SGL_RETURN_IF_ERROR(st);
  return Value(std::move(out));
}

Status Evaluator::ExecWith(const Stmt& s, std::string& out) {
  auto frame = std::make_shared<Scope>();
  frame->parent = scope_;
  for (size_t i = 0; i < s.params.size(); ++i) {  // values see the outer scope, as in jinja2
    SGL_ASSIGN_OR_RETURN(Value v, Eval(*s.defaults[i]));
    frame->vars[s.params[i]] = std::move(v);
  }
  std::shared_ptr<Scope> saved = scope_;
  scope_ = frame;
  Status st = ExecBody(s.bodies[0], out);
  scope_ = saved;
  return st;
}

// The body becomes a macro named `caller` (closing over this scope) handed to the call.
Status Evaluator::ExecCallBlock(const Stmt& s, std::string& out) {
  std::weak_ptr<Scope> weak_closure = scope_;  // caller() may be stored in that scope: no cycle
  Function fn = [this, &s, weak_closure](CallArgs& args) -> Result<Value> {
    std::shared_ptr<Scope> closure = weak_closure.lock();
    if (!closure) return InvalidArgument("caller() called outside its scope");
    return CallMacro(s, closure, args);
  };
  const Expr& call = *s.expr;
  SGL_ASSIGN_OR_RETURN(Value callee, Eval(*call.args[0]));
  SGL_ASSIGN_OR_RETURN(CallArgs args, EvalArgs(call, 1));
  if (!callee.is_callable()) return InvalidArgument("'call' needs a macro, got '{}'", callee.TypeName());
  args.keyword.emplace_back("caller", Value(Callable{"caller", std::make_shared<const Function>(std::move(fn))}));
  SGL_ASSIGN_OR_RETURN(Value result, (*callee.as_callable().fn)(args));
  return Append(out, ToStr(result));
}

Result<CallArgs> Evaluator::EvalArgs(const Expr& e, size_t first) {
  CallArgs args;
  for (size_t i = first; i < e.args.size(); ++i) {
    SGL_ASSIGN_OR_RETURN(Value v, Eval(*e.args[i]));
    args.positional.push_back(std::move(v));
  }
  for (const auto& [key, expr] : e.kwargs) {
    SGL_ASSIGN_OR_RETURN(Value v, Eval(*expr));
    args.keyword.emplace_back(key, std::move(v));
  }
  return args;
}

Result<Value> Evaluator::EvalCall(const Expr& e) {
  SGL_ASSIGN_OR_RETURN(Value callee, Eval(*e.args[0]));
  SGL_ASSIGN_OR_RETURN(CallArgs args, EvalArgs(e, 1));
  if (callee.is_undefined()) return InvalidArgument("'{}' is undefined", callee.undefined_name());
  if (!callee.is_callable()) return InvalidArgument("'{}' object is not callable", callee.TypeName());
  const Callable& fn = callee.as_callable();
  return (*fn.fn)(args);
}

Result<Value> Evaluator::EvalFilter(const Expr& e, const Value* block_value) {
  Value input;
  if (e.args[0] == nullptr) {
    input = *block_value;
  } else if (e.args[0]->kind == Expr::Kind::kFilter) {
    SGL_ASSIGN_OR_RETURN(input, EvalFilter(*e.args[0], block_value));
  } else {
    SGL_ASSIGN_OR_RETURN(input, Eval(*e.args[0]));
  }
  SGL_ASSIGN_OR_RETURN(CallArgs args, EvalArgs(e, 1));
  return CallFilter(budget_, e.name, input, args);
}

Result<Value> Evaluator::Eval(const Expr& e) {
  if (eval_depth_ >= limits_.max_eval_depth) {
    return InvalidArgument("expression evaluation nested deeper than {} levels", limits_.max_eval_depth);
  }
  ++eval_depth_;
  Result<Value> v = EvalNode(e);
  --eval_depth_;
  return v;
}

Result<Value> Evaluator::EvalNode(const Expr& e) {
  SGL_RETURN_IF_ERROR(budget_.Charge(1));
  switch (e.kind) {
    case Expr::Kind::kLiteral:
      return e.literal;
    case Expr::Kind::kName: {
      const Value* v = scope_->Find(e.name);
      return v != nullptr ? *v : Value(Undefined{e.name});
    }
    case Expr::Kind::kList:
    case Expr::Kind::kTuple: {
      List items;
      for (const auto& arg : e.args) {
        SGL_ASSIGN_OR_RETURN(Value v, Eval(*arg));
        items.push_back(std::move(v));
      }
      return Value(std::move(items), e.kind == Expr::Kind::kTuple);
    }
    case Expr::Kind::kDict: {
      Dict items;
      for (size_t i = 0; i + 1 < e.args.size(); i += 2) {
        SGL_ASSIGN_OR_RETURN(Value key, Eval(*e.args[i]));
        SGL_ASSIGN_OR_RETURN(Value value, Eval(*e.args[i + 1]));
        if (!(key.is_string() || key.is_number() || key.is_none() || key.is_tuple())) {
          return InvalidArgument("unhashable type: '{}'", key.TypeName());
        }
        bool replaced = false;
        for (auto& kv : items) {
          if (Equals(kv.first, key)) {
            kv.second = value;
            replaced = true;
          }
        }
        if (!replaced) items.emplace_back(std::move(key), std::move(value));
      }
      return Value(std::move(items));
    }
    case Expr::Kind::kGetAttr: {
      SGL_ASSIGN_OR_RETURN(Value obj, Eval(*e.args[0]));
      return GetAttr(obj, e.name);
    }
    case Expr::Kind::kGetItem: {
      SGL_ASSIGN_OR_RETURN(Value obj, Eval(*e.args[0]));
      SGL_ASSIGN_OR_RETURN(Value key, Eval(*e.args[1]));
      return GetItem(obj, key);
    }
    case Expr::Kind::kSlice: {
      SGL_ASSIGN_OR_RETURN(Value obj, Eval(*e.args[0]));
      Value parts[3] = {Value::None(), Value::None(), Value::None()};
      for (int i = 0; i < 3; ++i) {
        if (e.args[i + 1]) {
          SGL_ASSIGN_OR_RETURN(parts[i], Eval(*e.args[i + 1]));
        }
      }
      return GetSlice(obj, parts[0], parts[1], parts[2]);
    }
    case Expr::Kind::kCall:
      return EvalCall(e);
    case Expr::Kind::kFilter:
      return EvalFilter(e, nullptr);
    case Expr::Kind::kTest: {
      SGL_ASSIGN_OR_RETURN(Value input, Eval(*e.args[0]));
      SGL_ASSIGN_OR_RETURN(CallArgs args, EvalArgs(e, 1));
      SGL_ASSIGN_OR_RETURN(bool result, CallTest(budget_, e.name, input, args));
      return Value(result != e.negated);
    }
    case Expr::Kind::kUnary: {
      SGL_ASSIGN_OR_RETURN(Value v, Eval(*e.args[0]));
      if (e.name == "not") return Value(!v.Truthy());
      if (v.is_undefined()) return InvalidArgument("'{}' is undefined", v.undefined_name());
      if (!v.is_number()) return InvalidArgument("bad operand type for unary {}: '{}'", e.name, v.TypeName());
      if (e.name == "+") return v.is_bool() ? Value(v.as_int()) : v;
      if (v.is_float()) return Value(-v.as_float());
      if (v.as_int() == INT64_MIN) return InvalidArgument("integer overflow");
      return Value(-v.as_int());
    }
    case Expr::Kind::kBinary: {
      SGL_ASSIGN_OR_RETURN(Value left, Eval(*e.args[0]));
      if (e.name == "and") return left.Truthy() ? Eval(*e.args[1]) : Result<Value>(left);
      if (e.name == "or") return left.Truthy() ? Result<Value>(left) : Eval(*e.args[1]);
      SGL_ASSIGN_OR_RETURN(Value right, Eval(*e.args[1]));
      return BinaryOp(budget_, e.name, left, right);
    }
    case Expr::Kind::kCompare: {
      SGL_ASSIGN_OR_RETURN(Value left, Eval(*e.args[0]));
      for (size_t i = 0; i < e.ops.size(); ++i) {
        SGL_ASSIGN_OR_RETURN(Value right, Eval(*e.args[i + 1]));
        const std::string& op = e.ops[i];
        bool result;
        if (op == "==") {
          result = Equals(left, right);
        } else if (op == "!=") {
          result = !Equals(left, right);
        } else if (op == "in" || op == "notin") {
          SGL_ASSIGN_OR_RETURN(bool found, Contains(right, left));
          result = found == (op == "in");
        } else {
          for (const Value* v : {&left, &right}) {
            if (v->is_undefined()) return InvalidArgument("'{}' is undefined", v->undefined_name());
          }
          if (op == "<") {
            SGL_ASSIGN_OR_RETURN(result, Less(left, right));
          } else if (op == ">") {
            SGL_ASSIGN_OR_RETURN(result, Less(right, left));
          } else if (op == "<=") {
            SGL_ASSIGN_OR_RETURN(bool greater, Less(right, left));
            result = !greater;
          } else {
            SGL_ASSIGN_OR_RETURN(bool less, Less(left, right));
            result = !less;
          }
        }
        if (!result) return Value(false);
        left = std::move(right);
      }
      return Value(true);
    }
    case Expr::Kind::kCondExpr: {
      SGL_ASSIGN_OR_RETURN(Value cond, Eval(*e.args[0]));
      if (cond.Truthy()) return Eval(*e.args[1]);
      if (e.args[2]) return Eval(*e.args[2]);
      return Value(Undefined{"conditional expression"});
    }
  }
  return Unsupported("unknown expression");
}

}  // namespace sgl::jinja
