// jinja2's filters and tests, as chat templates use them; `tojson` is transformers'
// override (json.dumps with ensure_ascii=False, no HTML escaping).
#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "tokenizer/chat_template/builtins.h"
#include "tokenizer/chat_template/methods.h"

namespace sgl::jinja {
namespace {

using FilterFn = Result<Value> (*)(Budget&, const Value&, CallArgs&);

bool BoolArg(const CallArgs& args, size_t index, const char* name, bool def) {
  const Value* v = Arg(args, index, name);
  return v != nullptr ? v->Truthy() : def;
}

// jinja2's attribute getter: "a.b.0" walks items/attributes part by part.
Result<Value> GetPath(const Value& obj, const Value& path) {
  if (!path.is_string()) return GetItem(obj, path);
  Value cur = obj;
  const std::string& p = path.as_string();
  size_t start = 0;
  while (true) {
    size_t dot = p.find('.', start);
    std::string part = p.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    bool numeric = !part.empty() && std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; }) && part.size() < 18;
    SGL_ASSIGN_OR_RETURN(cur, GetItem(cur, numeric ? Value(static_cast<int64_t>(std::stoll(part))) : Value(part)));
    if (dot == std::string::npos) return cur;
    start = dot + 1;
  }
}

Result<Value> Items(Budget&, const Value& v, CallArgs&) {
  if (v.is_undefined()) return Value(List{});
  if (!v.is_dict()) return InvalidArgument("items filter: expected a mapping, got {}", v.TypeName());
  List out;
  for (const auto& [k, val] : v.as_dict()) out.push_back(Value::Tuple({k, val}));
  return Value(std::move(out));
}

Result<Value> ToJsonFilter(Budget& budget, const Value& v, CallArgs& args) {
  JsonDumpOptions o;
  o.ensure_ascii = BoolArg(args, 0, "ensure_ascii", false);
  if (const Value* indent = Arg(args, 1, "indent"); indent != nullptr && !indent->is_none()) {
    if (indent->is_string()) o.indent = indent->as_string();
    else if (indent->is_int()) o.indent = std::string(std::clamp<int64_t>(indent->as_int(), 0, 64), ' ');
    else return InvalidArgument("tojson: indent must be an int or a string");
    o.item_separator = ",";
  }
  if (const Value* sep = Arg(args, 2, "separators"); sep != nullptr && !sep->is_none()) {
    if (!sep->is_list() || sep->as_list().size() != 2 || !sep->as_list()[0].is_string() || !sep->as_list()[1].is_string()) {
      return InvalidArgument("tojson: separators must be a pair of strings");
    }
    o.item_separator = sep->as_list()[0].as_string();
    o.key_separator = sep->as_list()[1].as_string();
  }
  o.sort_keys = BoolArg(args, 3, "sort_keys", false);
  SGL_ASSIGN_OR_RETURN(std::string out, ToJson(v, o));
  SGL_RETURN_IF_ERROR(budget.CheckSize(out.size()));
  return Value(std::move(out));
}

Result<Value> Length(Budget&, const Value& v, CallArgs&) {
  SGL_ASSIGN_OR_RETURN(int64_t n, Length(v));
  return Value(n);
}

Result<Value> First(Budget&, const Value& v, CallArgs&) {
  SGL_ASSIGN_OR_RETURN(List items, Iterate(v));
  return items.empty() ? Value(Undefined{"first"}) : items.front();
}

Result<Value> Last(Budget&, const Value& v, CallArgs&) {
  SGL_ASSIGN_OR_RETURN(List items, Iterate(v));
  return items.empty() ? Value(Undefined{"last"}) : items.back();
}

Result<Value> Join(Budget& budget, const Value& v, CallArgs& args) {
  const Value* sep = Arg(args, 0, "d");
  const Value* attribute = Arg(args, 1, "attribute");
  SGL_ASSIGN_OR_RETURN(List items, Iterate(v));
  std::string out;
  std::string separator = sep ? ToStr(*sep) : "";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += separator;
    Value item = items[i];
    if (attribute) {
      SGL_ASSIGN_OR_RETURN(item, GetPath(item, *attribute));
    }
    out += ToStr(item);
    SGL_RETURN_IF_ERROR(budget.CheckSize(out.size()));
  }
  return Value(std::move(out));
}

