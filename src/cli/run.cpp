// Execution of raycl commands on the public SDK API. One coroutine per command, run on a
// local io_context with an embedded raycl::client; Ctrl-C through asio::signal_set.
//
// g++ 12 note: never co_await an expression holding a non-trivially-destructible temporary
// (it may be destroyed twice). Operations are started into a named variable first:
// `auto op = ray.get_job(id); auto job = co_await std::move(op);`.
#include "run.hpp"

#include "config.hpp"
#include "format.hpp"

#include <raycl/raycl.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>

#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>

extern char** environ;

namespace raycl::cli {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using clock = std::chrono::steady_clock;

void write_out(std::string_view text) {
    std::fwrite(text.data(), 1, text.size(), stdout);
}
void write_err(std::string_view text) {
    std::fflush(stdout);
    std::fwrite(text.data(), 1, text.size(), stderr);
    std::fflush(stderr);
}

bool colour_allowed(int fd) {
    const char* no_colour = std::getenv("NO_COLOR");
    const char* term = std::getenv("TERM");
    return ::isatty(fd) && !(no_colour && *no_colour) && !(term && std::string_view(term) == "dumb");
}

std::size_t terminal_width() {
    winsize size{};
    if (::isatty(STDOUT_FILENO) && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col >= 40)
        return size.ws_col;
    return 80;
}

std::optional<std::string> read_file(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) return std::nullopt;
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
}

/// Everything a command needs while it runs.
struct context {
    context(const command& c, client& r) : cmd(c), ray(r) {}
    const command& cmd;
    client& ray;
    bool colour = false;   // colour on stdout
    bool spinner = false;  // spinner on stderr
    bool spinner_colour = false;
    std::size_t width = 80;
    bool interrupted = false;
    std::string interrupt_note;          // what to say on Ctrl-C
    std::function<void()> on_interrupt;  // e.g. close the current log stream

    bool json() const { return cmd.global.output == output_format::json; }
    void print_json(const json::value& value) const { write_out(json_document(value)); }
};

/// Polls the job until it is terminal, showing a spinner on a TTY. 408 after `deadline`.
asio::awaitable<job_details> wait_job(context& ctx, const std::string& id, std::optional<clock::duration> deadline,
                                      const char* what) {
    auto executor = co_await asio::this_coro::executor;
    asio::steady_timer timer(executor);
    const auto start = clock::now();
    auto interval = std::chrono::milliseconds(250);
    std::size_t frame = 0;
    ctx.interrupt_note = "stopped waiting for job " + id + "; the job keeps running";
    for (;;) {
        auto op = ctx.ray.get_job(id);
        auto job = co_await std::move(op);
        if (job.is_terminal()) {
            if (ctx.spinner) write_err("\r\033[K");
            co_return job;
        }
        if (deadline && clock::now() - start >= *deadline) {
            if (ctx.spinner) write_err("\r\033[K");
            throw client_error(error_kind::timeout, "timed out after " + format_elapsed(clock::now() - start) +
                                                        " waiting for job " + id + " (status " + job.status_text + ")");
        }
        const auto until = clock::now() + interval;
        while (clock::now() < until) {
            if (ctx.spinner)
                write_err("\r\033[K" + spinner_line(frame++, clock::now() - start, std::string(what) + " " + id,
                                                    job.status_text, ctx.spinner_colour));
            timer.expires_after(std::min<clock::duration>(std::chrono::milliseconds(100), until - clock::now()));
            co_await timer.async_wait(asio::use_awaitable);
        }
        interval = std::min(interval * 2, std::chrono::milliseconds(2000));
    }
}

std::optional<clock::duration> wait_deadline(const command& cmd) {
    if (!cmd.global.timeout) return std::nullopt;
    return std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(*cmd.global.timeout));
}

/// Prints the log of `id` live until it ends. `options` is the tail's configuration.
asio::awaitable<void> follow_log(context& ctx, const std::string& id, tail_options options) {
    auto op = ctx.ray.tail_job_logs(id, options);
    auto stream = co_await std::move(op);
    ctx.on_interrupt = [&stream] { stream.close(); };
    ctx.interrupt_note = "stopped following the log of job " + id + "; the job keeps running";
    for (;;) {
        auto next = stream.next();
        auto line = co_await std::move(next);
        if (!line) break;
        std::string text = std::move(line->text);
        if (line->newline) text += '\n';
        write_out(text);
        std::fflush(stdout);
    }
    ctx.on_interrupt = nullptr;
}

