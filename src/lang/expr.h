// Expr: what a program appends to a State with `s += ...`: a sequence of primitives
// (constant text, gen, select, role begin/end, image) in order. `"text" + gen(...)`
// concatenates, as in SGLang's Python frontend. Plain values; building one does no work.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace sgl::lang {

// gen's options; unset fields take the program's defaults (RunOptions::defaults), as
// sgl.gen's None arguments do. `stop` empty: the defaults' stop strings.
struct GenOptions {
  std::optional<int> max_tokens = std::nullopt;
  std::optional<int> min_tokens = std::nullopt;
  std::optional<float> temperature = std::nullopt;
  std::optional<float> top_p = std::nullopt;
  std::optional<int> top_k = std::nullopt;
  std::optional<float> min_p = std::nullopt;
  std::optional<float> frequency_penalty = std::nullopt;
  std::optional<float> presence_penalty = std::nullopt;
  std::optional<bool> ignore_eos = std::nullopt;
  std::vector<std::string> stop = {};
  std::vector<int32_t> stop_token_ids = {};
  std::optional<std::string> regex = std::nullopt;        // constrained decoding, passed to the backend as is
  std::optional<std::string> json_schema = std::nullopt;  // a JSON Schema text
  std::optional<std::string> ebnf = std::nullopt;
};

namespace node {
struct Text {
  std::string value;
};
struct Gen {
  std::string name;
  GenOptions options;
};
struct Select {
  std::string name;
  std::vector<std::string> choices;
};
struct RoleBegin {
  std::string role;
};
struct RoleEnd {
  std::string role;
};
struct Image {
  std::string bytes;  // the file's bytes (read when the expression was made)
  std::string error;  // why the file could not be read; the State reports it
};
}  // namespace node

using Node = std::variant<node::Text, node::Gen, node::Select, node::RoleBegin, node::RoleEnd, node::Image>;

class Expr {
 public:
  Expr() = default;
  Expr(std::string text) : nodes_{node::Text{std::move(text)}} {}  // NOLINT: text is an expression
  Expr(const char* text) : Expr(std::string(text)) {}               // NOLINT
  Expr(Node n) : nodes_{std::move(n)} {}                            // NOLINT

  const std::vector<Node>& nodes() const { return nodes_; }
  Expr& operator+=(const Expr& other);

 private:
  std::vector<Node> nodes_;
};

Expr operator+(Expr a, const Expr& b);

// Generates text into variable `name` (and the prompt).
Expr gen(std::string name, GenOptions options = {});
// Appends whichever of `choices` the model finds most likely (token-length-normalized
// prompt logprobs, as SGLang's default choices method) and stores it in `name`.
Expr select(std::string name, std::vector<std::string> choices);
// Roles: the template's prefix, `content`, the template's suffix. The const char*
// overloads make an unqualified `system("...")` under `using namespace sgl::lang`
// ambiguous with C's system() (a compile error) instead of silently calling it: write
// `lang::system(...)`.
Expr system(const Expr& content = {});
Expr system(const char* content);
Expr user(const Expr& content = {});
Expr assistant(const Expr& content = {});
Expr system_begin();
Expr system_end();
Expr user_begin();
Expr user_end();
Expr assistant_begin();
Expr assistant_end();
// An image: its template token goes into the prompt, its data (base64) to the backend.
// `path`: a local path, file://, data: (base64) or http:// URL (see ReadImageSource).
// Role text may also name one inline: user("What is in <image>photo.jpg</image>?") sends
// the same as user("What is in " + image("photo.jpg") + "?").
Expr image(const std::string& path);
Expr image_bytes(std::string bytes);

}  // namespace sgl::lang