Result<Value> Upper(Budget&, const Value& v, CallArgs&) { return Value(AsciiUpper(ToStr(v))); }
Result<Value> Lower(Budget&, const Value& v, CallArgs&) { return Value(AsciiLower(ToStr(v))); }
Result<Value> CapitalizeFilter(Budget&, const Value& v, CallArgs&) { return Value(Capitalize(ToStr(v))); }

// jinja2's title: words start after whitespace, '-', '(', '{', '[' or '<'.
Result<Value> Title(Budget&, const Value& v, CallArgs&) {
  std::string s = ToStr(v);
  bool word_start = true;
  for (char& c : s) {
    bool boundary = std::isspace(static_cast<unsigned char>(c)) || c == '-' || c == '(' || c == '{' || c == '[' || c == '<';
    if (boundary) {
      word_start = true;
      continue;
    }
    c = static_cast<char>(word_start ? std::toupper(static_cast<unsigned char>(c)) : std::tolower(static_cast<unsigned char>(c)));
    word_start = false;
  }
  return Value(std::move(s));
}

Result<Value> Trim(Budget&, const Value& v, CallArgs& args) {
  const Value* chars = Arg(args, 0, "chars");
  return Value(StripChars(ToStr(v), chars && chars->is_string() ? &chars->as_string() : nullptr, true, true));
}

Result<Value> Replace(Budget& budget, const Value& v, CallArgs& args) {
  const Value* old_text = Arg(args, 0, "old");
  const Value* new_text = Arg(args, 1, "new");
  const Value* count = Arg(args, 2, "count");
  if (old_text == nullptr || new_text == nullptr) return InvalidArgument("replace filter needs two arguments");
  int64_t n = count && count->is_int() ? count->as_int() : -1;
  SGL_ASSIGN_OR_RETURN(std::string out, ReplaceAll(budget, ToStr(v), ToStr(*old_text), ToStr(*new_text), n));
  return Value(std::move(out));
}

Result<Value> Default(Budget&, const Value& v, CallArgs& args) {
  const Value* def = Arg(args, 0, "default_value");
  bool boolean = BoolArg(args, 1, "boolean", false);
  if (v.is_undefined() || (boolean && !v.Truthy())) return def ? *def : Value("");
  return v;
}

Result<Value> ToList(Budget&, const Value& v, CallArgs&) {
  SGL_ASSIGN_OR_RETURN(List items, Iterate(v));
  return Value(std::move(items));
}

Result<Value> String(Budget&, const Value& v, CallArgs&) { return Value(ToStr(v)); }

Result<Value> Int(Budget&, const Value& v, CallArgs& args) {
  const Value* def = Arg(args, 0, "default");
  Value fallback = def ? *def : Value(0);
  if (v.is_number()) {
    if (!v.is_float()) return Value(v.as_int());
    double d = v.as_float();
    if (!std::isfinite(d) || std::fabs(d) > 9.2e18) return fallback;
    return Value(static_cast<int64_t>(d));
  }
  if (v.is_string()) {
    std::string s = StripChars(v.as_string(), nullptr, true, true);
    char* end = nullptr;
    errno = 0;
    long long i = std::strtoll(s.c_str(), &end, 10);
    if (!s.empty() && end == s.c_str() + s.size() && errno == 0) return Value(static_cast<int64_t>(i));
    double d = std::strtod(s.c_str(), &end);
    if (!s.empty() && end == s.c_str() + s.size() && std::isfinite(d) && std::fabs(d) < 9.2e18) {
      return Value(static_cast<int64_t>(d));
    }
  }
  return fallback;
}

Result<Value> Float(Budget&, const Value& v, CallArgs& args) {
  const Value* def = Arg(args, 0, "default");
  Value fallback = def ? *def : Value(0.0);
  if (v.is_number()) return Value(v.as_float());
  if (v.is_string()) {
    std::string s = StripChars(v.as_string(), nullptr, true, true);
    char* end = nullptr;
    double d = std::strtod(s.c_str(), &end);
    if (!s.empty() && end == s.c_str() + s.size()) return Value(d);
  }
  return fallback;
}

Result<Value> Abs(Budget&, const Value& v, CallArgs&) {
  if (v.is_float()) return Value(std::fabs(v.as_float()));
  if (v.is_number()) {
    if (v.as_int() == INT64_MIN) return InvalidArgument("integer overflow in abs");
    return Value(v.as_int() < 0 ? -v.as_int() : v.as_int());
  }
  return InvalidArgument("bad operand type for abs(): '{}'", v.TypeName());
}