asio::awaitable<int> job_submit(context& ctx) {
    const auto& cmd = ctx.cmd;
    job_submission submission;
    submission.entrypoint = join_entrypoint(cmd.entrypoint);
    submission.submission_id = cmd.submission_id;
    submission.runtime_env = cmd.runtime_env;
    submission.metadata = cmd.metadata;
    submission.entrypoint_num_cpus = cmd.entrypoint_num_cpus;
    submission.entrypoint_num_gpus = cmd.entrypoint_num_gpus;
    submission.entrypoint_memory = cmd.entrypoint_memory;
    submission.entrypoint_resources = cmd.entrypoint_resources;
    auto op = ctx.ray.submit_job(submission);
    const std::string id = co_await std::move(op);
    if (cmd.no_wait) {
        if (ctx.json())
            ctx.print_json(json::object{{"submission_id", id}});
        else
            write_out(id + "\n");
        co_return exit_code::ok;
    }
    write_err("raycl: submitted job " + id + "; following its log (Ctrl-C stops following)\n");
    tail_options options;
    options.protocol = tail_protocol::automatic;
    options.stream_timeout = std::nullopt;
    co_await follow_log(ctx, id, options);
    auto get = ctx.ray.get_job(id);
    auto job = co_await std::move(get);
    if (!job.is_terminal()) job = co_await wait_job(ctx, id, std::nullopt, "waiting for");
    std::string note = "raycl: job " + id + " " + coloured_status(job.status_text, ctx.spinner_colour);
    if (job.status != job_status::succeeded && job.message) note += ": " + one_line(*job.message);
    write_err(note + "\n");
    co_return exit_code_for(job.status);
}

asio::awaitable<int> job_command(context& ctx) {
    const auto& cmd = ctx.cmd;
    const std::string& id = cmd.target;
    switch (cmd.kind) {
        case command_kind::job_list: {
            auto op = ctx.ray.list_jobs();
            const auto jobs = co_await std::move(op);
            if (ctx.json())
                ctx.print_json(raw_array(jobs));
            else
                write_out(render_table(jobs_table(jobs), ctx.width, ctx.colour));
            co_return exit_code::ok;
        }
        case command_kind::job_status: {
            auto op = ctx.ray.get_job(id);
            const auto job = co_await std::move(op);
            if (ctx.json())
                ctx.print_json(job.raw);
            else
                write_out(render_object(job.raw, ctx.width, ctx.colour));
            co_return exit_code::ok;
        }
        case command_kind::job_logs: {
            if (!cmd.follow) {
                auto op = ctx.ray.list_job_logs(id);
                const auto text = co_await std::move(op);
                write_out(text);
                co_return exit_code::ok;
            }
            tail_options options;
            options.protocol = cmd.protocol;
            options.stream_timeout =
                cmd.stream_timeout ? std::optional<seconds>(seconds(*cmd.stream_timeout)) : std::nullopt;
            co_await follow_log(ctx, id, options);
            co_return exit_code::ok;
        }
        case command_kind::job_stop: {
            auto op = ctx.ray.stop_job(id);
            const bool stopped = co_await std::move(op);
            if (!cmd.wait) {
                if (ctx.json())
                    ctx.print_json(json::object{{"stopped", stopped}});
                else
                    write_out(stopped ? "stopping job " + id + "\n" : "job " + id + " had already ended\n");
                co_return exit_code::ok;
            }
            const auto job = co_await wait_job(ctx, id, wait_deadline(cmd), "stopping");
            if (ctx.json())
                ctx.print_json(json::object{{"stopped", stopped}, {"job", job.raw}});
            else
                write_out("job " + id + " " + coloured_status(job.status_text, ctx.colour) + "\n");
            co_return exit_code_for(job.status);
        }
        case command_kind::job_delete: {
            auto op = ctx.ray.delete_job(id);
            const bool deleted = co_await std::move(op);
            if (ctx.json())
                ctx.print_json(json::object{{"deleted", deleted}});
            else
                write_out(deleted ? "deleted job " + id + "\n" : "job " + id + " was not deleted\n");
            co_return deleted ? exit_code::ok : exit_code::error;
        }
        case command_kind::job_wait: {
            const auto job = co_await wait_job(ctx, id, wait_deadline(cmd), "waiting for");
            if (ctx.json())
                ctx.print_json(job.raw);
            else
                write_out("job " + id + " " + coloured_status(job.status_text, ctx.colour) + "\n");
            co_return exit_code_for(job.status);
        }
        default:
            co_return exit_code::error;
    }
}

