// str and dict methods with Python's semantics (ASCII-only case mapping).
#include "tokenizer/chat_template/methods.h"

#include <algorithm>
#include <cctype>

namespace sgl::jinja {

namespace {

bool IsPySpace(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f); }

Value Bind(const std::string& name, Function fn) {
  return Value(Callable{name, std::make_shared<const Function>(std::move(fn))});
}

const std::string* StringArg(const CallArgs& args, size_t index, const char* name) {
  const Value* v = Arg(args, index, name);
  return v != nullptr && v->is_string() ? &v->as_string() : nullptr;
}

int64_t IntArg(const CallArgs& args, size_t index, const char* name, int64_t def) {
  const Value* v = Arg(args, index, name);
  return v != nullptr && (v->is_int() || v->is_bool()) ? v->as_int() : def;
}

List SplitString(const std::string& s, const std::string* sep, int64_t maxsplit) {
  List out;
  if (sep == nullptr) {
    size_t i = 0;
    while (true) {
      while (i < s.size() && IsPySpace(s[i])) ++i;
      if (i >= s.size()) break;
      if (maxsplit >= 0 && static_cast<int64_t>(out.size()) >= maxsplit) {
        out.emplace_back(s.substr(i));  // Python keeps the remainder's trailing whitespace
        break;
      }
      size_t j = i;
      while (j < s.size() && !IsPySpace(s[j])) ++j;
      out.emplace_back(s.substr(i, j - i));
      i = j;
    }
    return out;
  }
  size_t start = 0;
  while (true) {
    size_t at = s.find(*sep, start);
    if (at == std::string::npos || (maxsplit >= 0 && static_cast<int64_t>(out.size()) >= maxsplit)) {
      out.emplace_back(s.substr(start));
      return out;
    }
    out.emplace_back(s.substr(start, at - start));
    start = at + sep->size();
  }
}

// str.format with {} / {0} / {name} fields; format specs and conversions are rejected.
Result<Value> StrFormat(Budget& budget, const std::string& fmt, const CallArgs& args) {
  std::string out;
  size_t auto_index = 0;
  for (size_t i = 0; i < fmt.size(); ++i) {
    char c = fmt[i];
    if (c == '}') {
      if (i + 1 < fmt.size() && fmt[i + 1] == '}') ++i;
      else return InvalidArgument("Single '}}' encountered in format string");
      out += '}';
      continue;
    }
    if (c != '{') {
      out += c;
      continue;
    }
    if (i + 1 < fmt.size() && fmt[i + 1] == '{') {
      out += '{';
      ++i;
      continue;
    }
    size_t end = fmt.find('}', i);
    if (end == std::string::npos) return InvalidArgument("Single '{{' encountered in format string");
    std::string field = fmt.substr(i + 1, end - i - 1);
    if (field.find_first_of(":!.[") != std::string::npos) {
      return Unsupported("str.format: format specs and conversions are not supported ('{}')", field);
    }
    const Value* v = nullptr;
    if (field.empty()) {
      if (auto_index >= args.positional.size()) return InvalidArgument("Replacement index {} out of range", auto_index);
      v = &args.positional[auto_index++];
    } else if (std::isdigit(static_cast<unsigned char>(field[0]))) {
      size_t index = std::strtoul(field.c_str(), nullptr, 10);
      if (index >= args.positional.size()) return InvalidArgument("Replacement index {} out of range", index);
      v = &args.positional[index];
    } else {
      for (const auto& [k, value] : args.keyword) {
        if (k == field) v = &value;
      }
      if (v == nullptr) return InvalidArgument("KeyError: '{}'", field);
    }
    out += ToStr(*v);
    SGL_RETURN_IF_ERROR(budget.CheckSize(out.size()));
    i = end;
  }
  return Value(std::move(out));
}

bool AllChars(const std::string& s, int (*pred)(int)) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (!pred(c)) return false;
  }
  return true;
}

