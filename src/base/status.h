// Status and Result<T> are part of the public API; see sgl/status.h.
#pragma once

#include "sgl/status.h"
