#include "constrain/json_schema_converter.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "constrain/json_value_exprs.h"

namespace sgl::constrain {
namespace {

using Json = nlohmann::ordered_json;

constexpr int kMaxDepth = 64;
// A property or item sub-grammar bigger than this is made a rule of its own, so the
// object/array layouts that repeat it stay small.
constexpr int64_t kInlineLimit = 4000;

// Keywords whose constraints this converter cannot honour: rejected, not ignored.
constexpr const char* kUnsupported[] = {"not", "if", "then", "else", "multipleOf", "patternProperties",
                                        "propertyNames", "contains", "dependentRequired", "dependentSchemas",
                                        "dependencies", "unevaluatedProperties", "unevaluatedItems",
                                        "minProperties", "maxProperties", "$dynamicRef", "$recursiveRef"};

class SchemaConverter {
 public:
  SchemaConverter(const Json& root, const JsonGrammarOptions& options) : root_(root), options_(options) {}

  Result<Grammar> Convert() {
    SGL_ASSIGN_OR_RETURN(int32_t root, RefRule("#"));
    g_.root_rule = root;
    return std::move(g_);
  }

  // The any-JSON-value rule (created on first use).
  int32_t AnyValueRule() {
    if (any_value_rule_ >= 0) return any_value_rule_;
    any_value_rule_ = g_.AddRule("json_value");
    Expr value = RuleRefExpr(any_value_rule_);
    Expr members = SeqExpr({JsonStringExpr(), Colon(), RuleRefExpr(any_value_rule_)});
    Expr object = Wrap('{', members, '}');
    Expr array = Wrap('[', value, ']');
    g_.rules[any_value_rule_].body = AltExpr({std::move(object), std::move(array), JsonStringExpr(), JsonNumberExpr(),
                                              LiteralExpr("true"), LiteralExpr("false"), LiteralExpr("null")});
    return any_value_rule_;
  }

  Expr AnyObject() {
    Expr members = SeqExpr({JsonStringExpr(), Colon(), RuleRefExpr(AnyValueRule())});
    return Wrap('{', members, '}');
  }

  Grammar TakeGrammar(int32_t root) {
    g_.root_rule = root;
    return std::move(g_);
  }

  int32_t AddRule(std::string name, Expr body) { return g_.AddRule(std::move(name), std::move(body)); }

 private:
  Expr Ws() {
    if (!options_.any_whitespace) return EmptyExpr();
    ByteSet ws;
    ws.Add(' ');
    ws.Add('\n');
    ws.Add('\t');
    return RepeatExpr(BytesExpr(ws), 0, options_.max_whitespace);
  }
  Expr Comma() { return SeqExpr({Ws(), ByteExpr(','), Ws()}); }
  Expr Colon() { return SeqExpr({Ws(), ByteExpr(':'), Ws()}); }
  // open (item (, item)*)? close
  Expr Wrap(char open, const Expr& item, char close) {
    Expr list = SeqExpr({item, StarExpr(SeqExpr({Comma(), item}))});
    return SeqExpr({ByteExpr(static_cast<uint8_t>(open)), Ws(), OptionalExpr(std::move(list)), Ws(),
                    ByteExpr(static_cast<uint8_t>(close))});
  }

  Status Error(const std::string& path, const std::string& what) const {
    return InvalidArgument("json_schema: at {}: {}", path.empty() ? "#" : path, what);
  }

