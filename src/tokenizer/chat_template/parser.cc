// Recursive descent over jinja2's grammar. Precedence, loosest first: conditional
// expression, or, and, not, comparisons (chained, in, not in), + -, ~, * / // %, **,
// unary - +, then postfix (.attr, [item], call) and filters/tests.
#include "tokenizer/chat_template/parser.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>

namespace sgl::jinja {
namespace {

constexpr int kMaxNesting = 200;      // bounds parser recursion for hostile templates
constexpr int kMaxExprHeight = 256;   // bounds the tree's height (left-deep chains too)

class Parser {
 public:
  Parser(const std::vector<Token>& tokens, const std::string& source) : t_(tokens), src_(source) {}

  Result<Body> ParseTemplate() {
    Body body;
    std::string end_tag;
    SGL_RETURN_IF_ERROR(ParseBody({}, body, end_tag));
    return body;
  }

 private:
  const Token& Peek(size_t ahead = 0) const { return t_[std::min(i_ + ahead, t_.size() - 1)]; }
  const Token& Next() {
    const Token& tok = t_[i_];
    if (i_ + 1 < t_.size()) ++i_;
    return tok;
  }
  bool IsOp(const char* op, size_t ahead = 0) const { return Peek(ahead).kind == TokenKind::kOp && Peek(ahead).text == op; }
  bool IsName(const char* name, size_t ahead = 0) const {
    return Peek(ahead).kind == TokenKind::kName && Peek(ahead).text == name;
  }
  bool SkipOp(const char* op) {
    if (!IsOp(op)) return false;
    Next();
    return true;
  }
  bool SkipName(const char* name) {
    if (!IsName(name)) return false;
    Next();
    return true;
  }
  Status Error(const Token& tok, const std::string& message) const {
    return InvalidArgument("template syntax error at {}: {}", DescribePosition(src_, tok.pos), message);
  }
  static std::string Describe(const Token& tok) {
    switch (tok.kind) {
      case TokenKind::kEof: return "end of template";
      case TokenKind::kBlockEnd: return "'%}'";
      case TokenKind::kVarEnd: return "'}}'";
      case TokenKind::kString: return "string";
      default: return "'" + tok.text + "'";
    }
  }
  Status ExpectOp(const char* op) {
    if (SkipOp(op)) return Status::Ok();
    return Error(Peek(), std::string("expected '") + op + "', got " + Describe(Peek()));
  }
  Status ExpectBlockEnd() {
    if (Peek().kind == TokenKind::kBlockEnd) {
      Next();
      return Status::Ok();
    }
    return Error(Peek(), "expected end of statement '%}', got " + Describe(Peek()));
  }
  Result<std::string> ExpectName() {
    if (Peek().kind != TokenKind::kName) return Error(Peek(), "expected a name, got " + Describe(Peek()));
    return Next().text;
  }

  struct DepthGuard {
    explicit DepthGuard(int& d) : depth(d) { ++depth; }
    ~DepthGuard() { --depth; }
    int& depth;
  };

  // Parses statements until one of `end_tags` opens a block; that tag's name is left in
  // `end_tag` with the parser positioned after the name.
  Status ParseBody(const std::vector<std::string>& end_tags, Body& body, std::string& end_tag) {
    DepthGuard guard(depth_);
    if (depth_ > kMaxNesting) return Error(Peek(), "blocks nested too deeply");
    while (true) {
      const Token& tok = Peek();
      if (tok.kind == TokenKind::kEof) {
        if (end_tags.empty()) return Status::Ok();
        std::string expected;
        for (const auto& e : end_tags) expected += (expected.empty() ? "'" : " or '") + e + "'";
        return Error(tok, "unexpected end of template, expected " + expected);
      }
      if (tok.kind == TokenKind::kText) {
        auto s = std::make_unique<Stmt>();
        s->kind = Stmt::Kind::kText;
        s->pos = tok.pos;
        s->text = tok.text;
        body.push_back(std::move(s));
        Next();
      } else if (tok.kind == TokenKind::kVarBegin) {
        Next();
        auto s = std::make_unique<Stmt>();
        s->kind = Stmt::Kind::kOutput;
        s->pos = tok.pos;
        SGL_ASSIGN_OR_RETURN(s->expr, ParseTupleExpr());
        if (Peek().kind != TokenKind::kVarEnd) return Error(Peek(), "expected '}}', got " + Describe(Peek()));
        Next();
        body.push_back(std::move(s));
      } else if (tok.kind == TokenKind::kBlockBegin) {
        Next();
        const Token& name_tok = Peek();
        if (name_tok.kind != TokenKind::kName) return Error(name_tok, "expected a statement name, got " + Describe(name_tok));
        for (const auto& e : end_tags) {
          if (name_tok.text == e) {
            end_tag = e;
            Next();
            return Status::Ok();
          }
        }
        SGL_ASSIGN_OR_RETURN(StmtPtr s, ParseStatement());
        body.push_back(std::move(s));
      } else {
        return Error(tok, "unexpected " + Describe(tok));
      }
    }
  }

