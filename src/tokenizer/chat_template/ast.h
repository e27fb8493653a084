// The template's syntax tree: expressions (Expr) and statements (Stmt), owned by unique_ptr
// from the root. Immutable after parsing; positions are byte offsets into the source.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tokenizer/chat_template/value.h"

namespace sgl::jinja {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  enum class Kind {
    kLiteral,     // literal
    kName,        // name
    kList,        // args
    kTuple,       // args
    kDict,        // args: key, value, key, value...
    kGetAttr,     // args[0] . name
    kGetItem,     // args[0] [ args[1] ]
    kSlice,       // args[0] [ args[1] : args[2] : args[3] ] (nullptr for omitted parts)
    kCall,        // args[0] ( args[1..], kwargs )
    kFilter,      // args[0] | name ( args[1..], kwargs ); args[0] null in a filter block
    kTest,        // args[0] is [not] name ( args[1..], kwargs )
    kUnary,       // name in {"-", "+", "not"} args[0]
    kBinary,      // args[0] name args[1]; name in + - * / // % ** ~ and or
    kCompare,     // args[0] ops[0] args[1] ops[1] args[2] ...
    kCondExpr,    // args[1] if args[0] else args[2] (args[2] may be null)
  };
  Kind kind;
  size_t pos = 0;
  Value literal;
  std::string name;
  std::vector<ExprPtr> args;
  std::vector<std::pair<std::string, ExprPtr>> kwargs;
  std::vector<std::string> ops;
  bool negated = false;
  int height = 1;  // longest path to a leaf; the parser bounds it (recursion in eval and destruction)
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

struct Stmt {
  enum class Kind {
    kText,         // text
    kOutput,       // {{ expr }}
    kIf,           // conds[i] -> bodies[i]; an extra trailing body is the else
    kFor,          // for targets in expr [if cond]: bodies[0], else bodies[1]
    kSet,          // set targets = expr, or set targets[0].attr = expr
    kSetBlock,     // set targets[0] [| filter] %} bodies[0] {% endset
    kMacro,        // macro name(params = defaults) bodies[0]
    kFilterBlock,  // filter (in `filter`, first arg null) bodies[0]
    kWith,         // with params[i] = defaults[i], ... bodies[0] (a scope of its own)
    kCallBlock,    // call(params = defaults) expr (a call) bodies[0]: the body is `caller`
    kBreak,
    kContinue,
  };
  Kind kind;
  size_t pos = 0;
  std::string text;   // kText; macro name
  std::string attr;   // kSet on a namespace attribute
  ExprPtr expr;       // output, for iterable, set value
  ExprPtr cond;       // for's `if`
  ExprPtr filter;     // set-block / filter-block filter chain
  std::vector<std::string> targets;
  bool target_is_tuple = false;
  std::vector<ExprPtr> conds;
  std::vector<Body> bodies;
  std::vector<std::string> params;
  std::vector<ExprPtr> defaults;  // parallel to params; null when no default
};

}  // namespace sgl::jinja
