// Operators, lookups and the globals; filters, tests and str/dict methods live in
// filters.cc and methods.cc.
#include "tokenizer/chat_template/builtins.h"

#include <cmath>
#include <cstdlib>
#include <ctime>

#include "tokenizer/chat_template/methods.h"

namespace sgl::jinja {

const Value* Arg(const CallArgs& args, size_t index, const char* name) {
  if (index < args.positional.size()) return &args.positional[index];
  for (const auto& [key, value] : args.keyword) {
    if (key == name) return &value;
  }
  return nullptr;
}

namespace {

Status UndefinedError(const Value& v) { return InvalidArgument("'{}' is undefined", v.undefined_name()); }

}  // namespace

Result<Value> GetAttr(const Value& obj, const std::string& name) {
  if (obj.is_undefined()) return UndefinedError(obj);
  if (obj.is_dict()) {
    if (std::optional<Value> method = BindMethod(obj, name)) return *method;
    if (const Value* v = obj.Find(Value(name))) return *v;
  } else if (obj.is_namespace()) {
    if (const Value* v = obj.Find(Value(name))) return *v;
  } else if (std::optional<Value> method = BindMethod(obj, name)) {
    return *method;
  }
  return Value(Undefined{name});
}

namespace {

// Python's slice.indices(): clamps [start, stop) with `step` to a sequence of `len`.
Status SliceIndices(int64_t len, const Value& start_v, const Value& stop_v, const Value& step_v, int64_t& start,
                    int64_t& stop, int64_t& step) {
  for (const Value* v : {&start_v, &stop_v, &step_v}) {
    if (!v->is_none() && !(v->is_int() || v->is_bool())) {
      return InvalidArgument("slice indices must be integers or None, not {}", v->TypeName());
    }
  }
  step = step_v.is_none() ? 1 : step_v.as_int();
  if (step == 0) return InvalidArgument("slice step cannot be zero");
  if (step == INT64_MIN) step = -INT64_MAX;
  auto adjust = [&](const Value& v, int64_t def) -> int64_t {
    if (v.is_none()) return def;
    int64_t i = v.as_int();
    if (i < 0) {
      i = i < -len ? (step < 0 ? -1 : 0) : i + len;
    } else if (i >= len) {
      i = step < 0 ? len - 1 : len;
    }
    return i;
  };
  start = adjust(start_v, step < 0 ? len - 1 : 0);
  stop = adjust(stop_v, step < 0 ? -1 : len);
  return Status::Ok();
}

template <typename T>
std::vector<T> SliceOf(const std::vector<T>& items, int64_t start, int64_t stop, int64_t step) {
  std::vector<T> out;
  if (step > 0) {
    for (int64_t i = start; i < stop; i += step) out.push_back(items[i]);
  } else {
    for (int64_t i = start; i > stop; i += step) out.push_back(items[i]);
  }
  return out;
}

}  // namespace

Result<Value> GetSlice(const Value& obj, const Value& start_v, const Value& stop_v, const Value& step_v) {
  if (obj.is_undefined()) return UndefinedError(obj);
  int64_t start, stop, step;
  if (obj.is_list()) {
    const List& items = obj.as_list();
    SGL_RETURN_IF_ERROR(SliceIndices(static_cast<int64_t>(items.size()), start_v, stop_v, step_v, start, stop, step));
    return Value(SliceOf(items, start, stop, step), obj.is_tuple());
  }
  if (obj.is_string()) {
    std::vector<std::string> chars = SplitCodePoints(obj.as_string());
    SGL_RETURN_IF_ERROR(SliceIndices(static_cast<int64_t>(chars.size()), start_v, stop_v, step_v, start, stop, step));
    std::string out;
    for (const auto& c : SliceOf(chars, start, stop, step)) out += c;
    return Value(std::move(out));
  }
  return Value(Undefined{"slice"});
}

Result<Value> GetItem(const Value& obj, const Value& key) {
  if (obj.is_undefined()) return UndefinedError(obj);
  if (obj.is_dict() || obj.is_namespace()) {
    if (const Value* v = obj.Find(key)) return *v;
  } else if ((obj.is_list() || obj.is_string()) && (key.is_int() || key.is_bool())) {
    int64_t i = key.as_int();
    if (obj.is_list()) {
      int64_t n = static_cast<int64_t>(obj.as_list().size());
      if (i < 0) i += n;
      if (i >= 0 && i < n) return obj.as_list()[i];
    } else {
      std::vector<std::string> chars = SplitCodePoints(obj.as_string());
      int64_t n = static_cast<int64_t>(chars.size());
      if (i < 0) i += n;
      if (i >= 0 && i < n) return Value(chars[i]);
    }
    return Value(Undefined{"item"});
  }
  if (key.is_string() && !obj.is_namespace()) return GetAttr(obj, key.as_string());
  return Value(Undefined{key.is_string() ? key.as_string() : ToStr(key)});
}

Result<List> Iterate(const Value& v) {
  if (v.is_undefined()) return List{};
  if (v.is_list()) return v.as_list();
  if (v.is_dict()) {
    List keys;
    keys.reserve(v.as_dict().size());
    for (const auto& kv : v.as_dict()) keys.push_back(kv.first);
    return keys;
  }
  if (v.is_string()) {
    if (v.as_string().size() > (4u << 20)) return InvalidArgument("string too long to iterate over its characters");
    List chars;
    for (auto& c : SplitCodePoints(v.as_string())) chars.emplace_back(std::move(c));
    return chars;
  }
  return InvalidArgument("'{}' object is not iterable", v.TypeName());
}

Result<int64_t> Length(const Value& v) {
  if (v.is_undefined()) return int64_t{0};
  if (v.is_string()) return static_cast<int64_t>(CodePointCount(v.as_string()));
  if (v.is_list()) return static_cast<int64_t>(v.as_list().size());
  if (v.is_dict()) return static_cast<int64_t>(v.as_dict().size());
  return InvalidArgument("object of type '{}' has no len()", v.TypeName());
}

Result<bool> Contains(const Value& container, const Value& item) {
  if (container.is_string()) {
    if (!item.is_string()) {
      return InvalidArgument("'in <string>' requires string as left operand, not {}", item.TypeName());
    }
    return container.as_string().find(item.as_string()) != std::string::npos;
  }
  if (container.is_list()) {
    for (const Value& v : container.as_list()) {
      if (Equals(v, item)) return true;
    }
    return false;
  }
  if (container.is_dict() || container.is_namespace()) return container.Find(item) != nullptr;
  if (container.is_undefined()) return false;  // jinja2's Undefined iterates as empty
  return InvalidArgument("argument of type '{}' is not iterable", container.TypeName());
}

namespace {

Status TypeError(const std::string& op, const Value& a, const Value& b) {
  return InvalidArgument("unsupported operand type(s) for {}: '{}' and '{}'", op, a.TypeName(), b.TypeName());
}

// Bytes a copy of `items` costs: strings are copied, containers shared.
uint64_t CopyBytes(const List& items) {
  uint64_t bytes = 0;
  for (const Value& v : items) bytes += 16 + (v.is_string() ? v.as_string().size() : 0);
  return bytes;
}

Result<Value> Repeat(Budget& budget, const Value& seq, int64_t times) {
  if (times < 0) times = 0;
  if ((seq.is_string() && seq.as_string().empty()) || (seq.is_list() && seq.as_list().empty())) times = 0;
  if (times == 0) return seq.is_string() ? Value(std::string()) : Value(List{}, seq.is_tuple());
  if (seq.is_string()) {
    const std::string& s = seq.as_string();
    if (!s.empty() && static_cast<uint64_t>(times) > (uint64_t{1} << 40) / s.size()) {
      return InvalidArgument("string repetition too large");
    }
    SGL_RETURN_IF_ERROR(budget.CheckSize(static_cast<uint64_t>(s.size()) * static_cast<uint64_t>(times)));
    std::string out;
    for (int64_t i = 0; i < times; ++i) out += s;
    return Value(std::move(out));
  }
  const List& items = seq.as_list();
  if (times > 0 && CopyBytes(items) > (uint64_t{1} << 40) / static_cast<uint64_t>(times)) {
    return InvalidArgument("list repetition too large");
  }
  SGL_RETURN_IF_ERROR(budget.CheckSize(CopyBytes(items) * static_cast<uint64_t>(times)));
  List out;
  for (int64_t i = 0; i < times; ++i) out.insert(out.end(), items.begin(), items.end());
  return Value(std::move(out), seq.is_tuple());
}

Result<Value> IntPow(int64_t base, int64_t exp) {
  int64_t result = 1;
  while (exp > 0) {
    if (exp & 1) {
      if (__builtin_mul_overflow(result, base, &result)) return InvalidArgument("integer overflow in '**'");
    }
    exp >>= 1;
    if (exp > 0 && __builtin_mul_overflow(base, base, &base)) return InvalidArgument("integer overflow in '**'");
  }
  return Value(result);
}

}  // namespace

Result<Value> BinaryOp(Budget& budget, const std::string& op, const Value& a, const Value& b) {
  if (op == "~") {
    std::string out = ToStr(a);
    std::string right = ToStr(b);
    SGL_RETURN_IF_ERROR(budget.CheckSize(out.size() + right.size()));
    return Value(out + right);
  }
  if (a.is_undefined()) return UndefinedError(a);
  if (b.is_undefined()) return UndefinedError(b);
  const bool numbers = a.is_number() && b.is_number();
  const bool floats = numbers && (a.is_float() || b.is_float());
  if (op == "+") {
    if (floats) return Value(a.as_float() + b.as_float());
    if (numbers) {
      int64_t r;
      if (__builtin_add_overflow(a.as_int(), b.as_int(), &r)) return InvalidArgument("integer overflow in '+'");
      return Value(r);
    }
    if (a.is_string() && b.is_string()) {
      SGL_RETURN_IF_ERROR(budget.CheckSize(a.as_string().size() + b.as_string().size()));
      return Value(a.as_string() + b.as_string());
    }
    if (a.is_list() && b.is_list() && a.is_tuple() == b.is_tuple()) {
      SGL_RETURN_IF_ERROR(budget.CheckSize(CopyBytes(a.as_list()) + CopyBytes(b.as_list())));
      List out = a.as_list();
      out.insert(out.end(), b.as_list().begin(), b.as_list().end());
      return Value(std::move(out), a.is_tuple());
    }
    return TypeError(op, a, b);
  }
  if (op == "*") {
    if (floats) return Value(a.as_float() * b.as_float());
    if (numbers) {
      int64_t r;
      if (__builtin_mul_overflow(a.as_int(), b.as_int(), &r)) return InvalidArgument("integer overflow in '*'");
      return Value(r);
    }
    if ((a.is_string() || a.is_list()) && (b.is_int() || b.is_bool())) return Repeat(budget, a, b.as_int());
    if ((b.is_string() || b.is_list()) && (a.is_int() || a.is_bool())) return Repeat(budget, b, a.as_int());
    return TypeError(op, a, b);
  }
  if (op == "%" && a.is_string()) return PercentFormat(budget, a.as_string(), b);
  if (!numbers) return TypeError(op, a, b);
  if (op == "-") {
    if (floats) return Value(a.as_float() - b.as_float());
    int64_t r;
    if (__builtin_sub_overflow(a.as_int(), b.as_int(), &r)) return InvalidArgument("integer overflow in '-'");
    return Value(r);
  }
  if (op == "/") {
    if (b.as_float() == 0.0) return InvalidArgument("division by zero");
    return Value(a.as_float() / b.as_float());
  }
  if (op == "//" || op == "%") {
    if (b.as_float() == 0.0) return InvalidArgument("{}", op == "%" ? "modulo by zero" : "integer division or modulo by zero");
    if (floats) {
      double x = a.as_float(), y = b.as_float();
      double mod = std::fmod(x, y);
      if (mod != 0 && ((mod < 0) != (y < 0))) mod += y;
      if (op == "%") return Value(mod);
      return Value(std::floor(x / y));
    }
    int64_t x = a.as_int(), y = b.as_int();
    if (x == INT64_MIN && y == -1) return InvalidArgument("integer overflow");
    int64_t q = x / y, r = x % y;
    if (r != 0 && ((r < 0) != (y < 0))) {
      --q;
      r += y;
    }
    return op == "%" ? Value(r) : Value(q);
  }
  if (op == "**") {
    if (!floats && b.as_int() >= 0) return IntPow(a.as_int(), b.as_int());
    double r = std::pow(a.as_float(), b.as_float());
    if (std::isnan(r) && !std::isnan(a.as_float()) && !std::isnan(b.as_float())) {
      return InvalidArgument("math domain error in '**'");
    }
    if (a.as_float() == 0.0 && b.as_float() < 0) return InvalidArgument("0.0 cannot be raised to a negative power");
    return Value(r);
  }
  return InvalidArgument("unknown operator '{}'", op);
}

namespace {

Value MakeFunction(const std::string& name, Function fn) {
  return Value(Callable{name, std::make_shared<const Function>(std::move(fn))});
}

Result<Dict> KeywordDict(CallArgs& args, const char* who) {
  Dict d;
  if (args.positional.size() > 1) return InvalidArgument("{}() expected at most 1 positional argument", who);
  if (!args.positional.empty()) {
    if (!args.positional[0].is_dict()) return InvalidArgument("{}() argument must be a dict", who);
    d = args.positional[0].as_dict();
  }
  for (auto& [k, v] : args.keyword) {
    bool replaced = false;
    for (auto& kv : d) {
      if (kv.first.is_string() && kv.first.as_string() == k) {
        kv.second = v;
        replaced = true;
      }
    }
    if (!replaced) d.emplace_back(Value(k), v);
  }
  return d;
}

}  // namespace

Dict MakeGlobals(Budget& budget) {
  Dict g;
  Budget* b = &budget;
  g.emplace_back("range", MakeFunction("range", [b](CallArgs& args) -> Result<Value> {
    if (args.positional.empty() || args.positional.size() > 3 || !args.keyword.empty()) {
      return InvalidArgument("range() takes 1 to 3 integer arguments");
    }
    for (const Value& v : args.positional) {
      if (!v.is_int() && !v.is_bool()) return InvalidArgument("range() arguments must be integers, not {}", v.TypeName());
    }
    int64_t start = 0, stop, step = 1;
    if (args.positional.size() == 1) {
      stop = args.positional[0].as_int();
    } else {
      start = args.positional[0].as_int();
      stop = args.positional[1].as_int();
      if (args.positional.size() == 3) step = args.positional[2].as_int();
    }
    if (step == 0) return InvalidArgument("range() arg 3 must not be zero");
    double count = std::ceil((static_cast<double>(stop) - static_cast<double>(start)) / static_cast<double>(step));
    if (count > 1e9) return InvalidArgument("range() too large ({} items)", count);
    if (count > 0) SGL_RETURN_IF_ERROR(b->CheckSize(static_cast<uint64_t>(count) * 16));
    List out;
    for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
      out.emplace_back(i);
      if ((step > 0 && i > INT64_MAX - step) || (step < 0 && i < INT64_MIN - step)) break;
    }
    return Value(std::move(out));
  }));
  g.emplace_back("dict", MakeFunction("dict", [](CallArgs& args) -> Result<Value> {
    SGL_ASSIGN_OR_RETURN(Dict d, KeywordDict(args, "dict"));
    return Value(std::move(d));
  }));
  g.emplace_back("namespace", MakeFunction("namespace", [](CallArgs& args) -> Result<Value> {
    SGL_ASSIGN_OR_RETURN(Dict d, KeywordDict(args, "namespace"));
    for (const auto& kv : d) {
      if (kv.first.is_string() && !kv.first.as_string().empty() && kv.first.as_string()[0] == '_') {
        return InvalidArgument("namespace attributes cannot start with '_' ('{}')", kv.first.as_string());
      }
    }
    auto ns = std::make_shared<Namespace>();
    ns->attrs = std::move(d);
    return Value(std::move(ns));
  }));
  g.emplace_back("raise_exception", MakeFunction("raise_exception", [](CallArgs& args) -> Result<Value> {
    const Value* message = Arg(args, 0, "message");
    return InvalidArgument("{}", message != nullptr ? ToStr(*message) : std::string("raise_exception() called"));
  }));
  g.emplace_back("strftime_now", MakeFunction("strftime_now", [](CallArgs& args) -> Result<Value> {
    const Value* format = Arg(args, 0, "format");
    if (format == nullptr || !format->is_string()) return InvalidArgument("strftime_now() needs a format string");
    if (format->as_string().size() > 256) return InvalidArgument("strftime_now() format too long");
    // SOURCE_DATE_EPOCH (the reproducible-builds convention) pins the clock, in UTC.
    const char* pinned = std::getenv("SOURCE_DATE_EPOCH");
    char* end = nullptr;
    const long long epoch = pinned != nullptr ? std::strtoll(pinned, &end, 10) : 0;
    const bool use_pinned = pinned != nullptr && end != pinned && *end == '\0';
    const std::time_t now = use_pinned ? static_cast<std::time_t>(epoch) : std::time(nullptr);
    std::tm when{};
    if (use_pinned) gmtime_r(&now, &when);
    else localtime_r(&now, &when);
    char buf[1024];
    size_t n = std::strftime(buf, sizeof(buf), format->as_string().c_str(), &when);
    return Value(std::string(buf, n));
  }));
  return g;
}

}  // namespace sgl::jinja
