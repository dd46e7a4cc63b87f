// Log-tail throughput through the async generator, per protocol, against the in-repo fake
// dashboard on loopback (same process, its own thread): N generated lines (default 1,000,000,
// ~110 bytes each, 10 lines per frame/chunk, as Ray sends them), consumed as fast as possible.
// Prints one JSON line per protocol: lines, bytes, seconds, lines/s, MB/s, and the peak RSS.
// Usage: raycl_bench_tail [lines] [repetitions]
#include "support/fake_dashboard.hpp"

#include <raycl/raycl.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace {

using namespace raycl;
using namespace raycl::test;
namespace asio = boost::asio;

long peak_rss_kib() {
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);)
        if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
    return 0;
}

asio::awaitable<std::uint64_t> drain(client& ray, tail_options options) {
    auto stream = co_await ray.tail_job_logs("raysubmit_bench", options);
    std::uint64_t lines = 0;
    while (auto line = co_await stream.next()) ++lines;
    co_return lines;
}

}  // namespace

int main(int argc, char** argv) {
    const std::uint64_t lines = argc > 1 ? std::stoull(argv[1]) : 1'000'000;
    const int repetitions = argc > 2 ? std::stoi(argv[2]) : 3;
    const std::uint64_t bytes = generated_log_size(0, lines);
    fake_dashboard dashboard;
    const std::string job = R"({"type": "SUBMISSION", "job_id": "02000000", "submission_id": "raysubmit_bench",
        "status": "SUCCEEDED", "entrypoint": "bench", "driver_node_id": "node1"})";
    dashboard.route("GET", "/api/jobs/raysubmit_bench",
                    [job](const recorded_request&) { return reply::json(200, job); });
    dashboard.websocket_route("/api/jobs/raysubmit_bench/logs/tail", [lines](const recorded_request&) {
        return websocket_script{}.send_lines(0, lines, 10).close(1000);
    });
    dashboard.route("GET", "/api/v0/logs/stream*",
                    [lines](const recorded_request&) { return reply::stream(generated_chunks(0, lines, 10)); });
    client_options options;
    options.address = dashboard.address();
    options.discover_token = false;
    options.stream_limits.max_lines = options.stream_limits.max_messages = options.stream_limits.max_bytes =
        std::numeric_limits<std::size_t>::max();
    asio::io_context context;
    client ray(context.get_executor(), options);
    for (const auto protocol : {tail_protocol::websocket, tail_protocol::stream}) {
        std::vector<double> seconds_taken;
        std::uint64_t received = 0;
        for (int r = 0; r < repetitions; ++r) {
            tail_options tail;
            tail.protocol = protocol;
            tail.complete_from_static_log = false;
            const auto start = std::chrono::steady_clock::now();
            auto done = asio::co_spawn(context, drain(ray, tail), asio::use_future);
            context.restart();
            context.run();
            received = done.get();
            seconds_taken.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        }
        std::sort(seconds_taken.begin(), seconds_taken.end());
        const double median = seconds_taken[seconds_taken.size() / 2];
        std::printf(
            "{\"bench\": \"tail_throughput\", \"protocol\": \"%s\", \"lines\": %llu, \"received\": %llu, "
            "\"bytes\": %llu, \"median_s\": %.3f, \"min_s\": %.3f, \"max_s\": %.3f, \"lines_per_s\": %.0f, "
            "\"mb_per_s\": %.1f, \"peak_rss_kib\": %ld}\n",
            to_string(protocol), static_cast<unsigned long long>(lines), static_cast<unsigned long long>(received),
            static_cast<unsigned long long>(bytes), median, seconds_taken.front(), seconds_taken.back(), lines / median,
            bytes / median / 1e6, peak_rss_kib());
    }
    return 0;
}
