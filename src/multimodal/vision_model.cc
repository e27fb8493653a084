#include "multimodal/vision_model.h"

#include <filesystem>

#include "multimodal/glm4v_vision_tower.h"
#include "multimodal/qwen25vl_vision_tower.h"
#include "multimodal/tower_vision_model.h"

namespace sgl::multimodal {
namespace {

template <typename Tower>
Result<std::unique_ptr<VisionModel>> LoadTower(const std::string& model_path, ResizeRule rule, Backend& backend,
                                               const char* name) {
  if (!std::filesystem::is_directory(model_path))
    return Unsupported("{}: {}'s vision tower loads from a Hugging Face folder", model_path, name);
  SGL_ASSIGN_OR_RETURN(auto model, TowerVisionModel<Tower>::Load(model_path, rule, backend));
  return std::unique_ptr<VisionModel>(std::move(model));
}

}  // namespace

bool TakesImages(Architecture arch) { return arch == Architecture::kGlm4v || arch == Architecture::kQwen25Vl; }

Result<std::unique_ptr<VisionModel>> LoadVisionModel(const std::string& model_path, Architecture arch,
                                                     Backend& backend) {
  switch (arch) {
    case Architecture::kGlm4v:
      return LoadTower<Glm4vVisionTower>(model_path, ResizeRule::kGlm4v, backend, "GLM-4.1V");
    case Architecture::kQwen25Vl:
      return LoadTower<Qwen25VlVisionTower>(model_path, ResizeRule::kQwen2Vl, backend, "Qwen2.5-VL");
    default:
      return std::unique_ptr<VisionModel>();
  }
}

}  // namespace sgl::multimodal