Result<Value> Round(Budget&, const Value& v, CallArgs& args) {
  if (!v.is_number()) return InvalidArgument("round filter needs a number, not {}", v.TypeName());
  const Value* precision_v = Arg(args, 0, "precision");
  const Value* method_v = Arg(args, 1, "method");
  int64_t precision = precision_v && precision_v->is_int() ? std::clamp<int64_t>(precision_v->as_int(), -300, 300) : 0;
  std::string method = method_v && method_v->is_string() ? method_v->as_string() : "common";
  double scale = std::pow(10.0, static_cast<double>(precision));
  double x = v.as_float();
  double r;
  if (method == "common") r = std::nearbyint(x * scale) / scale;  // Python round(): half to even
  else if (method == "ceil") r = std::ceil(x * scale) / scale;
  else if (method == "floor") r = std::floor(x * scale) / scale;
  else return InvalidArgument("method must be common, ceil or floor");
  if (!std::isfinite(r)) r = x;
  return Value(r);
}

Result<Value> Reverse(Budget&, const Value& v, CallArgs&) {
  if (v.is_string()) {
    std::vector<std::string> chars = SplitCodePoints(v.as_string());
    std::string out;
    for (auto it = chars.rbegin(); it != chars.rend(); ++it) out += *it;
    return Value(std::move(out));
  }
  SGL_ASSIGN_OR_RETURN(List items, Iterate(v));
  std::reverse(items.begin(), items.end());
  return Value(std::move(items));
}

// Key for sort/unique: lower-cased strings unless case_sensitive.
Result<Value> SortKey(const Value& item, const Value* attribute, bool case_sensitive) {
  Value key = item;
  if (attribute) {
    SGL_ASSIGN_OR_RETURN(key, GetPath(item, *attribute));
  }
  if (!case_sensitive && key.is_string()) return Value(AsciiLower(key.as_string()));
  return key;
}

Result<Value> Sort(Budget& budget, const Value& v, CallArgs& args) {
  bool reverse = BoolArg(args, 0, "reverse", false);
  bool case_sensitive = BoolArg(args, 1, "case_sensitive", false);
  const Value* attribute = Arg(args, 2, "attribute");
  SGL_ASSIGN_OR_RETURN(List items, Iterate(v));
  std::vector<std::pair<Value, Value>> keyed;
  for (const Value& item : items) {
    SGL_ASSIGN_OR_RETURN(Value key, SortKey(item, attribute, case_sensitive));
    keyed.emplace_back(std::move(key), item);
  }
  SGL_RETURN_IF_ERROR(budget.Charge(keyed.size() * 8));
  Status error;
  std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
    if (!error.ok()) return false;
    Result<bool> less = reverse ? Less(b.first, a.first) : Less(a.first, b.first);
    if (!less.ok()) {
      error = less.status();
      return false;
    }
    return *less;
  });
  SGL_RETURN_IF_ERROR(error);
  List out;
  for (auto& kv : keyed) out.push_back(std::move(kv.second));
  return Value(std::move(out));
}

Result<Value> DictSort(Budget& budget, const Value& v, CallArgs& args) {
  if (!v.is_dict()) return InvalidArgument("dictsort filter: expected a mapping, got {}", v.TypeName());
  bool case_sensitive = BoolArg(args, 0, "case_sensitive", false);
  const Value* by = Arg(args, 1, "by");
  bool by_value = by && by->is_string() && by->as_string() == "value";
  bool reverse = BoolArg(args, 2, "reverse", false);
  List pairs;
  for (const auto& [k, val] : v.as_dict()) pairs.push_back(Value::Tuple({k, val}));
  CallArgs sort_args;
  sort_args.keyword = {{"reverse", Value(reverse)}, {"case_sensitive", Value(case_sensitive)},
                       {"attribute", Value(by_value ? 1 : 0)}};
  return Sort(budget, Value(std::move(pairs)), sort_args);
}

