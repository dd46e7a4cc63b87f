// Component tests of the transport behaviour seen through the client: status mapping, retries,
// timeouts, the keep-alive pool, cancellation, embedding, auth headers, TLS, limits.
#include "component/harness.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <thread>
#include <variant>

namespace raycl::test {
namespace {

const std::string version_body = R"({"version": "4", "ray_version": "2.60.0", "ray_commit": "c", "session_name": "s"})";
constexpr const char* canary = "tok_CANARY_1234567890abcdef";

/// Starts `calls` list_jobs on a client of `dashboard` with `options`, the list stalling before
/// its headers; once `sent` of them reached the dashboard, destroys the client: every call must
/// end `cancelled`, nothing more be sent, no connection stay open, no thread of raycl's run on.
void destroy_the_client_under_stalled_lists(fake_dashboard& dashboard, const client_options& options, int calls,
                                            std::size_t sent) {
    dashboard.expect("GET", "/api/jobs/")
        .reply_with(reply::json(200, "[]").with_fault(fault::stall_before_headers))
        .repeatedly();
    auto ray = std::make_unique<client>(options);
    asio::io_context context;
    std::vector<std::future<std::vector<job_details>>> pending;
    for (int i = 0; i < calls; ++i) pending.push_back(asio::co_spawn(context, ray->list_jobs(), asio::use_future));
    std::thread caller([&] { context.run(); });
    BOOST_TEST(dashboard.wait_for_requests(sent, 10s));
    ray.reset();
    caller.join();  // returns: nothing raycl started is left running
    for (auto& result : pending) {
        try {
            result.get();
            BOOST_FAIL("expected cancellation");
        } catch (const client_error& error) {
            BOOST_TEST(error.kind() == error_kind::cancelled);
        }
    }
    BOOST_TEST(dashboard.requests().size() == sent);
    BOOST_TEST(dashboard.wait_for_open_connections(0, 5s));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(component_transport)

BOOST_AUTO_TEST_CASE(http_statuses_map_to_the_seed_table) {
    const std::vector<std::pair<int, int>> cases = {{400, 400}, {401, 401}, {403, 403}, {404, 404}, {405, 400},
                                                    {408, 408}, {413, 413}, {422, 400}, {429, 429}, {500, 500},
                                                    {501, 501}, {502, 503}, {503, 503}, {504, 503}, {599, 500}};
    for (const auto& [http_status, expected] : cases) {
        fake_dashboard dashboard;
        dashboard.expect("GET", "/api/version").reply_with(reply::text(http_status, "<html>nope</html>")).repeatedly();
        auto options = options_for(dashboard);
        options.retry.max_attempts = 1;
        client ray(options);
        const auto error = expect_error(ray.get_version());
        BOOST_TEST(error.status() == expected, "HTTP " << http_status);
        BOOST_TEST(error.http_status() == http_status);
        BOOST_TEST(std::string(error.what()).find(std::to_string(http_status)) != std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(idempotent_requests_are_retried_on_503_then_succeed) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/version").reply_with(reply::text(503, "starting")).times(2);
    dashboard.expect("GET", "/api/version").reply_with(reply::json(200, version_body));
    client ray(options_for(dashboard));
    BOOST_TEST(run_sync(ray.get_version()).ray_version == "2.60.0");
    BOOST_TEST(dashboard.requests().size() == 3u);
    BOOST_TEST(ray.stats().retries == 2u);
}

BOOST_AUTO_TEST_CASE(retries_stop_after_max_attempts) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/version").reply_with(reply::text(502, "bad gateway")).repeatedly();
    auto options = options_for(dashboard);
    options.retry.max_attempts = 4;
    client ray(options);
    BOOST_TEST(expect_error(ray.get_version()).status() == 503);
    BOOST_TEST(dashboard.requests().size() == 4u);
}

BOOST_AUTO_TEST_CASE(connection_refused_is_503) {
    unsigned short closed_port = 0;
    {
        fake_dashboard dashboard;
        closed_port = dashboard.port();
    }
    client_options options;
    options.address = "http://127.0.0.1:" + std::to_string(closed_port);
    options.discover_token = false;
    options.retry.max_attempts = 2;
    options.retry.initial_backoff = std::chrono::milliseconds(1);
    client ray(options);
    const auto error = expect_error(ray.get_version());
    BOOST_TEST(error.status() == 503);
    BOOST_TEST(error.kind() == error_kind::unavailable);
    BOOST_TEST(error.http_status() == 0);
}

BOOST_AUTO_TEST_CASE(unresolvable_host_is_503) {
    client_options options;
    options.address = "http://raycl-no-such-host.invalid:8265";
    options.discover_token = false;
    options.retry.max_attempts = 1;
    client ray(options);
    BOOST_TEST(expect_error(ray.get_version()).status() == 503);
}

BOOST_AUTO_TEST_CASE(stall_before_headers_is_a_408_read_timeout) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/jobs/")
        .reply_with(reply::json(200, "[]").with_fault(fault::stall_before_headers))
        .repeatedly();
    auto options = options_for(dashboard);
    options.retry.max_attempts = 1;
    client ray(options);
    call_options call;
    call.read_timeout = seconds(0.2);
    const auto error = expect_error(ray.list_jobs(call));
    BOOST_TEST(error.status() == 408);
    BOOST_TEST(error.kind() == error_kind::timeout);
    BOOST_TEST(dashboard.wait_for_open_connections(0, 5s));
}

BOOST_AUTO_TEST_CASE(stall_mid_body_is_a_408) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/jobs/")
        .reply_with(reply::json(200, "[1, 2, 3, 4]").with_fault(fault::stall_mid_body, 3));
    auto options = options_for(dashboard);
    options.retry.max_attempts = 1;
    client ray(options);
    call_options call;
    call.read_timeout = seconds(0.2);
    BOOST_TEST(expect_error(ray.list_jobs(call)).status() == 408);
}

BOOST_AUTO_TEST_CASE(drop_mid_body_of_a_get_is_retried) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/version")
        .reply_with(reply::json(200, version_body).with_fault(fault::close_mid_body, 10));
    dashboard.expect("GET", "/api/version").reply_with(reply::json(200, version_body));
    client ray(options_for(dashboard));
    BOOST_TEST(run_sync(ray.get_version()).version == "4");
    BOOST_TEST(dashboard.requests().size() == 2u);
}

BOOST_AUTO_TEST_CASE(drop_mid_body_of_a_stop_is_503_and_not_retried) {
    fake_dashboard dashboard;
    dashboard.expect("POST", "/api/jobs/j1/stop")
        .reply_with(reply::json(200, R"({"stopped": true})").with_fault(fault::close_mid_body, 4))
        .repeatedly();
    client ray(options_for(dashboard));
    BOOST_TEST(expect_error(ray.stop_job("j1")).status() == 503);
    BOOST_TEST(dashboard.requests().size() == 1u);
}

BOOST_AUTO_TEST_CASE(malformed_http_is_500) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/version")
        .reply_with(reply::json(200, "{}").with_fault(fault::malformed_status_line))
        .repeatedly();
    auto options = options_for(dashboard);
    options.retry.max_attempts = 1;
    client ray(options);
    BOOST_TEST(expect_error(ray.get_version()).status() == 500);
}