  Result<const Json*> Resolve(const std::string& ref, const std::string& path) const {
    if (ref.empty() || ref[0] != '#') return Error(path, "only local $ref (#...) is supported, not '" + ref + "'");
    const Json* node = &root_;
    std::string pointer = ref.substr(1);
    size_t i = 0;
    while (i < pointer.size()) {
      if (pointer[i] != '/') return Error(path, "bad JSON pointer in $ref '" + ref + "'");
      size_t next = pointer.find('/', i + 1);
      std::string token = pointer.substr(i + 1, next == std::string::npos ? std::string::npos : next - i - 1);
      std::string key;
      for (size_t k = 0; k < token.size(); ++k) {
        if (token[k] == '~' && k + 1 < token.size() && (token[k + 1] == '0' || token[k + 1] == '1')) {
          key += token[k + 1] == '0' ? '~' : '/';
          ++k;
        } else {
          key += token[k];
        }
      }
      if (node->is_object() && node->contains(key)) {
        node = &(*node)[key];
      } else if (node->is_array() && !key.empty() && key.find_first_not_of("0123456789") == std::string::npos &&
                 key.size() < 9 && std::stoul(key) < node->size()) {
        node = &(*node)[std::stoul(key)];
      } else {
        return Error(path, "$ref '" + ref + "' points nowhere");
      }
      i = next == std::string::npos ? pointer.size() : next;
    }
    return node;
  }

  Result<int32_t> RefRule(const std::string& ref) {
    auto it = ref_rules_.find(ref);
    if (it != ref_rules_.end()) return it->second;
    SGL_ASSIGN_OR_RETURN(const Json* target, Resolve(ref, ref));
    int32_t id = g_.AddRule(ref == "#" ? "root" : "ref:" + ref);
    ref_rules_[ref] = id;
    SGL_ASSIGN_OR_RETURN(Expr body, Schema(*target, ref == "#" ? "" : ref.substr(1), 0));
    g_.rules[id].body = std::move(body);
    return id;
  }

  // Big sub-grammars become rules; small ones stay inline. `copies`: how often the
  // grammar repeats `e` (array items under minItems / maxItems): each inline copy gets
  // states (and token masks) of its own, a rule's states are shared by every call.
  Expr Share(Expr e, const std::string& path, int64_t copies = 1) {
    if (ExpandedSize(e) * std::max<int64_t>(copies, 1) <= kInlineLimit) return e;
    return RuleRefExpr(g_.AddRule("schema:" + path, std::move(e)));
  }

  // allOf as one schema: properties and required combine; a property both sides define
  // merges recursively; other keywords must agree (or appear on one side only), else the
  // intersection is not expressible here and the schema is refused.
  Result<Json> Merge(const Json& a, const Json& b, const std::string& path, int depth) {
    if (depth > kMaxDepth) return Error(path, "allOf nested too deeply");
    if (!a.is_object() || !b.is_object()) return Error(path, "allOf entries must be objects");
    Json out = a;
    for (auto it = b.begin(); it != b.end(); ++it) {
      const std::string& key = it.key();
      if (!out.contains(key)) {
        out[key] = *it;
      } else if (key == "properties" && out[key].is_object() && it->is_object()) {
        for (auto p = it->begin(); p != it->end(); ++p) {
          if (out[key].contains(p.key()) && out[key][p.key()] != *p) {
            SGL_ASSIGN_OR_RETURN(out[key][p.key()], Merge(out[key][p.key()], *p, path + "/properties/" + p.key(), depth + 1));
          } else {
            out[key][p.key()] = *p;
          }
        }
      } else if (key == "required" && out[key].is_array() && it->is_array()) {
        for (const auto& r : *it) out[key].push_back(r);
      } else if (key == "title" || key == "description" || key == "$defs" || key == "definitions" || key == "default" ||
                 key == "examples" || key == "$schema" || key == "$id") {
        // annotations and definitions: either side's is fine
      } else if (out[key] != *it) {
        return Error(path, "allOf entries disagree on '" + key + "' (their intersection is not supported)");
      }
    }
    return out;
  }

