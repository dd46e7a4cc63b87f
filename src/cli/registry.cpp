// The registry of the raycl CLI: the global options and every command group, in the order
// `raycl --help` lists them.
#include "command_tree.hpp"
#include "commands/commands.hpp"
#include "format.hpp"
#include "text.hpp"

namespace raycl::cli {
namespace {

void define_global_options(command_tree& tree, command& cmd) {
    auto root = tree.root();
    tree.option(root, "--address", "URL",
                "dashboard URL (else $RAY_ADDRESS, else the current context, else the cluster of `raycl cluster "
                "up`, else http://127.0.0.1:8265)",
                [&cmd](const std::string& value) { cmd.global.address = value; });
    tree.option(root, "--token", "TOKEN",
                "bearer token (else $RAY_AUTH_TOKEN, $RAY_AUTH_TOKEN_PATH, the context's token, ~/.ray/auth_token)",
                [&cmd](const std::string& value) { cmd.global.token = value; });
    tree.option(
        root, "--context", "NAME", "named context of the config file (else $RAYCL_CONTEXT, else current-context)",
        [&cmd](const std::string& value) { cmd.global.context = value; }, value_completion::context_names);
    tree.repeated(root, "--header", "'Name: v'", "extra request header (repeatable)",
                  [&cmd](const std::string& value) { cmd.global.headers.push_back(parse_header(value, "--header")); });
    tree.option(root, "-o,--output", "FORMAT", "output format: table (default), json or yaml",
                [&cmd](const std::string& value) { cmd.global.output = parse_output_format(value); },
                value_completion::choices, {"table", "json", "yaml"});
    tree.option(root, "--timeout", "S", "read timeout in seconds (job wait, stop --wait: deadline)",
                [&cmd](const std::string& value) { cmd.global.timeout = parse_positive(value, "--timeout"); });
    tree.flag(root, "-v,--verbose", "print connection details and counters to stderr",
              [&cmd] { cmd.global.verbose = true; });
    tree.help_flag("-h,--help", "help of the current command");
    tree.version_flag("--version", "print raycl's version");
    tree.describe(root, "",
                  "raycl is a native client of the Ray dashboard API: jobs, live logs, nodes, tasks, actors, Ray "
                  "Serve and a local cluster, without Python.");
    tree.footer(root, "Exit codes: 0 ok, 1 job FAILED/STOPPED, 2 usage error, 3 request error, 130 interrupted.");
}

}  // namespace

void define_commands(command_tree& tree, command& cmd) {
    define_global_options(tree, cmd);
    define_job_commands(tree, cmd);
    define_state_commands(tree, cmd);
    define_serve_commands(tree, cmd);
    define_version_command(tree, cmd);
    define_cluster_commands(tree, cmd);
    define_context_commands(tree, cmd);
    define_completion_commands(tree, cmd);
}

}  // namespace raycl::cli
