// Methods a template may call on values (`s.strip()`, `d.items()`, `'{}'.format(x)`)
// and Python's `%` string formatting. Only side-effect-free methods exist: transformers
// renders in jinja2's immutable sandbox, where list.append and dict.update fail too.
#pragma once

#include <optional>
#include <string>

#include "tokenizer/chat_template/builtins.h"
#include "tokenizer/chat_template/value.h"

namespace sgl::jinja {

// A callable bound to `obj` for method `name`, or nullopt when there is none.
std::optional<Value> BindMethod(const Value& obj, const std::string& name);

// `fmt % args` with %s, %r, %d, %i, %f (optional precision) and %%.
Result<Value> PercentFormat(Budget& budget, const std::string& fmt, const Value& args);

// String helpers shared with the filters.
std::string StripChars(const std::string& s, const std::string* chars, bool left, bool right);
std::string AsciiUpper(std::string s);
std::string AsciiLower(std::string s);
std::string Capitalize(const std::string& s);
std::string PythonTitle(const std::string& s);
Result<std::string> ReplaceAll(Budget& budget, const std::string& s, const std::string& old_text,
                               const std::string& new_text, int64_t count);

}  // namespace sgl::jinja