  Result<StmtPtr> ParseStatement() {
    const Token& tok = Next();
    const std::string& name = tok.text;
    auto s = std::make_unique<Stmt>();
    s->pos = tok.pos;
    if (name == "if") return ParseIf(std::move(s));
    if (name == "for") return ParseFor(std::move(s));
    if (name == "set") return ParseSet(std::move(s));
    if (name == "macro") return ParseMacro(std::move(s));
    if (name == "filter") {
      s->kind = Stmt::Kind::kFilterBlock;
      SGL_ASSIGN_OR_RETURN(s->filter, ParseFilterChain(nullptr));
      SGL_RETURN_IF_ERROR(ExpectBlockEnd());
      return ParseBlockBody(std::move(s), "endfilter");
    }
    if (name == "with") return ParseWith(std::move(s));
    if (name == "call") return ParseCallBlock(std::move(s));
    if (name == "generation") {  // transformers' AssistantTracker: renders its body
      s->kind = Stmt::Kind::kIf;
      auto always = std::make_unique<Expr>();
      always->kind = Expr::Kind::kLiteral;
      always->literal = Value(true);
      s->conds.push_back(std::move(always));
      SGL_RETURN_IF_ERROR(ExpectBlockEnd());
      return ParseBlockBody(std::move(s), "endgeneration");
    }
    if (name == "break" || name == "continue") {
      if (loop_depth_ == 0) return Error(tok, "'" + name + "' outside of a loop");
      s->kind = name == "break" ? Stmt::Kind::kBreak : Stmt::Kind::kContinue;
      SGL_RETURN_IF_ERROR(ExpectBlockEnd());
      return s;
    }
    if (name == "include" || name == "extends" || name == "import" || name == "from" || name == "block" ||
        name == "do" || name == "autoescape") {
      return Error(tok, "unsupported statement '" + name + "'");
    }
    return Error(tok, "unknown statement '" + name + "'");
  }

  Result<StmtPtr> ParseBlockBody(StmtPtr s, const char* end) {
    Body body;
    std::string end_tag;
    SGL_RETURN_IF_ERROR(ParseBody({end}, body, end_tag));
    SGL_RETURN_IF_ERROR(ExpectBlockEnd());
    s->bodies.push_back(std::move(body));
    return s;
  }

  Result<StmtPtr> ParseIf(StmtPtr s) {
    s->kind = Stmt::Kind::kIf;
    while (true) {
      SGL_ASSIGN_OR_RETURN(ExprPtr cond, ParseTupleExpr());
      SGL_RETURN_IF_ERROR(ExpectBlockEnd());
      s->conds.push_back(std::move(cond));
      Body body;
      std::string end_tag;
      SGL_RETURN_IF_ERROR(ParseBody({"elif", "else", "endif"}, body, end_tag));
      s->bodies.push_back(std::move(body));
      if (end_tag == "elif") continue;
      if (end_tag == "else") {
        SGL_RETURN_IF_ERROR(ExpectBlockEnd());
        Body else_body;
        SGL_RETURN_IF_ERROR(ParseBody({"endif"}, else_body, end_tag));
        s->bodies.push_back(std::move(else_body));
      }
      SGL_RETURN_IF_ERROR(ExpectBlockEnd());
      return s;
    }
  }

