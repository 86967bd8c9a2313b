// Logging: one process-wide spdlog logger writing to stderr, so stdout stays clean for data
// (`--json`, `--format csv`). Layers log through Log(); nothing logs secrets.
#pragma once

#include <spdlog/spdlog.h>

#include <string_view>

#include "common/status.h"

namespace strata {

// Sets the level ("trace", "debug", "info", "warn", "error", "off") of the process logger.
// Returns InvalidArgument naming the bad level. Safe to call more than once.
Status InitLogging(std::string_view level);

// The process logger. Thread-safe (spdlog's _mt sink).
spdlog::logger& Log();

}  // namespace strata
