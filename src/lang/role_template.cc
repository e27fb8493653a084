#include "lang/role_template.h"

namespace sgl::lang {

std::pair<std::string, std::string> RoleTemplate::PrefixAndSuffix(const std::string& role,
                                                                  const std::vector<Message>& history) const {
  auto lookup = [&](const std::string& r) {
    auto it = role_prefix_and_suffix.find(r);
    return it == role_prefix_and_suffix.end() ? std::pair<std::string, std::string>() : it->second;
  };
  auto [prefix, suffix] = lookup(role);
  if (style == Style::kLlama2) {
    if (role == "system" && history.empty()) return {lookup("user").first + prefix, suffix};
    // The frontend tests the first message's content for None; recorded contents are never None.
    if (role == "user" && history.size() == 1) return {"", suffix};
  }
  return {prefix, suffix};
}

}  // namespace sgl::lang