asio::awaitable<int> state_command(context& ctx) {
    const auto& cmd = ctx.cmd;
    const std::string& id = cmd.target;
    list_options list;
    list.limit = cmd.limit;
    list.filters = cmd.filters;
    list.detail = cmd.detail;
    auto print_object = [&](const json::object& raw) {
        if (ctx.json())
            ctx.print_json(raw);
        else
            write_out(render_object(raw, ctx.width, ctx.colour));
    };
    // A state-API list: the raw rows as a JSON array, or a table plus a note when truncated.
    auto print_list = [&](const auto& result, const auto& to_table) {
        if (ctx.json())
            ctx.print_json(raw_array(result.items));
        else
            write_out(render_table(to_table(result.items), ctx.width, ctx.colour));
        if (!ctx.json() && result.truncated())
            write_err("raycl: showing " + std::to_string(result.items.size()) + " of " +
                      std::to_string(std::max(result.total, result.num_filtered)) + " rows (use --limit)\n");
    };
    switch (cmd.kind) {
        case command_kind::node_list: {
            auto op = ctx.ray.list_nodes(list);
            const auto nodes = co_await std::move(op);
            print_list(nodes, [](const auto& items) { return nodes_table(items); });
            break;
        }
        case command_kind::node_get: {
            auto op = ctx.ray.get_node(id);
            const auto node = co_await std::move(op);
            print_object(node.raw);
            break;
        }
        case command_kind::task_list: {
            auto op = ctx.ray.list_tasks(list);
            const auto tasks = co_await std::move(op);
            print_list(tasks, [](const auto& items) { return tasks_table(items); });
            break;
        }
        case command_kind::task_get: {
            auto op = ctx.ray.get_task(id);
            const auto task = co_await std::move(op);
            print_object(task.raw);
            break;
        }
        case command_kind::actor_list: {
            auto op = ctx.ray.list_actors(list);
            const auto actors = co_await std::move(op);
            print_list(actors, [](const auto& items) { return actors_table(items); });
            break;
        }
        case command_kind::actor_get: {
            auto op = ctx.ray.get_actor(id);
            const auto actor = co_await std::move(op);
            print_object(actor.raw);
            break;
        }
        default:
            break;
    }
    co_return exit_code::ok;
}

asio::awaitable<int> serve_command(context& ctx, std::optional<json::object> config) {
    const auto& cmd = ctx.cmd;
    const std::string& name = cmd.target;
    switch (cmd.kind) {
        case command_kind::serve_list: {
            auto op = ctx.ray.list_serve_applications();
            const auto instance = co_await std::move(op);
            if (ctx.json())
                ctx.print_json(instance.raw);
            else if (instance.applications.empty())
                write_out("no Serve applications\n");
            else
                write_out(render_table(serve_table(instance), ctx.width, ctx.colour));
            break;
        }
        case command_kind::serve_get: {
            auto op = ctx.ray.get_serve_application(name);
            const auto app = co_await std::move(op);
            if (ctx.json())
                ctx.print_json(app.raw);
            else
                write_out(render_serve_application(app, ctx.width, ctx.colour));
            break;
        }
        case command_kind::serve_deploy: {
            json::object body = std::move(*config);
            auto op = ctx.ray.deploy_serve_applications(body);
            co_await std::move(op);
            if (ctx.json())
                ctx.print_json(json::object{{"deployed", true}});
            else
                write_out("deployed " + name + "; deployment continues: raycl serve list\n");
            break;
        }
        case command_kind::serve_delete: {
            auto op = ctx.ray.delete_serve_application(name);
            co_await std::move(op);
            if (ctx.json())
                ctx.print_json(json::object{{"deleted", name}});
            else
                write_out("deleted application " + name + "\n");
            break;
        }
        case command_kind::serve_shutdown: {
            auto op = ctx.ray.shutdown_serve();
            co_await std::move(op);
            if (ctx.json())
                ctx.print_json(json::object{{"shutdown", true}});
            else
                write_out("Serve is shutting down\n");
            break;
        }
        default:
            break;
    }
    co_return exit_code::ok;
}

