// Running remote commands (see session.hpp).
#include "session.hpp"

#include "submit_options.hpp"

#include "process.hpp"
#include "text.hpp"
#include "watch_view.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>

#include <csignal>
#include <ctime>

namespace raycl::cli {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using clock = std::chrono::steady_clock;

std::string clock_time() {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    localtime_r(&now, &tm);
    char buffer[16];
    std::strftime(buffer, sizeof buffer, "%H:%M:%S", &tm);
    return buffer;
}

/// Redraws the progress line every 100 ms until cancelled.
asio::awaitable<void> draw_progress(std::string what, const std::string& status, bool colour) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    const auto start = clock::now();
    for (std::size_t frame = 0;; ++frame) {
        write_err("\r\033[K" + spinner_line(frame, clock::now() - start, what, status, colour));
        timer.expires_after(std::chrono::milliseconds(100));
        co_await timer.async_wait(asio::use_awaitable);
    }
}

}  // namespace

client_options connection_options(const global_options& global, connection& resolved,
                                  std::vector<std::string>& warnings) {
    connection_sources sources;
    sources.global = global;
    sources.ray_address_env = environment_variable("RAY_ADDRESS");
    for (const char* name : {"RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH"}) {
        const char* value = environment_variable(name);
        sources.token_in_environment = sources.token_in_environment || (value && *value);
    }
    // The config file is read only when a context could matter.
    const bool context_may_apply = !global.address && !(sources.ray_address_env && *sources.ray_address_env);
    const char* context_env = environment_variable("RAYCL_CONTEXT");
    if (context_may_apply || global.context || (context_env && *context_env)) {
        const auto file = load_context_file();
        if (!file.warning.empty()) warnings.push_back(file.warning);
        sources.context = choose_context(file, global.context, context_env, sources.context_origin);
        if (sources.context && !context_may_apply && sources.context_origin != "current-context") {
            warnings.push_back("raycl: warning: " + std::string(global.address ? "--address" : "RAY_ADDRESS") +
                               " overrides the address of context '" + sources.context->name + "' (" +
                               sources.context_origin + ")\n");
        }
    }
    sources.env_file = default_cluster_env_file();
    if (context_may_apply && !sources.context) {
        if (const auto text = read_file(sources.env_file)) sources.local_cluster = parse_cluster_env(*text);
    }
    resolved = resolve_connection(sources);

    client_options options;
    options.address = resolved.address;
    options.token = resolved.token_context ? context_token(*resolved.token_context) : resolved.token;
    options.discover_token = resolved.discover_token;
    options.headers = resolved.headers;
    if (resolved.ca_file) options.tls.ca_file = *resolved.ca_file;
    options.tls.verify_peer = !resolved.insecure;
    if (global.timeout) options.timeout.read = seconds(std::min(*global.timeout, 300.0));
    return options;
}

std::optional<clock::duration> wait_deadline(const command& cmd) {
    if (!cmd.global.timeout) return std::nullopt;
    return std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(*cmd.global.timeout));
}

void session::print(const json::value& value, const std::function<std::string()>& table_text) const {
    write_out(output() == output_format::table ? table_text() : data_document(value, output()));
}

void session::on_interrupt(std::string note, std::function<void()> close) {
    interrupt_note_ = std::move(note);
    close_on_interrupt_ = std::move(close);
}

void session::interrupt() {
    interrupted_ = true;
    if (close_on_interrupt_) close_on_interrupt_();
}

asio::awaitable<job_details> session::wait_for_job(const std::string& id, std::optional<clock::duration> deadline,
                                                   const std::string& what) {
    on_interrupt("stopped waiting for job " + id + "; the job keeps running");
    wait_options wait;
    wait.deadline = deadline;
    if (!term_.stderr_is_terminal) {
        auto op = ray_.wait_for_job(id, std::move(wait));
        co_return co_await std::move(op);
    }
    std::string status = "PENDING";
    wait.on_poll = [&status](const job_details& job) { status = job.status_text; };
    using namespace asio::experimental::awaitable_operators;
    struct clear_line {  // the progress line goes away however the wait ends
        ~clear_line() { write_err("\r\033[K"); }
    } clear;
    auto op = ray_.wait_for_job(id, std::move(wait));
    auto progress = draw_progress(what + " " + id, status, term_.colour_stderr);
    auto first = std::move(op) || std::move(progress);
    auto result = co_await std::move(first);
    co_return std::get<0>(std::move(result));
}