  Status ParseTargets(Stmt& s) {
    SGL_ASSIGN_OR_RETURN(std::string first, ExpectName());
    s.targets.push_back(first);
    while (SkipOp(",")) {
      s.target_is_tuple = true;
      if (Peek().kind != TokenKind::kName) break;
      SGL_ASSIGN_OR_RETURN(std::string more, ExpectName());
      s.targets.push_back(more);
    }
    return Status::Ok();
  }

  Result<StmtPtr> ParseFor(StmtPtr s) {
    s->kind = Stmt::Kind::kFor;
    bool paren = SkipOp("(");
    SGL_RETURN_IF_ERROR(ParseTargets(*s));
    if (paren) SGL_RETURN_IF_ERROR(ExpectOp(")"));
    if (!SkipName("in")) return Error(Peek(), "expected 'in' in for loop, got " + Describe(Peek()));
    SGL_ASSIGN_OR_RETURN(s->expr, ParseTupleExpr(/*allow_cond=*/false));
    if (SkipName("if")) {
      SGL_ASSIGN_OR_RETURN(s->cond, ParseExpr());
    }
    if (IsName("recursive")) return Error(Peek(), "recursive loops are not supported");
    SGL_RETURN_IF_ERROR(ExpectBlockEnd());
    ++loop_depth_;
    Body body;
    std::string end_tag;
    Status st = ParseBody({"else", "endfor"}, body, end_tag);
    --loop_depth_;
    SGL_RETURN_IF_ERROR(st);
    s->bodies.push_back(std::move(body));
    if (end_tag == "else") {
      SGL_RETURN_IF_ERROR(ExpectBlockEnd());
      Body else_body;
      SGL_RETURN_IF_ERROR(ParseBody({"endfor"}, else_body, end_tag));
      s->bodies.push_back(std::move(else_body));
    }
    SGL_RETURN_IF_ERROR(ExpectBlockEnd());
    return s;
  }

  Result<StmtPtr> ParseSet(StmtPtr s) {
    s->kind = Stmt::Kind::kSet;
    SGL_ASSIGN_OR_RETURN(std::string first, ExpectName());
    s->targets.push_back(first);
    if (SkipOp(".")) {
      SGL_ASSIGN_OR_RETURN(s->attr, ExpectName());
    } else {
      while (SkipOp(",")) {
        s->target_is_tuple = true;
        if (Peek().kind != TokenKind::kName) break;
        SGL_ASSIGN_OR_RETURN(std::string more, ExpectName());
        s->targets.push_back(more);
      }
    }
    if (SkipOp("=")) {
      SGL_ASSIGN_OR_RETURN(s->expr, ParseTupleExpr());
      SGL_RETURN_IF_ERROR(ExpectBlockEnd());
      return s;
    }
    if (!s->attr.empty() || s->target_is_tuple) return Error(Peek(), "expected '=' in set");
    s->kind = Stmt::Kind::kSetBlock;
    if (SkipOp("|")) {
      SGL_ASSIGN_OR_RETURN(s->filter, ParseFilterChain(nullptr));
    }
    SGL_RETURN_IF_ERROR(ExpectBlockEnd());
    return ParseBlockBody(std::move(s), "endset");
  }

  // {% with a = x, b = y %} ... {% endwith %}
  Result<StmtPtr> ParseWith(StmtPtr s) {
    s->kind = Stmt::Kind::kWith;
    while (Peek().kind != TokenKind::kBlockEnd) {
      if (!s->params.empty()) SGL_RETURN_IF_ERROR(ExpectOp(","));
      SGL_ASSIGN_OR_RETURN(std::string name, ExpectName());
      SGL_RETURN_IF_ERROR(ExpectOp("="));
      SGL_ASSIGN_OR_RETURN(ExprPtr value, ParseExpr());
      s->params.push_back(std::move(name));
      s->defaults.push_back(std::move(value));
    }
    SGL_RETURN_IF_ERROR(ExpectBlockEnd());
    return ParseBlockBody(std::move(s), "endwith");
  }

