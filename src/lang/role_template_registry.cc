#include "lang/role_template_registry.h"

#include <optional>
#include <regex>
#include <vector>

namespace sgl::lang {
namespace {

using Style = RoleTemplate::Style;

struct Roles {
  std::pair<std::string, std::string> system, user, assistant;
};

RoleTemplate Make(std::string name, std::optional<std::string> system_prompt, Roles r,
                  std::vector<std::string> stop = {}, std::string image_token = "<image>", Style style = Style::kPlain) {
  RoleTemplate t;
  t.name = std::move(name);
  t.default_system_prompt = std::move(system_prompt);
  t.role_prefix_and_suffix = {{"system", r.system}, {"user", r.user}, {"assistant", r.assistant}};
  t.stop_str = std::move(stop);
  t.image_token = std::move(image_token);
  t.style = style;
  return t;
}

const Roles kChatMl = {{"<|im_start|>system\n", "<|im_end|>\n"},
                       {"<|im_start|>user\n", "<|im_end|>\n"},
                       {"<|im_start|>assistant\n", "<|im_end|>\n"}};
const Roles kLlama3 = {{"<|start_header_id|>system<|end_header_id|>\n\n", "<|eot_id|>"},
                       {"<|start_header_id|>user<|end_header_id|>\n\n", "<|eot_id|>"},
                       {"<|start_header_id|>assistant<|end_header_id|>\n\n", "<|eot_id|>"}};
const Roles kMiniCpm = {{"", " "}, {"user:", " "}, {"assistant:", "</s>"}};
const Roles kDeepSeek = {{"", ""}, {"<｜User｜>", ""}, {"<｜Assistant｜>", "<｜end▁of▁sentence｜>"}};

std::vector<RoleTemplate> AllTemplates() {
  const std::string im_end = "<|im_end|>";
  const std::string helpful = "You are a helpful assistant.";
  std::vector<RoleTemplate> all = {
      Make("default", std::nullopt, {{"SYSTEM:", "\n"}, {"USER:", "\n"}, {"ASSISTANT:", "\n"}}),
      Make("claude", std::nullopt, {{"", ""}, {"\n\nHuman: ", ""}, {"\n\nAssistant:", ""}}),
      Make("chatml", std::nullopt, kChatMl, {im_end}),
      Make("chatml-llava", helpful, kChatMl, {im_end}, "<image>\n"),
      Make("qwen", helpful, kChatMl, {im_end}),
      Make("qwen2-vl", helpful, kChatMl, {im_end}, "<|vision_start|><|image_pad|><|vision_end|>"),
      Make("vicuna_v1.1",
           "A chat between a curious user and an artificial intelligence assistant. "
           "The assistant gives helpful, detailed, and polite answers to the user's questions.",
           {{"", " "}, {"USER:", " "}, {"ASSISTANT:", "</s>"}}, {}, " <image>\n"),
      Make("llama-2-chat", std::nullopt, {{"<<SYS>>\n", "\n<</SYS>>\n\n"}, {"[INST] ", " [/INST]"}, {"", " </s><s>"}}, {},
           "<image>", Style::kLlama2),
      Make("mistral", std::nullopt,
           {{"[SYSTEM_PROMPT] ", " [/SYSTEM_PROMPT]"}, {"[INST] ", " [/INST]"}, {"", " </s><s>"}}, {"</s>"}, "[IMG]"),
      Make("llama-3-instruct", std::nullopt, kLlama3, {"<|eot_id|>"}, "<|image|>"),
      Make("minicpmv", std::nullopt, kMiniCpm, {im_end, "<|endoftext|>"}, "(<image>./</image>)"),
      Make("minicpmo", std::nullopt, kMiniCpm, {im_end, "<|endoftext|>"}, "(<image>./</image>)"),
      Make("janus", std::nullopt, kDeepSeek, {"<｜end▁of▁sentence｜>"}, "<image_placeholder>\n"),
      Make("llama-3-instruct-llava", std::nullopt, kLlama3, {"<|eot_id|>"}, "<image>\n"),
      Make("llama-4", std::nullopt,
           {{"<|header_start|>system<|header_end|>\n\n", "<|eot|>"},
            {"<|header_start|>user<|header_end|>\n\n", "<|eot|>"},
            {"<|header_start|>assistant<|header_end|>\n\n", "<|eot|>"}},
           {"<|eot|>"}, "<|image|>"),
      Make("yi-1.5", std::nullopt,
           {{"", ""}, {"<|im_start|>user\n", "<|im_end|>\n<|im_start|>assistant\n"}, {"", "<|im_end|>\n"}}, {im_end}),
      Make("gemma-it", std::nullopt,
           {{"", ""}, {"<start_of_turn>user\n", "<end_of_turn>\n"}, {"<start_of_turn>model\n", "<end_of_turn>\n"}}),
      Make("c4ai-command-r", std::nullopt,
           {{"<|START_OF_TURN_TOKEN|><|SYSTEM_TOKEN|>", "<|END_OF_TURN_TOKEN|>"},
            {"<|START_OF_TURN_TOKEN|><|USER_TOKEN|>", "<|END_OF_TURN_TOKEN|>"},
            {"<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>", "<|END_OF_TURN_TOKEN|>"}}),
      Make("granite-3-instruct", std::nullopt,
           {{"<|start_of_role|>system<|end_of_role|>", "<|end_of_text|>"},
            {"<|start_of_role|>user<|end_of_role|>", "<|end_of_text|>"},
            {"<|start_of_role|>assistant<|end_of_role|>", "<|end_of_text|>"}},
           {"<|end_of_text|>"}),
      Make("deepseek-v3", std::nullopt, kDeepSeek, {"<｜end▁of▁sentence｜>"}),
      Make("glm-4v", std::nullopt, {{"<|system|>\n", "\n"}, {"<|user|>\n", "\n"}, {"<|assistant|>\n", "\n"}},
           {"<|user|>", "<|endoftext|>", "<|observation|>"}, "<|image|>"),
  };
  // janus-pro keys its user role "User" (capitalised) in the frontend, so "user" turns get
  // no prefix there; kept as is.
  RoleTemplate janus_pro = Make("janus-pro", std::nullopt, kDeepSeek, {"<｜end▁of▁sentence｜>"}, "<image_placeholder>\n");
  janus_pro.role_prefix_and_suffix.erase("user");
  janus_pro.role_prefix_and_suffix["User"] = kDeepSeek.user;
  all.push_back(std::move(janus_pro));
  return all;
}

bool Search(const std::string& path, const char* pattern) {
  return std::regex_search(path, std::regex(pattern, std::regex::ECMAScript | std::regex::icase));
}

// The frontend's matching functions, in registration order; nullopt: no opinion.
std::optional<std::string> MatchName(const std::string& p) {
  if (Search(p, "deepseek-(v3|r1)") && !Search(p, "base")) return "deepseek-v3";
  if (Search(p, "orion")) return "claude";
  if (Search(p, "janus")) return "janus-pro";
  if (Search(p, "dbrx") && Search(p, "instruct")) return "dbrx-instruct";
  if (Search(p, R"(vicuna|llava-v1\.5|llava-next-video-7b)")) return "vicuna_v1.1";
  if (Search(p, "llama-2.*chat|codellama.*instruct")) return "llama-2-chat";
  if (Search(p, "pixtral|(mistral|mixtral).*instruct")) return "mistral";
  if (Search(p, "llama-3.*instruct")) return "llama-3-instruct";
  if (Search(p, "tinyllama")) return "chatml";
  if (Search(p, "qwen.*vl")) return "qwen2-vl";
  if (Search(p, R"(glm[-_]?4(\.\d+)?v)")) return "glm-4v";
  if (Search(p, "qwen.*(chat|instruct)") && !Search(p, "llava")) return "qwen";
  if (Search(p, R"(llava-v1\.6-34b|llava-v1\.6-yi-34b|llava-next-video-34b|llava-onevision-qwen2)"))
    return "chatml-llava";
  if (Search(p, "yi-vl") && !Search(p, "llava")) return "yi-vl";
  if (Search(p, R"(yi-1\.5.*chat)")) return "yi-1.5";
  if (Search(p, "gemma.*it")) return "gemma-it";
  if (Search(p, "minicpm-v")) return "minicpmv";
  if (Search(p, "minicpm-o")) return "minicpmo";
  if (Search(p, "c4ai-command-r")) return "c4ai-command-r";
  if (Search(p, "granite.*instruct")) return "granite-3-instruct";
  if (Search(p, "gemma-3")) return "gemma-it";
  if (Search(p, "internvl2_5")) return "internvl-2-5";
  if (Search(p, "intern-s1|interns1")) return "interns1";
  return std::nullopt;
}

}  // namespace

Result<RoleTemplate> FindRoleTemplate(const std::string& name) {
  for (RoleTemplate& t : AllTemplates())
    if (t.name == name) return std::move(t);
  return NotFound("no role template named '{}' (SGLang's frontend registry, as carried over here)", name);
}

Result<RoleTemplate> RoleTemplateForModelPath(const std::string& model_path) {
  return FindRoleTemplate(MatchName(model_path).value_or("default"));
}

}  // namespace sgl::lang
