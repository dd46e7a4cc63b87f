// Embedding raycl in an existing Asio event loop run by several threads, driven by plain
// completion callbacks: the program writes no coroutine of its own.
//
// The client is built on the application's io_context (it starts no thread); each operation is
// started with co_spawn and a callback. run() returns in every thread once the work is done,
// because raycl's idle pooled connections hold no work.
// Usage: raycl_example_embedding   (RAY_ADDRESS / RAY_AUTH_TOKEN as for Ray's own tools)
#include <raycl/raycl.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <cstdio>
#include <exception>
#include <thread>
#include <vector>

namespace asio = boost::asio;

int main() {
    asio::io_context application_loop;
    std::atomic<int> failures{0};
    try {
        raycl::client ray(application_loop.get_executor());

        // Report a failure from any callback: the status says what kind it was.
        auto report = [&failures](const char* what, std::exception_ptr error) {
            if (!error) return false;
            try {
                std::rethrow_exception(error);
            } catch (const raycl::client_error& e) {
                std::fprintf(stderr, "%s failed: error %d: %s\n", what, e.status(), e.message().c_str());
            }
            ++failures;
            return true;
        };

        asio::co_spawn(application_loop, ray.get_version(), [&](std::exception_ptr error, raycl::version_info version) {
            if (!report("get_version", error)) std::printf("Ray %s\n", version.ray_version.c_str());
        });
        asio::co_spawn(application_loop, ray.list_jobs(),
                       [&](std::exception_ptr error, std::vector<raycl::job_details> jobs) {
                           if (report("list_jobs", error)) return;
                           std::printf("%zu jobs\n", jobs.size());
                           // Chain a follow-up from the callback: the first job's details.
                           if (jobs.empty() || !jobs.front().submission_id) return;
                           asio::co_spawn(application_loop, ray.get_job(*jobs.front().submission_id),
                                          [&](std::exception_ptr e, raycl::job_details job) {
                                              if (!report("get_job", e))
                                                  std::printf("first job %s is %s\n", job.submission_id->c_str(),
                                                              job.status_text.c_str());
                                          });
                       });
        asio::co_spawn(application_loop, ray.list_nodes(),
                       [&](std::exception_ptr error, raycl::list_result<raycl::node_info> nodes) {
                           if (report("list_nodes", error)) return;
                           int alive = 0;
                           for (const auto& node : nodes.items) alive += node.alive();
                           std::printf("%d of %zu nodes alive\n", alive, nodes.items.size());
                       });

        std::vector<std::thread> threads;
        for (int i = 0; i < 3; ++i) threads.emplace_back([&] { application_loop.run(); });
        for (auto& thread : threads) thread.join();  // all three return once raycl's work is done
        std::printf("event loop finished, %d failures\n", failures.load());
    } catch (const raycl::client_error& e) {
        std::fprintf(stderr, "raycl: error %d: %s\n", e.status(), e.message().c_str());
        return 3;
    }
    return failures == 0 ? 0 : 1;
}