Result<Value> Unique(Budget& budget, const Value& v, CallArgs& args) {
  bool case_sensitive = BoolArg(args, 0, "case_sensitive", false);
  const Value* attribute = Arg(args, 1, "attribute");
  SGL_ASSIGN_OR_RETURN(List items, Iterate(v));
  List out, seen;
  for (const Value& item : items) {
    SGL_ASSIGN_OR_RETURN(Value key, SortKey(item, attribute, case_sensitive));
    SGL_RETURN_IF_ERROR(budget.Charge(seen.size() + 1));
    if (std::any_of(seen.begin(), seen.end(), [&](const Value& s) { return Equals(s, key); })) continue;
    seen.push_back(key);
    out.push_back(item);
  }
  return Value(std::move(out));
}

Result<Value> MinMax(Budget& budget, const Value& v, CallArgs& args, bool want_max) {
  bool case_sensitive = BoolArg(args, 0, "case_sensitive", false);
  const Value* attribute = Arg(args, 1, "attribute");
  SGL_ASSIGN_OR_RETURN(List items, Iterate(v));
  if (items.empty()) return Value(Undefined{want_max ? "max" : "min"});
  size_t best = 0;
  SGL_ASSIGN_OR_RETURN(Value best_key, SortKey(items[0], attribute, case_sensitive));
  for (size_t i = 1; i < items.size(); ++i) {
    SGL_ASSIGN_OR_RETURN(Value key, SortKey(items[i], attribute, case_sensitive));
    SGL_ASSIGN_OR_RETURN(bool better, want_max ? Less(best_key, key) : Less(key, best_key));
    if (better) {
      best = i;
      best_key = key;
    }
  }
  return items[best];
}
Result<Value> Min(Budget& b, const Value& v, CallArgs& a) { return MinMax(b, v, a, false); }
Result<Value> Max(Budget& b, const Value& v, CallArgs& a) { return MinMax(b, v, a, true); }

Result<Value> Sum(Budget& budget, const Value& v, CallArgs& args) {
  const Value* attribute = Arg(args, 0, "attribute");
  const Value* start = Arg(args, 1, "start");
  Value total = start ? *start : Value(0);
  SGL_ASSIGN_OR_RETURN(List items, Iterate(v));
  for (const Value& item : items) {
    Value x = item;
    if (attribute) {
      SGL_ASSIGN_OR_RETURN(x, GetPath(item, *attribute));
    }
    SGL_ASSIGN_OR_RETURN(total, BinaryOp(budget, "+", total, x));
  }
  return total;
}

Result<Value> Indent(Budget& budget, const Value& v, CallArgs& args) {
  const Value* width = Arg(args, 0, "width");
  bool first = BoolArg(args, 1, "first", false);
  bool blank = BoolArg(args, 2, "blank", false);
  std::string indention = "    ";
  if (width && width->is_string()) indention = width->as_string();
  else if (width && (width->is_int() || width->is_bool())) indention = std::string(std::clamp<int64_t>(width->as_int(), 0, 1024), ' ');
  std::string s = ToStr(v) + "\n";
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\n' || s[i] == '\r') {
      lines.push_back(s.substr(start, i - start));
      if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
      start = i + 1;
    }
  }
  if (start < s.size()) lines.push_back(s.substr(start));
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) {
      out += "\n";
      if (blank || !lines[i].empty()) out += indention;
    }
    out += lines[i];
    SGL_RETURN_IF_ERROR(budget.CheckSize(out.size()));
  }
  if (first) out = indention + out;
  return Value(std::move(out));
}

Result<Value> Safe(Budget&, const Value& v, CallArgs&) { return v; }

Result<Value> Escape(Budget&, const Value& v, CallArgs&) {
  std::string out;
  for (char c : ToStr(v)) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return Value(std::move(out));
}

Result<Value> Attr(Budget&, const Value& v, CallArgs& args) {
  const Value* name = Arg(args, 0, "name");
  if (name == nullptr || !name->is_string()) return InvalidArgument("attr filter needs a name");
  return GetAttr(v, name->as_string());
}

Result<Value> Format(Budget& budget, const Value& v, CallArgs& args) {
  return PercentFormat(budget, ToStr(v), Value::Tuple(args.positional));
}

Result<Value> Center(Budget& budget, const Value& v, CallArgs& args) {
  std::string s = ToStr(v);
  const Value* width_v = Arg(args, 0, "width");
  int64_t width = width_v && width_v->is_int() ? std::min<int64_t>(width_v->as_int(), 1 << 20) : 80;
  int64_t len = static_cast<int64_t>(CodePointCount(s));
  if (width <= len) return Value(s);
  int64_t pad = width - len;
  int64_t left = pad / 2 + (pad & width & 1);
  return Value(std::string(left, ' ') + s + std::string(pad - left, ' '));
}

