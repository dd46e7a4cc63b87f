// `raycl logs cluster|job|task|actor|worker`: any log of the cluster through the dashboard alone,
// as `ray logs` prints it (which needs the GCS). The log goes to stdout exactly as Ray keeps it;
// the truncation note and errors go to stderr. Without --node-id/--node-ip the head node is
// meant, as `ray logs` does.
#include "commands/commands.hpp"
#include "process.hpp"
#include "session.hpp"
#include "state_views.hpp"
#include "text.hpp"

namespace raycl::cli {
namespace {

namespace asio = boost::asio;

node_selector node_of(const command& cmd) {
    if (cmd.node_id) return node_selector::by_id(*cmd.node_id);
    if (cmd.node_ip) return node_selector::by_ip(*cmd.node_ip);
    return node_selector::head();
}

log_options log_options_of(const command& cmd) {
    log_options options;
    options.lines = cmd.tail_lines;
    options.suffix = cmd.err ? log_suffix::err : log_suffix::out;
    if (cmd.global.timeout) options.server_timeout = seconds(std::min(*cmd.global.timeout, 300.0));
    return options;
}

log_target target_of(const command& cmd) {
    switch (cmd.kind) {
        case command_kind::logs_job:
            return log_target::job(*cmd.log_id);
        case command_kind::logs_task:
            return log_target::task(*cmd.log_id, cmd.attempt_number);
        case command_kind::logs_actor:
            // --pid names the actor by its worker process (on the given node, else the head).
            return cmd.log_id ? log_target::actor(*cmd.log_id) : log_target::worker(*cmd.pid, node_of(cmd));
        case command_kind::logs_worker:
            return log_target::worker(*cmd.pid, node_of(cmd));
        default:
            return log_target::node_file(cmd.target, node_of(cmd));
    }
}

/// Prints one log: whole, the last --tail lines, or followed (--follow) until its target ends.
asio::awaitable<int> print_log(session& s, log_target target) {
    const auto& cmd = s.cmd();
    const auto options = log_options_of(cmd);
    // `ray logs` prints this note first, into the log's output; raycl keeps stdout the log alone,
    // and says nothing of a log it could not read.
    const auto note = [&cmd] {
        if (cmd.tail_lines > 0) write_err(log_truncation_note(cmd.tail_lines));
    };
    if (!cmd.follow) {
        auto op = s.ray().get_log(std::move(target), options);
        const auto text = co_await std::move(op);
        note();
        write_out(text);
        co_return exit_code::ok;
    }
    tail_options tail;
    tail.stream_timeout = std::nullopt;  // as `ray logs -f`: follow until the target ends or Ctrl-C
    auto op = s.ray().follow_log(std::move(target), options, tail);
    auto stream = co_await std::move(op);
    note();
    s.on_interrupt("stopped following the log", [&stream] { stream.close(); });
    for (;;) {
        auto next = stream.next();
        auto line = co_await std::move(next);
        if (!line) break;
        std::string text = std::move(line->text);
        if (line->newline) text += '\n';
        write_out(text);
        flush_out();
    }
    s.on_interrupt("interrupted");
    co_return exit_code::ok;
}

asio::awaitable<int> run_logs(session& s) {
    co_return co_await print_log(s, target_of(s.cmd()));
}

/// `raycl logs cluster [GLOB]`: the node's log files by category; exactly one match is printed.
asio::awaitable<int> run_logs_cluster(session& s) {
    const auto& cmd = s.cmd();
    const std::string glob = cmd.target.empty() ? "*" : cmd.target;
    auto op = s.ray().list_logs(node_of(cmd), glob);
    const auto files = co_await std::move(op);
    const auto names = files.files();
    if (names.size() == 1 && !names.front().ends_with("/")) {
        // As `ray logs cluster`: one file matches, so print it (on the node it was listed on).
        const auto node =
            files.node_ip.empty() ? node_selector::by_id(files.node_id) : node_selector::by_ip(files.node_ip);
        co_return co_await print_log(s, log_target::node_file(names.front(), node));
    }
    s.print(*files.raw, [&] { return render_log_files(files); });
    co_return exit_code::ok;
}

/// The flags every `raycl logs` command shares.
void common_flags(command_tree& tree, command_tree::node n, command& cmd, bool has_err) {
    tree.flag(n, "-f,--follow", "follow the log until its target ends (a node's file: until Ctrl-C)",
              [&cmd] { cmd.follow = true; });
    tree.option(n, "--tail", "N", "the last N lines (default 1000); -1 for the whole log",
                [&cmd](const std::string& v) {
                    cmd.tail_lines = parse_integer_in(v, "--tail", -1, 10'000'000);
                    if (cmd.tail_lines == 0) throw invalid_value("--tail must be -1 or a positive count");
                });
    tree.option(n, "--node-id", "ID", "the node, by id (default: the head node)",
                [&cmd](const std::string& v) { cmd.node_id = v; });
    tree.option(n, "--node-ip", "IP", "the node, by IP address (default: the head node)",
                [&cmd](const std::string& v) { cmd.node_ip = v; });
    if (has_err) tree.flag(n, "--err", "the stderr log instead of stdout", [&cmd] { cmd.err = true; });
    tree.validate(n, [&cmd] {
        if (cmd.node_id && cmd.node_ip) throw invalid_value("give --node-id or --node-ip, not both");
    });
}

void id_flag(command_tree& tree, command_tree::node n, command& cmd, const std::string& what) {
    tree.option(n, "--id", "ID", what, [&cmd](const std::string& v) { cmd.log_id = v; });
}

void pid_flag(command_tree& tree, command_tree::node n, command& cmd) {
    tree.option(n, "--pid", "PID", "the worker process id",
                [&cmd](const std::string& v) { cmd.pid = parse_integer_in(v, "--pid", 1, 4'194'304); });
}

}  // namespace

void define_logs_commands(command_tree& tree, command& cmd) {
    auto logs = tree.group(tree.root(), "logs", "any log of the cluster: node files, jobs, tasks, actors, workers",
                           "Prints a log as `ray logs` does, through the dashboard alone: the last --tail lines "
                           "(default 1000; the note saying so goes to stderr), or the whole log with --tail -1, "
                           "or followed with --follow until its target has ended. Without --node-id or --node-ip, "
                           "a node's files and a worker's pid are looked up on the head node, as `ray logs` does; "
                           "jobs, tasks and actors are found by id wherever they ran.");
    auto cluster = tree.add_command(logs, "cluster", "list a node's log files, or print the one that matches",
                                    command_kind::logs_cluster, {&run_logs_cluster});
    tree.describe(cluster, "[GLOB] [--node-id ID | --node-ip IP] [--tail N] [-f]",
                  "Lists the log files of a node (default: the head) by category. When exactly one file matches "
                  "GLOB (default *), prints that file instead.");
    tree.positionals(cluster, "GLOB", 0, 1);
    common_flags(tree, cluster, cmd, false);

    auto job = tree.add_command(logs, "job", "a job's driver log", command_kind::logs_job, {&run_logs});
    tree.describe(job, "--id SUBMISSION_ID [--tail N] [-f]", "");
    id_flag(tree, job, cmd, "the job's submission id (required)");
    common_flags(tree, job, cmd, false);
    tree.validate(job, [&cmd] {
        if (!cmd.log_id) throw invalid_value("missing --id");
    });

    auto task = tree.add_command(logs, "task", "the log of a task's attempt", command_kind::logs_task, {&run_logs});
    tree.describe(task, "--id ID [--attempt-number N] [--err] [--tail N] [-f]",
                  "The output of one attempt of a task (0 is the first run). An actor's task has no log of its own "
                  "unless Ray records them: read its actor's log.");
    id_flag(tree, task, cmd, "the task id (required)");
    tree.option(task, "--attempt-number", "N", "the attempt (default 0)", [&cmd](const std::string& v) {
        cmd.attempt_number = parse_integer_in(v, "--attempt-number", 0, 1'000'000);
    });
    common_flags(tree, task, cmd, true);
    tree.validate(task, [&cmd] {
        if (!cmd.log_id) throw invalid_value("missing --id");
    });

    auto actor = tree.add_command(logs, "actor", "an actor's log", command_kind::logs_actor, {&run_logs});
    tree.describe(actor, "--id ID | --pid PID [--node-id ID|--node-ip IP] [--err]", "");
    id_flag(tree, actor, cmd, "the actor id");
    pid_flag(tree, actor, cmd);
    common_flags(tree, actor, cmd, true);
    tree.validate(actor, [&cmd] {
        if (!cmd.log_id && !cmd.pid) throw invalid_value("at least one of --pid and --id has to be set");
    });

    auto worker = tree.add_command(logs, "worker", "a worker process's log", command_kind::logs_worker, {&run_logs});
    tree.describe(worker, "--pid PID [--node-id ID|--node-ip IP] [--err] [-f]", "");
    pid_flag(tree, worker, cmd);
    common_flags(tree, worker, cmd, true);
    tree.validate(worker, [&cmd] {
        if (!cmd.pid) throw invalid_value("missing --pid");
    });
}

}  // namespace raycl::cli
