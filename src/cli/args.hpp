// The parsed command line of the `raycl` CLI: argv -> `cli::command`. The commands and their
// flags are defined by the command groups (commands/*.cpp, listed in registry.cpp) on a
// command_tree (CLI11); this header is what the rest of the CLI sees of a parse.
#pragma once

#include <raycl/log_stream.hpp>
#include <raycl/models.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace raycl::cli {

class session;
struct command;

/// Output format of `--output`.
enum class output_format { table, json, yaml };

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
    version,         ///< `raycl version`: client and server versions.
    logs_cluster,    ///< `raycl logs cluster [GLOB]`
    logs_job,        ///< `raycl logs job --id ID`
    logs_task,       ///< `raycl logs task --id ID [--attempt-number N]`
    logs_actor,      ///< `raycl logs actor --id ID | --pid PID`
    logs_worker,     ///< `raycl logs worker --pid PID`
    cluster_status,  ///< `raycl status`
    state_list,      ///< `raycl list RESOURCE`
    state_get,       ///< `raycl get RESOURCE ID`
    state_summary,   ///< `raycl summary tasks|actors|objects`
    cluster_up,
    cluster_down,
    context_add,
    context_use,
    context_list,
    context_show,
    context_remove,
    completion,        ///< `raycl completion bash|zsh|fish`
    complete_words,    ///< hidden `raycl __complete`: candidates for the shell scripts
    print_manual_page  ///< hidden `raycl __manpage`: raycl(1) in roff, for the package
};

/// How a command runs: against the cluster (a session with a client, see session.hpp), or
/// locally (cluster scripts, the config file, completion). Set by the command's definition.
struct command_runner {
    boost::asio::awaitable<int> (*remote)(session&) = nullptr;
    int (*local)(const command&) = nullptr;
};

/// Options accepted at every level.
struct global_options {
    std::optional<std::string> address;                        ///< --address
    std::optional<std::string> token;                          ///< --token
    std::optional<std::string> context;                        ///< --context NAME
    std::vector<std::pair<std::string, std::string>> headers;  ///< --header 'Name: value'
    output_format output = output_format::table;               ///< --output
    std::optional<double> timeout;                             ///< --timeout S
    bool verbose = false;                                      ///< --verbose
};

/// A parsed command line. One flat record: each command group fills its own section.
struct command {
    command_kind kind = command_kind::help;
    command_runner run;
    global_options global;
    std::string help_text;             ///< for command_kind::help
    std::string target;                ///< the first positional: ID / APP / CONFIG / NAME / SHELL
    std::vector<std::string> targets;  ///< every positional (job logs takes several ids)

    // job submit
    std::optional<std::string> submission_id;
    std::optional<boost::json::object> runtime_env;
    std::optional<std::map<std::string, std::string>> metadata;
    std::optional<double> entrypoint_num_cpus;
    std::optional<double> entrypoint_num_gpus;
    std::optional<std::int64_t> entrypoint_memory;
    std::optional<std::map<std::string, double>> entrypoint_resources;
    std::optional<std::map<std::string, std::string>> entrypoint_label_selector;  ///< --entrypoint-label-selector
    std::optional<std::string> runtime_env_file;  ///< --runtime-env FILE (YAML or JSON), read by the command
    std::optional<std::string> working_dir;       ///< --working-dir: replaces the runtime_env's
    std::vector<std::string> py_modules;          ///< --py-modules (repeatable): replaces the runtime_env's
    /// --headers JSON; nullopt: $RAY_JOB_HEADERS (submit_options.hpp).
    std::optional<std::vector<std::pair<std::string, std::string>>> job_headers;
    std::optional<bool> verify_tls;             ///< --verify true|false
    std::optional<std::string> verify_ca_file;  ///< --verify CA_PATH
    bool dry_run = false;                       ///< --dry-run: print the POST body, send nothing
    bool no_wait = false;
    std::vector<std::string> entrypoint;  ///< words after `--`

    // job logs
    bool follow = false;
    tail_protocol protocol = tail_protocol::automatic;
    std::optional<double> stream_timeout;
    bool all_jobs = false;                                       ///< --all
    std::vector<std::pair<std::string, std::string>> selectors;  ///< --selector KEY=VALUE (metadata)
    std::vector<std::string> statuses;                           ///< --status
    bool new_jobs = false;                                       ///< --new
    bool no_prefix = false;                                      ///< --no-prefix
    int max_concurrency = 16;                                    ///< --max-concurrency

    // job stop
    bool wait = false;

    // task list; list, get, summary
    std::optional<int> limit;
    std::vector<list_filter> filters;
    bool detail = false;
    std::optional<std::string> summary_by;  ///< --summary-by of `summary tasks`

    // logs (follow: above)
    std::int64_t tail_lines = 1000;      ///< --tail N (-1: the whole log)
    std::optional<std::string> log_id;   ///< --id of logs job/task/actor
    std::optional<std::int64_t> pid;     ///< --pid of logs actor/worker
    std::optional<std::string> node_id;  ///< --node-id
    std::optional<std::string> node_ip;  ///< --node-ip
    bool err = false;                    ///< --err: stderr
    std::int64_t attempt_number = 0;     ///< --attempt-number of logs task

    // job list, node list
    bool watch = false;     ///< --watch
    double interval = 2.0;  ///< --interval S

    // cluster up
    int workers = 1;
    std::string auth = "token";

    // context add
    std::optional<std::string> context_address;                        ///< --address of `context add`
    std::optional<std::string> token_file;                             ///< --token-file
    std::optional<std::string> token_env;                              ///< --token-env
    std::vector<std::pair<std::string, std::string>> context_headers;  ///< --header of `context add`
    std::optional<std::string> ca_file;                                ///< --ca-file
    bool insecure = false;                                             ///< --insecure

    // __complete
    std::string shell;  ///< --shell of __complete: bash, zsh or fish
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
