// Python semantics of Value: truthiness, equality, ordering, str/repr and json.dumps.
#include "tokenizer/chat_template/value.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace sgl::jinja {

Value::Value(List l, bool is_tuple) {
  int depth = 1;
  for (const Value& v : l) depth = std::max(depth, v.Depth() + 1);
  v_ = ListValue{std::make_shared<const List>(std::move(l)), is_tuple, depth};
}

Value::Value(Dict d) {
  int depth = 1;
  for (const auto& kv : d) depth = std::max({depth, kv.first.Depth() + 1, kv.second.Depth() + 1});
  v_ = DictValue{std::make_shared<const Dict>(std::move(d)), depth};
}

int Value::Depth() const {
  if (is_list()) return std::get<ListValue>(v_).depth;
  if (is_dict()) return std::get<DictValue>(v_).depth;
  return 0;
}

bool Value::ContainsNamespace() const {
  if (is_namespace()) return true;
  if (is_list()) {
    for (const Value& v : as_list()) {
      if (v.ContainsNamespace()) return true;
    }
  }
  if (is_dict()) {
    for (const auto& kv : as_dict()) {
      if (kv.second.ContainsNamespace()) return true;
    }
  }
  return false;
}

bool Value::Truthy() const {
  if (is_undefined() || is_none()) return false;
  if (is_bool()) return as_bool();
  if (is_int()) return as_int() != 0;
  if (is_float()) return as_float() != 0.0;
  if (is_string()) return !as_string().empty();
  if (is_list()) return !as_list().empty();
  if (is_dict()) return !as_dict().empty();
  return true;
}

std::string Value::TypeName() const {
  if (is_undefined()) return "Undefined";
  if (is_none()) return "NoneType";
  if (is_bool()) return "bool";
  if (is_int()) return "int";
  if (is_float()) return "float";
  if (is_string()) return "str";
  if (is_tuple()) return "tuple";
  if (is_list()) return "list";
  if (is_dict()) return "dict";
  if (is_namespace()) return "Namespace";
  return "function";
}

const Value* Value::Find(const Value& key) const {
  const Dict& d = is_dict() ? as_dict() : as_namespace().attrs;
  for (const auto& [k, v] : d) {
    if (Equals(k, key)) return &v;
  }
  return nullptr;
}

bool Equals(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return a.as_float() == b.as_float();
    return a.as_int() == b.as_int();
  }
  if (a.is_string() && b.is_string()) return a.as_string() == b.as_string();
  if (a.is_none() && b.is_none()) return true;
  if (a.is_undefined() && b.is_undefined()) return true;
  if (a.is_list() && b.is_list()) {
    if (a.is_tuple() != b.is_tuple()) return false;
    const List& x = a.as_list();
    const List& y = b.as_list();
    if (x.size() != y.size()) return false;
    for (size_t i = 0; i < x.size(); ++i) {
      if (!Equals(x[i], y[i])) return false;
    }
    return true;
  }
  if (a.is_dict() && b.is_dict()) {
    const Dict& x = a.as_dict();
    if (x.size() != b.as_dict().size()) return false;
    for (const auto& [k, v] : x) {
      const Value* other = b.Find(k);
      if (other == nullptr || !Equals(v, *other)) return false;
    }
    return true;
  }
  if (a.is_namespace() && b.is_namespace()) return &a.as_namespace() == &b.as_namespace();
  return false;
}

Result<bool> Less(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return a.as_float() < b.as_float();
    return a.as_int() < b.as_int();
  }
  if (a.is_string() && b.is_string()) return a.as_string() < b.as_string();
  if (a.is_list() && b.is_list()) {
    const List& x = a.as_list();
    const List& y = b.as_list();
    for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
      if (Equals(x[i], y[i])) continue;
      return Less(x[i], y[i]);
    }
    return x.size() < y.size();
  }
  return InvalidArgument("'<' not supported between instances of '{}' and '{}'", a.TypeName(), b.TypeName());
}

