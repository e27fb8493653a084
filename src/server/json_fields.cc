#include "server/json_fields.h"

#include <cmath>
#include <limits>

namespace sgl::server {
namespace {

const char* TypeName(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::boolean: return "a boolean";
    case Json::value_t::string: return "a string";
    case Json::value_t::array: return "a list";
    case Json::value_t::object: return "an object";
    case Json::value_t::number_float: return "a float";
    default: return "an integer";
  }
}

// An integer, or a float with an integral value (JSON writers differ).
std::optional<int64_t> AsInteger(const Json& v) {
  if (v.is_number_integer()) {
    if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      return std::nullopt;
    return v.get<int64_t>();
  }
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.2e18) return static_cast<int64_t>(d);
  }
  return std::nullopt;
}

}  // namespace

Result<Json> JsonFields::ParseObject(const std::string& body) {
  Json j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidArgument("the request body is not valid JSON");
  if (!j.is_object()) return InvalidArgument("the request body must be a JSON object, got {}", TypeName(j));
  return j;
}

const Json* JsonFields::Find(const char* name) const {
  auto it = object_.find(name);
  if (it == object_.end() || it->is_null()) return nullptr;
  return &*it;
}

bool JsonFields::Has(const char* name) const { return Find(name) != nullptr; }

std::string JsonFields::Name(const char* name) const { return path_.empty() ? name : path_ + "." + name; }

Status JsonFields::WrongType(const char* name, const char* expected) const {
  const Json* v = Find(name);
  return InvalidArgument("'{}' must be {}, got {}", Name(name), expected, v ? TypeName(*v) : "nothing");
}

Status JsonFields::Read(const char* name, bool& out) const {
  const Json* v = Find(name);
  if (!v) return Status::Ok();
  if (!v->is_boolean()) return WrongType(name, "a boolean");
  out = v->get<bool>();
  return Status::Ok();
}

Status JsonFields::Read(const char* name, int64_t& out) const {
  const Json* v = Find(name);
  if (!v) return Status::Ok();
  std::optional<int64_t> i = AsInteger(*v);
  if (!i) return WrongType(name, "an integer");
  out = *i;
  return Status::Ok();
}

Status JsonFields::Read(const char* name, int& out) const {
  int64_t wide = out;
  SGL_RETURN_IF_ERROR(Read(name, wide));
  if (wide < std::numeric_limits<int>::min() || wide > std::numeric_limits<int>::max())
    return InvalidArgument("'{}' = {} is out of range", Name(name), wide);
  out = static_cast<int>(wide);
  return Status::Ok();
}

Status JsonFields::Read(const char* name, double& out) const {
  const Json* v = Find(name);
  if (!v) return Status::Ok();
  if (!v->is_number()) return WrongType(name, "a number");
  out = v->get<double>();
  return Status::Ok();
}

Status JsonFields::Read(const char* name, float& out) const {
  double wide = out;
  SGL_RETURN_IF_ERROR(Read(name, wide));
  out = static_cast<float>(wide);
  return Status::Ok();
}

Status JsonFields::Read(const char* name, std::string& out) const {
  const Json* v = Find(name);
  if (!v) return Status::Ok();
  if (!v->is_string()) return WrongType(name, "a string");
  out = v->get<std::string>();
  return Status::Ok();
}

Status JsonFields::Read(const char* name, std::optional<uint64_t>& out) const {
  const Json* v = Find(name);
  if (!v) return Status::Ok();
  std::optional<int64_t> i = AsInteger(*v);
  if (!i) return WrongType(name, "an integer");
  out = static_cast<uint64_t>(*i);
  return Status::Ok();
}

Status ReadTokenIds(const Json& v, const std::string& name, std::vector<int32_t>& out) {
  if (!v.is_array()) return InvalidArgument("'{}' must be a list of integers, got {}", name, TypeName(v));
  out.clear();
  for (size_t i = 0; i < v.size(); ++i) {
    std::optional<int64_t> x = AsInteger(v[i]);
    if (!x || *x < std::numeric_limits<int32_t>::min() || *x > std::numeric_limits<int32_t>::max())
      return InvalidArgument("'{}[{}]' must be a 32-bit integer", name, i);
    out.push_back(static_cast<int32_t>(*x));
  }
  return Status::Ok();
}

Status JsonFields::Read(const char* name, std::vector<int32_t>& out) const {
  const Json* v = Find(name);
  if (!v) return Status::Ok();
  return ReadTokenIds(*v, Name(name), out);
}

Status JsonFields::Read(const char* name, std::vector<std::string>& out) const {
  const Json* v = Find(name);
  if (!v) return Status::Ok();
  out.clear();
  if (v->is_string()) {
    out.push_back(v->get<std::string>());
    return Status::Ok();
  }
  if (!v->is_array()) return WrongType(name, "a string or a list of strings");
  for (size_t i = 0; i < v->size(); ++i) {
    if (!(*v)[i].is_string()) return InvalidArgument("'{}[{}]' must be a string", Name(name), i);
    out.push_back((*v)[i].get<std::string>());
  }
  return Status::Ok();
}

}  // namespace sgl::server
