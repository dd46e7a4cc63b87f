// What the CLI's parser unit tests share.
#pragma once

#include "args.hpp"

#include <string>
#include <vector>

namespace raycl::cli::test {

/// The command a line parses into.
inline command parse(std::vector<std::string> args) {
    return parse_command_line(args);
}

/// 2 when the line is a usage error, else 0.
inline int usage_of(std::vector<std::string> args) {
    try {
        parse_command_line(args);
    } catch (const usage_error&) {
        return 2;
    }
    return 0;
}

}  // namespace raycl::cli::test