std::optional<Value> StringMethod(const std::string& s, const std::string& name) {
  if (name == "startswith" || name == "endswith") {
    bool starts = name == "startswith";
    return Bind(name, [s, starts](CallArgs& args) -> Result<Value> {
      const Value* what = Arg(args, 0, "prefix");
      if (what == nullptr) return InvalidArgument("startswith/endswith need an argument");
      List options = what->is_list() ? what->as_list() : List{*what};
      for (const Value& o : options) {
        if (!o.is_string()) return InvalidArgument("startswith/endswith arguments must be str, not {}", o.TypeName());
        const std::string& p = o.as_string();
        if (p.size() <= s.size() && s.compare(starts ? 0 : s.size() - p.size(), p.size(), p) == 0) return Value(true);
      }
      return Value(false);
    });
  }
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    bool left = name != "rstrip", right = name != "lstrip";
    return Bind(name, [s, left, right](CallArgs& args) -> Result<Value> {
      return Value(StripChars(s, StringArg(args, 0, "chars"), left, right));
    });
  }
  if (name == "split" || name == "rsplit") {
    bool reverse = name == "rsplit";
    return Bind(name, [s, reverse](CallArgs& args) -> Result<Value> {
      const std::string* sep = StringArg(args, 0, "sep");
      if (sep != nullptr && sep->empty()) return InvalidArgument("empty separator");
      int64_t maxsplit = IntArg(args, 1, "maxsplit", -1);
      if (!reverse || maxsplit < 0) return Value(SplitString(s, sep, maxsplit));
      // rsplit with a limit: split the reversed string by the reversed separator.
      std::string rs(s.rbegin(), s.rend());
      std::string rsep = sep ? std::string(sep->rbegin(), sep->rend()) : "";
      List parts = SplitString(rs, sep ? &rsep : nullptr, maxsplit);
      List out;
      for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
        out.emplace_back(std::string(it->as_string().rbegin(), it->as_string().rend()));
      }
      return Value(std::move(out));
    });
  }
  if (name == "upper") return Bind(name, [s](CallArgs&) -> Result<Value> { return Value(AsciiUpper(s)); });
  if (name == "lower") return Bind(name, [s](CallArgs&) -> Result<Value> { return Value(AsciiLower(s)); });
  if (name == "title") return Bind(name, [s](CallArgs&) -> Result<Value> { return Value(PythonTitle(s)); });
  if (name == "capitalize") return Bind(name, [s](CallArgs&) -> Result<Value> { return Value(Capitalize(s)); });
  if (name == "isdigit") return Bind(name, [s](CallArgs&) -> Result<Value> { return Value(AllChars(s, ::isdigit)); });
  if (name == "isalpha") return Bind(name, [s](CallArgs&) -> Result<Value> { return Value(AllChars(s, ::isalpha)); });
  if (name == "isalnum") return Bind(name, [s](CallArgs&) -> Result<Value> { return Value(AllChars(s, ::isalnum)); });
  if (name == "isspace") return Bind(name, [s](CallArgs&) -> Result<Value> { return Value(AllChars(s, ::isspace)); });
  if (name == "islower" || name == "isupper") {
    bool lower = name == "islower";
    return Bind(name, [s, lower](CallArgs&) -> Result<Value> {
      bool cased = false;
      for (unsigned char c : s) {
        if (lower ? std::isupper(c) : std::islower(c)) return Value(false);
        cased |= std::isalpha(c) != 0;
      }
      return Value(cased);
    });
  }
  if (name == "replace") {
    return Bind(name, [s](CallArgs& args) -> Result<Value> {
      const std::string* old_text = StringArg(args, 0, "old");
      const std::string* new_text = StringArg(args, 1, "new");
      if (old_text == nullptr || new_text == nullptr) return InvalidArgument("replace() needs two strings");
      Budget unlimited(UINT64_MAX, 1u << 30);
      SGL_ASSIGN_OR_RETURN(std::string out, ReplaceAll(unlimited, s, *old_text, *new_text, IntArg(args, 2, "count", -1)));
      return Value(std::move(out));
    });
  }
  if (name == "find" || name == "count") {
    bool count = name == "count";
    return Bind(name, [s, count](CallArgs& args) -> Result<Value> {
      const std::string* sub = StringArg(args, 0, "sub");
      if (sub == nullptr) return InvalidArgument("find()/count() need a string");
      if (!count) {
        size_t at = s.find(*sub);
        return Value(at == std::string::npos ? int64_t{-1} : static_cast<int64_t>(CodePointCount(s.substr(0, at))));
      }
      if (sub->empty()) return Value(static_cast<int64_t>(CodePointCount(s) + 1));
      int64_t n = 0;
      for (size_t at = s.find(*sub); at != std::string::npos; at = s.find(*sub, at + sub->size())) ++n;
      return Value(n);
    });
  }
  if (name == "join") {
    return Bind(name, [s](CallArgs& args) -> Result<Value> {
      const Value* items = Arg(args, 0, "iterable");
      if (items == nullptr) return InvalidArgument("join() needs an iterable");
      SGL_ASSIGN_OR_RETURN(List list, Iterate(*items));
      std::string out;
      for (size_t i = 0; i < list.size(); ++i) {
        if (!list[i].is_string()) return InvalidArgument("sequence item {}: expected str instance, {} found", i, list[i].TypeName());
        if (i > 0) out += s;
        out += list[i].as_string();
        if (out.size() > (1u << 30)) return InvalidArgument("join() result too large");
      }
      return Value(std::move(out));
    });
  }
  if (name == "splitlines") {
    return Bind(name, [s](CallArgs&) -> Result<Value> {
      List out;
      size_t start = 0;
      for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\n' || s[i] == '\r') {
          out.emplace_back(s.substr(start, i - start));
          if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
          start = i + 1;
        }
      }
      if (start < s.size()) out.emplace_back(s.substr(start));
      return Value(std::move(out));
    });
  }
  if (name == "format") {
    return Bind(name, [s](CallArgs& args) -> Result<Value> {
      Budget unlimited(UINT64_MAX, 1u << 30);
      return StrFormat(unlimited, s, args);
    });
  }
  return std::nullopt;
}

