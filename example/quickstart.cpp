// Quick start: submit a job, wait for it, print its log, then list jobs and nodes.
//
// The address comes from RAY_ADDRESS (default http://127.0.0.1:8265) and the token from
// RAY_AUTH_TOKEN / RAY_AUTH_TOKEN_PATH / ~/.ray/auth_token, as with Ray's own tools.
// Usage: raycl_quickstart [entrypoint]
#include <raycl/raycl.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>

namespace asio = boost::asio;

asio::awaitable<int> run(raycl::client& ray, std::string entrypoint) {
    const auto version = co_await ray.get_version();
    std::cout << "Ray " << version.ray_version << " at " << ray.address() << "\n";

    const auto id = co_await ray.submit_job({entrypoint});
    std::cout << "submitted " << id << ": " << entrypoint << "\n";

    raycl::wait_options wait;
    wait.deadline = std::chrono::minutes(3);
    const auto job = co_await ray.wait_for_job(id, wait);
    std::cout << "job " << id << " ended " << raycl::to_string(job.status) << "\n";
    std::cout << "---- log ----\n" << co_await ray.list_job_logs(id) << "\n-------------\n";

    std::cout << "jobs:\n";
    for (const auto& j : co_await ray.list_jobs()) {
        std::printf("  %-28s %-10s %s\n", j.submission_id.value_or("-").c_str(), j.status_text.c_str(),
                    j.entrypoint.substr(0, 40).c_str());
    }
    const auto nodes = co_await ray.list_nodes();
    std::cout << "nodes (" << nodes.items.size() << " of " << nodes.total << "):\n";
    for (const auto& n : nodes.items) {
        std::printf("  %s %-15s %-6s%s\n", n.node_id.substr(0, 12).c_str(), n.node_ip.c_str(), n.state.c_str(),
                    n.is_head_node ? " head" : "");
    }
    co_return job.status == raycl::job_status::succeeded ? 0 : 1;
}

int main(int argc, char** argv) {
    std::string entrypoint = argc > 1 ? argv[1]
                                      : "python -c \"import ray; ray.init(); print('sum of squares:', "
                                        "sum(ray.get([ray.remote(lambda x: x * x).remote(i) for i in range(10)])))\"";
    try {
        raycl::client ray;  // owns its io_context and thread
        asio::io_context main_loop;
        int exit_code = 1;
        asio::co_spawn(main_loop, run(ray, entrypoint), [&](std::exception_ptr error, int code) {
            if (!error) {
                exit_code = code;
                return;
            }
            try {
                std::rethrow_exception(error);
            } catch (const raycl::client_error& e) {
                std::cerr << "raycl: error " << e.status() << ": " << e.message() << "\n";
                exit_code = 3;
            }
        });
        main_loop.run();
        return exit_code;
    } catch (const raycl::client_error& e) {
        std::cerr << "raycl: error " << e.status() << ": " << e.message() << "\n";
        return 3;
    }
}
