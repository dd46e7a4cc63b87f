// The registry of the raycl CLI: the global options and every command group, in the order
// `raycl --help` lists them.
#include "command_tree.hpp"
#include "commands/commands.hpp"
#include "format.hpp"
#include "text.hpp"

#include <algorithm>
#include <optional>
#include <string_view>
#include <vector>

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
                  "raycl is a native client of the Ray dashboard API: jobs, live logs, any log of the cluster, "
                  "the state API, the cluster status, Ray Serve and a local cluster, without Python.");
    tree.footer(root, "Exit codes: 0 ok, 1 job FAILED/STOPPED, 2 usage error, 3 request error, 130 interrupted.");
}

/// The command groups, in the order `raycl --help` lists them, with the top-level words each
/// defines. A new group is one line here.
struct command_group {
    std::vector<std::string_view> words;
    void (*define)(command_tree&, command&);
};
const command_group groups[] = {
    {{"job"}, &define_job_commands},
    {{"node", "task", "actor"}, &define_state_commands},
    {{"list", "get", "summary"}, &define_query_commands},
    {{"status"}, &define_status_command},
    {{"logs"}, &define_logs_commands},
    {{"serve"}, &define_serve_commands},
    {{"version"}, &define_version_command},
    {{"cluster"}, &define_cluster_commands},
    {{"context"}, &define_context_commands},
    {{"completion", "__complete", "__manpage"}, &define_completion_commands},
};

/// The first word of `args` that is neither a global option nor its value: the command group.
std::optional<std::string> command_word(const command_spec& root, const std::vector<std::string>& args) {
    for (std::size_t i = 0; i < args.size() && args[i] != "--"; ++i) {
        const std::string& arg = args[i];
        if (arg.size() < 2 || arg[0] != '-') return arg;
        const auto* option = root.option(arg.substr(0, arg.find('=')));
        if (option && option->takes_value() && arg.find('=') == std::string::npos) ++i;
    }
    return std::nullopt;
}

}  // namespace

void define_commands(command_tree& tree, command& cmd) {
    define_global_options(tree, cmd);
    for (const auto& group : groups) group.define(tree, cmd);
}

void define_commands_for(command_tree& tree, command& cmd, const std::vector<std::string>& args) {
    define_global_options(tree, cmd);
    // Building CLI11's tree is most of the cost of parsing: only the group the line names is
    // defined. Every group when it names none that exists (for the usage error) or asks the
    // top level for help; none for `raycl --version`.
    const auto word = command_word(tree.spec(), args);
    const auto named = [&](const command_group& group) {
        return word && std::find(group.words.begin(), group.words.end(), *word) != group.words.end();
    };
    const bool known = std::any_of(std::begin(groups), std::end(groups), named);
    const auto help = std::find_if(args.begin(), std::find(args.begin(), args.end(), "--"),
                                   [](const std::string& a) { return a == "-h" || a == "--help"; });
    const bool all = word ? !known : help != std::find(args.begin(), args.end(), "--");
    for (const auto& group : groups) {
        if (all || named(group)) group.define(tree, cmd);
    }
}

}  // namespace raycl::cli