asio::awaitable<int> execute(context& ctx, std::optional<json::object> config) {
    switch (ctx.cmd.kind) {
        case command_kind::job_submit:
            co_return co_await job_submit(ctx);
        case command_kind::job_list:
        case command_kind::job_status:
        case command_kind::job_logs:
        case command_kind::job_stop:
        case command_kind::job_delete:
        case command_kind::job_wait:
            co_return co_await job_command(ctx);
        case command_kind::serve_list:
        case command_kind::serve_get:
        case command_kind::serve_deploy:
        case command_kind::serve_delete:
        case command_kind::serve_shutdown:
            co_return co_await serve_command(ctx, std::move(config));
        case command_kind::version: {
            auto op = ctx.ray.get_version();
            const auto version = co_await std::move(op);
            if (ctx.json())
                ctx.print_json(versions_json(version));
            else
                write_out(render_versions(version, ctx.ray.address()));
            co_return exit_code::ok;
        }
        default:
            co_return co_await state_command(ctx);
    }
}

// ---- cluster up / down (no client) --------------------------------------------------------

std::string executable_dir() {
    char buffer[4096];
    const auto n = ::readlink("/proc/self/exe", buffer, sizeof buffer - 1);
    if (n <= 0) return {};
    std::string path(buffer, static_cast<std::size_t>(n));
    const auto slash = path.rfind('/');
    return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

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

/// Runs `bash script args...` with its stdout sent to our stderr; returns its exit status.
int run_script(const std::string& script, const std::vector<std::string>& args) {
    std::vector<std::string> argv_strings{"bash", script};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& s : argv_strings) argv.push_back(s.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO);
    pid_t pid = 0;
    std::fflush(stdout);
    const int rc = posix_spawnp(&pid, "bash", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) return 127;
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int cluster_command(const command& cmd) {
    const bool json_out = cmd.global.output == output_format::json;
    const std::string script = find_cluster_script();
    if (script.empty()) {
        write_err(format_error(500, "cannot find scripts/ray-cluster.sh (source tree or <prefix>/share/raycl/scripts)",
                               cmd.global.output));
        return exit_code::error;
    }
    if (cmd.global.verbose) write_err("raycl: using " + script + "\n");
    if (cmd.kind == command_kind::cluster_down) {
        const int rc = run_script(script, {"down", "--name", "default"});
        if (rc != 0) {
            write_err(
                format_error(500, "ray-cluster.sh down failed (exit " + std::to_string(rc) + ")", cmd.global.output));
            return exit_code::error;
        }
        if (json_out)
            write_out(json_document(json::object{{"cluster", "default"}, {"state", "down"}}));
        else
            write_out("local Ray cluster 'default' is down\n");
        return exit_code::ok;
    }
    const int rc =
        run_script(script, {"up", "--name", "default", "--auth", cmd.auth, "--workers", std::to_string(cmd.workers)});
    const std::string env_file = "/tmp/raycl-default/raycl.env";
    const auto text = read_file(env_file);
    const auto env = text ? parse_cluster_env(*text) : std::nullopt;
    if (rc != 0 || !env) {
        write_err(format_error(500, "ray-cluster.sh up failed (exit " + std::to_string(rc) + ")", cmd.global.output));
        return exit_code::error;
    }
    if (json_out) {
        write_out(json_document(json::object{
            {"cluster", "default"}, {"address", env->address}, {"auth", cmd.auth}, {"env_file", env_file}}));
        return exit_code::ok;
    }
    std::string out = "local Ray cluster 'default' is up at " + env->address + "\n";
    out += "raycl uses it (address and token) whenever neither --address nor RAY_ADDRESS is given.\n";
    out += "Other tools: source " + env_file + " (RAYCL_TEST_ADDRESS, RAYCL_TEST_TOKEN), then\n";
    out += "  export RAY_ADDRESS=$RAYCL_TEST_ADDRESS";
    out += env->token.empty() ? "\n" : " RAY_AUTH_TOKEN=$RAYCL_TEST_TOKEN\n";
    out += "Stop it with: raycl cluster down\n";
    write_out(out);
    return exit_code::ok;
}

bool waits_or_follows(const command& cmd) {
    switch (cmd.kind) {
        case command_kind::job_submit:
            return !cmd.no_wait;
        case command_kind::job_logs:
            return cmd.follow;
        case command_kind::job_stop:
            return cmd.wait;
        case command_kind::job_wait:
            return true;
        default:
            return false;
    }
}

}  // namespace

