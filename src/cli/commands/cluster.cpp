// `raycl cluster up` / `down`: the local default Ray cluster, run by scripts/ray-cluster.sh
// (no client: these commands spawn the script).
#include "commands/commands.hpp"
#include "config.hpp"
#include "format.hpp"
#include "process.hpp"
#include "text.hpp"

#include <unistd.h>

namespace raycl::cli {
namespace {

namespace json = boost::json;

std::string find_cluster_script() {
#ifdef RAYCL_CLI_SOURCE_DIR
    const std::string source_dir = RAYCL_CLI_SOURCE_DIR;
#else
    const std::string source_dir;
#endif
#ifdef RAYCL_CLI_INSTALL_DATADIR
    const std::string datadir = RAYCL_CLI_INSTALL_DATADIR;
#else
    const std::string datadir;
#endif
    for (const auto& candidate : cluster_script_candidates(source_dir, executable_dir(), datadir)) {
        if (::access(candidate.c_str(), R_OK) == 0) return candidate;
    }
    return {};
}

void print(const command& cmd, const json::object& value, const std::string& text) {
    write_out(cmd.global.output == output_format::table ? text : data_document(value, cmd.global.output));
}

int failed(const command& cmd, const std::string& message) {
    write_err(format_error(500, message, cmd.global.output));
    return exit_code::error;
}

int run_cluster(const command& cmd) {
    const std::string script = find_cluster_script();
    if (script.empty())
        return failed(cmd, "cannot find scripts/ray-cluster.sh (source tree or <prefix>/share/raycl/scripts)");
    if (cmd.global.verbose) write_err("raycl: using " + script + "\n");
    if (cmd.kind == command_kind::cluster_down) {
        const int rc = run_script(script, {"down", "--name", "default"});
        if (rc != 0) return failed(cmd, "ray-cluster.sh down failed (exit " + std::to_string(rc) + ")");
        print(cmd, json::object{{"cluster", "default"}, {"state", "down"}}, "local Ray cluster 'default' is down\n");
        return exit_code::ok;
    }
    const int rc =
        run_script(script, {"up", "--name", "default", "--auth", cmd.auth, "--workers", std::to_string(cmd.workers)});
    const std::string env_file = "/tmp/raycl-default/raycl.env";
    const auto text = read_file(env_file);
    const auto env = text ? parse_cluster_env(*text) : std::nullopt;
    if (rc != 0 || !env) return failed(cmd, "ray-cluster.sh up failed (exit " + std::to_string(rc) + ")");
    std::string out = "local Ray cluster 'default' is up at " + env->address + "\n";
    out += "raycl uses it (address and token) whenever no --address, RAY_ADDRESS or context is given.\n";
    out += "Other tools: source " + env_file + " (RAYCL_TEST_ADDRESS, RAYCL_TEST_TOKEN), then\n";
    out += "  export RAY_ADDRESS=$RAYCL_TEST_ADDRESS";
    out += env->token.empty() ? "\n" : " RAY_AUTH_TOKEN=$RAYCL_TEST_TOKEN\n";
    out += "Stop it with: raycl cluster down\n";
    print(cmd,
          json::object{{"cluster", "default"}, {"address", env->address}, {"auth", cmd.auth}, {"env_file", env_file}},
          out);
    return exit_code::ok;
}

}  // namespace

void define_cluster_commands(command_tree& tree, command& cmd) {
    auto cluster = tree.group(tree.root(), "cluster", "up, down: the local default Ray cluster");
    tree.describe(cluster, "up [--workers N] [--auth token|disabled]\nraycl cluster down",
                  "Starts or stops the local default Ray cluster (scripts/ray-cluster.sh --name default). While it "
                  "runs, raycl uses it when no --address, RAY_ADDRESS or context is given.");
    auto up =
        tree.add_command(cluster, "up", "start the local cluster", command_kind::cluster_up, {nullptr, &run_cluster});
    tree.option(up, "--workers", "N", "worker nodes besides the head (0..4, default 1)", [&cmd](const std::string& v) {
        cmd.workers = static_cast<int>(parse_integer_in(v, "--workers", 0, 4));
    });
    tree.option(up, "--auth", "MODE", "token (default) or disabled",
                [&cmd](const std::string& v) {
                    cmd.auth = parse_choice(v, "--auth", {"token", "disabled"});
                },
                value_completion::choices, {"token", "disabled"});
    tree.add_command(cluster, "down", "stop the local cluster", command_kind::cluster_down, {nullptr, &run_cluster});
}

}  // namespace raycl::cli