  // After an allOf merge: a part with additionalProperties false admits only its own names.
  Result<Json> RestrictToClosedParts(Json merged, const std::vector<const Json*>& parts, const std::string& path) {
    for (const Json* part : parts) {
      if (!part->contains("additionalProperties") || (*part)["additionalProperties"] != false) continue;
      std::set<std::string> allowed;
      if (part->contains("properties") && (*part)["properties"].is_object()) {
        for (auto p = (*part)["properties"].begin(); p != (*part)["properties"].end(); ++p) allowed.insert(p.key());
      }
      if (merged.contains("required") && merged["required"].is_array()) {
        for (const Json& r : merged["required"]) {
          if (r.is_string() && !allowed.count(r.get<std::string>())) {
            return Error(path, "allOf cannot be satisfied: '" + r.get<std::string>() +
                                   "' is required but another entry forbids additional properties");
          }
        }
      }
      if (merged.contains("properties") && merged["properties"].is_object()) {
        Json kept = Json::object();
        for (auto p = merged["properties"].begin(); p != merged["properties"].end(); ++p) {
          if (allowed.count(p.key())) kept[p.key()] = *p;
        }
        merged["properties"] = kept;
      }
    }
    return merged;
  }

  Result<Expr> Schema(const Json& s, const std::string& path, int depth) {
    if (depth > kMaxDepth) return Error(path, "schema nested too deeply");
    if (s.is_boolean()) {
      if (!s.get<bool>()) return Error(path, "schema 'false' matches nothing");
      return RuleRefExpr(AnyValueRule());
    }
    if (!s.is_object()) return Error(path, "a schema must be an object or a boolean");
    for (const char* k : kUnsupported) {
      if (s.contains(k)) return Error(path, std::string("keyword '") + k + "' is not supported");
    }
    if (s.contains("uniqueItems") && s["uniqueItems"] == true) return Error(path, "keyword 'uniqueItems' is not supported");
    if (s.contains("$ref")) {
      if (!s["$ref"].is_string()) return Error(path, "$ref must be a string");
      SGL_ASSIGN_OR_RETURN(int32_t rule, RefRule(s["$ref"].get<std::string>()));
      return RuleRefExpr(rule);
    }
    if (s.contains("allOf")) {
      const Json& all = s["allOf"];
      if (!all.is_array() || all.empty()) return Error(path, "allOf must be a non-empty array");
      Json merged = s;
      merged.erase("allOf");
      std::vector<const Json*> parts{&s};
      for (const Json& part : all) {
        const Json* p = &part;
        if (part.is_object() && part.contains("$ref") && part["$ref"].is_string()) {
          SGL_ASSIGN_OR_RETURN(p, Resolve(part["$ref"].get<std::string>(), path));
        }
        if (!p->is_object()) return Error(path, "allOf entries must be objects");
        if (p->contains("allOf") || p->contains("$ref")) return Error(path, "nested allOf/$ref inside allOf is not supported");
        SGL_ASSIGN_OR_RETURN(merged, Merge(merged, *p, path, depth));
        parts.push_back(p);
      }
      SGL_ASSIGN_OR_RETURN(merged, RestrictToClosedParts(std::move(merged), parts, path));
      return Schema(merged, path, depth + 1);
    }
    // oneOf is read as anyOf: "exactly one branch" is not expressible by a grammar once
    // branches overlap. The grammar is exact when the branches are disjoint (different
    // types; objects told apart by a required key the others forbid, or by a const/enum
    // discriminator); otherwise an output matching two branches can come out. xgrammar
    // 0.2.8 does the same (it warns and "falls back to anyOf semantics" unless it proves
    // the branches disjoint).
    for (const char* key : {"anyOf", "oneOf"}) {
      if (!s.contains(key)) continue;
      const Json& options = s[key];
      if (!options.is_array() || options.empty()) return Error(path, std::string(key) + " must be a non-empty array");
      Json base = s;
      base.erase(key);
      bool base_empty = true;
      for (auto it = base.begin(); it != base.end(); ++it) {
        if (it.key() != "title" && it.key() != "description" && it.key() != "$defs" && it.key() != "definitions" &&
            it.key() != "$schema" && it.key() != "$id" && it.key() != "default" && it.key() != "examples") {
          base_empty = false;
        }
      }
      std::vector<Expr> alts;
      for (size_t i = 0; i < options.size(); ++i) {
        std::string sub = path + "/" + key + "/" + std::to_string(i);
        if (base_empty || !options[i].is_object() || options[i].contains("$ref")) {
          SGL_ASSIGN_OR_RETURN(Expr e, Schema(options[i], sub, depth + 1));
          alts.push_back(std::move(e));
        } else {
          SGL_ASSIGN_OR_RETURN(Json merged, Merge(base, options[i], sub, depth));
          SGL_ASSIGN_OR_RETURN(Expr e, Schema(merged, sub, depth + 1));
          alts.push_back(std::move(e));
        }
      }
      return AltExpr(std::move(alts));
    }
    if (s.contains("const")) return LiteralExpr(s["const"].dump());
    if (s.contains("enum")) {
      const Json& values = s["enum"];
      if (!values.is_array() || values.empty()) return Error(path, "enum must be a non-empty array");
      std::vector<Expr> alts;
      for (const Json& v : values) alts.push_back(LiteralExpr(v.dump()));
      return AltExpr(std::move(alts));
    }
    std::vector<std::string> types;
    if (s.contains("type")) {
      const Json& t = s["type"];
      if (t.is_string()) {
        types.push_back(t.get<std::string>());
      } else if (t.is_array() && !t.empty()) {
        for (const Json& x : t) {
          if (!x.is_string()) return Error(path, "type list entries must be strings");
          types.push_back(x.get<std::string>());
        }
      } else {
        return Error(path, "type must be a string or a non-empty list of strings");
      }
    } else {
      types = InferTypes(s);
      if (types.empty()) return RuleRefExpr(AnyValueRule());
    }
    std::vector<Expr> alts;
    for (const std::string& t : types) {
      SGL_ASSIGN_OR_RETURN(Expr e, Typed(s, t, path, depth));
      alts.push_back(std::move(e));
    }
    // OpenAPI 3.0: `nullable` adds null to the types `type` names, and only with `type`.
    if (s.contains("type") && s.contains("nullable") && s["nullable"] == true) alts.push_back(LiteralExpr("null"));
    return AltExpr(std::move(alts));
  }