  // {% call(args) macro(...) %} body {% endcall %}: the body becomes the macro's caller().
  Result<StmtPtr> ParseCallBlock(StmtPtr s) {
    s->kind = Stmt::Kind::kCallBlock;
    s->text = "caller";
    if (IsOp("(")) SGL_RETURN_IF_ERROR(ParseParams(*s));
    const Token& at = Peek();
    SGL_ASSIGN_OR_RETURN(s->expr, ParseExpr());
    if (s->expr->kind != Expr::Kind::kCall) return Error(at, "'call' needs a macro call");
    SGL_RETURN_IF_ERROR(ExpectBlockEnd());
    int saved_loop_depth = loop_depth_;
    loop_depth_ = 0;
    Result<StmtPtr> out = ParseBlockBody(std::move(s), "endcall");
    loop_depth_ = saved_loop_depth;
    return out;
  }

  // "(name [= default], ...)" into s.params / s.defaults.
  Status ParseParams(Stmt& s) {
    SGL_RETURN_IF_ERROR(ExpectOp("("));
    while (!IsOp(")")) {
      if (!s.params.empty()) SGL_RETURN_IF_ERROR(ExpectOp(","));
      if (IsOp(")")) break;
      SGL_ASSIGN_OR_RETURN(std::string param, ExpectName());
      s.params.push_back(param);
      ExprPtr def;
      if (SkipOp("=")) {
        SGL_ASSIGN_OR_RETURN(def, ParseExpr());
      } else if (!s.defaults.empty() && s.defaults.back() != nullptr) {
        return Error(Peek(), "non-default argument follows default argument");
      }
      s.defaults.push_back(std::move(def));
    }
    Next();
    return Status::Ok();
  }

  Result<StmtPtr> ParseMacro(StmtPtr s) {
    s->kind = Stmt::Kind::kMacro;
    SGL_ASSIGN_OR_RETURN(s->text, ExpectName());
    SGL_RETURN_IF_ERROR(ExpectOp("("));
    while (!IsOp(")")) {
      if (!s->params.empty()) SGL_RETURN_IF_ERROR(ExpectOp(","));
      if (IsOp(")")) break;
      SGL_ASSIGN_OR_RETURN(std::string param, ExpectName());
      s->params.push_back(param);
      ExprPtr def;
      if (SkipOp("=")) {
        SGL_ASSIGN_OR_RETURN(def, ParseExpr());
      } else if (!s->defaults.empty() && s->defaults.back() != nullptr) {
        return Error(Peek(), "non-default argument follows default argument");
      }
      s->defaults.push_back(std::move(def));
    }
    Next();
    SGL_RETURN_IF_ERROR(ExpectBlockEnd());
    int saved_loop_depth = loop_depth_;
    loop_depth_ = 0;
    Result<StmtPtr> out = ParseBlockBody(std::move(s), "endmacro");
    loop_depth_ = saved_loop_depth;
    return out;
  }

  // Computes e's height from its children; fails when the tree gets too deep.
  Result<ExprPtr> Seal(ExprPtr e) {
    int height = 0;
    for (const auto& a : e->args) {
      if (a) height = std::max(height, a->height);
    }
    for (const auto& kv : e->kwargs) height = std::max(height, kv.second->height);
    e->height = height + 1;
    if (e->height > kMaxExprHeight) {
      return InvalidArgument("template syntax error at {}: expression nested too deeply", DescribePosition(src_, e->pos));
    }
    return e;
  }

  ExprPtr Make(Expr::Kind kind, size_t pos) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->pos = pos;
    return e;
  }

  // expr [, expr]* : a bare tuple where jinja2 allows one (output, set value, for iterable).
  Result<ExprPtr> ParseTupleExpr(bool allow_cond = true) {
    size_t pos = Peek().pos;
    SGL_ASSIGN_OR_RETURN(ExprPtr first, allow_cond ? ParseExpr() : ParseOr());
    if (!IsOp(",")) return first;
    ExprPtr tuple = Make(Expr::Kind::kTuple, pos);
    tuple->args.push_back(std::move(first));
    while (SkipOp(",")) {
      if (Peek().kind == TokenKind::kBlockEnd || Peek().kind == TokenKind::kVarEnd || IsName("if")) break;
      SGL_ASSIGN_OR_RETURN(ExprPtr next, allow_cond ? ParseExpr() : ParseOr());
      tuple->args.push_back(std::move(next));
    }
    return Seal(std::move(tuple));
  }

