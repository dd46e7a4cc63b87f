// raycl: command-line client of the Ray dashboard API. Parses first; no work before that.
#include "args.hpp"
#include "format.hpp"
#include "process.hpp"
#include "session.hpp"

#include <raycl/version.hpp>

#include <string>
#include <vector>

int main(int argc, char** argv) {
    using namespace raycl::cli;
    command cmd;
    try {
        cmd = parse_command_line(std::vector<std::string>(argv + 1, argv + argc));
    } catch (const usage_error& e) {
        write_err(format_usage_error(e));
        return exit_code::usage;
    }
    if (cmd.kind == command_kind::help) {
        write_out(cmd.help_text);
        return exit_code::ok;
    }
    if (cmd.kind == command_kind::print_version) {
        write_out(std::string("raycl ") + raycl::version_string + "\n");
        return exit_code::ok;
    }
    return cmd.run.local ? run_local(cmd) : run_remote(cmd);
}