  static std::vector<std::string> InferTypes(const Json& s) {
    if (s.contains("properties") || s.contains("additionalProperties") || s.contains("required")) return {"object"};
    if (s.contains("items") || s.contains("prefixItems") || s.contains("minItems") || s.contains("maxItems")) return {"array"};
    if (s.contains("pattern") || s.contains("format") || s.contains("minLength") || s.contains("maxLength")) return {"string"};
    if (s.contains("minimum") || s.contains("maximum") || s.contains("exclusiveMinimum") || s.contains("exclusiveMaximum")) {
      return {"number"};
    }
    return {};
  }

  Result<std::optional<int32_t>> Count(const Json& s, const char* key, const std::string& path) {
    if (!s.contains(key)) return std::optional<int32_t>();
    const Json& v = s[key];
    if (!v.is_number_integer() || v.get<int64_t>() < 0) return Error(path, std::string(key) + " must be a non-negative integer");
    if (v.get<int64_t>() > 10000) return Error(path, std::string(key) + " above 10000 is not supported");
    return std::optional<int32_t>(static_cast<int32_t>(v.get<int64_t>()));
  }

  Result<Expr> Typed(const Json& s, const std::string& t, const std::string& path, int depth) {
    if (t == "null") return LiteralExpr("null");
    if (t == "boolean") return AltExpr({LiteralExpr("true"), LiteralExpr("false")});
    if (t == "integer" || t == "number") return Numeric(s, t == "integer", path);
    if (t == "string") return String(s, path);
    if (t == "array") return Array(s, path, depth);
    if (t == "object") return Object(s, path, depth);
    return Error(path, "unknown type '" + t + "'");
  }

