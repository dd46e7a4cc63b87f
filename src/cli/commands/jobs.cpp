// The `raycl job` commands: submit, list, status, logs (job_logs.cpp), stop, delete, wait.
#include "commands/commands.hpp"
#include "commands/job_logs.hpp"
#include "process.hpp"
#include "session.hpp"
#include "submit_options.hpp"
#include "text.hpp"

#include "core/yaml_json.hpp"

#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>

namespace raycl::cli {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

/// A YAML or JSON file as JSON: `--runtime-env FILE`, conda environment files.
/// @throws client_error 400 when it cannot be read or parsed.
json::value load_yaml_or_json_file(const std::string& path) {
    const auto text = read_file(path);
    if (!text) throw client_error(error_kind::invalid_argument, "cannot read '" + path + "'");
    boost::system::error_code ec;
    json::value value = json::parse(*text, ec);
    if (!ec) return value;
    return core::load_yaml(*text, path);
}

/// `--runtime-env FILE` read (before any request); a problem is a usage error.
std::optional<json::object> runtime_env_file(const command& cmd) {
    if (!cmd.runtime_env_file) return std::nullopt;
    json::value value;
    try {
        value = load_yaml_or_json_file(*cmd.runtime_env_file);
    } catch (const client_error& error) {
        throw usage_error("--runtime-env: " + error.message(), "raycl job submit");
    }
    if (value.is_null()) return json::object();  // an empty file, as yaml.safe_load reads it
    if (!value.is_object())
        throw usage_error("--runtime-env: '" + *cmd.runtime_env_file + "' is not a YAML or JSON mapping",
                          "raycl job submit");
    return std::move(value.as_object());
}

/// The submission of `job submit`'s flags, with the composed runtime_env.
job_submission submission_from(const command& cmd) {
    job_submission submission(join_entrypoint(cmd.entrypoint));
    submission.submission_id = cmd.submission_id;
    submission.runtime_env = compose_runtime_env(cmd, runtime_env_file(cmd));
    submission.metadata = cmd.metadata;
    submission.entrypoint_num_cpus = cmd.entrypoint_num_cpus;
    submission.entrypoint_num_gpus = cmd.entrypoint_num_gpus;
    submission.entrypoint_memory = cmd.entrypoint_memory;
    submission.entrypoint_resources = cmd.entrypoint_resources;
    submission.entrypoint_label_selector = cmd.entrypoint_label_selector;
    return submission;
}

std::string job_key(const job_details& job) {
    return job.submission_id.value_or(job.job_id.value_or("-"));
}

asio::awaitable<int> run_submit(session& s) {
    const auto& cmd = s.cmd();
    auto submission = submission_from(cmd);
    const bool progress = s.term().stderr_is_terminal && s.output() == output_format::table;
    if (cmd.dry_run) {
        // The body it would POST, computed here: no existence check, no upload, no submit.
        const json::object body = dry_run_submission(submission, cli_packaging(progress));
        s.print(body, [&] { return json_document(body); });
        co_return exit_code::ok;
    }
    s.on_interrupt("nothing was submitted");
    auto op = s.ray().submit_job(std::move(submission), cli_packaging(progress));
    const std::string id = co_await std::move(op);
    s.on_interrupt("job " + id + " was submitted and keeps running");
    if (cmd.no_wait) {
        s.print(json::object{{"submission_id", id}}, [&] { return id + "\n"; });
        co_return exit_code::ok;
    }
    write_err("raycl: submitted job " + id + "; following its log (Ctrl-C stops following)\n");
    tail_options options;
    options.protocol = tail_protocol::automatic;
    options.stream_timeout = std::nullopt;
    co_await follow_job_log(s, id, options);
    auto get = s.ray().get_job(id);
    auto job = co_await std::move(get);
    if (!job.is_terminal()) job = co_await s.wait_for_job(id, std::nullopt, "waiting for");
    std::string note = "raycl: job " + id + " " + coloured_status(job.status_text, s.term().colour_stderr);
    if (job.status != job_status::succeeded && job.message) note += ": " + one_line(*job.message);
    write_err(note + "\n");
    co_return exit_code_for(job.status);
}

asio::awaitable<watch_frame> job_list_frame(session& s) {
    auto op = s.ray().list_jobs();
    const auto jobs = co_await std::move(op);
    watch_frame frame{raw_array(jobs), jobs_table(jobs), {}};
    for (const auto& job : jobs) frame.keys.push_back(job_key(job));
    co_return frame;
}

asio::awaitable<int> run_list(session& s) {
    if (s.cmd().watch) co_return co_await s.watch("raycl job list", [&s] { return job_list_frame(s); });
    auto op = s.ray().list_jobs();
    const auto jobs = co_await std::move(op);
    s.print(raw_array(jobs), [&] { return render_table(jobs_table(jobs), s.term().width, s.colour()); });
    co_return exit_code::ok;
}

asio::awaitable<int> run_status(session& s) {
    auto op = s.ray().get_job(s.cmd().target);
    const auto job = co_await std::move(op);
    s.print(*job.raw, [&] { return render_object(*job.raw, s.term().width, s.colour()); });
    co_return exit_code::ok;
}

asio::awaitable<int> run_stop(session& s) {
    const std::string& id = s.cmd().target;
    auto op = s.ray().stop_job(id);
    const bool stopped = co_await std::move(op);
    if (!s.cmd().wait) {
        s.print(json::object{{"stopped", stopped}},
                [&] { return stopped ? "stopping job " + id + "\n" : "job " + id + " had already ended\n"; });
        co_return exit_code::ok;
    }
    const auto job = co_await s.wait_for_job(id, wait_deadline(s.cmd()), "stopping");
    s.print(json::object{{"stopped", stopped}, {"job", *job.raw}},
            [&] { return "job " + id + " " + coloured_status(job.status_text, s.colour()) + "\n"; });
    co_return exit_code_for(job.status);
}

asio::awaitable<int> run_delete(session& s) {
    const std::string& id = s.cmd().target;
    auto op = s.ray().delete_job(id);
    const bool deleted = co_await std::move(op);
    s.print(json::object{{"deleted", deleted}},
            [&] { return deleted ? "deleted job " + id + "\n" : "job " + id + " was not deleted\n"; });
    co_return deleted ? exit_code::ok : exit_code::error;
}

asio::awaitable<int> run_wait(session& s) {
    const std::string& id = s.cmd().target;
    const auto job = co_await s.wait_for_job(id, wait_deadline(s.cmd()), "waiting for");
    s.print(*job.raw, [&] { return "job " + id + " " + coloured_status(job.status_text, s.colour()) + "\n"; });
    co_return exit_code_for(job.status);
}

void define_submit(command_tree& tree, command_tree::node job, command& cmd) {
    auto submit =
        tree.add_command(job, "submit", "submit a job and follow its log", command_kind::job_submit, {&run_submit});
    tree.describe(submit, "[options] -- ENTRYPOINT...",
                  "Submits a job, follows its log to stdout until it ends, and exits 0 if it SUCCEEDED, 1 if it "
                  "FAILED or was STOPPED. One ENTRYPOINT word is used as a shell command as is; several words are "
                  "shell-quoted and joined.\n\n"
                  "Local working_dir and py_modules paths are packaged as Ray's own client does it (the same files, "
                  "the same gcs:// URI) and uploaded unless the cluster has them already; on a terminal a progress "
                  "line shows hashing, archiving and uploading.");
    tree.option(submit, "--submission-id", "ID", "submission id (default: generated)",
                [&cmd](const std::string& v) { cmd.submission_id = v; });
    tree.option(
        submit, "--runtime-env", "FILE", "runtime environment (a YAML or JSON file)",
        [&cmd](const std::string& v) {
            if (v.empty()) throw invalid_value("--runtime-env needs a file");
            cmd.runtime_env_file = v;
        },
        value_completion::files);
    tree.option(submit, "--runtime-env-json", "JSON", "runtime environment (a JSON object)",
                [&cmd](const std::string& v) { cmd.runtime_env = parse_json_object(v, "--runtime-env-json"); });
    tree.option(
        submit, "--working-dir", "DIR",
        "working_dir: a local directory or archive (packaged and uploaded) or a URI; replaces the runtime "
        "environment's",
        [&cmd](const std::string& v) {
            if (v.empty()) throw invalid_value("--working-dir must not be empty");
            cmd.working_dir = v;
        },
        value_completion::files);
    tree.repeated(
        submit, "--py-modules", "PATH",
        "a py_modules entry: a local directory, .whl or .py file, or a URI (repeatable); replaces the "
        "runtime environment's list",
        [&cmd](const std::string& v) {
            if (v.empty()) throw invalid_value("--py-modules must not be empty");
            cmd.py_modules.push_back(v);
        },
        value_completion::files);
    tree.option(submit, "--metadata-json", "JSON", "metadata (a JSON object of strings)", [&cmd](const std::string& v) {
        std::map<std::string, std::string> metadata;
        for (const auto& [key, value] : parse_json_object(v, "--metadata-json")) {
            if (!value.is_string())
                throw invalid_value("--metadata-json: value of '" + std::string(key) + "' is not a string");
            metadata[std::string(key)] = std::string(value.as_string());
        }
        cmd.metadata = std::move(metadata);
    });
    tree.option(submit, "--entrypoint-num-cpus", "N", "CPUs reserved for the entrypoint",
                [&cmd](const std::string& v) { cmd.entrypoint_num_cpus = parse_number(v, "--entrypoint-num-cpus"); });
    tree.option(submit, "--entrypoint-num-gpus", "N", "GPUs reserved for the entrypoint",
                [&cmd](const std::string& v) { cmd.entrypoint_num_gpus = parse_number(v, "--entrypoint-num-gpus"); });
    tree.option(submit, "--entrypoint-memory", "BYTES", "memory reserved for the entrypoint",
                [&cmd](const std::string& v) { cmd.entrypoint_memory = parse_integer(v, "--entrypoint-memory"); });
    tree.option(
        submit, "--entrypoint-resources", "JSON", "custom resources (a JSON object of numbers)",
        [&cmd](const std::string& v) {
            std::map<std::string, double> resources;
            for (const auto& [key, value] : parse_json_object(v, "--entrypoint-resources")) {
                if (!value.is_number())
                    throw invalid_value("--entrypoint-resources: value of '" + std::string(key) + "' is not a number");
                resources[std::string(key)] = value.to_number<double>();
            }
            cmd.entrypoint_resources = std::move(resources);
        });
    tree.option(submit, "--entrypoint-label-selector", "JSON", "node labels (a JSON object of strings)",
                [&cmd](const std::string& v) {
                    std::map<std::string, std::string> labels;
                    for (const auto& [key, value] : parse_json_object(v, "--entrypoint-label-selector")) {
                        if (!value.is_string())
                            throw invalid_value("--entrypoint-label-selector: value of '" + std::string(key) +
                                                "' is not a string");
                        labels[std::string(key)] = std::string(value.as_string());
                    }
                    cmd.entrypoint_label_selector = std::move(labels);
                });
    tree.option(submit, "--headers", "JSON", "request headers (a JSON object of strings; default: $RAY_JOB_HEADERS)",
                [&cmd](const std::string& v) { cmd.job_headers = parse_headers_json(v, "--headers"); });
    tree.option(submit, "--verify", "true|false|CA",
                "verify the server's TLS certificate (default true), or trust the CA certificates of CA: a PEM "
                "file, or a directory of them named by subject hash (`openssl rehash`)",
                [&cmd](const std::string& v) { apply_verify(cmd, v); });
    tree.flag(submit, "--dry-run", "print the JSON body it would POST (local paths as their URIs) and send nothing",
              [&cmd] { cmd.dry_run = true; });
    tree.flag(submit, "--no-wait", "print the submission id and exit", [&cmd] { cmd.no_wait = true; });
    tree.entrypoint(submit);
    tree.validate(submit, [&cmd] {
        if (cmd.entrypoint.empty()) throw invalid_value("missing '-- ENTRYPOINT...'");
        // ray job submit: "Only one of --runtime_env and --runtime-env-json can be provided."
        if (cmd.runtime_env && cmd.runtime_env_file)
            throw invalid_value("only one of --runtime-env and --runtime-env-json can be given");
    });
}

void define_logs(command_tree& tree, command_tree::node job, command& cmd) {
    auto logs =
        tree.add_command(job, "logs", "print or follow the logs of jobs", command_kind::job_logs, {&run_job_logs});
    tree.describe(logs, "",
                  "Prints a job's log (raw text). --follow prints it live until the job ends.\n\n"
                  "With several IDs, or --all, --selector or --status instead of IDs, the logs of every chosen job "
                  "are printed (and followed) at once: each line whole, prefixed with [ID] (coloured per job on a "
                  "terminal, unless NO_COLOR is set), the lines of one job in order. Following ends when every job "
                  "ended; the exit code is 0 when all SUCCEEDED, 1 when any FAILED or was STOPPED, 3 on an error. "
                  "--new also follows jobs submitted meanwhile, and then ends once every job it followed ended and "
                  "no other chosen job runs.");
    tree.positionals(logs, "ID", 0, 1000, value_completion::job_ids);
    tree.flag(logs, "--follow", "follow the log live", [&cmd] { cmd.follow = true; });
    tree.option(logs, "--protocol", "P", "auto (default), websocket or stream",
                [&cmd](const std::string& v) {
                    const auto name = parse_choice(v, "--protocol", {"auto", "websocket", "stream"});
                    cmd.protocol = name == "websocket" ? tail_protocol::websocket
                                   : name == "stream"  ? tail_protocol::stream
                                                       : tail_protocol::automatic;
                },
                value_completion::choices, {"auto", "websocket", "stream"});
    tree.option(logs, "--stream-timeout", "S", "fail when no data arrives for S seconds (default: none)",
                [&cmd](const std::string& v) { cmd.stream_timeout = parse_positive(v, "--stream-timeout"); });
    tree.flag(logs, "--all", "every job that has not ended", [&cmd] { cmd.all_jobs = true; });
    tree.repeated(logs, "--selector", "KEY=VALUE", "jobs whose metadata has KEY=VALUE (repeatable: all must match)",
                  [&cmd](const std::string& v) { cmd.selectors.push_back(parse_key_value(v, "--selector")); });
    const std::vector<std::string> statuses = {"PENDING", "RUNNING", "STOPPED", "SUCCEEDED", "FAILED"};
    tree.repeated(
        logs, "--status", "STATUS", "jobs in this status (repeatable; default: those that have not ended)",
        [&cmd, statuses](const std::string& v) { cmd.statuses.push_back(parse_choice(v, "--status", statuses)); },
        value_completion::choices, statuses);
    tree.flag(logs, "--new", "also follow jobs submitted while following", [&cmd] { cmd.new_jobs = true; });
    tree.flag(logs, "--no-prefix", "no [ID] before each line", [&cmd] { cmd.no_prefix = true; });
    tree.option(logs, "--max-concurrency", "N", "at most N logs open at once (default 16)",
                [&cmd](const std::string& v) {
                    cmd.max_concurrency = static_cast<int>(parse_integer_in(v, "--max-concurrency", 1, 1000));
                });
    tree.option(logs, "--interval", "S", "with --new: look for new jobs every S seconds (default 2)",
                [&cmd](const std::string& v) { cmd.interval = parse_positive(v, "--interval"); });
    tree.validate(logs, [&cmd] {
        const bool selection = cmd.all_jobs || !cmd.selectors.empty() || !cmd.statuses.empty() || cmd.new_jobs;
        if (cmd.targets.empty() && !selection) throw invalid_value("missing ID (or --all, --selector, --status)");
        if (!cmd.targets.empty() && selection)
            throw invalid_value("give job IDs or --all/--selector/--status/--new, not both");
        if (cmd.new_jobs && !cmd.follow) throw invalid_value("--new needs --follow");
    });
}

}  // namespace

