// raycl: command-line client of the Ray dashboard API. Parses first; no work before that.
#include "args.hpp"
#include "format.hpp"
#include "run.hpp"

#include <raycl/version.hpp>

#include <cstdio>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    using namespace raycl::cli;
    command cmd;
    try {
        cmd = parse_command_line(std::vector<std::string>(argv + 1, argv + argc));
    } catch (const usage_error& e) {
        std::fputs(format_usage_error(e).c_str(), stderr);
        return exit_code::usage;
    }
    if (cmd.kind == command_kind::help) {
        std::fputs(cmd.help_text.c_str(), stdout);
        return exit_code::ok;
    }
    if (cmd.kind == command_kind::print_version) {
        std::printf("raycl %s\n", raycl::version_string);
        return exit_code::ok;
    }
    return run_command(cmd);
}