  Result<Expr> Numeric(const Json& s, bool integer, const std::string& path) {
    std::optional<int64_t> lo, hi;
    constexpr double kLimit = 1e18;
    auto bound = [&](const char* key, bool lower, bool exclusive) -> Status {
      if (!s.contains(key)) return Status::Ok();
      const Json& v = s[key];
      if (v.is_boolean()) return Status::Ok();  // draft-4 exclusive flags: handled below
      if (!v.is_number()) return Error(path, std::string(key) + " must be a number");
      double d = v.get<double>();
      if (std::isnan(d) || std::fabs(d) > kLimit) return Error(path, std::string(key) + " out of the supported range");
      bool excl = exclusive || (s.contains(std::string("exclusive") + (lower ? "Minimum" : "Maximum")) &&
                                s[std::string("exclusive") + (lower ? "Minimum" : "Maximum")] == true);
      int64_t b = lower ? static_cast<int64_t>(std::ceil(d)) : static_cast<int64_t>(std::floor(d));
      if (excl && static_cast<double>(b) == d) b += lower ? 1 : -1;
      if (lower) lo = lo ? std::max(*lo, b) : b;
      else hi = hi ? std::min(*hi, b) : b;
      return Status::Ok();
    };
    SGL_RETURN_IF_ERROR(bound("minimum", true, false));
    SGL_RETURN_IF_ERROR(bound("maximum", false, false));
    SGL_RETURN_IF_ERROR(bound("exclusiveMinimum", true, true));
    SGL_RETURN_IF_ERROR(bound("exclusiveMaximum", false, true));
    if (lo && hi && *lo > *hi) return Error(path, "no integer lies between minimum and maximum");
    if (integer) return JsonIntegerExpr(lo, hi);
    if (!lo && !hi) return JsonNumberExpr();
    return JsonBoundedNumberExpr(lo, hi);
  }

  Result<Expr> String(const Json& s, const std::string& path) {
    if (s.contains("pattern")) {
      if (!s["pattern"].is_string()) return Error(path, "pattern must be a string");
      auto e = JsonPatternStringExpr(s["pattern"].get<std::string>());
      if (!e.ok()) return e.status().WithContext("json_schema: at " + (path.empty() ? std::string("#") : path));
      return e;
    }
    if (s.contains("format") && s["format"].is_string()) {
      if (auto e = JsonFormatExpr(s["format"].get<std::string>())) return std::move(*e);
    }
    SGL_ASSIGN_OR_RETURN(auto min_len, Count(s, "minLength", path));
    SGL_ASSIGN_OR_RETURN(auto max_len, Count(s, "maxLength", path));
    if (min_len && max_len && *min_len > *max_len) return Error(path, "minLength > maxLength");
    return JsonStringExpr(min_len.value_or(0), max_len);
  }

  // How many copies of the item expression an array with these bounds spells out.
  static int64_t ItemCopies(int32_t min_items, std::optional<int32_t> max_items) {
    return max_items ? *max_items : static_cast<int64_t>(min_items) + 1;
  }

  Result<Expr> Array(const Json& s, const std::string& path, int depth) {
    SGL_ASSIGN_OR_RETURN(auto min_items, Count(s, "minItems", path));
    SGL_ASSIGN_OR_RETURN(auto max_items, Count(s, "maxItems", path));
    int32_t min = min_items.value_or(0);
    if (max_items && *max_items < min) return Error(path, "minItems > maxItems");
    std::vector<Expr> prefix;
    if (s.contains("prefixItems")) {
      if (!s["prefixItems"].is_array()) return Error(path, "prefixItems must be an array");
      for (size_t i = 0; i < s["prefixItems"].size(); ++i) {
        SGL_ASSIGN_OR_RETURN(Expr e, Schema(s["prefixItems"][i], path + "/prefixItems/" + std::to_string(i), depth + 1));
        prefix.push_back(std::move(e));
      }
    }
    std::optional<Expr> item;
    if (!s.contains("items")) {
      item = RuleRefExpr(AnyValueRule());
    } else if (!(s["items"].is_boolean() && s["items"] == false)) {
      SGL_ASSIGN_OR_RETURN(Expr e, Schema(s["items"], path + "/items", depth + 1));
      item = Share(std::move(e), path + "/items", ItemCopies(min, max_items));
    }
    auto k = static_cast<int32_t>(prefix.size());
    if (max_items && *max_items < k) return Error(path, "maxItems is below the number of prefixItems");
    std::vector<Expr> parts{ByteExpr('['), Ws()};
    if (k > 0) {
      for (int32_t i = 0; i < k; ++i) {
        if (i > 0) parts.push_back(Comma());
        parts.push_back(std::move(prefix[i]));
      }
      if (item) {
        int32_t more_min = std::max(0, min - k);
        std::optional<int32_t> more_max;
        if (max_items) more_max = *max_items - k;
        parts.push_back(RepeatExpr(SeqExpr({Comma(), *item}), more_min, more_max));
      } else if (min > k) {
        return Error(path, "minItems exceeds prefixItems while items is false");
      }
    } else if (item) {
      if (max_items && *max_items == 0) {
        // only []
      } else {
        std::optional<int32_t> rest_max;
        if (max_items) rest_max = *max_items - 1;
        Expr list = SeqExpr({*item, RepeatExpr(SeqExpr({Comma(), *item}), std::max(0, min - 1), rest_max)});
        parts.push_back(min > 0 ? std::move(list) : OptionalExpr(std::move(list)));
      }
    } else if (min > 0) {
      return Error(path, "minItems > 0 while items is false");
    }
    parts.push_back(Ws());
    parts.push_back(ByteExpr(']'));
    return SeqExpr(std::move(parts));
  }