// Reports come one at a time, from raycl's packaging thread or a client strand.
packaging_options cli_packaging(bool progress) {
    packaging_options packaging;
    packaging.with_yaml_loader(load_yaml_or_json_file);
    if (progress) {
        packaging.with_progress([](const packaging_progress& report) {
            write_err("\r\033[K" + progress_line(report) + (progress_line_is_final(report) ? "\n" : ""));
        });
    }
    return packaging;
}

void add_watch_flags(command_tree& tree, command_tree::node list, command& cmd) {
    tree.flag(list, "-w,--watch", "refresh until Ctrl-C (in place on a terminal, changes only on a pipe)",
              [&cmd] { cmd.watch = true; });
    tree.option(list, "--interval", "S", "with --watch: refresh every S seconds (default 2)",
                [&cmd](const std::string& v) { cmd.interval = parse_positive(v, "--interval"); });
}

void define_job_commands(command_tree& tree, command& cmd) {
    auto job = tree.group(tree.root(), "job", "submit, list, status, logs, stop, delete, wait jobs");
    define_submit(tree, job, cmd);
    auto list = tree.add_command(job, "list", "list jobs", command_kind::job_list, {&run_list});
    tree.describe(list, "", "Lists every job of the cluster.");
    add_watch_flags(tree, list, cmd);
    auto status = tree.add_command(job, "status", "show one job", command_kind::job_status, {&run_status});
    tree.describe(status, "", "Shows one job (submission id or job id).");
    tree.positionals(status, "ID", 1, 1, value_completion::job_ids);
    define_logs(tree, job, cmd);
    auto stop =
        tree.add_command(job, "stop", "stop a job (and wait until it ends)", command_kind::job_stop, {&run_stop});
    tree.describe(stop, "", "Stops a job. With --wait, waits until it has ended and exits as job wait does.");
    tree.positionals(stop, "ID", 1, 1, value_completion::job_ids);
    tree.flag(stop, "--wait", "wait until the job has ended", [&cmd] { cmd.wait = true; });
    auto remove = tree.add_command(job, "delete", "delete a terminal job", command_kind::job_delete, {&run_delete});
    tree.describe(remove, "", "Deletes a terminal job and its info.");
    tree.positionals(remove, "ID", 1, 1, value_completion::job_ids);
    auto wait = tree.add_command(job, "wait", "wait until the job ends", command_kind::job_wait, {&run_wait});
    tree.describe(wait, "ID [--timeout S]",
                  "Waits until the job ends; exits 0 if it SUCCEEDED, 1 if it FAILED or STOPPED. A progress line "
                  "shows on a terminal.");
    tree.positionals(wait, "ID", 1, 1, value_completion::job_ids);
}

}  // namespace raycl::cli
