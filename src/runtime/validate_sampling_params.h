// ValidateSamplingParams: SGLang's checks on a request's sampling parameters (its
// SamplingParams.verify), so that what the Sampler and the logits processing assume holds
// for any user input. Pure; thread-safe.
#pragma once

#include "base/status.h"
#include "sgl/sampling_params.h"

namespace sgl {

// InvalidArgument naming the first bad field, or Ok.
Status ValidateSamplingParams(const SamplingParams& params);

}  // namespace sgl