  struct Member {
    Expr expr;
    bool required;
  };

  // Members in order, each optional or required, comma-separated, then any number of
  // extra members: Head(i) picks the first member present, Tail(i) follows a member.
  Expr Tail(const std::vector<Member>& m, size_t i, const std::optional<Expr>& extra) {
    std::vector<Expr> parts;
    for (size_t j = i; j < m.size(); ++j) {
      Expr e = SeqExpr({Comma(), m[j].expr});
      parts.push_back(m[j].required ? std::move(e) : OptionalExpr(std::move(e)));
    }
    if (extra) parts.push_back(StarExpr(SeqExpr({Comma(), *extra})));
    return SeqExpr(std::move(parts));
  }

  // With many optional members the inline layout repeats each member once per choice of
  // first member (quadratic automaton); then the tails become rules, shared by all heads.
  Expr SharedTails(const std::vector<Member>& m, const std::optional<Expr>& extra, const std::string& path) {
    std::vector<int32_t> tails(m.size() + 1);
    for (size_t j = 0; j <= m.size(); ++j) tails[j] = g_.AddRule("tail:" + path + "/" + std::to_string(j));
    g_.rules[tails[m.size()]].body = extra ? StarExpr(SeqExpr({Comma(), *extra})) : EmptyExpr();
    for (size_t j = 0; j < m.size(); ++j) {
      Expr e = SeqExpr({Comma(), m[j].expr});
      g_.rules[tails[j]].body = SeqExpr({m[j].required ? std::move(e) : OptionalExpr(std::move(e)), RuleRefExpr(tails[j + 1])});
    }
    std::vector<Expr> heads;
    for (size_t i = 0; i < m.size(); ++i) {
      heads.push_back(SeqExpr({m[i].expr, RuleRefExpr(tails[i + 1])}));
      if (m[i].required) break;
    }
    bool all_optional = std::none_of(m.begin(), m.end(), [](const Member& x) { return x.required; });
    if (all_optional) heads.push_back(Head(m, m.size(), extra));
    return AltExpr(std::move(heads));
  }

  Expr Head(const std::vector<Member>& m, size_t i, const std::optional<Expr>& extra) {
    if (i == m.size()) {
      if (!extra) return EmptyExpr();
      return OptionalExpr(SeqExpr({*extra, StarExpr(SeqExpr({Comma(), *extra}))}));
    }
    Expr here = SeqExpr({m[i].expr, Tail(m, i + 1, extra)});
    if (m[i].required) return here;
    return AltExpr({std::move(here), Head(m, i + 1, extra)});
  }