int run_command(const command& cmd) {
    if (cmd.kind == command_kind::cluster_up || cmd.kind == command_kind::cluster_down) return cluster_command(cmd);
    const auto& global = cmd.global;

    // Local input first (no network): the Serve config file.
    std::optional<json::object> config;
    if (cmd.kind == command_kind::serve_deploy) {
        std::optional<std::string> text;
        if (cmd.target == "-") {
            std::ostringstream in;
            in << std::cin.rdbuf();
            text = in.str();
        } else {
            text = read_file(cmd.target);
        }
        if (!text) {
            write_err(format_usage_error(usage_error("cannot read '" + cmd.target + "'", "raycl serve deploy")));
            return exit_code::usage;
        }
        boost::system::error_code ec;
        auto value = json::parse(*text, ec);
        if (ec || !value.is_object()) {
            write_err(format_usage_error(
                usage_error("'" + cmd.target + "' is not a JSON object" + (ec ? ": " + ec.message() : std::string()),
                            "raycl serve deploy")));
            return exit_code::usage;
        }
        config = std::move(value.as_object());
    }

    const std::string env_file = default_cluster_env_file();
    std::optional<cluster_env> local_cluster;
    if (!global.address && !(std::getenv("RAY_ADDRESS") && *std::getenv("RAY_ADDRESS"))) {
        if (const auto text = read_file(env_file)) local_cluster = parse_cluster_env(*text);
    }
    const connection conn = resolve_connection(global, std::getenv("RAY_ADDRESS"), local_cluster, env_file);

    client_options options;
    options.address = conn.address;
    options.token = conn.token;
    options.discover_token = conn.discover_token;
    options.headers = global.headers;
    if (global.timeout) options.timeout.read = seconds(std::min(*global.timeout, 300.0));

    int result = exit_code::error;
    try {
        asio::io_context loop;
        client ray(loop.get_executor(), options);
        if (global.verbose) {
            write_err("raycl: address " + ray.address() + " (from " + conn.address_source + ")\n");
            write_err("raycl: token from " + conn.token_source + "\n");
        }
        context ctx(cmd, ray);
        ctx.colour = colour_allowed(STDOUT_FILENO) && !ctx.json();
        ctx.spinner = ::isatty(STDERR_FILENO);
        ctx.spinner_colour = colour_allowed(STDERR_FILENO);
        ctx.width = terminal_width();

        asio::cancellation_signal cancel;
        std::optional<asio::signal_set> signals;
        if (waits_or_follows(cmd)) {
            signals.emplace(loop, SIGINT, SIGTERM);
            signals->async_wait([&](const boost::system::error_code& ec, int) {
                if (ec) return;
                ctx.interrupted = true;
                if (ctx.on_interrupt) ctx.on_interrupt();
                cancel.emit(asio::cancellation_type::terminal);
            });
        }
        const auto started = clock::now();
        asio::co_spawn(loop, execute(ctx, std::move(config)),
                       asio::bind_cancellation_slot(cancel.slot(), [&](std::exception_ptr error, int code) {
                           if (signals) signals->cancel();
                           if (!error) {
                               result = code;
                               return;
                           }
                           if (ctx.interrupted) {
                               if (ctx.spinner) write_err("\r\033[K");
                               write_err("raycl: interrupted: " + ctx.interrupt_note + "\n");
                               result = exit_code::interrupted;
                               return;
                           }
                           try {
                               std::rethrow_exception(error);
                           } catch (const client_error& e) {
                               write_err(format_error(e.status(), e.message(), global.output));
                           } catch (const std::exception& e) {
                               write_err(format_error(500, e.what(), global.output));
                           }
                           result = exit_code::error;
                       }));
        loop.run();
        std::fflush(stdout);
        if (global.verbose) {
            const auto stats = ray.stats();
            const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - started).count();
            write_err("raycl: " + std::to_string(stats.requests_sent) + " requests, " + std::to_string(stats.retries) +
                      " retries, " + std::to_string(stats.connections_opened) + " connections, " + std::to_string(ms) +
                      " ms\n");
        }
    } catch (const client_error& e) {
        write_err(format_error(e.status(), e.message(), global.output));
        return exit_code::error;
    }
    return result;
}

}  // namespace raycl::cli