BOOST_AUTO_TEST_CASE(malformed_and_mistyped_json_are_500) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/jobs/a").reply_with(reply::json(200, R"({"status": "RUNN)"));
    dashboard.expect("GET", "/api/jobs/b").reply_with(reply::json(200, R"({"status": 7, "entrypoint": "x"})"));
    dashboard.expect("GET", "/api/jobs/c").reply_with(reply::json(200, std::string(100000, '[')));
    dashboard.expect("GET", "/api/jobs/").reply_with(reply::json(200, R"({"not": "a list"})"));
    client ray(options_for(dashboard));
    for (const auto* id : {"a", "b", "c"}) {
        const auto error = expect_error(ray.get_job(id));
        BOOST_TEST(error.status() == 500);
        BOOST_TEST(error.kind() == error_kind::protocol_error);
    }
    BOOST_TEST(expect_error(ray.list_jobs()).status() == 500);
}

BOOST_AUTO_TEST_CASE(response_body_cap_fails_cleanly_with_429) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/jobs/").reply_with(reply::json(200, "[" + std::string(64 * 1024, ' ') + "]"));
    auto options = options_for(dashboard);
    options.max_response_bytes = 4096;
    client ray(options);
    const auto error = expect_error(ray.list_jobs());
    BOOST_TEST(error.status() == 429);
    BOOST_TEST(error.kind() == error_kind::limit_exceeded);
}

