// Execution of a parsed raycl command (the only TU of the CLI with Asio coroutines).
#pragma once

#include "args.hpp"

namespace raycl::cli {

/// Runs `cmd` (not help/--version) and returns the process exit code.
int run_command(const command& cmd);

}  // namespace raycl::cli