std::optional<Value> DictMethod(const Value& d, const std::string& name) {
  if (name == "items" || name == "keys" || name == "values") {
    int which = name == "items" ? 0 : name == "keys" ? 1 : 2;
    return Bind(name, [d, which](CallArgs&) -> Result<Value> {
      List out;
      for (const auto& [k, v] : d.as_dict()) {
        out.push_back(which == 0 ? Value::Tuple({k, v}) : which == 1 ? k : v);
      }
      return Value(std::move(out));
    });
  }
  if (name == "get") {
    return Bind(name, [d](CallArgs& args) -> Result<Value> {
      const Value* key = Arg(args, 0, "key");
      if (key == nullptr) return InvalidArgument("get() needs a key");
      if (const Value* v = d.Find(*key)) return *v;
      const Value* def = Arg(args, 1, "default");
      return def != nullptr ? *def : Value::None();
    });
  }
  return std::nullopt;
}

}  // namespace

std::optional<Value> BindMethod(const Value& obj, const std::string& name) {
  if (obj.is_string()) return StringMethod(obj.as_string(), name);
  if (obj.is_dict()) return DictMethod(obj, name);
  return std::nullopt;
}

namespace {

// Python's str.isspace() for a code point.
bool IsUnicodeSpace(uint32_t cp) {
  return cp == ' ' || (cp >= '\t' && cp <= '\r') || (cp >= 0x1c && cp <= 0x1f) || cp == 0x85 || cp == 0xa0 ||
         cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 || cp == 0x202f ||
         cp == 0x205f || cp == 0x3000;
}

uint32_t CodePointOf(const std::string& c) {
  unsigned char b = c[0];
  if (c.size() == 1) return b;
  uint32_t cp = c.size() == 2 ? (b & 0x1f) : c.size() == 3 ? (b & 0x0f) : (b & 0x07);
  for (size_t i = 1; i < c.size(); ++i) cp = (cp << 6) | (static_cast<unsigned char>(c[i]) & 0x3f);
  return cp;
}

}  // namespace

