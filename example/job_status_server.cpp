// A tiny async HTTP server (Beast) whose handlers co_await raycl to report job status:
//   GET /jobs        -> {"jobs": [{"id": ..., "status": ...}, ...]}
//   GET /jobs/<id>   -> {"id": ..., "status": ..., "terminal": bool}   (404/400/... from raycl)
// Each connection is a coroutine on the server's io_context; raycl runs on the same loop.
// Usage: raycl_example_job_status_server [port=0] [max_requests=0 (unlimited)]
// Prints "listening on 127.0.0.1:<port>" once ready.
#include <raycl/raycl.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <cstdio>
#include <memory>
#include <string>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;

/// Answers one request by asking Ray through raycl.
asio::awaitable<http::response<http::string_body>> answer(raycl::client& ray,
                                                          const http::request<http::string_body>& request) {
    http::response<http::string_body> response{http::status::ok, request.version()};
    response.set(http::field::content_type, "application/json");
    const std::string target(request.target());
    json::object body;
    try {
        if (request.method() != http::verb::get) {
            response.result(http::status::method_not_allowed);
            body["error"] = "GET only";
        } else if (target == "/jobs") {
            json::array jobs;
            const auto all = co_await ray.list_jobs();
            for (const auto& job : all)
                jobs.push_back(json::object{{"id", job.submission_id.value_or(job.job_id.value_or(""))},
                                            {"status", job.status_text}});
            body["jobs"] = std::move(jobs);
        } else if (target.rfind("/jobs/", 0) == 0) {
            const std::string id = target.substr(6);
            const auto job = co_await ray.get_job(id);
            body = {{"id", id}, {"status", job.status_text}, {"terminal", job.is_terminal()}};
        } else {
            response.result(http::status::not_found);
            body["error"] = "unknown route";
        }
    } catch (const raycl::client_error& e) {
        // raycl's status maps straight to an HTTP status (its messages are already sanitized).
        response.result(static_cast<http::status>(e.status()));
        body = {{"error", e.message()}, {"status", e.status()}};
    }
    response.body() = json::serialize(body);
    response.prepare_payload();
    co_return response;
}

asio::awaitable<void> serve_connection(raycl::client& ray, tcp::socket socket, std::shared_ptr<int> budget,
                                       asio::io_context& loop) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    for (;;) {
        http::request<http::string_body> request;
        auto [read_error, read_bytes] =
            co_await http::async_read(stream, buffer, request, asio::as_tuple(asio::use_awaitable));
        if (read_error) co_return;
        auto response = co_await answer(ray, request);
        response.keep_alive(request.keep_alive());
        auto [write_error, written] = co_await http::async_write(stream, response, asio::as_tuple(asio::use_awaitable));
        if (write_error || !response.keep_alive()) co_return;
        if (*budget > 0 && --*budget == 0) {
            // The last allowed request was answered: stop the whole server.
            loop.stop();
            co_return;
        }
    }
}

asio::awaitable<void> listen(raycl::client& ray, tcp::acceptor& acceptor, std::shared_ptr<int> budget,
                             asio::io_context& loop) {
    for (;;) {
        auto [error, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
        if (error) co_return;
        asio::co_spawn(acceptor.get_executor(), serve_connection(ray, std::move(socket), budget, loop), asio::detached);
    }
}

int main(int argc, char** argv) {
    const auto port = static_cast<unsigned short>(argc > 1 ? std::stoi(argv[1]) : 0);
    auto budget = std::make_shared<int>(argc > 2 ? std::stoi(argv[2]) : 0);
    try {
        asio::io_context loop;
        raycl::client ray(loop.get_executor());
        tcp::acceptor acceptor(loop, {asio::ip::make_address("127.0.0.1"), port});
        std::printf("listening on 127.0.0.1:%u\n", acceptor.local_endpoint().port());
        std::fflush(stdout);
        asio::signal_set signals(loop, SIGINT, SIGTERM);
        signals.async_wait([&](auto, int) { loop.stop(); });
        asio::co_spawn(loop, listen(ray, acceptor, budget, loop), asio::detached);
        loop.run();
    } catch (const raycl::client_error& e) {
        std::fprintf(stderr, "raycl: error %d: %s\n", e.status(), e.message().c_str());
        return 3;
    }
    return 0;
}