BOOST_AUTO_TEST_CASE(keep_alive_connections_are_reused) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/version").reply_with(reply::json(200, version_body)).repeatedly();
    client ray(options_for(dashboard));
    for (int i = 0; i < 20; ++i) run_sync(ray.get_version());
    // Sequential calls rotate over the five strands, each keeping its own connection.
    BOOST_TEST(dashboard.connections_accepted() == 5u);
    BOOST_TEST(ray.stats().connections_opened == 5u);
    BOOST_TEST(ray.stats().requests_sent == 20u);
}

BOOST_AUTO_TEST_CASE(calls_beyond_the_connection_cap_wait_for_a_kept_alive_connection) {
    // A strand opens at most max_connections_per_strand (20) request connections, or
    // max_idle_connections_per_strand when larger.
    struct pool_bounds {
        std::size_t idle, cap;
    };
    for (const auto [idle, cap_option] : {pool_bounds{0, 20}, pool_bounds{30, 20}, pool_bounds{2, 8}}) {
        const std::size_t cap = std::max(cap_option, idle);
        fake_dashboard dashboard;
        dashboard.expect("GET", "/api/version").reply_with(reply::json(200, version_body), after(20ms)).repeatedly();
        auto options = options_for(dashboard);
        options.max_idle_connections_per_strand = idle;  // with 0, a freed connection is kept only for a waiting call
        options.max_connections_per_strand = cap_option;
        asio::io_context context;
        client ray(context.get_executor(), options);
        const std::size_t calls = 5 * cap * 4;  // four calls per connection the cap allows
        std::atomic<std::size_t> succeeded{0};
        for (std::size_t i = 0; i < calls; ++i) {
            asio::co_spawn(context, ray.get_version(), [&](std::exception_ptr error, version_info version) {
                if (!error && version.version == "4") ++succeeded;
            });
        }
        context.run();
        BOOST_TEST(succeeded.load() == calls);
        BOOST_TEST(dashboard.requests().size() == calls);
        // Each connection is handed from call to call (without the cap: one per call).
        BOOST_TEST(ray.stats().connections_opened == 5 * cap);
        BOOST_TEST(dashboard.connections_accepted() == 5 * cap);
        BOOST_TEST(ray.stats().operations_active == 0u);
    }
}

BOOST_AUTO_TEST_CASE(a_call_that_finds_the_pool_busy_past_its_connect_timeout_fails_with_408) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/version").reply_with(reply::json(200, version_body), after(1500ms)).repeatedly();
    auto options = options_for(dashboard);
    options.timeout.connect = seconds{0.2};
    options.retry.max_attempts = 1;
    asio::io_context context;
    client ray(context.get_executor(), options);
    // Round robin over five strands of 20 connections each: the first 100 calls take them all,
    // the last five find their strand's connections busy.
    std::vector<std::optional<int>> statuses(105);  // 200, or the error's status
    for (std::size_t i = 0; i < statuses.size(); ++i) {
        asio::co_spawn(context, ray.get_version(), [&, i](std::exception_ptr error, version_info) {
            if (!error) {
                statuses[i] = 200;
                return;
            }
            try {
                std::rethrow_exception(error);
            } catch (const client_error& failure) {
                statuses[i] = failure.status();
                BOOST_TEST(failure.kind() == error_kind::timeout);
                BOOST_TEST(std::string(failure.what()).find("busy") != std::string::npos);
            }
        });
    }
    context.run();
    for (std::size_t i = 0; i < statuses.size(); ++i) BOOST_TEST(statuses[i] == (i < 100 ? 200 : 408));
    BOOST_TEST(dashboard.requests().size() == 100u);  // nothing was sent for the calls that waited
    BOOST_TEST(dashboard.connections_accepted() == 100u);
}

