// The usage examples of the Python RayClient that raycl replaces, translated to C++ with raycl:
//
//   client = RayClient(base_url="http://ray-head:8265")
//   jobs = client.list_jobs()
//   job = client.get_job('job-12345')
//   if job['status'] == 'RUNNING':
//       result = client.stop_job('job-12345')
//   for log_line in client.tail_job_logs('job-12345'):
//       print(log_line.strip())
//
// plus its recovery patterns: fall back from 'websocket' to 'stream', retry a tail on
// 503 with exponential back-off, and handle errors by status.
// Usage: raycl_example_python_client_usage JOB_ID [websocket|stream]
#include <raycl/raycl.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <iostream>
#include <string>

namespace asio = boost::asio;

/// Prints the log until the job ends; stops early on a line containing ERROR, COMPLETED or
/// FAILED, as the Python example does.
asio::awaitable<void> print_log(raycl::log_stream& logs) {
    while (auto line = co_await logs.next()) {
        std::cout << line->text << "\n";
        for (const char* word : {"ERROR", "COMPLETED", "FAILED"}) {
            if (line->text.find(word) != std::string::npos) co_return;  // dropping the stream closes it
        }
    }
}

asio::awaitable<int> python_client_usage(raycl::client& client, std::string job_id, raycl::tail_protocol protocol) {
    const auto jobs = co_await client.list_jobs();
    std::cout << jobs.size() << " jobs\n";

    auto job = co_await client.get_job(job_id);
    if (job.status == raycl::job_status::running) {
        const bool stopped = co_await client.stop_job(job_id);
        std::cout << "stop requested: " << (stopped ? "yes" : "no (already ended)") << "\n";
    }

    // As in Python: try the WebSocket; on failure use the HTTP stream; retry 503s with 2**attempt s.
    // (raycl::tail_protocol::automatic does the fallback by itself, resuming without duplicates.)
    for (int attempt = 0;; ++attempt) {
        bool retry = false;
        try {
            raycl::tail_options options;
            options.protocol = protocol;
            options.stream_timeout = raycl::seconds(30);  // long quiet jobs: allow more idle time
            auto logs = co_await client.tail_job_logs(job_id, options);
            co_await print_log(logs);
            co_return 0;
        } catch (const raycl::client_error& e) {
            if (e.status() != 503 || attempt >= 3) throw;
            retry = true;  // C++ has no co_await inside a catch block: wait below
        }
        if (retry) {
            if (protocol == raycl::tail_protocol::websocket) protocol = raycl::tail_protocol::stream;
            asio::steady_timer pause(co_await asio::this_coro::executor, std::chrono::seconds(1 << attempt));
            co_await pause.async_wait(asio::use_awaitable);
        }
    }
}

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: raycl_example_python_client_usage JOB_ID [websocket|stream]\n";
        return 2;
    }
    const auto protocol = argc > 2 && std::string(argv[2]) == "websocket" ? raycl::tail_protocol::websocket
                                                                          : raycl::tail_protocol::stream;
    int exit_code = 1;
    try {
        raycl::client client;  // base URL from RAY_ADDRESS, token discovered as Ray's tools do
        asio::io_context loop;
        asio::co_spawn(loop, python_client_usage(client, argv[1], protocol), [&](std::exception_ptr error, int code) {
            if (!error) {
                exit_code = code;
                return;
            }
            try {
                std::rethrow_exception(error);
            } catch (const raycl::client_error& e) {
                // Handling by status, as the documented error table describes.
                switch (e.status()) {
                    case 400:
                        std::cerr << "invalid request: " << e.message() << "\n";
                        break;
                    case 401:
                    case 403:
                        std::cerr << "authentication failed: set RAY_AUTH_TOKEN\n";
                        break;
                    case 404:
                        std::cerr << "no such job: " << argv[1] << "\n";
                        break;
                    case 408:
                        std::cerr << "timed out: " << e.message() << "\n";
                        break;
                    case 429:
                        std::cerr << "stream limit reached: " << e.message() << "\n";
                        break;
                    case 503:
                        std::cerr << "cluster unreachable: " << e.message() << "\n";
                        break;
                    default:
                        std::cerr << "error " << e.status() << ": " << e.message() << "\n";
                        break;
                }
                exit_code = 3;
            }
        });
        loop.run();
    } catch (const raycl::client_error& e) {
        std::cerr << "error " << e.status() << ": " << e.message() << "\n";
        return 3;
    }
    return exit_code;
}
