// `raycl job logs`: one job's log exactly as logged (static, or followed live), or the logs of
// several jobs at once (several IDs, or --all / --selector / --status, with --new), each line
// whole and prefixed with its job, lines of one job in order and exactly once (stern-style).
#include "commands/job_logs.hpp"

#include "follow_lines.hpp"
#include "process.hpp"
#include "text.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <deque>
#include <map>
#include <memory>
#include <set>

namespace raycl::cli {
namespace {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;

job_selection selection_of(const command& cmd) {
    return job_selection{cmd.selectors, cmd.statuses};
}

tail_options tail_options_of(const command& cmd) {
    tail_options options;
    options.protocol = cmd.protocol;
    options.stream_timeout = cmd.stream_timeout ? std::optional<seconds>(seconds(*cmd.stream_timeout)) : std::nullopt;
    return options;
}

/// Everything the followers of a multi-job follow share. Held by shared_ptr: a follower may
/// still be closing its stream when the command ends on Ctrl-C.
struct follow_state {
    follow_state(session& s, asio::any_io_executor executor)
        : s(s), executor(executor), wake(executor), options(tail_options_of(s.cmd())) {
        const auto& cmd = s.cmd();
        prefix = !cmd.no_prefix;
        colour = s.term().colour_stdout;
        progress = s.term().stderr_is_terminal;
        redraw_per_line = progress && s.term().stdout_is_terminal;
    }

    session& s;
    asio::any_io_executor executor;
    asio::steady_timer wake;  // cancelled whenever a follower ends
    tail_options options;
    bool prefix = true, colour = false, progress = false, redraw_per_line = false;
    std::deque<std::pair<std::string, std::size_t>> queue;  // id, colour index
    std::set<std::string> seen;
    std::size_t running = 0, next_index = 0;
    std::vector<job_outcome> outcomes;
    std::map<std::string, log_stream*> open;
    bool followed_any = false;

    void enqueue(const std::string& id) {
        if (!seen.insert(id).second) return;
        queue.emplace_back(id, next_index++);
        draw_progress();
    }

    void emit(const std::string& id, std::size_t index, const std::string& text) {
        std::string line = prefix ? line_prefix(id, index, colour) : std::string();
        line += text;
        line += '\n';
        if (redraw_per_line) write_err("\r\033[K");
        write_out(line);
        flush_out();
        if (redraw_per_line) draw_progress();
    }

    void note(const std::string& text) {
        if (progress) write_err("\r\033[K");
        write_err(text);
        draw_progress();
    }

    void draw_progress() {
        if (progress) write_err("\r\033[K" + follow_progress(running, queue.size(), outcomes));
    }

