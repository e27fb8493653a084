// AxialVisionRope: the 2-D rotary embedding of the Qwen2-VL family's vision towers
// (Qwen2.5-VL, GLM-4.1V): head_dim / 4 frequencies theta^(-2i / (head_dim / 2)) driven by
// the patch row (axis 0 of ForwardBatch::axis_positions), the same frequencies driven by
// the column (axis 1), rotating pairs (i, i + head_dim / 2) as rotate_half does. Pure.
#pragma once

#include "backend/backend.h"

namespace sgl::multimodal {

// REQUIRES: head_dim is a positive multiple of 4.
RopeSpec AxialVisionRope(int head_dim, double theta);

}  // namespace sgl::multimodal