BOOST_AUTO_TEST_CASE(destroying_the_client_cancels_calls_waiting_for_a_connection) {
    fake_dashboard dashboard;
    auto options = options_for(dashboard);
    options.timeout.connect = seconds{60};
    // 20 connections per strand: 100 calls are sent, the other ten wait for a connection.
    destroy_the_client_under_stalled_lists(dashboard, options, 110, 100);
}

BOOST_AUTO_TEST_CASE(a_pooled_connection_closed_by_the_server_is_replaced_transparently) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/version").reply_with(reply::json(200, version_body)).repeatedly();
    client ray(options_for(dashboard));
    for (int i = 0; i < 5; ++i) run_sync(ray.get_version());
    BOOST_TEST(dashboard.wait_for_idle_connections(5, 5s));  // else one may escape the close
    dashboard.close_idle_connections();
    for (int i = 0; i < 5; ++i) BOOST_TEST(run_sync(ray.get_version()).version == "4");
    BOOST_TEST(dashboard.connections_accepted() == 10u);
}

BOOST_AUTO_TEST_CASE(connection_close_answers_are_not_pooled) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/version").reply_with(reply::json(200, version_body).closing()).repeatedly();
    client ray(options_for(dashboard));
    for (int i = 0; i < 6; ++i) run_sync(ray.get_version());
    BOOST_TEST(dashboard.connections_accepted() == 6u);
}

BOOST_AUTO_TEST_CASE(losing_a_race_with_a_timer_closes_the_connection) {
    using namespace boost::asio::experimental::awaitable_operators;
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/jobs/").reply_with(reply::json(200, "[]").with_fault(fault::stall_before_headers));
    client ray(options_for(dashboard));
    auto race = [&]() -> asio::awaitable<int> {
        asio::steady_timer timer(co_await asio::this_coro::executor, 50ms);
        auto winner = co_await (ray.list_jobs() || timer.async_wait(asio::use_awaitable));
        co_return static_cast<int>(winner.index());
    };
    BOOST_TEST(dashboard.wait_for_open_connections(0, 1s));
    BOOST_TEST(run_sync(race()) == 1);
    BOOST_TEST(dashboard.wait_for_open_connections(0, 5s));
    BOOST_TEST(dashboard.connections_accepted() == 1u);
    // The cancelled operation is gone and the client still works.
    for (int i = 0; i < 100 && ray.stats().operations_active != 0; ++i) std::this_thread::sleep_for(10ms);
    BOOST_TEST(ray.stats().operations_active == 0u);
    dashboard.expect("GET", "/api/version").reply_with(reply::json(200, version_body));
    BOOST_TEST(run_sync(ray.get_version()).version == "4");
}

BOOST_AUTO_TEST_CASE(destroying_the_client_cancels_running_operations) {
    fake_dashboard dashboard;
    destroy_the_client_under_stalled_lists(dashboard, options_for(dashboard), 3, 3);
}

BOOST_AUTO_TEST_CASE(embedded_on_a_multithreaded_io_context) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/version").reply_with(reply::json(200, version_body)).repeatedly();
    asio::io_context context;
    client ray(context.get_executor(), options_for(dashboard));
    std::atomic<int> succeeded{0};
    for (int i = 0; i < 200; ++i) {
        asio::co_spawn(context, ray.get_version(), [&](std::exception_ptr error, version_info version) {
            if (!error && version.version == "4") ++succeeded;
        });
    }
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i) threads.emplace_back([&] { context.run(); });
    for (auto& thread : threads) thread.join();  // run() returns once raycl's work is done
    BOOST_TEST(succeeded.load() == 200);
    BOOST_TEST(dashboard.requests().size() == 200u);
    BOOST_TEST(ray.stats().connections_opened <= 5u * 40u);
    BOOST_TEST(ray.stats().operations_active == 0u);
}