// select/reject/selectattr/rejectattr: keep items whose test (or truthiness) matches.
Result<Value> SelectImpl(Budget& budget, const Value& v, CallArgs& args, bool by_attr, bool keep) {
  SGL_ASSIGN_OR_RETURN(List items, Iterate(v));
  size_t next = 0;
  const Value* attribute = nullptr;
  if (by_attr) {
    if (args.positional.empty()) return InvalidArgument("selectattr/rejectattr need an attribute");
    attribute = &args.positional[next++];
  }
  std::string test;
  if (next < args.positional.size()) {
    if (!args.positional[next].is_string()) return InvalidArgument("test name must be a string");
    test = args.positional[next++].as_string();
  }
  CallArgs test_args;
  test_args.positional.assign(args.positional.begin() + next, args.positional.end());
  test_args.keyword = args.keyword;
  List out;
  for (const Value& item : items) {
    SGL_RETURN_IF_ERROR(budget.Charge(1));
    Value x = item;
    if (attribute) {
      SGL_ASSIGN_OR_RETURN(x, GetPath(item, *attribute));
    }
    bool pass;
    if (test.empty()) {
      pass = x.Truthy();
    } else {
      CallArgs copy = test_args;
      SGL_ASSIGN_OR_RETURN(pass, CallTest(budget, test, x, copy));
    }
    if (pass == keep) out.push_back(item);
  }
  return Value(std::move(out));
}
Result<Value> Select(Budget& b, const Value& v, CallArgs& a) { return SelectImpl(b, v, a, false, true); }
Result<Value> Reject(Budget& b, const Value& v, CallArgs& a) { return SelectImpl(b, v, a, false, false); }
Result<Value> SelectAttr(Budget& b, const Value& v, CallArgs& a) { return SelectImpl(b, v, a, true, true); }
Result<Value> RejectAttr(Budget& b, const Value& v, CallArgs& a) { return SelectImpl(b, v, a, true, false); }

Result<Value> Map(Budget& budget, const Value& v, CallArgs& args) {
  SGL_ASSIGN_OR_RETURN(List items, Iterate(v));
  const Value* attribute = nullptr;
  const Value* def = nullptr;
  for (const auto& [k, val] : args.keyword) {
    if (k == "attribute") attribute = &val;
    if (k == "default") def = &val;
  }
  List out;
  if (attribute) {
    for (const Value& item : items) {
      SGL_ASSIGN_OR_RETURN(Value x, GetPath(item, *attribute));
      out.push_back(x.is_undefined() && def ? *def : x);
    }
    return Value(std::move(out));
  }
  if (args.positional.empty() || !args.positional[0].is_string()) return InvalidArgument("map needs a filter name or attribute=");
  std::string filter = args.positional[0].as_string();
  CallArgs filter_args;
  filter_args.positional.assign(args.positional.begin() + 1, args.positional.end());
  filter_args.keyword = args.keyword;
  for (const Value& item : items) {
    SGL_RETURN_IF_ERROR(budget.Charge(1));
    CallArgs copy = filter_args;
    SGL_ASSIGN_OR_RETURN(Value x, CallFilter(budget, filter, item, copy));
    out.push_back(std::move(x));
  }
  return Value(std::move(out));
}

const std::unordered_map<std::string, FilterFn>& Filters() {
  static const auto* filters = new std::unordered_map<std::string, FilterFn>{
      {"abs", Abs},         {"attr", Attr},           {"capitalize", CapitalizeFilter}, {"center", Center},
      {"count", Length},    {"d", Default},           {"default", Default},             {"dictsort", DictSort},
      {"e", Escape},        {"escape", Escape},       {"first", First},                 {"float", Float},
      {"format", Format},   {"indent", Indent},       {"int", Int},                     {"items", Items},
      {"join", Join},       {"last", Last},           {"length", Length},               {"list", ToList},
      {"lower", Lower},     {"map", Map},             {"max", Max},                     {"min", Min},
      {"reject", Reject},   {"rejectattr", RejectAttr}, {"replace", Replace},           {"reverse", Reverse},
      {"round", Round},     {"safe", Safe},           {"select", Select},               {"selectattr", SelectAttr},
      {"sort", Sort},       {"string", String},       {"sum", Sum},                     {"title", Title},
      {"tojson", ToJsonFilter}, {"trim", Trim},       {"unique", Unique},               {"upper", Upper},
  };
  return *filters;
}

