// Shared helpers of the component tests of log tails: a job whose status and static log the
// test scripts, and consumers that read a whole stream.
#pragma once

#include "component/harness.hpp"

#include <boost/json.hpp>

#include <atomic>
#include <charconv>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace raycl::test {
namespace tail_harness {

namespace json = boost::json;

inline const std::string job_id = "raysubmit_tail";
inline const std::string tail_target = "/api/jobs/raysubmit_tail/logs/tail";
inline const std::string stream_target = "/api/v0/logs/stream?submission_id=raysubmit_tail&node_id=node1&lines=-1";

inline std::string job_json(const std::string& status) {
    return R"({"type": "SUBMISSION", "job_id": "02000000", "submission_id": "raysubmit_tail", "status": ")" + status +
           R"(", "entrypoint": "python job.py", "driver_node_id": "node1"})";
}

/// A job whose status the test moves on, and whose static log the test sets.
struct scripted_job {
    std::shared_ptr<std::atomic<int>> polls_until_done = std::make_shared<std::atomic<int>>(0);
    std::shared_ptr<std::string> static_log = std::make_shared<std::string>();
    std::shared_ptr<std::mutex> mutex = std::make_shared<std::mutex>();

    /// The job stays RUNNING for the first `running_polls` status requests, then SUCCEEDED. (A
    /// WebSocket tail makes none before it connects: the upgrade is its check.)
    void install(fake_dashboard& dashboard, int running_polls, std::string log) {
        polls_until_done->store(running_polls);
        *static_log = std::move(log);
        dashboard.route("GET", "/api/jobs/" + job_id, [counter = polls_until_done](const recorded_request&) {
            return reply::json(200, job_json(counter->fetch_sub(1) > 0 ? "RUNNING" : "SUCCEEDED"));
        });
        dashboard.route("GET", "/api/jobs/" + job_id + "/logs", [log = static_log, m = mutex](const recorded_request&) {
            std::lock_guard lock(*m);
            return reply::json(200, json::serialize(json::object{{"logs", *log}}));
        });
    }
};

/// Every line of the stream, text + "\n" when it had one, concatenated.
inline asio::awaitable<std::string> read_all(log_stream& stream, std::vector<log_line>* lines = nullptr) {
    std::string text;
    while (auto line = co_await stream.next()) {
        text += line->text;
        if (line->newline) text += '\n';
        if (lines) lines->push_back(std::move(*line));
    }
    co_return text;
}

inline asio::awaitable<std::string> tail_all(client& ray, tail_options options, stream_stats* stats = nullptr,
                                             std::vector<log_line>* lines = nullptr) {
    auto stream = co_await ray.tail_job_logs(job_id, options);
    auto text = co_await read_all(stream, lines);
    if (stats) *stats = stream.stats();
    co_return text;
}

/// Job j of a test's numbered jobs (`<prefix>0` .. `<prefix>{jobs-1}`) and the rest of the
/// target after its id, from a target `<prefix><j><rest>`; nothing for another target.
inline std::optional<std::pair<int, std::string>> numbered_job(std::string_view target, std::string_view prefix,
                                                               int jobs) {
    if (target.substr(0, prefix.size()) != prefix) return std::nullopt;
    target.remove_prefix(prefix.size());
    int j = 0;
    const auto [end, ec] = std::from_chars(target.data(), target.data() + target.size(), j);
    if (ec != std::errc{} || j < 0 || j >= jobs) return std::nullopt;
    return std::pair{j, std::string(end, static_cast<std::size_t>(target.data() + target.size() - end))};
}

/// The job-status requests a test's dashboard answered (routes hold `mutex` while counting).
struct status_request_counts {
    std::mutex mutex;
    int lists = 0;                  ///< GET /api/jobs/
    int gets = 0;                   ///< GET /api/jobs/{id}, the tails' opens included
    std::vector<int> gets_at_list;  ///< `gets` when each list was answered

    /// " g1 g2 ...": `gets_at_list`, for a test's message.
    std::string gets_at_each_list() const {
        std::string text;
        for (const int at : gets_at_list) text += " " + std::to_string(at);
        return text;
    }

    /// Counts a list; returns the lists so far, this one included.
    int count_list() {
        gets_at_list.push_back(gets);
        return ++lists;
    }
};

/// Routes the numbered jobs `<prefix>0` .. `<prefix>{jobs-1}`: `GET /api/jobs/{id}` answers
/// `job(j)` (a json::object; called with `count->mutex` held, the request counted), and
/// `GET /api/jobs/{id}/logs` answers `static_log(j)`. Other ids: 404.
template <class Job, class Log>
void route_numbered_jobs(fake_dashboard& dashboard, const std::string& prefix, int jobs,
                         std::shared_ptr<status_request_counts> count, Job job, Log static_log) {
    dashboard.route("GET", "/api/jobs/*", [=](const recorded_request& request) {
        const auto numbered = numbered_job(request.target, "/api/jobs/" + prefix, jobs);
        if (!numbered) return reply::text(404, "Job does not exist");
        const auto& [j, suffix] = *numbered;
        if (suffix == "/logs") return reply::json(200, json::serialize(json::object{{"logs", static_log(j)}}));
        std::lock_guard lock(count->mutex);
        ++count->gets;
        return reply::json(200, json::serialize(job(j)));
    });
}

/// The texts of tails of several jobs, or the first failure's message.
struct every_job_tailed {
    std::vector<std::string> texts;
    std::string failure;
};

/// Opens a tail of each job `job_of(0)` .. `job_of(jobs - 1)` on `ray`, then reads each to its
/// end, one after the other (the tails run on the client's strands whether read or not).
template <class JobOf>
every_job_tailed tail_every_job(client& ray, int jobs, JobOf job_of, const tail_options& options) {
    auto tail_them = [&]() -> asio::awaitable<std::vector<std::string>> {
        std::vector<log_stream> streams;
        for (int j = 0; j < jobs; ++j) {
            auto open = ray.tail_job_logs(job_of(j), options);
            streams.push_back(co_await std::move(open));
        }
        std::vector<std::string> texts;
        for (auto& stream : streams) {
            auto read = read_all(stream);
            texts.push_back(co_await std::move(read));
        }
        co_return texts;
    };
    every_job_tailed result;
    try {
        result.texts = run_sync(tail_them());
    } catch (const client_error& error) {
        result.failure = error.what();
    }
    return result;
}

/// Lines of a generated log received (each checked) before the stream failed; the failure in
/// `error` (none when the stream ended normally).
inline asio::awaitable<int> generated_lines_until_error(client& ray, tail_options options,
                                                        std::optional<client_error>& error) {
    auto stream = co_await ray.tail_job_logs(job_id, options);
    int received = 0;
    try {
        while (auto line = co_await stream.next()) {
            BOOST_TEST(line->text == generated_log_line(static_cast<std::uint64_t>(received)));
            ++received;
        }
    } catch (const client_error& e) {
        error = e;
    }
    co_return received;
}

inline tail_options websocket_options() {
    tail_options options;
    options.protocol = tail_protocol::websocket;
    options.stream_timeout = seconds(5.0);
    return options;
}

}  // namespace tail_harness
}  // namespace raycl::test