// Strips whole code points from the ends: Python's whitespace by default, else those in
// `chars`. Only the stripped ends are decoded.
std::string StripChars(const std::string& s, const std::string* chars, bool left, bool right) {
  std::vector<std::string> strip_set;
  if (chars) strip_set = SplitCodePoints(*chars);
  auto strip = [&](const std::string& c) {
    if (!chars) return IsUnicodeSpace(CodePointOf(c));
    return std::find(strip_set.begin(), strip_set.end(), c) != strip_set.end();
  };
  auto length_at = [&](size_t i) {  // byte length of the sequence starting at i
    unsigned char c = s[i];
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    return std::min(len, s.size() - i);
  };
  size_t begin = 0, end = s.size();
  if (left) {
    while (begin < end) {
      size_t len = length_at(begin);
      if (!strip(s.substr(begin, len))) break;
      begin += len;
    }
  }
  if (right) {
    while (end > begin) {
      size_t start = end - 1;
      while (start > begin && (static_cast<unsigned char>(s[start]) & 0xc0) == 0x80 && end - start < 4) --start;
      if (start + length_at(start) != end) start = end - 1;  // invalid UTF-8: one byte
      if (!strip(s.substr(start, end - start))) break;
      end = start;
    }
  }
  return s.substr(begin, end - begin);
}

std::string AsciiUpper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string AsciiLower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Capitalize(const std::string& s) {
  std::string out = AsciiLower(s);
  if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
}

std::string PythonTitle(const std::string& s) {
  std::string out = s;
  bool prev_cased = false;
  for (char& c : out) {
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isalpha(u)) {
      c = static_cast<char>(prev_cased ? std::tolower(u) : std::toupper(u));
      prev_cased = true;
    } else {
      prev_cased = u >= 0x80 && prev_cased;  // non-ASCII letters keep a word going
    }
  }
  return out;
}

Result<std::string> ReplaceAll(Budget& budget, const std::string& s, const std::string& old_text,
                               const std::string& new_text, int64_t count) {
  std::string out;
  if (old_text.empty()) {
    // Python inserts `new` between every character (and at both ends).
    std::vector<std::string> chars = SplitCodePoints(s);
    int64_t done = 0;
    for (size_t i = 0; i <= chars.size(); ++i) {
      if (count < 0 || done < count) {
        out += new_text;
        ++done;
      }
      if (i < chars.size()) out += chars[i];
      SGL_RETURN_IF_ERROR(budget.CheckSize(out.size()));
    }
    return out;
  }
  size_t start = 0;
  int64_t done = 0;
  while (count < 0 || done < count) {
    size_t at = s.find(old_text, start);
    if (at == std::string::npos) break;
    out.append(s, start, at - start);
    out += new_text;
    start = at + old_text.size();
    ++done;
    SGL_RETURN_IF_ERROR(budget.CheckSize(out.size()));
  }
  out.append(s, start, std::string::npos);
  return out;
}

Result<Value> PercentFormat(Budget& budget, const std::string& fmt, const Value& args) {
  List values = args.is_tuple() ? args.as_list() : List{args};
  size_t next = 0;
  std::string out;
  for (size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '%') {
      out += fmt[i];
      continue;
    }
    if (++i >= fmt.size()) return InvalidArgument("incomplete format");
    int precision = -1;
    if (fmt[i] == '.') {
      precision = 0;
      while (++i < fmt.size() && std::isdigit(static_cast<unsigned char>(fmt[i]))) precision = precision * 10 + (fmt[i] - '0');
      if (i >= fmt.size() || precision > 100) return InvalidArgument("incomplete format");
    }
    char conv = fmt[i];
    if (conv == '%') {
      out += '%';
      continue;
    }
    if (next >= values.size()) return InvalidArgument("not enough arguments for format string");
    const Value& v = values[next++];
    if (conv == 's') {
      out += ToStr(v);
    } else if (conv == 'r') {
      out += ToRepr(v);
    } else if (conv == 'd' || conv == 'i') {
      if (!v.is_number()) return InvalidArgument("%d format: a real number is required, not {}", v.TypeName());
      out += std::to_string(v.is_float() ? static_cast<int64_t>(v.as_float()) : v.as_int());
    } else if (conv == 'f') {
      if (!v.is_number()) return InvalidArgument("%f format: a real number is required, not {}", v.TypeName());
      char buf[512];
      std::snprintf(buf, sizeof(buf), "%.*f", precision < 0 ? 6 : precision, v.as_float());
      out += buf;
    } else {
      return Unsupported("unsupported format character '{}'", conv);
    }
    SGL_RETURN_IF_ERROR(budget.CheckSize(out.size()));
  }
  if (next < values.size()) return InvalidArgument("not all arguments converted during string formatting");
  return Value(std::move(out));
}

}  // namespace sgl::jinja
