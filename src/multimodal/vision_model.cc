#include "multimodal/vision_model.h"

#include <filesystem>

#include "multimodal/glm4v_vision_model.h"

namespace sgl::multimodal {

Result<std::unique_ptr<VisionModel>> LoadVisionModel(const std::string& model_path, Architecture arch,
                                                     Backend& backend) {
  switch (arch) {
    case Architecture::kGlm4v: {
      if (!std::filesystem::is_directory(model_path))
        return Unsupported("{}: GLM-4.1V's vision tower loads from a Hugging Face folder", model_path);
      SGL_ASSIGN_OR_RETURN(auto model, Glm4vVisionModel::Load(model_path, backend));
      return std::unique_ptr<VisionModel>(std::move(model));
    }
    default:
      return std::unique_ptr<VisionModel>();
  }
}

}  // namespace sgl::multimodal
