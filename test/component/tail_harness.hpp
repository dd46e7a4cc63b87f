// Shared helpers of the component tests of log tails: a job whose status and static log the
// test scripts, and consumers that read a whole stream.
#pragma once

#include "component/harness.hpp"

#include <boost/json.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
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

    /// The job stays RUNNING for the first `running_polls` status requests, then SUCCEEDED.
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