    void close_all() {
        for (auto& [id, stream] : open) stream->close();
    }
};

asio::awaitable<void> follow_one(std::shared_ptr<follow_state> state, std::string id, std::size_t index) {
    auto& ray = state->s.ray();
    job_outcome outcome{id, std::nullopt};
    struct forget_stream {  // the stream lives in this frame only
        follow_state& state;
        const std::string& id;
        ~forget_stream() { state.open.erase(id); }
    } forget{*state, id};
    try {
        auto op = ray.tail_job_logs(id, state->options);
        log_stream stream = co_await std::move(op);
        state->open[id] = &stream;
        line_joiner joiner;
        for (;;) {
            auto next = stream.next();
            auto line = co_await std::move(next);
            if (!line) break;
            if (auto text = joiner.add(*line)) state->emit(id, index, *text);
        }
        if (auto rest = joiner.finish()) state->emit(id, index, *rest);
        state->open.erase(id);
        auto get = ray.get_job(id);
        auto job = co_await std::move(get);
        if (!job.is_terminal()) {
            auto wait = ray.wait_for_job(id);
            job = co_await std::move(wait);
        }
        outcome.status = job.status;
        std::string text = "raycl: job " + id + " " + coloured_status(job.status_text, state->s.term().colour_stderr);
        if (job.status != job_status::succeeded && job.message) text += ": " + one_line(*job.message);
        state->note(text + "\n");
    } catch (const client_error& error) {
        if (!state->s.interrupted())
            state->note(format_error(error.status(), error.message() + " (job " + id + ")", output_format::table));
    } catch (const std::exception& error) {
        if (!state->s.interrupted()) state->note(format_error(500, error.what(), output_format::table));
    }
    state->outcomes.push_back(std::move(outcome));
    --state->running;
    state->wake.cancel();
    state->draw_progress();
}

void start_followers(const std::shared_ptr<follow_state>& state, std::size_t max_concurrency) {
    while (state->running < max_concurrency && !state->queue.empty()) {
        auto [id, index] = state->queue.front();
        state->queue.pop_front();
        ++state->running;
        state->followed_any = true;
        asio::co_spawn(state->executor, follow_one(state, std::move(id), index), asio::detached);
    }
    state->draw_progress();
}

/// The chosen jobs of a listing; `appeared`: taken while following (--new).
asio::awaitable<std::vector<std::string>> chosen_jobs(session& s, bool appeared) {
    auto op = s.ray().list_jobs();
    const auto jobs = co_await std::move(op);
    const auto selection = selection_of(s.cmd());
    std::vector<std::string> ids;
    for (const auto& job : jobs) {
        if (selects(selection, job, appeared)) ids.push_back(*followable_id(job));
    }
    co_return ids;
}

asio::awaitable<int> follow_many(session& s) {
    const auto& cmd = s.cmd();
    auto state = std::make_shared<follow_state>(s, co_await asio::this_coro::executor);
    s.on_interrupt("stopped following; the jobs keep running", [state] { state->close_all(); });
    std::vector<std::string> initial = cmd.targets;
    if (initial.empty()) initial = co_await chosen_jobs(s, false);
    for (const auto& id : initial) state->enqueue(id);
    if (initial.empty() && !cmd.new_jobs) {
        write_err("raycl: no job matches\n");
        co_return exit_code::ok;
    }
    const auto interval = std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(cmd.interval));
    auto next_poll = clock::now() + interval;
    auto poll = [&]() -> asio::awaitable<void> {
        const auto ids = co_await chosen_jobs(s, true);
        for (const auto& id : ids) state->enqueue(id);
        next_poll = clock::now() + interval;
    };
    for (;;) {
        start_followers(state, static_cast<std::size_t>(cmd.max_concurrency));
        if (state->running == 0 && state->queue.empty()) {
            if (!cmd.new_jobs) break;
            // Every job followed so far has ended: a fresh listing decides whether to go on.
            co_await poll();
            if (!state->queue.empty()) continue;
            if (state->followed_any) break;
        }
        state->wake.expires_at(cmd.new_jobs ? next_poll : clock::time_point::max());
        co_await state->wake.async_wait(asio::as_tuple(asio::use_awaitable));
        if (s.interrupted()) throw client_error(error_kind::cancelled, "interrupted");
        if (cmd.new_jobs && clock::now() >= next_poll) co_await poll();
    }
    if (state->progress) write_err("\r\033[K");
    co_return combined_exit_code(state->outcomes);
}

/// Static logs of several jobs, each line prefixed.
asio::awaitable<int> print_many(session& s) {
    const auto& cmd = s.cmd();
    std::vector<std::string> ids = cmd.targets;
    if (ids.empty()) ids = co_await chosen_jobs(s, false);
    int code = exit_code::ok;
    const bool colour = s.term().colour_stdout;
    for (std::size_t index = 0; index < ids.size(); ++index) {
        try {
            auto op = s.ray().list_job_logs(ids[index]);
            const auto text = co_await std::move(op);
            std::string out;
            for (const auto line : split_lines(text))
                out +=
                    (cmd.no_prefix ? std::string() : line_prefix(ids[index], index, colour)) + std::string(line) + "\n";
            write_out(out);
        } catch (const client_error& error) {
            write_err(
                format_error(error.status(), error.message() + " (job " + ids[index] + ")", output_format::table));
            code = exit_code::error;
        }
    }
    co_return code;
}

}  // namespace

asio::awaitable<void> follow_job_log(session& s, const std::string& id, tail_options options) {
    auto op = s.ray().tail_job_logs(id, options);
    auto stream = co_await std::move(op);
    s.on_interrupt("stopped following the log of job " + id + "; the job keeps running", [&stream] { stream.close(); });
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
}

asio::awaitable<int> run_job_logs(session& s) {
    const auto& cmd = s.cmd();
    const bool one_job = cmd.targets.size() == 1;
    if (one_job && cmd.follow) {
        co_await follow_job_log(s, cmd.target, tail_options_of(cmd));
        co_return exit_code::ok;
    }
    if (one_job) {
        auto op = s.ray().list_job_logs(cmd.target);
        const auto text = co_await std::move(op);
        write_out(text);
        co_return exit_code::ok;
    }
    if (cmd.follow) co_return co_await follow_many(s);
    co_return co_await print_many(s);
}

}  // namespace raycl::cli