BOOST_AUTO_TEST_CASE(embedded_on_a_strand_of_the_callers_io_context) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/version").reply_with(reply::json(200, version_body)).repeatedly();
    asio::io_context context;
    const auto strand = asio::make_strand(context);
    for (const asio::any_io_executor& executor :
         {asio::any_io_executor(strand), asio::any_io_executor(asio::make_strand(asio::any_io_executor(strand)))}) {
        client ray(executor, options_for(dashboard));
        auto result = asio::co_spawn(strand, ray.get_version(), asio::use_future);
        context.restart();
        context.run();
        BOOST_TEST(result.get().version == "4");
    }
}

BOOST_AUTO_TEST_CASE(an_executor_of_no_io_context_is_refused_with_400) {
    asio::thread_pool pool(1);
    try {
        client ray(pool.get_executor());
        BOOST_FAIL("a thread pool's executor must be refused");
    } catch (const client_error& error) {
        BOOST_TEST(error.status() == 400);
        BOOST_TEST(error.kind() == error_kind::invalid_argument);
        BOOST_TEST(std::string(error.what()).find("io_context") != std::string::npos);
    }
    pool.join();
}

BOOST_AUTO_TEST_CASE(embedded_client_starts_no_thread_and_ends_with_the_work) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/version").reply_with(reply::json(200, version_body));
    asio::io_context context;
    client ray(context.get_executor(), options_for(dashboard));
    auto result = asio::co_spawn(context, ray.get_version(), asio::use_future);
    context.run();  // single thread: only this thread can run raycl's work
    BOOST_TEST(result.get().version == "4");
}

BOOST_AUTO_TEST_CASE(token_headers_and_cookies_are_sent) {
    fake_dashboard::options server;
    server.required_token = canary;
    fake_dashboard dashboard(server);
    dashboard.expect("GET", "/api/version").reply_with(reply::json(200, version_body)).repeatedly();
    auto options = options_for(dashboard);
    options.token = canary;
    options.headers = {{"X-Team", "ml"}};
    options.cookies = {{"session", "abc"}};
    {
        client ray(options);
        BOOST_TEST(run_sync(ray.get_version()).version == "4");
    }
    const auto request = dashboard.requests().at(0);
    BOOST_TEST(request.header("authorization") == std::string("Bearer ") + canary);
    BOOST_TEST(request.header("x-team") == "ml");
    BOOST_TEST(request.header("cookie") == "session=abc");
    options.token_header = token_header::x_ray_authorization;
    options.headers.clear();
    options.cookies.clear();
    client proxied(options);
    BOOST_TEST(run_sync(proxied.get_version()).version == "4");
    BOOST_TEST(dashboard.requests().at(1).header("x-ray-authorization") == std::string("Bearer ") + canary);
    BOOST_TEST(dashboard.requests().at(1).header("authorization").empty());
}

BOOST_AUTO_TEST_CASE(missing_and_wrong_tokens_are_401_and_403) {
    fake_dashboard::options server;
    server.required_token = canary;
    fake_dashboard dashboard(server);
    auto options = options_for(dashboard);
    client anonymous(options);
    BOOST_TEST(expect_error(anonymous.get_version()).status() == 401);
    options.token = "tok_wrong_value_000";
    client wrong(options);
    const auto error = expect_error(wrong.get_version());
    BOOST_TEST(error.status() == 403);
    BOOST_TEST(error.kind() == error_kind::forbidden);
}

BOOST_AUTO_TEST_CASE(the_token_never_reaches_an_error_message) {
    fake_dashboard dashboard;
    // A hostile or careless server echoes the credentials back in its error bodies.
    const std::string echo = std::string("denied for Authorization: Bearer ") + canary + " token=" + canary +
                             " {\"token\": \"" + canary + "\"} " + canary;
    for (int status : {400, 401, 403, 404, 500, 503}) {
        dashboard.expect("GET", "/api/version").reply_with(reply::text(status, echo));
    }
    auto options = options_for(dashboard);
    options.token = canary;
    options.retry.max_attempts = 1;
    client ray(options);
    for (int i = 0; i < 6; ++i) {
        const auto error = expect_error(ray.get_version());
        for (const std::string& text :
             {std::string(error.what()), error.message(), error.server_body(), error.request()}) {
            BOOST_TEST(text.find("CANARY") == std::string::npos, text);
        }
    }
}