std::string FloatRepr(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::scientific);
  std::string sci(buf, res.ptr);  // e.g. "-1.2345e+02": shortest round-trip digits
  bool negative = sci[0] == '-';
  if (negative) sci.erase(0, 1);
  size_t e = sci.find('e');
  int exponent = std::stoi(sci.substr(e + 1));
  std::string digits;
  for (size_t i = 0; i < e; ++i) {
    if (sci[i] != '.') digits += sci[i];
  }
  std::string out;
  if (exponent < -4 || exponent >= 16) {
    out = digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    char ebuf[16];
    std::snprintf(ebuf, sizeof(ebuf), "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
    out += ebuf;
  } else if (exponent < 0) {
    out = "0." + std::string(-exponent - 1, '0') + digits;
  } else {
    if (digits.size() <= static_cast<size_t>(exponent) + 1) {
      out = digits + std::string(exponent + 1 - digits.size(), '0') + ".0";
    } else {
      out = digits.substr(0, exponent + 1) + "." + digits.substr(exponent + 1);
    }
  }
  return negative ? "-" + out : out;
}

namespace {

std::string StringRepr(const std::string& s) {
  bool has_single = s.find('\'') != std::string::npos;
  bool has_double = s.find('"') != std::string::npos;
  char quote = (has_single && !has_double) ? '"' : '\'';
  std::string out(1, quote);
  for (unsigned char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == quote) {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += quote;
  return out;
}

}  // namespace

std::string ToRepr(const Value& v) {
  if (v.is_string()) return StringRepr(v.as_string());
  if (v.is_undefined()) return "Undefined";
  if (v.is_list()) {
    const List& items = v.as_list();
    std::string out = v.is_tuple() ? "(" : "[";
    for (size_t i = 0; i < items.size(); ++i) {
      if (i > 0) out += ", ";
      out += ToRepr(items[i]);
    }
    if (v.is_tuple() && items.size() == 1) out += ",";
    out += v.is_tuple() ? ")" : "]";
    return out;
  }
  if (v.is_dict() || v.is_namespace()) {
    const Dict& items = v.is_dict() ? v.as_dict() : v.as_namespace().attrs;
    std::string out = v.is_dict() ? "{" : "<Namespace {";
    for (size_t i = 0; i < items.size(); ++i) {
      if (i > 0) out += ", ";
      out += ToRepr(items[i].first) + ": " + ToRepr(items[i].second);
    }
    out += v.is_dict() ? "}" : "}>";
    return out;
  }
  return ToStr(v);
}

std::string ToStr(const Value& v) {
  if (v.is_undefined()) return "";
  if (v.is_none()) return "None";
  if (v.is_bool()) return v.as_bool() ? "True" : "False";
  if (v.is_int()) return std::to_string(v.as_int());
  if (v.is_float()) return FloatRepr(v.as_float());
  if (v.is_string()) return v.as_string();
  if (v.is_callable()) return "<function " + v.as_callable().name + ">";
  return ToRepr(v);
}

namespace {

// Decodes one UTF-8 sequence at s[i]; invalid bytes decode as themselves (U+0080..U+00FF
// would be wrong, but Python never sees invalid UTF-8 here: JSON input is valid).
uint32_t DecodeUtf8(const std::string& s, size_t& i) {
  unsigned char c = s[i];
  int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
  if (i + len > s.size()) len = 1;
  uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1f) : len == 3 ? (c & 0x0f) : (c & 0x07);
  for (int k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3f);
  i += len;
  return cp;
}

void JsonString(const std::string& s, bool ensure_ascii, std::string& out) {
  out += '"';
  for (size_t i = 0; i < s.size();) {
    unsigned char c = s[i];
    switch (c) {
      case '"': out += "\\\""; ++i; continue;
      case '\\': out += "\\\\"; ++i; continue;
      case '\n': out += "\\n"; ++i; continue;
      case '\r': out += "\\r"; ++i; continue;
      case '\t': out += "\\t"; ++i; continue;
      case '\b': out += "\\b"; ++i; continue;
      case '\f': out += "\\f"; ++i; continue;
      default: break;
    }
    char buf[16];
    if (c < 0x20 || (ensure_ascii && c == 0x7f)) {
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
      ++i;
    } else if (c < 0x80 || !ensure_ascii) {
      out += static_cast<char>(c);
      ++i;
    } else {
      uint32_t cp = DecodeUtf8(s, i);
      if (cp >= 0x10000) {
        cp -= 0x10000;
        std::snprintf(buf, sizeof(buf), "\\u%04x\\u%04x", 0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
      } else {
        std::snprintf(buf, sizeof(buf), "\\u%04x", cp);
      }
      out += buf;
    }
  }
  out += '"';
}

Status DumpJson(const Value& v, const JsonDumpOptions& o, int depth, std::string& out) {
  if (depth > 512) return InvalidArgument("tojson: value nested too deeply");
  auto newline = [&](int level) {
    if (!o.indent) return;
    out += '\n';
    for (int i = 0; i < level; ++i) out += *o.indent;
  };
  if (v.is_none()) {
    out += "null";
  } else if (v.is_bool()) {
    out += v.as_bool() ? "true" : "false";
  } else if (v.is_int()) {
    out += std::to_string(v.as_int());
  } else if (v.is_float()) {
    double d = v.as_float();
    out += std::isnan(d) ? "NaN" : std::isinf(d) ? (d > 0 ? "Infinity" : "-Infinity") : FloatRepr(d);
  } else if (v.is_string()) {
    JsonString(v.as_string(), o.ensure_ascii, out);
  } else if (v.is_list()) {
    const List& items = v.as_list();
    if (items.empty()) {
      out += "[]";
      return Status::Ok();
    }
    out += '[';
    for (size_t i = 0; i < items.size(); ++i) {
      if (i > 0) out += o.item_separator;
      newline(depth + 1);
      SGL_RETURN_IF_ERROR(DumpJson(items[i], o, depth + 1, out));
    }
    newline(depth);
    out += ']';
  } else if (v.is_dict()) {
    Dict items = v.as_dict();
    if (items.empty()) {
      out += "{}";
      return Status::Ok();
    }
    if (o.sort_keys) {
      for (const auto& kv : items) {
        if (!kv.first.is_string()) return InvalidArgument("tojson: sort_keys needs string keys");
      }
      std::stable_sort(items.begin(), items.end(),
                       [](const auto& a, const auto& b) { return a.first.as_string() < b.first.as_string(); });
    }
    out += '{';
    for (size_t i = 0; i < items.size(); ++i) {
      if (i > 0) out += o.item_separator;
      newline(depth + 1);
      const Value& key = items[i].first;
      if (key.is_string()) {
        JsonString(key.as_string(), o.ensure_ascii, out);
      } else if (key.is_bool() || key.is_none()) {
        out += key.is_none() ? "\"null\"" : key.as_bool() ? "\"true\"" : "\"false\"";
      } else if (key.is_int() || key.is_float()) {
        out += "\"" + ToStr(key) + "\"";
      } else {
        return InvalidArgument("tojson: keys must be str, int, float, bool or None, not {}", key.TypeName());
      }
      out += o.key_separator;
      SGL_RETURN_IF_ERROR(DumpJson(items[i].second, o, depth + 1, out));
    }
    newline(depth);
    out += '}';
  } else {
    return InvalidArgument("Object of type {} is not JSON serializable", v.TypeName());
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> ToJson(const Value& v, const JsonDumpOptions& options) {
  std::string out;
  SGL_RETURN_IF_ERROR(DumpJson(v, options, 0, out));
  return out;
}

std::vector<std::string> SplitCodePoints(const std::string& s) {
  std::vector<std::string> out;
  for (size_t i = 0; i < s.size();) {
    size_t start = i;
    DecodeUtf8(s, i);
    out.push_back(s.substr(start, i - start));
  }
  return out;
}

size_t CodePointCount(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xc0) != 0x80;
  return n;
}

}  // namespace sgl::jinja