  Result<ExprPtr> ParseExpr() {
    DepthGuard guard(depth_);
    if (depth_ > kMaxNesting) return Error(Peek(), "expression nested too deeply");
    size_t pos = Peek().pos;
    SGL_ASSIGN_OR_RETURN(ExprPtr expr, ParseOr());
    while (IsName("if")) {
      Next();
      ExprPtr cond = Make(Expr::Kind::kCondExpr, pos);
      SGL_ASSIGN_OR_RETURN(ExprPtr test, ParseOr());
      ExprPtr otherwise;
      if (SkipName("else")) {
        SGL_ASSIGN_OR_RETURN(otherwise, ParseExpr());
      }
      cond->args.push_back(std::move(test));
      cond->args.push_back(std::move(expr));
      cond->args.push_back(std::move(otherwise));
      SGL_ASSIGN_OR_RETURN(expr, Seal(std::move(cond)));
    }
    return expr;
  }

  Result<ExprPtr> Binary(const std::string& op, ExprPtr left, ExprPtr right, size_t pos) {
    ExprPtr e = Make(Expr::Kind::kBinary, pos);
    e->name = op;
    e->args.push_back(std::move(left));
    e->args.push_back(std::move(right));
    return Seal(std::move(e));
  }

  Result<ExprPtr> ParseOr() {
    SGL_ASSIGN_OR_RETURN(ExprPtr left, ParseAnd());
    while (IsName("or")) {
      size_t pos = Next().pos;
      SGL_ASSIGN_OR_RETURN(ExprPtr right, ParseAnd());
      SGL_ASSIGN_OR_RETURN(left, Binary("or", std::move(left), std::move(right), pos));
    }
    return left;
  }

  Result<ExprPtr> ParseAnd() {
    SGL_ASSIGN_OR_RETURN(ExprPtr left, ParseNot());
    while (IsName("and")) {
      size_t pos = Next().pos;
      SGL_ASSIGN_OR_RETURN(ExprPtr right, ParseNot());
      SGL_ASSIGN_OR_RETURN(left, Binary("and", std::move(left), std::move(right), pos));
    }
    return left;
  }

  Result<ExprPtr> ParseNot() {
    if (IsName("not")) {
      DepthGuard guard(depth_);
      if (depth_ > kMaxNesting) return Error(Peek(), "expression nested too deeply");
      size_t pos = Next().pos;
      ExprPtr e = Make(Expr::Kind::kUnary, pos);
      e->name = "not";
      SGL_ASSIGN_OR_RETURN(ExprPtr operand, ParseNot());
      e->args.push_back(std::move(operand));
      return Seal(std::move(e));
    }
    return ParseCompare();
  }

  Result<ExprPtr> ParseCompare() {
    size_t pos = Peek().pos;
    SGL_ASSIGN_OR_RETURN(ExprPtr first, ParseMath1());
    ExprPtr cmp;
    while (true) {
      std::string op;
      const Token& tok = Peek();
      if (tok.kind == TokenKind::kOp &&
          (tok.text == "==" || tok.text == "!=" || tok.text == "<" || tok.text == ">" || tok.text == "<=" || tok.text == ">=")) {
        op = tok.text;
        Next();
      } else if (IsName("in")) {
        op = "in";
        Next();
      } else if (IsName("not") && IsName("in", 1)) {
        op = "notin";
        Next();
        Next();
      } else {
        break;
      }
      if (!cmp) {
        cmp = Make(Expr::Kind::kCompare, pos);
        cmp->args.push_back(std::move(first));
      }
      SGL_ASSIGN_OR_RETURN(ExprPtr right, ParseMath1());
      cmp->ops.push_back(op);
      cmp->args.push_back(std::move(right));
    }
    if (!cmp) return first;
    return Seal(std::move(cmp));
  }

  Result<ExprPtr> ParseMath1() {
    SGL_ASSIGN_OR_RETURN(ExprPtr left, ParseConcat());
    while (IsOp("+") || IsOp("-")) {
      const Token& tok = Next();
      SGL_ASSIGN_OR_RETURN(ExprPtr right, ParseConcat());
      SGL_ASSIGN_OR_RETURN(left, Binary(tok.text, std::move(left), std::move(right), tok.pos));
    }
    return left;
  }