BOOST_AUTO_TEST_CASE(invalid_options_are_rejected_at_construction) {
    client_options options;
    options.discover_token = false;
    options.address = "ftp://127.0.0.1:8265";
    BOOST_CHECK_THROW(client{options}, client_error);
    options.address = "http://user:hunter2secret@127.0.0.1:8265";
    try {
        client ray(options);
        BOOST_FAIL("credentials in the URL must be rejected");
    } catch (const client_error& error) {
        BOOST_TEST(error.status() == 400);
        BOOST_TEST(std::string(error.what()).find("hunter2secret") == std::string::npos);
    }
    options.address = "http://127.0.0.1:8265";
    options.headers = {{"X-Evil", "a\r\nInjected: 1"}};
    BOOST_CHECK_THROW(client{options}, client_error);
    options.headers.clear();
    options.timeout.read = seconds(std::numeric_limits<double>::quiet_NaN());
    BOOST_CHECK_THROW(client{options}, client_error);
    options.timeout.read = seconds(301);
    BOOST_CHECK_THROW(client{options}, client_error);
    options.timeout.read = seconds(30);
    options.max_connections_per_strand = 0;
    BOOST_CHECK_THROW(client{options}, client_error);
}

BOOST_AUTO_TEST_CASE(per_call_timeouts_are_validated_before_io) {
    fake_dashboard dashboard;
    client ray(options_for(dashboard));
    call_options call;
    call.read_timeout = seconds(0.0);
    BOOST_TEST(expect_error(ray.get_version(call)).status() == 400);
    call.read_timeout = seconds(std::numeric_limits<double>::infinity());
    BOOST_TEST(expect_error(ray.list_jobs(call)).status() == 400);
    BOOST_TEST(dashboard.requests().empty());
}

BOOST_AUTO_TEST_CASE(tls_with_the_ca_file_works) {
    fake_dashboard::options server;
    server.tls = true;
    fake_dashboard dashboard(server);
    dashboard.expect("GET", "/api/version").reply_with(reply::json(200, version_body)).repeatedly();
    auto options = options_for(dashboard);
    options.tls.ca_file = tls_fixture("ca.pem");
    client ray(options);
    BOOST_TEST(run_sync(ray.get_version()).version == "4");
    BOOST_TEST(run_sync(ray.get_version()).version == "4");
    BOOST_TEST(dashboard.connections_accepted() == 2u);
}

BOOST_AUTO_TEST_CASE(tls_without_trust_is_refused) {
    fake_dashboard::options server;
    server.tls = true;
    fake_dashboard dashboard(server);
    dashboard.expect("GET", "/api/version").reply_with(reply::json(200, version_body)).repeatedly();
    auto options = options_for(dashboard);
    options.retry.max_attempts = 1;
    client ray(options);
    const auto error = expect_error(ray.get_version());
    BOOST_TEST(error.status() == 503);
    BOOST_TEST(error.message().find("certificate") != std::string::npos, error.message());
    BOOST_TEST(dashboard.requests().empty());
    options.tls.verify_peer = false;  // loud in the docs: accepts anything
    client insecure(options);
    BOOST_TEST(run_sync(insecure.get_version()).version == "4");
}

BOOST_AUTO_TEST_CASE(tls_host_name_mismatch_is_refused) {
    fake_dashboard::options server;
    server.tls = true;
    server.cert_name = "wrong_host";
    fake_dashboard dashboard(server);
    auto options = options_for(dashboard);
    options.tls.ca_file = tls_fixture("ca.pem");
    options.retry.max_attempts = 1;
    client ray(options);
    BOOST_TEST(expect_error(ray.get_version()).status() == 503);
    BOOST_TEST(dashboard.requests().empty());
}

BOOST_AUTO_TEST_CASE(base_path_prefixes_every_route) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/ray/api/version").reply_with(reply::json(200, version_body));
    auto options = options_for(dashboard);
    options.address = dashboard.address() + "/ray/";
    client ray(options);
    BOOST_TEST(run_sync(ray.get_version()).version == "4");
    BOOST_TEST(ray.address() == dashboard.address() + "/ray");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace raycl::test
