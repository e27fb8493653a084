// The built-in library a chat template sees: filters (`x|trim`), tests (`x is string`),
// methods on str/dict values (`s.startswith('a')`, `d.items()`), attribute/item lookup with
// jinja2's rules, and the globals transformers provides (range, namespace, dict,
// raise_exception, strftime_now: local time, or SOURCE_DATE_EPOCH in UTC when that is set). Stateless; all work is charged to a Budget.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"
#include "tokenizer/chat_template/value.h"

namespace sgl::jinja {

// Bounds one render's work and memory: every created element/byte and every evaluation
// step is charged; exceeding the limit fails the render with a clear message.
class Budget {
 public:
  Budget(uint64_t max_steps, size_t max_value_bytes) : max_steps_(max_steps), max_value_bytes_(max_value_bytes) {}
  Status Charge(uint64_t units) {
    steps_ += units;
    if (steps_ > max_steps_) {
      return InvalidArgument("template exceeded its work limit ({} steps): runaway loop or output?", max_steps_);
    }
    return Status::Ok();
  }
  // For a value about to be created with `size` bytes or elements.
  Status CheckSize(uint64_t size) {
    if (size > max_value_bytes_) return InvalidArgument("template value too large ({} > {} bytes)", size, max_value_bytes_);
    return Charge(size / 16 + 1);
  }

 private:
  uint64_t steps_ = 0;
  uint64_t max_steps_;
  uint64_t max_value_bytes_;
};

// Runs filter `name`. Returns NotFound-coded error for an unknown filter.
Result<Value> CallFilter(Budget& budget, const std::string& name, const Value& input, CallArgs& args);
// Runs test `name` (`defined`, `string`, `divisibleby`, ...).
Result<bool> CallTest(Budget& budget, const std::string& name, const Value& input, CallArgs& args);
// `obj.name`: dict key or method, str method, namespace attribute; undefined if absent.
// Errors only when `obj` itself is undefined (jinja2's UndefinedError).
Result<Value> GetAttr(const Value& obj, const std::string& name);
// `obj[key]`: item first (with negative indexes), then attribute; undefined if absent.
Result<Value> GetItem(const Value& obj, const Value& key);
// `obj[start:stop:step]` on lists, tuples and strings.
Result<Value> GetSlice(const Value& obj, const Value& start, const Value& stop, const Value& step);
// The items a `for` loop or a filter iterates: list/tuple items, dict keys, string
// characters; undefined iterates as empty.
Result<List> Iterate(const Value& v);
// Python's len(); errors on unsized values.
Result<int64_t> Length(const Value& v);
// Binary operators + - * / // % ** ~ with Python semantics.
Result<Value> BinaryOp(Budget& budget, const std::string& op, const Value& a, const Value& b);
// `a in b`.
Result<bool> Contains(const Value& container, const Value& item);
// Globals every template sees.
Dict MakeGlobals(Budget& budget);

// Positional-or-keyword argument access for builtins: takes arg `index` or keyword `name`.
const Value* Arg(const CallArgs& args, size_t index, const char* name);

}  // namespace sgl::jinja