asio::awaitable<int> session::watch(const std::string& title, std::function<asio::awaitable<watch_frame>()> fetch) {
    on_interrupt("stopped watching");
    const bool redraw = term_.stdout_is_terminal && output() == output_format::table;
    const auto interval = std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(cmd_.interval));
    asio::steady_timer timer(co_await asio::this_coro::executor);
    std::vector<std::string> keys, rows;  // the previous listing
    std::size_t drawn = 0;
    std::string last_error;
    for (bool first = true;; first = false) {
        const auto started = clock::now();
        try {
            auto op = fetch();
            watch_frame frame = co_await std::move(op);
            last_error.clear();
            const std::string table_text = render_table(frame.view, term_.width, colour());
            if (redraw) {
                char every[64];
                std::snprintf(every, sizeof every, "Every %gs: ", cmd_.interval);
                write_out(redraw_frame(every + title + "    " + clock_time() + "\n\n" + table_text, drawn, term_.height,
                                       drawn));
            } else {
                // Rows compare by their cells (table) or objects (json, yaml); a changed table row is
                // printed as drawn now, under the header printed first.
                const auto lines = split_lines(table_text);
                std::vector<std::string> now;
                for (std::size_t i = 0; i < frame.keys.size(); ++i) {
                    std::string cells;
                    for (const auto& cell : frame.view.rows.at(i)) cells += cell + '\x1f';
                    now.push_back(output() == output_format::table ? cells : json::serialize(frame.rows.at(i)));
                }
                std::string out = first && output() == output_format::table ? std::string(lines.at(0)) + "\n" : "";
                for (const auto& change : watch_changes(keys, rows, frame.keys, now)) {
                    const bool gone = change.type == watch_change::kind::deleted;
                    if (output() == output_format::table) {
                        out += gone ? change.key + "  (deleted)\n" : std::string(lines.at(change.row + 1)) + "\n";
                        continue;
                    }
                    json::object event{{"type", to_string(change.type)}};
                    event["object"] = gone ? json::value(json::object{{"key", change.key}}) : frame.rows.at(change.row);
                    out += output() == output_format::yaml ? "---\n" + data_document(event, output())
                                                           : data_document(event, output());
                }
                keys = frame.keys;
                rows = std::move(now);
                write_out(out);
            }
            flush_out();
        } catch (const client_error& error) {
            if (interrupted_ || error.kind() == error_kind::cancelled) throw;
            // Keep watching through a failed refresh; say so once per distinct error.
            const std::string line = format_error(error.status(), error.message(), output_format::table);
            if (line != last_error) write_err(line);
            last_error = line;
        }
        timer.expires_at(started + interval);
        co_await timer.async_wait(asio::use_awaitable);
    }
}

int run_local(const command& cmd) {
    try {
        return cmd.run.local(cmd);
    } catch (const usage_error& e) {
        write_err(format_usage_error(e));
        return exit_code::usage;
    } catch (const client_error& e) {
        write_err(format_error(e.status(), e.message(), cmd.global.output));
        return exit_code::error;
    }
}

int run_remote(const command& cmd) {
    const auto& global = cmd.global;
    int result = exit_code::error;
    connection conn;
    try {
        std::vector<std::string> warnings;
        client_options options = connection_options(global, conn, warnings);
        for (const auto& warning : warnings) write_err(warning);
        if (cmd.kind == command_kind::job_submit)
            apply_job_submit_connection(cmd, std::getenv("RAY_JOB_HEADERS"), options);

        asio::io_context loop;
        client ray(loop.get_executor(), options);
        if (global.verbose) {
            write_err("raycl: address " + ray.address() + " (from " + conn.address_source + ")\n");
            write_err("raycl: token from " + conn.token_source + "\n");
        }
        const terminal term = terminal::detect();
        session s(cmd, ray, term);

        asio::cancellation_signal cancel;
        asio::signal_set signals(loop, SIGINT, SIGTERM);
        signals.async_wait([&](const boost::system::error_code& ec, int) {
            if (ec) return;
            s.interrupt();
            cancel.emit(asio::cancellation_type::terminal);
        });
        const auto started = clock::now();
        asio::co_spawn(loop, cmd.run.remote(s),
                       asio::bind_cancellation_slot(cancel.slot(), [&](std::exception_ptr error, int code) {
                           signals.cancel();
                           if (!error) {
                               result = code;
                               return;
                           }
                           if (s.interrupted()) {
                               write_err("raycl: interrupted: " + s.interrupt_note() + "\n");
                               result = exit_code::interrupted;
                               return;
                           }
                           try {
                               std::rethrow_exception(error);
                           } catch (const usage_error& e) {
                               write_err(format_usage_error(e));
                               result = exit_code::usage;
                               return;
                           } catch (const client_error& e) {
                               std::string message = e.message();
                               if (!conn.context.empty() && e.status() == 503)
                                   message += " (context '" + conn.context + "', " + ray.address() + ")";
                               write_err(format_error(e.status(), message, global.output));
                           } catch (const std::exception& e) {
                               write_err(format_error(500, e.what(), global.output));
                           }
                           result = exit_code::error;
                       }));
        loop.run();
        flush_out();
        if (global.verbose) {
            const auto stats = ray.stats();
            const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - started).count();
            write_err("raycl: " + std::to_string(stats.requests_sent) + " requests, " + std::to_string(stats.retries) +
                      " retries, " + std::to_string(stats.connections_opened) + " connections, " + std::to_string(ms) +
                      " ms\n");
        }
    } catch (const usage_error& e) {  // $RAY_JOB_HEADERS of job submit
        write_err(format_usage_error(e));
        return exit_code::usage;
    } catch (const client_error& e) {
        write_err(format_error(e.status(), e.message(), global.output));
        return exit_code::error;
    }
    return result;
}

}  // namespace raycl::cli
