#include "lang/expr.h"

#include "lang/image_source.h"

namespace sgl::lang {
namespace {

Expr Role(const std::string& role, const Expr& content) {
  return Expr(node::RoleBegin{role}) + content + Expr(node::RoleEnd{role});
}

}  // namespace

Expr& Expr::operator+=(const Expr& other) {
  nodes_.insert(nodes_.end(), other.nodes_.begin(), other.nodes_.end());
  return *this;
}

Expr operator+(Expr a, const Expr& b) { return a += b; }

Expr gen(std::string name, GenOptions options) { return Expr(node::Gen{std::move(name), std::move(options)}); }

Expr select(std::string name, std::vector<std::string> choices) {
  return Expr(node::Select{std::move(name), std::move(choices)});
}

Expr system(const Expr& content) { return Role("system", content); }
Expr system(const char* content) { return Role("system", Expr(content)); }
Expr user(const Expr& content) { return Role("user", content); }
Expr assistant(const Expr& content) { return Role("assistant", content); }
Expr system_begin() { return Expr(node::RoleBegin{"system"}); }
Expr system_end() { return Expr(node::RoleEnd{"system"}); }
Expr user_begin() { return Expr(node::RoleBegin{"user"}); }
Expr user_end() { return Expr(node::RoleEnd{"user"}); }
Expr assistant_begin() { return Expr(node::RoleBegin{"assistant"}); }
Expr assistant_end() { return Expr(node::RoleEnd{"assistant"}); }

Expr image(const std::string& path) { return Expr(ReadImageSource(path)); }

Expr image_bytes(std::string bytes) {
  if (bytes.empty()) return Expr(node::Image{"", "image data is empty"});
  return Expr(node::Image{std::move(bytes), ""});
}

}  // namespace sgl::lang