  Result<ExprPtr> ParseConcat() {
    SGL_ASSIGN_OR_RETURN(ExprPtr left, ParseMath2());
    while (IsOp("~")) {
      const Token& tok = Next();
      SGL_ASSIGN_OR_RETURN(ExprPtr right, ParseMath2());
      SGL_ASSIGN_OR_RETURN(left, Binary("~", std::move(left), std::move(right), tok.pos));
    }
    return left;
  }

  Result<ExprPtr> ParseMath2() {
    SGL_ASSIGN_OR_RETURN(ExprPtr left, ParsePow());
    while (IsOp("*") || IsOp("/") || IsOp("//") || IsOp("%")) {
      const Token& tok = Next();
      SGL_ASSIGN_OR_RETURN(ExprPtr right, ParsePow());
      SGL_ASSIGN_OR_RETURN(left, Binary(tok.text, std::move(left), std::move(right), tok.pos));
    }
    return left;
  }

  Result<ExprPtr> ParsePow() {
    SGL_ASSIGN_OR_RETURN(ExprPtr left, ParseUnary(true));
    while (IsOp("**")) {
      const Token& tok = Next();
      SGL_ASSIGN_OR_RETURN(ExprPtr right, ParseUnary(true));
      SGL_ASSIGN_OR_RETURN(left, Binary("**", std::move(left), std::move(right), tok.pos));
    }
    return left;
  }

  Result<ExprPtr> ParseUnary(bool with_filter) {
    DepthGuard guard(depth_);
    if (depth_ > kMaxNesting) return Error(Peek(), "expression nested too deeply");
    ExprPtr node;
    if (IsOp("-") || IsOp("+")) {
      const Token& tok = Next();
      node = Make(Expr::Kind::kUnary, tok.pos);
      node->name = tok.text;
      SGL_ASSIGN_OR_RETURN(ExprPtr operand, ParseUnary(false));
      node->args.push_back(std::move(operand));
      SGL_ASSIGN_OR_RETURN(node, Seal(std::move(node)));
    } else {
      SGL_ASSIGN_OR_RETURN(node, ParsePrimary());
    }
    SGL_ASSIGN_OR_RETURN(node, ParsePostfix(std::move(node)));
    if (with_filter) return ParseFilterExpr(std::move(node));
    return node;
  }

  Result<ExprPtr> ParsePrimary() {
    const Token& tok = Peek();
    switch (tok.kind) {
      case TokenKind::kName: {
        Next();
        ExprPtr e = Make(Expr::Kind::kLiteral, tok.pos);
        if (tok.text == "true" || tok.text == "True") e->literal = Value(true);
        else if (tok.text == "false" || tok.text == "False") e->literal = Value(false);
        else if (tok.text == "none" || tok.text == "None") e->literal = Value::None();
        else {
          e->kind = Expr::Kind::kName;
          e->name = tok.text;
        }
        return e;
      }
      case TokenKind::kString: {
        Next();
        std::string s = tok.text;
        while (Peek().kind == TokenKind::kString) s += Next().text;  // adjacent literals concatenate
        ExprPtr e = Make(Expr::Kind::kLiteral, tok.pos);
        e->literal = Value(std::move(s));
        return e;
      }
      case TokenKind::kInt: {
        Next();
        ExprPtr e = Make(Expr::Kind::kLiteral, tok.pos);
        int64_t v = 0;
        auto res = std::from_chars(tok.text.data(), tok.text.data() + tok.text.size(), v);
        if (res.ec != std::errc()) return Error(tok, "integer literal out of the 64-bit range");
        e->literal = Value(v);
        return e;
      }
      case TokenKind::kFloat: {
        Next();
        ExprPtr e = Make(Expr::Kind::kLiteral, tok.pos);
        e->literal = Value(std::strtod(tok.text.c_str(), nullptr));
        return e;
      }
      case TokenKind::kOp:
        if (tok.text == "(") {
          Next();
          if (SkipOp(")")) return Make(Expr::Kind::kTuple, tok.pos);
          SGL_ASSIGN_OR_RETURN(ExprPtr inner, ParseExpr());
          if (IsOp(",")) {
            ExprPtr tuple = Make(Expr::Kind::kTuple, tok.pos);
            tuple->args.push_back(std::move(inner));
            while (SkipOp(",")) {
              if (IsOp(")")) break;
              SGL_ASSIGN_OR_RETURN(ExprPtr next, ParseExpr());
              tuple->args.push_back(std::move(next));
            }
            SGL_ASSIGN_OR_RETURN(inner, Seal(std::move(tuple)));
          }
          SGL_RETURN_IF_ERROR(ExpectOp(")"));
          return inner;
        }
        if (tok.text == "[") {
          Next();
          ExprPtr list = Make(Expr::Kind::kList, tok.pos);
          while (!IsOp("]")) {
            if (!list->args.empty()) SGL_RETURN_IF_ERROR(ExpectOp(","));
            if (IsOp("]")) break;
            SGL_ASSIGN_OR_RETURN(ExprPtr item, ParseExpr());
            list->args.push_back(std::move(item));
          }
          Next();
          return Seal(std::move(list));
        }
        if (tok.text == "{") {
          Next();
          ExprPtr dict = Make(Expr::Kind::kDict, tok.pos);
          while (!IsOp("}")) {
            if (!dict->args.empty()) SGL_RETURN_IF_ERROR(ExpectOp(","));
            if (IsOp("}")) break;
            SGL_ASSIGN_OR_RETURN(ExprPtr key, ParseExpr());
            SGL_RETURN_IF_ERROR(ExpectOp(":"));
            SGL_ASSIGN_OR_RETURN(ExprPtr value, ParseExpr());
            dict->args.push_back(std::move(key));
            dict->args.push_back(std::move(value));
          }
          Next();
          return Seal(std::move(dict));
        }
        break;
      default:
        break;
    }
    return Error(tok, "unexpected " + Describe(tok));
  }

