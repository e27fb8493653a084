// Value: a program variable: the text a gen or select produced, or after a fork's Join
// the list of the branches' values. Plain value type.
#pragma once

#include <string>
#include <vector>

namespace sgl::lang {

class Value {
 public:
  Value() = default;
  explicit Value(std::string text) : items_{std::move(text)} {}
  static Value List(std::vector<std::string> items) {
    Value v;
    v.items_ = std::move(items);
    v.is_list_ = true;
    return v;
  }

  bool is_list() const { return is_list_; }
  // The text; for a list, its items concatenated.
  std::string str() const {
    std::string out;
    for (const std::string& s : items_) out += s;
    return out;
  }
  // A list's items (a text is a list of one).
  const std::vector<std::string>& list() const { return items_; }
  void Append(const Value& v) { items_.insert(items_.end(), v.items_.begin(), v.items_.end()); }
  operator std::string() const { return str(); }  // NOLINT: a variable reads as its text
  bool operator==(const std::string& text) const { return !is_list_ && items_.size() == 1 && items_[0] == text; }

 private:
  std::vector<std::string> items_;
  bool is_list_ = false;
};

}  // namespace sgl::lang
