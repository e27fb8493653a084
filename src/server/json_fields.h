// JsonFields: typed reads of a request body's fields with SGLang's conventions: a missing
// or null field keeps its default; a field of the wrong type or out of range is an
// InvalidArgument whose message names the field (with its path, e.g.
// "sampling_params.temperature") and what was expected.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace sgl::server {

using Json = nlohmann::json;

// A JSON list of 32-bit integers; errors name the list `name`.
Status ReadTokenIds(const Json& value, const std::string& name, std::vector<int32_t>& out);

class JsonFields {
 public:
  // `object` must outlive this. `path` prefixes field names in errors ("" at top level).
  JsonFields(const Json& object, std::string path) : object_(object), path_(std::move(path)) {}

  // Parses `body`; not an object => InvalidArgument.
  static Result<Json> ParseObject(const std::string& body);

  bool Has(const char* name) const;  // present and not null
  const Json* Find(const char* name) const;  // nullptr when missing or null
  std::string Name(const char* name) const;  // the field's full path

  Status Read(const char* name, bool& out) const;
  Status Read(const char* name, int& out) const;
  Status Read(const char* name, int64_t& out) const;
  Status Read(const char* name, float& out) const;
  Status Read(const char* name, double& out) const;
  Status Read(const char* name, std::string& out) const;
  Status Read(const char* name, std::optional<uint64_t>& out) const;
  Status Read(const char* name, std::vector<int32_t>& out) const;
  // A string or a list of strings.
  Status Read(const char* name, std::vector<std::string>& out) const;

  Status WrongType(const char* name, const char* expected) const;

 private:
  const Json& object_;
  std::string path_;
};

}  // namespace sgl::server
