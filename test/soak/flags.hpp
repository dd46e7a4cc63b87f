// The command line of the soak programs and benchmarks that take CLI11 flags
// (test/soak/submit_soak.cpp, bench/real_tails.cpp).
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace raycl::soak {

/// Parses the flags declared on `app`; --help or a parse error ends in `usage(problem)`
/// (which does not return: e.g. a call of usage_exit, soak/process.hpp).
template <class Usage>
void parse_flags(CLI::App& app, int argc, char** argv, Usage&& usage) {
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        usage(error.get_name() == "CallForHelp" ? std::string("help") : std::string(error.what()));
    }
}

}  // namespace raycl::soak
