// Command-line parsing of the `raycl` CLI: argv -> `cli::command`. Pure code (no I/O, no Asio).
#pragma once

#include <raycl/log_stream.hpp>
#include <raycl/models.hpp>

#include <boost/json/object.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace raycl::cli {

/// Output format of `--output`.
enum class output_format { table, json };

/// Every command the CLI knows, plus the help/version pseudo-commands.
enum class command_kind {
    help,           ///< `--help` at some level: print `help_text`, exit 0.
    print_version,  ///< `--version`: client version only, no network.
    job_submit,
    job_list,
    job_status,
    job_logs,
    job_stop,
    job_delete,
    job_wait,
    node_list,
    node_get,
    task_list,
    task_get,
    actor_list,
    actor_get,
    serve_list,
    serve_get,
    serve_deploy,
    serve_delete,
    serve_shutdown,
    version,  ///< `raycl version`: client and server versions.
    cluster_up,
    cluster_down,
};

/// Options accepted at every level.
struct global_options {
    std::optional<std::string> address;                        ///< --address
    std::optional<std::string> token;                          ///< --token
    std::vector<std::pair<std::string, std::string>> headers;  ///< --header 'Name: value'
    output_format output = output_format::table;               ///< --output
    std::optional<double> timeout;                             ///< --timeout S
    bool verbose = false;                                      ///< --verbose
};

/// A parsed command line.
struct command {
    command_kind kind = command_kind::help;
    global_options global;
    std::string help_text;  ///< for command_kind::help
    std::string target;     ///< ID / APP / CONFIG path, depending on the command

    // job submit
    std::optional<std::string> submission_id;
    std::optional<boost::json::object> runtime_env;
    std::optional<std::map<std::string, std::string>> metadata;
    std::optional<double> entrypoint_num_cpus;
    std::optional<double> entrypoint_num_gpus;
    std::optional<std::int64_t> entrypoint_memory;
    std::optional<std::map<std::string, double>> entrypoint_resources;
    bool no_wait = false;
    std::vector<std::string> entrypoint;  ///< words after `--`

    // job logs
    bool follow = false;
    tail_protocol protocol = tail_protocol::automatic;
    std::optional<double> stream_timeout;

    // job stop
    bool wait = false;

    // task list
    std::optional<int> limit;
    std::vector<list_filter> filters;
    bool detail = false;

    // cluster up
    int workers = 1;
    std::string auth = "token";
};

/// A command line that cannot be parsed (exit code 2). `help_command` names the level whose
/// `--help` the hint points to, e.g. "raycl job submit".
class usage_error : public std::runtime_error {
public:
    usage_error(const std::string& message, std::string help_command)
        : std::runtime_error(message), help_command_(std::move(help_command)) {}
    const std::string& help_command() const noexcept { return help_command_; }

private:
    std::string help_command_;
};

/// Parses the arguments after the program name. Throws usage_error.
command parse_command_line(const std::vector<std::string>& args);

/// Joins entrypoint words into one shell command, quoting words that need it.
std::string join_entrypoint(const std::vector<std::string>& words);

/// The top-level usage text.
std::string top_level_help();

}  // namespace raycl::cli