  Result<ExprPtr> ParsePostfix(ExprPtr node) {
    while (true) {
      if (IsOp(".")) {
        size_t pos = Next().pos;
        const Token& tok = Peek();
        if (tok.kind == TokenKind::kName) {
          ExprPtr e = Make(Expr::Kind::kGetAttr, pos);
          e->name = Next().text;
          e->args.push_back(std::move(node));
          SGL_ASSIGN_OR_RETURN(node, Seal(std::move(e)));
        } else if (tok.kind == TokenKind::kInt) {
          ExprPtr e = Make(Expr::Kind::kGetItem, pos);
          ExprPtr index = Make(Expr::Kind::kLiteral, tok.pos);
          index->literal = Value(static_cast<int64_t>(std::strtoll(Next().text.c_str(), nullptr, 10)));
          e->args.push_back(std::move(node));
          e->args.push_back(std::move(index));
          SGL_ASSIGN_OR_RETURN(node, Seal(std::move(e)));
        } else {
          return Error(tok, "expected an attribute name after '.'");
        }
      } else if (IsOp("[")) {
        SGL_ASSIGN_OR_RETURN(node, ParseSubscript(std::move(node)));
      } else if (IsOp("(")) {
        SGL_ASSIGN_OR_RETURN(node, ParseCall(std::move(node)));
      } else {
        return node;
      }
    }
  }

  Result<ExprPtr> ParseSubscript(ExprPtr node) {
    size_t pos = Next().pos;  // '['
    ExprPtr parts[3];
    int colons = 0;
    while (!IsOp("]")) {
      if (SkipOp(":")) {
        if (++colons > 2) return Error(Peek(), "too many ':' in slice");
        continue;
      }
      if (parts[colons]) return Error(Peek(), "expected ']' or ':', got " + Describe(Peek()));
      SGL_ASSIGN_OR_RETURN(parts[colons], ParseExpr());
    }
    Next();
    if (colons == 0) {
      if (!parts[0]) return Error(Peek(), "empty subscript");
      ExprPtr e = Make(Expr::Kind::kGetItem, pos);
      e->args.push_back(std::move(node));
      e->args.push_back(std::move(parts[0]));
      return Seal(std::move(e));
    }
    ExprPtr e = Make(Expr::Kind::kSlice, pos);
    e->args.push_back(std::move(node));
    for (auto& p : parts) e->args.push_back(std::move(p));
    return Seal(std::move(e));
  }