Result<bool> CompareTest(const std::string& name, const Value& v, const Value& other) {
  if (name == "eq" || name == "equalto" || name == "==") return Equals(v, other);
  if (name == "ne" || name == "!=") return !Equals(v, other);
  if (name == "lt" || name == "lessthan" || name == "<") return Less(v, other);
  if (name == "gt" || name == "greaterthan" || name == ">") return Less(other, v);
  if (name == "le" || name == "<=") {
    SGL_ASSIGN_OR_RETURN(bool greater, Less(other, v));
    return !greater;
  }
  SGL_ASSIGN_OR_RETURN(bool less, Less(v, other));
  return !less;
}

}  // namespace

Result<Value> CallFilter(Budget& budget, const std::string& name, const Value& input, CallArgs& args) {
  auto it = Filters().find(name);
  if (it == Filters().end()) return NotFound("no filter named '{}'", name);
  SGL_RETURN_IF_ERROR(budget.Charge(1));
  return it->second(budget, input, args);
}

Result<bool> CallTest(Budget& budget, const std::string& name, const Value& v, CallArgs& args) {
  SGL_RETURN_IF_ERROR(budget.Charge(1));
  if (name == "defined") return !v.is_undefined();
  if (name == "undefined") return v.is_undefined();
  if (name == "none") return v.is_none();
  if (name == "string") return v.is_string();
  if (name == "number") return v.is_number();
  if (name == "integer") return v.is_int();
  if (name == "float") return v.is_float();
  if (name == "boolean") return v.is_bool();
  if (name == "true") return v.is_bool() && v.as_bool();
  if (name == "false") return v.is_bool() && !v.as_bool();
  if (name == "mapping") return v.is_dict();
  if (name == "iterable") return v.is_list() || v.is_dict() || v.is_string() || v.is_undefined();
  if (name == "sequence") return v.is_list() || v.is_dict() || v.is_string() || v.is_undefined();
  if (name == "callable") return v.is_callable();
  if (name == "escaped") return false;
  if (name == "lower") return v.is_string() && AsciiLower(v.as_string()) == v.as_string();
  if (name == "upper") return v.is_string() && AsciiUpper(v.as_string()) == v.as_string();
  if (name == "even" || name == "odd" || name == "divisibleby") {
    if (v.is_undefined()) return InvalidArgument("'{}' is undefined", v.undefined_name());
    if (!v.is_number() || v.is_float()) return InvalidArgument("test '{}' needs an integer, not {}", name, v.TypeName());
    if (name == "even") return v.as_int() % 2 == 0;
    if (name == "odd") return v.as_int() % 2 != 0;
    const Value* num = Arg(args, 0, "num");
    if (num == nullptr || !num->is_number() || num->is_float()) return InvalidArgument("divisibleby needs an integer");
    if (num->as_int() == 0) return InvalidArgument("integer division or modulo by zero");
    if (num->as_int() == -1) return true;
    return v.as_int() % num->as_int() == 0;
  }
  const Value* other = Arg(args, 0, "other");
  if (name == "in") {
    if (other == nullptr) return InvalidArgument("test 'in' needs an argument");
    return Contains(*other, v);
  }
  if (name == "sameas") {
    if (other == nullptr) return InvalidArgument("test 'sameas' needs an argument");
    // CPython shares None, booleans, small ints and short strings; literals compare equal.
    if (v.is_none() || v.is_bool() || v.is_undefined() || v.is_int() || v.is_string()) {
      return Equals(v, *other) && v.TypeName() == other->TypeName();
    }
    if (v.is_namespace() && other->is_namespace()) return &v.as_namespace() == &other->as_namespace();
    return false;
  }
  static const char* kCompare[] = {"eq", "equalto", "==", "ne", "!=", "lt", "lessthan", "<",
                                   "gt", "greaterthan", ">", "le", "<=", "ge", ">="};
  for (const char* c : kCompare) {
    if (name == c) {
      if (other == nullptr) return InvalidArgument("test '{}' needs an argument", name);
      return CompareTest(name, v, *other);
    }
  }
  return NotFound("no test named '{}'", name);
}

}  // namespace sgl::jinja