  Result<Expr> Object(const Json& s, const std::string& path, int depth) {
    std::set<std::string> required;
    if (s.contains("required")) {
      if (!s["required"].is_array()) return Error(path, "required must be an array");
      for (const Json& r : s["required"]) {
        if (!r.is_string()) return Error(path, "required entries must be strings");
        required.insert(r.get<std::string>());
      }
    }
    std::vector<Member> members;
    std::set<std::string> declared;
    if (s.contains("properties")) {
      if (!s["properties"].is_object()) return Error(path, "properties must be an object");
      for (auto it = s["properties"].begin(); it != s["properties"].end(); ++it) {
        std::string sub = path + "/properties/" + it.key();
        SGL_ASSIGN_OR_RETURN(Expr value, Schema(*it, sub, depth + 1));
        Expr member = SeqExpr({LiteralExpr(Json(it.key()).dump()), Colon(), Share(std::move(value), sub)});
        members.push_back({std::move(member), required.count(it.key()) > 0});
        declared.insert(it.key());
      }
    }
    for (const std::string& r : required) {
      if (!declared.count(r)) {
        // Required but undeclared: any value under that name.
        Expr member = SeqExpr({LiteralExpr(Json(r).dump()), Colon(), RuleRefExpr(AnyValueRule())});
        members.push_back({std::move(member), true});
      }
    }
    std::vector<std::string> names(declared.begin(), declared.end());
    names.insert(names.end(), required.begin(), required.end());
    std::optional<Expr> extra;
    bool has_extra_key = s.contains("additionalProperties");
    if ((has_extra_key && !(s["additionalProperties"].is_boolean() && s["additionalProperties"] == false)) ||
        (!has_extra_key && members.empty())) {
      Expr value = RuleRefExpr(AnyValueRule());
      if (has_extra_key && !s["additionalProperties"].is_boolean()) {
        SGL_ASSIGN_OR_RETURN(value, Schema(s["additionalProperties"], path + "/additionalProperties", depth + 1));
        value = Share(std::move(value), path + "/additionalProperties");
      }
      // An extra key never repeats a declared one (JSON Schema validators read the last of
      // repeated keys, so a repeat could smuggle in a value the property's schema refuses).
      extra = SeqExpr({JsonStringExceptExpr(names, JsonStringRestExpr()), Colon(), std::move(value)});
    }
    size_t leading_optional = 0;
    while (leading_optional < members.size() && !members[leading_optional].required) ++leading_optional;
    size_t optional = std::count_if(members.begin(), members.end(), [](const Member& x) { return !x.required; });
    Expr body = leading_optional >= 2 && optional >= 3 ? SharedTails(members, extra, path) : Head(members, 0, extra);
    return SeqExpr({ByteExpr('{'), Ws(), std::move(body), Ws(), ByteExpr('}')});
  }

  const Json& root_;
  const JsonGrammarOptions& options_;
  Grammar g_;
  std::map<std::string, int32_t> ref_rules_;
  int32_t any_value_rule_ = -1;
};

// nlohmann's parser is iterative, but destroying a deeply nested document recurses.
bool NestedTooDeeply(std::string_view text, int limit) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > limit) return true;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return false;
}

}  // namespace

Result<Grammar> JsonSchemaToGrammar(std::string_view schema_json, const JsonGrammarOptions& options) {
  if (NestedTooDeeply(schema_json, 512)) return InvalidArgument("json_schema: nested more than 512 levels deep");
  Json schema = Json::parse(schema_json, nullptr, /*allow_exceptions=*/false);
  if (schema.is_discarded()) return InvalidArgument("json_schema: not valid JSON");
  return SchemaConverter(schema, options).Convert();
}

Grammar AnyJsonGrammar(bool object_only, const JsonGrammarOptions& options) {
  Json empty = Json::object();
  SchemaConverter c(empty, options);
  int32_t value = c.AnyValueRule();
  int32_t root = object_only ? c.AddRule("root", c.AnyObject()) : c.AddRule("root", RuleRefExpr(value));
  return c.TakeGrammar(root);
}

}  // namespace sgl::constrain