  Status ParseArgs(Expr& call) {
    SGL_RETURN_IF_ERROR(ExpectOp("("));
    bool first = true;
    while (!IsOp(")")) {
      if (!first) SGL_RETURN_IF_ERROR(ExpectOp(","));
      first = false;
      if (IsOp(")")) break;
      if (IsOp("*") || IsOp("**")) return Error(Peek(), "*args and **kwargs in calls are not supported");
      if (Peek().kind == TokenKind::kName && IsOp("=", 1)) {
        std::string key = Next().text;
        Next();
        SGL_ASSIGN_OR_RETURN(ExprPtr value, ParseExpr());
        call.kwargs.emplace_back(key, std::move(value));
      } else {
        if (!call.kwargs.empty()) return Error(Peek(), "positional argument follows keyword argument");
        SGL_ASSIGN_OR_RETURN(ExprPtr value, ParseExpr());
        call.args.push_back(std::move(value));
      }
    }
    Next();
    return Status::Ok();
  }

  Result<ExprPtr> ParseCall(ExprPtr node) {
    ExprPtr e = Make(Expr::Kind::kCall, Peek().pos);
    e->args.push_back(std::move(node));
    SGL_RETURN_IF_ERROR(ParseArgs(*e));
    return Seal(std::move(e));
  }

  Result<std::string> ParseDottedName() {
    SGL_ASSIGN_OR_RETURN(std::string name, ExpectName());
    while (IsOp(".") && Peek(1).kind == TokenKind::kName) {
      Next();
      name += "." + Next().text;
    }
    return name;
  }

  // `| f(args) | g ...` applied to `node` (null in filter blocks: the block's output).
  Result<ExprPtr> ParseFilterChain(ExprPtr node) {
    bool first = node == nullptr;
    while (first || IsOp("|")) {
      if (!first) Next();
      first = false;
      ExprPtr e = Make(Expr::Kind::kFilter, Peek().pos);
      SGL_ASSIGN_OR_RETURN(e->name, ParseDottedName());
      e->args.push_back(std::move(node));
      if (IsOp("(")) SGL_RETURN_IF_ERROR(ParseArgs(*e));
      SGL_ASSIGN_OR_RETURN(node, Seal(std::move(e)));
    }
    return node;
  }

  Result<ExprPtr> ParseFilterExpr(ExprPtr node) {
    while (true) {
      if (IsOp("|")) {
        SGL_ASSIGN_OR_RETURN(node, ParseFilterChain(std::move(node)));
      } else if (IsName("is")) {
        size_t pos = Next().pos;
        ExprPtr e = Make(Expr::Kind::kTest, pos);
        e->negated = SkipName("not");
        SGL_ASSIGN_OR_RETURN(e->name, ParseDottedName());
        e->args.push_back(std::move(node));
        const Token& tok = Peek();
        if (IsOp("(")) {
          SGL_RETURN_IF_ERROR(ParseArgs(*e));
        } else if ((tok.kind == TokenKind::kName || tok.kind == TokenKind::kString || tok.kind == TokenKind::kInt ||
                    tok.kind == TokenKind::kFloat || IsOp("[") || IsOp("{")) &&
                   !IsName("else") && !IsName("or") && !IsName("and") && !IsName("if") && !IsName("in") &&
                   !IsName("is") && !IsName("not")) {
          SGL_ASSIGN_OR_RETURN(ExprPtr arg, ParseUnary(false));
          SGL_ASSIGN_OR_RETURN(arg, ParsePostfix(std::move(arg)));
          e->args.push_back(std::move(arg));
        }
        SGL_ASSIGN_OR_RETURN(node, Seal(std::move(e)));
      } else if (IsOp("(")) {
        SGL_ASSIGN_OR_RETURN(node, ParseCall(std::move(node)));
      } else {
        return node;
      }
    }
  }

  const std::vector<Token>& t_;
  const std::string& src_;
  size_t i_ = 0;
  int depth_ = 0;
  int loop_depth_ = 0;
};

}  // namespace

Result<Body> Parse(const std::vector<Token>& tokens, const std::string& source) {
  return Parser(tokens, source).ParseTemplate();
}

}  // namespace sgl::jinja
