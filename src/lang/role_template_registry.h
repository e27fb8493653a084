// The role templates SGLang's Python frontend knows (sglang 0.5.6, lang/chat_template.py),
// looked up by name or chosen from a model path by the same case-insensitive patterns, in
// the same order, falling back to "default". Pure functions over constant tables.
#pragma once

#include <string>

#include "base/status.h"
#include "lang/role_template.h"

namespace sgl::lang {

// NotFound for a name the registry lacks (a few multimodal templates with long system
// prompts, dbrx-instruct, yi-vl, internvl-2-5 and interns1, are not carried over).
Result<RoleTemplate> FindRoleTemplate(const std::string& name);

// The template the frontend's RuntimeEndpoint picks for a server reporting `model_path`
// (get_chat_template_by_model_path).
Result<RoleTemplate> RoleTemplateForModelPath(const std::string& model_path);

}  // namespace sgl::lang
