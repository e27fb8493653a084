// The sampling parameters one gen sends, built as SGLang's StreamExecutor does
// (_resolve_sampling_params): the program's defaults, overridden by the options gen set,
// plus the role template's stop strings; special tokens skipped in the output text (the
// frontend's global default). Pure function.
#pragma once

#include <string>
#include <vector>

#include "lang/expr.h"
#include "sgl/sampling_params.h"

namespace sgl::lang {

SamplingParams ResolveGenSampling(const SamplingParams& defaults, const GenOptions& options,
                                  const std::vector<std::string>& template_stop);

}  // namespace sgl::lang
