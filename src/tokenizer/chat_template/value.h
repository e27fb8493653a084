// Value: the dynamic, JSON-like value a chat template computes with (Python semantics as
// jinja2 sees them: undefined, None, bool, int, float, str, list/tuple, dict, callables,
// namespaces). Lists and dicts are immutable and shared; only a Namespace mutates.
// Values are plain data: not thread-safe to mutate a Namespace from two threads.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace sgl::jinja {

class Value;
using List = std::vector<Value>;
using Dict = std::vector<std::pair<Value, Value>>;  // insertion-ordered, like a Python dict

struct CallArgs {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keyword;
};
using Function = std::function<Result<Value>(CallArgs&)>;

struct Undefined {
  std::string name;  // what was looked up, for error messages
};
struct NoneValue {};
struct ListValue {
  std::shared_ptr<const List> items;
  bool is_tuple = false;
  int depth = 1;  // nesting of containers, computed at construction
};
struct DictValue {
  std::shared_ptr<const Dict> items;
  int depth = 1;
};
struct Namespace {
  Dict attrs;
};
struct Callable {
  std::string name;
  std::shared_ptr<const Function> fn;
};

class Value {
 public:
  Value() : v_(Undefined{}) {}
  Value(Undefined u) : v_(std::move(u)) {}                        // NOLINT
  Value(NoneValue n) : v_(n) {}                                   // NOLINT
  Value(bool b) : v_(b) {}                                        // NOLINT
  Value(int64_t i) : v_(i) {}                                     // NOLINT
  Value(int i) : v_(int64_t{i}) {}                                // NOLINT
  Value(double d) : v_(d) {}                                      // NOLINT
  Value(std::string s) : v_(std::move(s)) {}                      // NOLINT
  Value(const char* s) : v_(std::string(s)) {}                    // NOLINT
  Value(List l, bool is_tuple = false);                           // NOLINT
  Value(Dict d);                                                  // NOLINT
  Value(std::shared_ptr<Namespace> ns) : v_(std::move(ns)) {}    // NOLINT
  Value(Callable c) : v_(std::move(c)) {}                         // NOLINT

  static Value None() { return Value(NoneValue{}); }
  static Value Tuple(List l) { return Value(std::move(l), true); }

  bool is_undefined() const { return std::holds_alternative<Undefined>(v_); }
  bool is_none() const { return std::holds_alternative<NoneValue>(v_); }
  bool is_bool() const { return std::holds_alternative<bool>(v_); }
  bool is_int() const { return std::holds_alternative<int64_t>(v_); }
  bool is_float() const { return std::holds_alternative<double>(v_); }
  bool is_number() const { return is_int() || is_float() || is_bool(); }
  bool is_string() const { return std::holds_alternative<std::string>(v_); }
  bool is_list() const { return std::holds_alternative<ListValue>(v_); }
  bool is_tuple() const { return is_list() && std::get<ListValue>(v_).is_tuple; }
  bool is_dict() const { return std::holds_alternative<DictValue>(v_); }
  bool is_namespace() const { return std::holds_alternative<std::shared_ptr<Namespace>>(v_); }
  bool is_callable() const { return std::holds_alternative<Callable>(v_); }

  bool as_bool() const { return std::get<bool>(v_); }
  int64_t as_int() const { return is_bool() ? int64_t{as_bool()} : std::get<int64_t>(v_); }
  double as_float() const { return is_float() ? std::get<double>(v_) : static_cast<double>(as_int()); }
  const std::string& as_string() const { return std::get<std::string>(v_); }
  const List& as_list() const { return *std::get<ListValue>(v_).items; }
  const Dict& as_dict() const { return *std::get<DictValue>(v_).items; }
  Namespace& as_namespace() const { return *std::get<std::shared_ptr<Namespace>>(v_); }
  const Callable& as_callable() const { return std::get<Callable>(v_); }
  const std::string& undefined_name() const { return std::get<Undefined>(v_).name; }

  // Nesting depth of lists/dicts (0 for scalars and namespaces); bounded by the evaluator
  // so recursive printing, comparison and destruction stay shallow.
  int Depth() const;
  // Whether a namespace occurs in this value (a namespace may not hold one: no cycles).
  bool ContainsNamespace() const;

  // Python's truthiness (undefined is falsy).
  bool Truthy() const;
  // Python's type name, for error messages ("int", "str", "dict", ...).
  std::string TypeName() const;
  // Dict lookup by key; nullptr when absent. REQUIRES: is_dict() or is_namespace().
  const Value* Find(const Value& key) const;

 private:
  std::variant<Undefined, NoneValue, bool, int64_t, double, std::string, ListValue, DictValue,
               std::shared_ptr<Namespace>, Callable>
      v_;
};

// Python ==, and < for sortable pairs (numbers, strings, lists); an error otherwise.
bool Equals(const Value& a, const Value& b);
Result<bool> Less(const Value& a, const Value& b);

// str(x) as jinja2 prints it ({{ x }}): undefined -> "", None -> "None", lists in repr.
std::string ToStr(const Value& v);
// repr(x) as Python writes it.
std::string ToRepr(const Value& v);
// Python's repr of a float ("1.0", "1e-05", "inf").
std::string FloatRepr(double d);

// json.dumps(x, ensure_ascii, indent, separators, sort_keys) as transformers' tojson does.
struct JsonDumpOptions {
  bool ensure_ascii = false;
  std::optional<std::string> indent;  // nullopt: one line
  std::string item_separator = ", ";
  std::string key_separator = ": ";
  bool sort_keys = false;
};
Result<std::string> ToJson(const Value& v, const JsonDumpOptions& options);

// Converts JSON input data (any nlohmann basic_json; ordered_json keeps key order).
// Fails when arrays/objects nest deeper than `max_depth` (bounds recursion on hostile input).
template <typename Json>
Result<Value> FromJson(const Json& j, int max_depth = 128) {
  if (max_depth < 0) return InvalidArgument("chat template input nested too deeply");
  if (j.is_null()) return Value::None();
  if (j.is_boolean()) return Value(j.template get<bool>());
  if (j.is_number_integer()) {
    if (j.is_number_unsigned() && j.template get<uint64_t>() > uint64_t(INT64_MAX)) {
      return Value(static_cast<double>(j.template get<uint64_t>()));
    }
    return Value(j.template get<int64_t>());
  }
  if (j.is_number_float()) return Value(j.template get<double>());
  if (j.is_string()) return Value(j.template get<std::string>());
  if (j.is_array()) {
    List items;
    items.reserve(j.size());
    for (const auto& e : j) {
      SGL_ASSIGN_OR_RETURN(Value v, FromJson(e, max_depth - 1));
      items.push_back(std::move(v));
    }
    return Value(std::move(items));
  }
  if (j.is_object()) {
    Dict items;
    items.reserve(j.size());
    for (auto it = j.begin(); it != j.end(); ++it) {
      SGL_ASSIGN_OR_RETURN(Value v, FromJson(it.value(), max_depth - 1));
      items.emplace_back(Value(it.key()), std::move(v));
    }
    return Value(std::move(items));
  }
  return Value::None();  // binary and discarded values have no template meaning
}

// UTF-8 helpers: Python indexes strings by code point.
std::vector<std::string> SplitCodePoints(const std::string& s);
size_t CodePointCount(const std::string& s);

}  // namespace sgl::jinja
