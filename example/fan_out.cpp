// A benchmark-harness-style fan-out: submit N jobs at once, tail all their logs concurrently,
// wait for every job, then print a summary. One client, one event loop thread, N coroutines.
// Usage: raycl_example_fan_out [N=4] [ENTRYPOINT]   (the entrypoint gets "<i>" appended)
#include <raycl/raycl.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

namespace asio = boost::asio;
using clock_type = std::chrono::steady_clock;

struct job_result {
    std::string id;
    std::string status = "NOT SUBMITTED";
    std::size_t lines = 0;
    double seconds = 0;
    std::string error;
};

asio::awaitable<void> run_one(raycl::client& ray, int index, std::string entrypoint, job_result& result) {
    const auto start = clock_type::now();
    raycl::job_submission submission;
    submission.entrypoint = entrypoint + " " + std::to_string(index);
    submission.entrypoint_num_cpus = 0.1;
    submission.metadata = std::map<std::string, std::string>{{"fan_out_index", std::to_string(index)}};
    result.id = co_await ray.submit_job(submission);

    raycl::tail_options options;
    options.protocol = raycl::tail_protocol::automatic;
    options.stream_timeout = raycl::seconds(120);
    auto logs = co_await ray.tail_job_logs(result.id, options);
    while (auto line = co_await logs.next()) {
        ++result.lines;
        std::printf("[%d] %s\n", index, line->text.c_str());
    }
    raycl::wait_options wait;
    wait.deadline = std::chrono::minutes(5);
    const auto job = co_await ray.wait_for_job(result.id, wait);
    result.status = job.status_text;
    result.seconds = std::chrono::duration<double>(clock_type::now() - start).count();
}

int main(int argc, char** argv) {
    const int count = argc > 1 ? std::stoi(argv[1]) : 4;
    const std::string entrypoint =
        argc > 2 ? argv[2] : "python -c \"import sys; [print('job', sys.argv[1], 'line', i) for i in range(5)]\"";
    std::vector<job_result> results(static_cast<std::size_t>(count));
    try {
        asio::io_context loop;
        raycl::client ray(loop.get_executor());  // embedded: everything runs on this one thread
        const auto start = clock_type::now();
        for (int i = 0; i < count; ++i) {
            auto& result = results[static_cast<std::size_t>(i)];
            asio::co_spawn(loop, run_one(ray, i, entrypoint, result), [&result](std::exception_ptr error) {
                if (!error) return;
                try {
                    std::rethrow_exception(error);
                } catch (const raycl::client_error& e) {
                    result.error = "error " + std::to_string(e.status()) + ": " + e.message();
                }
            });
        }
        loop.run();  // returns once every job has ended and every tail is drained
        const double total = std::chrono::duration<double>(clock_type::now() - start).count();

        int succeeded = 0;
        std::printf("\n%-4s %-24s %-10s %6s %8s\n", "#", "submission id", "status", "lines", "seconds");
        for (std::size_t i = 0; i < results.size(); ++i) {
            const auto& r = results[i];
            succeeded += r.status == "SUCCEEDED";
            std::printf("%-4zu %-24s %-10s %6zu %8.2f %s\n", i, r.id.c_str(), r.status.c_str(), r.lines, r.seconds,
                        r.error.c_str());
        }
        std::printf("%d of %d jobs succeeded in %.2f s\n", succeeded, count, total);
        return succeeded == count ? 0 : 1;
    } catch (const raycl::client_error& e) {
        std::fprintf(stderr, "raycl: error %d: %s\n", e.status(), e.message().c_str());
        return 3;
    }
}
