#include "model/model.h"

#include "model/architectures.h"

namespace sgl {

Result<std::unique_ptr<Model>> LoadModel(const std::string& path, Backend& backend) {
  SGL_ASSIGN_OR_RETURN(std::unique_ptr<ModelFiles> files, ModelFiles::Open(path));
  switch (files->config().arch) {
    case Architecture::kLlama:
    case Architecture::kQwen2:
    case Architecture::kQwen3:
      return LoadLlamaFamily(std::move(files), backend);
    case Architecture::kGemma3:
      return LoadGemma3(std::move(files), backend);
    case Architecture::kGlm4v:
      return LoadGlm4v(std::move(files), backend);
  }
  return Unsupported("{}: unknown architecture", path);
}

}  // namespace sgl
