// JSON Schema -> Grammar whose strings are exactly JSON texts valid under the schema
// (within what is expressible; see below). Keywords: type (and lists of types), properties,
// required, additionalProperties, enum, const, anyOf, oneOf (as anyOf), allOf (merged),
// $ref into $defs/definitions/any local JSON pointer incl. recursion, items, prefixItems,
// minItems/maxItems, minLength/maxLength, pattern, format (date-time, date, time, email,
// uuid, uri, ipv4, hostname), minimum/maximum/exclusive* on integers (numbers with bounds
// keep to the sub-range that stays inside them), nullable. Properties come in schema order;
// additionalProperties unspecified means none (strict, as SGLang/xgrammar do) unless the
// object declares no properties. Keywords whose constraint cannot be honoured (not, if,
// multipleOf, uniqueItems, patternProperties, ...) are rejected, naming the keyword.
// Annotations (title, description, default, examples, ...) are ignored.
#pragma once

#include <string_view>

#include "base/status.h"
#include "constrain/grammar.h"

namespace sgl::constrain {

struct JsonGrammarOptions {
  bool any_whitespace = false;  // false: compact (no whitespace), like SGLang's default
  int32_t max_whitespace = 8;   // with any_whitespace: at most this many per gap
};

Result<Grammar> JsonSchemaToGrammar(std::string_view schema_json, const JsonGrammarOptions& options = {});
// Any JSON value (`object_only`: any JSON object, the `json_object` response format).
Grammar AnyJsonGrammar(bool object_only, const JsonGrammarOptions& options = {});

}  // namespace sgl::constrain
