// Tests the fake dashboard itself, with a raw blocking Beast client: if the fake lies, every
// component test built on it lies too. No sleeps: waits are event-driven (wait_for_*), and
// each case has a watchdog timeout so a bug shows as a failure, not a hung ctest.
#define BOOST_TEST_MODULE raycl_fake_dashboard_self_test
#include <boost/test/unit_test.hpp>

#include "support/fake_dashboard.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
namespace utf = boost::unit_test;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using raycl::test::after;
using raycl::test::fake_dashboard;
using raycl::test::fault;
using raycl::test::generated_log;
using raycl::test::generated_log_line;
using raycl::test::recorded_request;
using raycl::test::reply;
using raycl::test::websocket_script;
using namespace std::chrono_literals;
using response = http::response<http::string_body>;
using header_list = std::vector<std::pair<std::string, std::string>>;

const auto watchdog = utf::timeout(30);

// As error_code values, which Boost.Test can print.
const error_code eof = asio::error::eof;
const error_code connection_reset = asio::error::connection_reset;
const error_code partial_message = http::error::partial_message;
const error_code end_of_stream = http::error::end_of_stream;

long milliseconds_since(std::chrono::steady_clock::time_point start) {
    return static_cast<long>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count());
}

template <class Stream>
void write_request(Stream& stream, std::string_view method, std::string_view target, std::string body = {},
                   const header_list& headers = {}) {
    http::request<http::string_body> request{http::string_to_verb(method), target, 11};
    request.set(http::field::host, "127.0.0.1");
    request.set(http::field::user_agent, "raycl-self-test");
    for (const auto& [name, value] : headers) request.set(name, value);
    request.body() = std::move(body);
    request.prepare_payload();
    http::write(stream, request);
}

template <class Stream>
response read_response(Stream& stream, beast::flat_buffer& buffer, error_code& ec) {
    http::response_parser<http::string_body> parser;
    http::read(stream, buffer, parser, ec);
    return parser.release();
}

// One blocking keep-alive connection to the fake.
class client {
public:
    explicit client(unsigned short port) : socket_(io_) {
        socket_.connect({asio::ip::make_address_v4("127.0.0.1"), port});
    }

    void send(std::string_view method, std::string_view target, std::string body = {},
              const header_list& headers = {}) {
        write_request(socket_, method, target, std::move(body), headers);
    }
    response read(error_code& ec) { return read_response(socket_, buffer_, ec); }
    response read() {
        error_code ec;
        auto r = read(ec);
        BOOST_REQUIRE_MESSAGE(!ec, "reading the response failed: " << ec.message());
        return r;
    }
    response request(std::string_view method, std::string_view target, std::string body = {},
                     const header_list& headers = {}) {
        send(method, target, std::move(body), headers);
        return read();
    }
    // Every byte until the server closes; `ec` says how it closed.
    std::string read_until_closed(error_code& ec) {
        std::string out(static_cast<const char*>(buffer_.data().data()), buffer_.size());
        buffer_.clear();
        std::array<char, 4096> scratch;
        for (;;) {
            const auto n = socket_.read_some(asio::buffer(scratch), ec);
            out.append(scratch.data(), n);
            if (ec) return out;
        }
    }
    void write_raw(std::string_view bytes) { asio::write(socket_, asio::buffer(bytes.data(), bytes.size())); }
    // Reads a response's header and its body until it holds at least `size` bytes (a body that
    // may never end).
    response read_body_prefix(std::size_t size) {
        http::response_parser<http::string_body> parser;
        parser.body_limit(boost::none);
        http::read_header(socket_, buffer_, parser);
        while (parser.get().body().size() < size && !parser.is_done()) http::read_some(socket_, buffer_, parser);
        return parser.release();
    }
    void close() {
        error_code ignored;
        socket_.close(ignored);
    }

private:
    asio::io_context io_;
    tcp::socket socket_;
    beast::flat_buffer buffer_;
};

const std::string tail_target = "/api/jobs/raysubmit_1/logs/tail";

// A blocking Beast WebSocket client (over TCP, or TLS with the test CA).
template <class NextLayer>
class basic_ws_client {
public:
    template <class... Args>
    explicit basic_ws_client(Args&&... args) : ws_(io_, std::forward<Args>(args)...) {}

    // Connects and upgrades; returns the handshake's error (upgrade_declined: see `declined`).
    error_code connect(unsigned short port, std::string_view target = tail_target, const header_list& headers = {},
                       std::optional<int> receive_buffer = std::nullopt) {
        auto& socket = beast::get_lowest_layer(ws_);
        socket.open(tcp::v4());
        if (receive_buffer) socket.set_option(asio::socket_base::receive_buffer_size(*receive_buffer));
        socket.connect({asio::ip::make_address_v4("127.0.0.1"), port});
        if constexpr (!std::is_same_v<NextLayer, tcp::socket>) ws_.next_layer().handshake(ssl::stream_base::client);
        ws_.set_option(websocket::stream_base::decorator([headers](websocket::request_type& request) {
            for (const auto& [name, value] : headers) request.set(name, value);
        }));
        error_code ec;
        ws_.handshake(declined, "127.0.0.1", target, ec);
        return ec;
    }
    // One message; "" with `ec` set when the connection ended.
    std::string read(error_code& ec) {
        buffer_.clear();
        ws_.read(buffer_, ec);
        return beast::buffers_to_string(buffer_.data());
    }
    std::string read() {
        error_code ec;
        auto message = read(ec);
        BOOST_REQUIRE_MESSAGE(!ec, "reading a message failed: " << ec.message());
        return message;
    }
    websocket::close_reason reason() const { return ws_.reason(); }
    void close_socket() {
        error_code ignored;
        beast::get_lowest_layer(ws_).close(ignored);
    }

    websocket::response_type declined;

private:
    asio::io_context io_;
    websocket::stream<NextLayer> ws_;
    beast::flat_buffer buffer_;
};
using ws_client = basic_ws_client<tcp::socket>;

const error_code ws_closed = websocket::error::closed;
const error_code upgrade_declined = websocket::error::upgrade_declined;

std::size_t resident_kib() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.starts_with("VmRSS:")) return std::stoul(line.substr(6));
    return 0;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(fake_dashboard_self_test)

BOOST_AUTO_TEST_CASE(expectations_answer_in_order_then_599, *watchdog) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/jobs/a").reply_with(reply::json(200, R"({"n": 1})"));
    dashboard.expect("GET", "/api/jobs/a").reply_with(reply::json(200, R"({"n": 2})"));
    dashboard.expect("GET", "/api/version").reply_with(reply::json(200, "{}"));  // never requested

    client c(dashboard.port());
    BOOST_TEST(c.request("GET", "/api/jobs/a").body() == R"({"n": 1})");
    BOOST_TEST(c.request("GET", "/api/jobs/a").body() == R"({"n": 2})");
    const auto third = c.request("GET", "/api/jobs/a");
    BOOST_TEST(third.result_int() == 599);
    BOOST_TEST(third.body() == "unexpected request: GET /api/jobs/a");

    BOOST_TEST(dashboard.requests().size() == 3u);
    BOOST_REQUIRE(dashboard.unmatched().size() == 1u);
    BOOST_TEST(dashboard.unmatched()[0].target == "/api/jobs/a");
    const auto unmet = dashboard.unmet_expectations();
    BOOST_REQUIRE(unmet.size() == 1u);
    BOOST_TEST(unmet[0] == "GET /api/version (answered 0 of 1)");
}

BOOST_AUTO_TEST_CASE(times_prefix_and_predicate_select_expectations, *watchdog) {
    fake_dashboard dashboard;
    dashboard.expect("POST", "/api/jobs/")
        .matching([](const auto& r) { return r.body.find("retry") != std::string::npos; })
        .reply_with(reply::text(500, "Please use a different submission_id"));
    dashboard.expect("POST", "/api/jobs/").times(2).reply_with(reply::json(200, R"({"submission_id": "s"})"));
    dashboard.expect("GET", "/api/jobs/*").repeatedly().reply_with(reply::text(404, "no such job"));

    client c(dashboard.port());
    BOOST_TEST(c.request("POST", "/api/jobs/", R"({"entrypoint": "first"})").result_int() == 200);
    BOOST_TEST(c.request("POST", "/api/jobs/", R"({"entrypoint": "retry"})").result_int() == 500);
    BOOST_TEST(c.request("POST", "/api/jobs/", R"({"entrypoint": "second"})").result_int() == 200);
    BOOST_TEST(c.request("POST", "/api/jobs/", R"({"entrypoint": "third"})").result_int() == 599);
    BOOST_TEST(c.request("GET", "/api/jobs/x?y=1").result_int() == 404);
    BOOST_TEST(c.request("GET", "/api/jobs/z").result_int() == 404);
    BOOST_TEST(c.request("GET", "/api/jobs").result_int() == 599);  // not a prefix match
    BOOST_TEST(dashboard.unmet_expectations().empty());
}

BOOST_AUTO_TEST_CASE(keep_alive_serves_requests_on_one_connection_and_records_them, *watchdog) {
    fake_dashboard dashboard;
    dashboard.expect("POST", "/api/jobs/").reply_with(reply::json(200, R"({"job_id": "j"})"));
    dashboard.expect("GET", "/api/jobs/j").reply_with(reply::json(200, R"({"status": "PENDING"})"));

    const std::string big_body(200'000, 'b');
    client c(dashboard.port());
    const auto first = c.request("POST", "/api/jobs/", big_body, {{"X-Custom-Thing", "v"}});
    BOOST_TEST(first.keep_alive());
    BOOST_TEST(first[http::field::content_type] == "application/json");
    BOOST_TEST(c.request("GET", "/api/jobs/j").body() == R"({"status": "PENDING"})");

    BOOST_TEST(dashboard.connections_accepted() == 1u);
    BOOST_TEST(dashboard.open_connections() == 1u);
    const auto seen = dashboard.requests();
    BOOST_REQUIRE(seen.size() == 2u);
    BOOST_TEST(seen[0].method == "POST");
    BOOST_TEST(seen[0].body == big_body);
    BOOST_TEST(seen[0].header("x-custom-thing") == "v");
    BOOST_TEST(seen[0].header("user-agent") == "raycl-self-test");
    BOOST_TEST(seen[0].connection_id == seen[1].connection_id);

    client other(dashboard.port());
    BOOST_TEST(other.request("GET", "/nothing").result_int() == 599);
    BOOST_TEST(dashboard.requests().back().connection_id != seen[0].connection_id);
    BOOST_TEST(dashboard.connections_accepted() == 2u);
}

BOOST_AUTO_TEST_CASE(route_handler_keeps_state_after_expectations, *watchdog) {
    std::atomic<int> polls = 0;  // the handler runs on the server thread (and must not use BOOST_TEST)
    fake_dashboard dashboard;
    dashboard.route("GET", "/api/jobs/*", [&](const raycl::test::recorded_request&) {
        return reply::json(200, ++polls < 3 ? R"({"status": "RUNNING"})" : R"({"status": "SUCCEEDED"})");
    });
    dashboard.expect("GET", "/api/jobs/j").reply_with(reply::json(200, R"({"status": "PENDING"})"));

    client c(dashboard.port());
    BOOST_TEST(c.request("GET", "/api/jobs/j").body() == R"({"status": "PENDING"})");  // expectation first
    BOOST_TEST(c.request("GET", "/api/jobs/j").body() == R"({"status": "RUNNING"})");
    BOOST_TEST(c.request("GET", "/api/jobs/j").body() == R"({"status": "RUNNING"})");
    BOOST_TEST(c.request("GET", "/api/jobs/j").body() == R"({"status": "SUCCEEDED"})");
    BOOST_TEST(polls == 3);
    BOOST_TEST(dashboard.unmatched().empty());
}

BOOST_AUTO_TEST_CASE(close_mid_body_truncates_the_body, *watchdog) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/jobs/")
        .reply_with(reply::json(200, std::string(100, 'x')).with_fault(fault::close_mid_body, 10));
    dashboard.expect("GET", "/api/jobs/")
        .reply_with(reply::json(200, std::string(100, 'x')).with_fault(fault::close_mid_body, 10));

    client raw(dashboard.port());
    raw.send("GET", "/api/jobs/");
    error_code ec;
    const auto bytes = raw.read_until_closed(ec);
    BOOST_TEST(ec == eof);
    BOOST_TEST(bytes.find("Content-Length: 100\r\n") != std::string::npos);
    BOOST_TEST(bytes.substr(bytes.find("\r\n\r\n") + 4) == std::string(10, 'x'));

    client parsed(dashboard.port());
    parsed.send("GET", "/api/jobs/");
    parsed.read(ec);
    BOOST_TEST(ec == partial_message);
}

BOOST_AUTO_TEST_CASE(close_and_reset_before_headers, *watchdog) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/a").reply_with(reply::json(200, "{}").with_fault(fault::close_before_headers));
    dashboard.expect("GET", "/b").reply_with(reply::json(200, "{}").with_fault(fault::reset_before_headers));

    error_code ec;
    client closing(dashboard.port());
    closing.send("GET", "/a");
    BOOST_TEST(closing.read_until_closed(ec).empty());
    BOOST_TEST(ec == eof);

    client resetting(dashboard.port());
    resetting.send("GET", "/b");
    BOOST_TEST(resetting.read_until_closed(ec).empty());
    BOOST_TEST(ec == connection_reset);
    BOOST_TEST(dashboard.wait_for_open_connections(0, 5s));
}

BOOST_AUTO_TEST_CASE(delay_holds_the_reply_back, *watchdog) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/version").reply_with(reply::json(200, "{}"), after(150ms));

    client c(dashboard.port());
    const auto start = std::chrono::steady_clock::now();
    BOOST_TEST(c.request("GET", "/api/version").result_int() == 200);
    BOOST_TEST(milliseconds_since(start) >= 150);
}

BOOST_AUTO_TEST_CASE(chunked_and_dripping_bodies_arrive_whole, *watchdog) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/v0/logs/file").reply_with(reply::chunked_text(200, {"ab", "cd", "ef"}));
    dashboard.expect("GET", "/api/jobs/").reply_with(reply::json(200, R"({"x": 1})").as_chunked());
    dashboard.expect("GET", "/drip").reply_with(reply::json(200, std::string(30, 'd')).dripping(3, 5ms));
    dashboard.expect("GET", "/raw").reply_with(reply::chunked_text(200, {"ab", "cd"}).closing());

    client c(dashboard.port());
    const auto logs = c.request("GET", "/api/v0/logs/file");
    BOOST_TEST(logs.chunked());
    BOOST_TEST(logs.body() == "abcdef");
    BOOST_TEST(logs[http::field::content_type] == "text/plain; charset=utf-8");
    const auto json = c.request("GET", "/api/jobs/");
    BOOST_TEST(json.chunked());
    BOOST_TEST(json.body() == R"({"x": 1})");

    const auto start = std::chrono::steady_clock::now();
    BOOST_TEST(c.request("GET", "/drip").body() == std::string(30, 'd'));
    BOOST_TEST(milliseconds_since(start) >= 9 * 5);  // 10 pieces, 9 pauses

    c.send("GET", "/raw");  // chunk framing on the wire, then Connection: close
    error_code ec;
    const auto bytes = c.read_until_closed(ec);
    BOOST_TEST(ec == eof);
    BOOST_TEST(bytes.find("Transfer-Encoding: chunked\r\n") != std::string::npos);
    BOOST_TEST(bytes.find("Connection: close\r\n") != std::string::npos);
    BOOST_TEST(bytes.substr(bytes.find("\r\n\r\n") + 4) == "2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n");
}

BOOST_AUTO_TEST_CASE(malformed_status_line_fails_the_parser, *watchdog) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/version").reply_with(reply::json(200, "{}").with_fault(fault::malformed_status_line));
    client c(dashboard.port());
    c.send("GET", "/api/version");
    error_code ec;
    c.read(ec);
    BOOST_TEST(ec.failed());
    BOOST_TEST(ec != eof);
    BOOST_TEST(ec != end_of_stream);
}

BOOST_AUTO_TEST_CASE(stall_ends_when_the_client_gives_up, *watchdog) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/a").reply_with(reply::json(200, "{}").with_fault(fault::stall_before_headers));
    dashboard.expect("GET", "/b")
        .reply_with(reply::chunked_text(200, {"line 1\n", "line 2\n"}).with_fault(fault::stall_before_end));

    client stalled(dashboard.port());
    stalled.send("GET", "/a");
    client streaming(dashboard.port());
    streaming.send("GET", "/b");
    BOOST_REQUIRE(dashboard.wait_for_requests(2, 5s));
    BOOST_TEST(dashboard.open_connections() == 2u);
    stalled.close();
    BOOST_TEST(dashboard.wait_for_open_connections(1, 5s));
    streaming.close();
    BOOST_TEST(dashboard.wait_for_open_connections(0, 5s));
    BOOST_TEST(dashboard.server_errors().empty());
}

BOOST_AUTO_TEST_CASE(token_is_required_like_ray, *watchdog) {
    fake_dashboard dashboard(fake_dashboard::options{}.require_token("s3cret"));
    dashboard.expect("GET", "/api/version").repeatedly().reply_with(reply::json(200, R"({"version": "4"})"));

    client c(dashboard.port());
    const auto missing = c.request("GET", "/api/version");
    BOOST_TEST(missing.result_int() == 401);
    BOOST_TEST(missing[http::field::content_type].starts_with("text/plain"));
    BOOST_TEST(c.request("GET", "/api/version", {}, {{"Authorization", "Bearer wrong"}}).result_int() == 403);
    BOOST_TEST(c.request("GET", "/api/version", {}, {{"Authorization", "s3cret"}}).result_int() == 403);
    BOOST_TEST(c.request("GET", "/api/version", {}, {{"Authorization", "Bearer s3cret"}}).result_int() == 200);
    BOOST_TEST(c.request("GET", "/api/version", {}, {{"X-Ray-Authorization", "Bearer s3cret"}}).result_int() == 200);
    BOOST_TEST(
        c.request("GET", "/api/version", {}, {{"Cookie", "a=b; ray-authentication-token=s3cret"}}).result_int() == 200);
    // The first header present decides, as in Ray.
    BOOST_TEST(c.request("GET", "/api/version", {},
                         {{"Authorization", "Bearer wrong"}, {"X-Ray-Authorization", "Bearer s3cret"}})
                   .result_int() == 403);
    const auto mode = c.request("GET", "/api/authentication_mode");
    BOOST_TEST(mode.result_int() == 200);
    BOOST_TEST(mode.body() == R"({"authentication_mode": "token"})");
    BOOST_TEST(dashboard.unmatched().empty());

    fake_dashboard open_dashboard;
    client d(open_dashboard.port());
    BOOST_TEST(d.request("GET", "/api/authentication_mode").body() == R"({"authentication_mode": "disabled"})");
}

BOOST_AUTO_TEST_CASE(tls_handshake_with_the_test_ca, *watchdog) {
    fake_dashboard dashboard(fake_dashboard::options{}.use_tls());
    dashboard.expect("GET", "/api/version").times(2).reply_with(reply::json(200, R"({"version": "4"})"));
    BOOST_TEST(dashboard.address() == "https://127.0.0.1:" + std::to_string(dashboard.port()));

    ssl::context context(ssl::context::tls_client);
    context.load_verify_file(raycl::test::tls_fixture("ca.pem"));
    context.set_verify_mode(ssl::verify_peer);
    asio::io_context io;
    for (const std::string host : {"127.0.0.1", "localhost"}) {
        ssl::stream<tcp::socket> stream(io, context);
        stream.set_verify_callback(ssl::host_name_verification(host));
        stream.next_layer().connect({asio::ip::make_address_v4("127.0.0.1"), dashboard.port()});
        stream.handshake(ssl::stream_base::client);
        write_request(stream, "GET", "/api/version");
        beast::flat_buffer buffer;
        error_code ec;
        const auto r = read_response(stream, buffer, ec);
        BOOST_TEST(!ec);
        BOOST_TEST(r.body() == R"({"version": "4"})");
    }

    // Same CA, other name: the chain is fine, the host name is not.
    fake_dashboard wrong(fake_dashboard::options{}.use_tls("wrong_host"));
    for (const auto& [host, should_pass] : {std::pair{"127.0.0.1", false}, std::pair{"wrong.example", true}}) {
        ssl::stream<tcp::socket> stream(io, context);
        stream.set_verify_callback(ssl::host_name_verification(host));
        stream.next_layer().connect({asio::ip::make_address_v4("127.0.0.1"), wrong.port()});
        error_code ec;
        stream.handshake(ssl::stream_base::client, ec);
        BOOST_TEST(!ec.failed() == should_pass, host << ": " << ec.message());
    }
    BOOST_TEST(wrong.wait_for_open_connections(0, 5s));  // the rejected sessions ended quietly
    BOOST_TEST(wrong.server_errors().empty());
}

BOOST_AUTO_TEST_CASE(stop_returns_promptly_with_stalled_connections, *watchdog) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/stall").reply_with(reply::json(200, "{}").with_fault(fault::stall_before_headers));
    dashboard.expect("GET", "/slow").reply_with(reply::json(200, "{}"), after(1h));
    dashboard.expect("GET", "/drip").reply_with(reply::json(200, std::string(100, 'd')).dripping(1, 1h));

    client stalled(dashboard.port()), slow(dashboard.port()), dripping(dashboard.port());
    client idle(dashboard.port());
    stalled.send("GET", "/stall");
    slow.send("GET", "/slow");
    dripping.send("GET", "/drip");
    BOOST_REQUIRE(dashboard.wait_for_requests(3, 5s));
    BOOST_REQUIRE(dashboard.wait_for_connections_accepted(4, 5s));

    const auto start = std::chrono::steady_clock::now();
    dashboard.stop();
    BOOST_TEST(milliseconds_since(start) < 1000);
    BOOST_TEST(dashboard.open_connections() == 0u);
    BOOST_TEST(dashboard.server_errors().empty());
    error_code ec;
    stalled.read_until_closed(ec);
    BOOST_TEST(ec == eof);
    dashboard.stop();  // idempotent
}

BOOST_AUTO_TEST_CASE(close_idle_connections_closes_only_idle_ones, *watchdog) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/version").reply_with(reply::json(200, "{}"));
    dashboard.expect("GET", "/stall").reply_with(reply::json(200, "{}").with_fault(fault::stall_before_headers));

    client pooled(dashboard.port());
    BOOST_TEST(pooled.request("GET", "/api/version").result_int() == 200);
    client busy(dashboard.port());
    busy.send("GET", "/stall");
    BOOST_REQUIRE(dashboard.wait_for_requests(2, 5s));
    BOOST_REQUIRE(dashboard.wait_for_idle_connections(1, 5s));  // pooled's, not busy's
    BOOST_TEST(!dashboard.wait_for_idle_connections(2, 50ms));

    dashboard.close_idle_connections();
    BOOST_TEST(dashboard.open_connections() == 1u);
    error_code ec;
    BOOST_TEST(pooled.read_until_closed(ec).empty());
    BOOST_TEST(ec == eof);
}

BOOST_AUTO_TEST_CASE(survives_bad_and_abandoned_requests, *watchdog) {
    fake_dashboard dashboard(fake_dashboard::options{}.limit_request_body(1024));
    dashboard.expect("GET", "/api/version").reply_with(reply::json(200, "{}"));

    {
        client quitter(dashboard.port());
        quitter.write_raw("POST /api/jobs/ HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc");
        BOOST_REQUIRE(dashboard.wait_for_connections_accepted(1, 5s));
    }  // gone mid-body
    BOOST_TEST(dashboard.wait_for_open_connections(0, 5s));

    client garbage(dashboard.port());
    garbage.write_raw("NOT HTTP AT ALL\r\n\r\n");
    BOOST_TEST(garbage.read().result_int() == 400);

    client too_big(dashboard.port());
    too_big.send("POST", "/api/jobs/", std::string(1025, 'z'));
    error_code ec;
    BOOST_TEST(too_big.read(ec).result_int() == 413);

    client c(dashboard.port());
    BOOST_TEST(c.request("GET", "/api/version").result_int() == 200);
    BOOST_TEST(dashboard.requests().size() == 1u);  // only complete, valid requests are recorded
    BOOST_TEST(dashboard.server_errors().empty());
}

BOOST_AUTO_TEST_CASE(generated_log_is_deterministic_and_varied, *watchdog) {
    BOOST_TEST(generated_log_line(0) == generated_log_line(0));
    BOOST_TEST(generated_log_line(123456).starts_with("line 123456 "));
    BOOST_TEST(generated_log(5, 3) ==
               generated_log_line(5) + "\n" + generated_log_line(6) + "\n" + generated_log_line(7) + "\n");
    BOOST_TEST(raycl::test::generated_log_size(999, 1000) == generated_log(999, 1000).size());
    BOOST_TEST(generated_log(7, 0).empty());
    std::size_t shortest = 1000, longest = 0;
    bool printable = true;
    for (std::uint64_t i = 0; i < 20'000; ++i) {
        const auto line = generated_log_line(i);
        shortest = std::min(shortest, line.size());
        longest = std::max(longest, line.size());
        for (const char c : line) printable = printable && c >= 0x20 && c < 0x7f;
    }
    BOOST_TEST(shortest >= 20u);
    BOOST_TEST(shortest < 30u);
    BOOST_TEST(longest <= 200u);
    BOOST_TEST(longest > 190u);
    BOOST_TEST(printable);
    BOOST_TEST(generated_log_line(18446744073709551615ULL).starts_with("line 18446744073709551615 "));
    BOOST_TEST(generated_log_line(1) != generated_log_line(2));
}

BOOST_AUTO_TEST_CASE(websocket_sends_frames_then_closes_normally, *watchdog) {
    fake_dashboard dashboard;
    dashboard.websocket_route(tail_target, [](const recorded_request&) {
        return websocket_script{}.send_text("hello\n").send_lines(0, 25).send_lines(100, 50, 10, 300).close(1000);
    });
    ws_client ws;
    BOOST_REQUIRE(!ws.connect(dashboard.port()));
    BOOST_TEST(ws.read() == "hello\n");
    BOOST_TEST(ws.read() == generated_log(0, 10));
    BOOST_TEST(ws.read() == generated_log(10, 10));
    BOOST_TEST(ws.read() == generated_log(20, 5));
    std::string cut;  // frames of at most 300 bytes, cut mid-line
    bool mid_line = false;
    error_code ec;
    for (;;) {
        const auto frame = ws.read(ec);
        if (ec) break;
        BOOST_TEST(frame.size() <= 300u);
        mid_line = mid_line || frame.back() != '\n';
        cut += frame;
    }
    BOOST_TEST(cut == generated_log(100, 50));
    BOOST_TEST(mid_line);
    BOOST_TEST(ec == ws_closed);
    BOOST_TEST(ws.reason().code == 1000);
    BOOST_TEST(dashboard.wait_for_open_connections(0, 5s));

    const auto seen = dashboard.requests();
    BOOST_REQUIRE(seen.size() == 1u);
    BOOST_TEST(seen[0].target == tail_target);
    BOOST_TEST(seen[0].header("upgrade") == "websocket");
    BOOST_TEST(dashboard.connections_accepted() == 1u);
    BOOST_TEST(dashboard.websocket_bytes_sent() > generated_log(0, 25).size() + generated_log(100, 50).size());
    BOOST_TEST(dashboard.server_errors().empty());
}

BOOST_AUTO_TEST_CASE(websocket_close_codes_drop_and_reset, *watchdog) {
    fake_dashboard dashboard;
    dashboard.websocket_route(
        "/close/4000", [](const recorded_request&) { return websocket_script{}.send_text("x").close(4000, "bye"); });
    dashboard.websocket_route("/close/*", [](const recorded_request&) { return websocket_script{}.close(1011); });
    dashboard.websocket_route("/drop",
                              [](const recorded_request&) { return websocket_script{}.send_text("x").drop(); });
    dashboard.websocket_route("/reset",
                              [](const recorded_request&) { return websocket_script{}.send_text("x").reset(); });

    for (const auto& [target, code, reason] :
         {std::tuple{"/close/4000", 4000, "bye"}, std::tuple{"/close/1011", 1011, ""}}) {
        ws_client ws;
        BOOST_REQUIRE(!ws.connect(dashboard.port(), target));
        error_code ec;
        if (code == 4000) BOOST_TEST(ws.read() == "x");
        ws.read(ec);
        BOOST_TEST(ec == ws_closed);
        BOOST_TEST(ws.reason().code == code);
        BOOST_TEST(std::string(ws.reason().reason.c_str()) == reason);
    }
    for (const std::string target : {"/drop", "/reset"}) {
        ws_client ws;
        BOOST_REQUIRE(!ws.connect(dashboard.port(), target));
        BOOST_TEST(ws.read() == "x");
        error_code ec;
        ws.read(ec);
        BOOST_TEST(ec.failed());
        BOOST_TEST(ec != ws_closed, target << ": " << ec.message());  // no close frame: abnormal (1006)
        if (target == "/reset") BOOST_TEST(ec == connection_reset);
    }
    BOOST_TEST(dashboard.wait_for_open_connections(0, 5s));
    BOOST_TEST(dashboard.server_errors().empty());
}

BOOST_AUTO_TEST_CASE(websocket_upgrade_declined_or_denied, *watchdog) {
    fake_dashboard dashboard(fake_dashboard::options{}.require_token("s3cret"));
    dashboard.websocket_route("/api/jobs/*", [](const recorded_request& request) {
        if (request.target != tail_target)
            return websocket_script::decline(reply::text(404, "Job raycl-nope does not exist"));
        return websocket_script{}.send_text("ok").close();
    });
    const header_list token{{"Authorization", "Bearer s3cret"}};

    ws_client missing;
    BOOST_TEST(missing.connect(dashboard.port()) == upgrade_declined);
    BOOST_TEST(missing.declined.result_int() == 401);
    ws_client wrong;
    BOOST_TEST(wrong.connect(dashboard.port(), tail_target, {{"Authorization", "Bearer nope"}}) == upgrade_declined);
    BOOST_TEST(wrong.declined.result_int() == 403);
    ws_client unknown;
    BOOST_TEST(unknown.connect(dashboard.port(), "/api/jobs/raycl-nope/logs/tail", token) == upgrade_declined);
    BOOST_TEST(unknown.declined.result_int() == 404);
    BOOST_TEST(unknown.declined.body() == "Job raycl-nope does not exist");
    ws_client good;
    BOOST_REQUIRE(!good.connect(dashboard.port(), tail_target, token));
    BOOST_TEST(good.read() == "ok");

    // An upgrade no websocket route takes goes through expectations like any request.
    dashboard.expect("GET", "/other").reply_with(reply::text(400, "not a submission job"));
    ws_client other;
    BOOST_TEST(other.connect(dashboard.port(), "/other", token) == upgrade_declined);
    BOOST_TEST(other.declined.result_int() == 400);
    // A broken handshake (no Sec-WebSocket-Key) is a 400.
    client raw(dashboard.port());
    raw.send("GET", tail_target, {},
             {{"Connection", "Upgrade"}, {"Upgrade", "websocket"}, {"Authorization", "Bearer s3cret"}});
    BOOST_TEST(raw.read().result_int() == 400);

    BOOST_TEST(dashboard.requests().size() == 6u);  // upgrade requests are recorded, denied ones too
    BOOST_TEST(dashboard.unmet_expectations().empty());
    BOOST_TEST(dashboard.server_errors().empty());
}

BOOST_AUTO_TEST_CASE(websocket_wait_until_and_client_close, *watchdog) {
    std::atomic<bool> go = false;
    fake_dashboard dashboard;
    dashboard.websocket_route(tail_target, [&](const recorded_request&) {
        return websocket_script{}
            .send_text("before")
            .wait_until([&] { return go.load(); })
            .send_text("after");  // then stalls
    });
    ws_client ws;
    BOOST_REQUIRE(!ws.connect(dashboard.port()));
    BOOST_TEST(ws.read() == "before");
    BOOST_REQUIRE(dashboard.wait_for_websocket_bytes_sent(8, 5s));
    BOOST_TEST(dashboard.websocket_bytes_sent() == 8u);  // "after" waits for the test
    go = true;
    BOOST_TEST(ws.read() == "after");
    BOOST_TEST(dashboard.open_connections() == 1u);  // stalled after its last step
    ws.close_socket();                               // a cancelled tail: the server notices although it never reads
    BOOST_TEST(dashboard.wait_for_open_connections(0, 5s));
    BOOST_TEST(dashboard.server_errors().empty());
}

BOOST_AUTO_TEST_CASE(websocket_over_tls, *watchdog) {
    fake_dashboard dashboard(fake_dashboard::options{}.use_tls());
    dashboard.websocket_route(tail_target,
                              [](const recorded_request&) { return websocket_script{}.send_lines(0, 3).close(1000); });
    ssl::context context(ssl::context::tls_client);
    context.load_verify_file(raycl::test::tls_fixture("ca.pem"));
    context.set_verify_mode(ssl::verify_peer);
    basic_ws_client<ssl::stream<tcp::socket>> ws(context);
    BOOST_REQUIRE(!ws.connect(dashboard.port()));
    BOOST_TEST(ws.read() == generated_log(0, 3));
    error_code ec;
    ws.read(ec);
    // The fake closes TCP without a TLS close_notify: Beast's teardown reports the truncation.
    BOOST_TEST((ec == ws_closed || ec == error_code(ssl::error::stream_truncated)), ec.message());
    BOOST_TEST(ws.reason().code == 1000);
    BOOST_TEST(dashboard.wait_for_open_connections(0, 5s));
    BOOST_TEST(dashboard.server_errors().empty());
}

// 50 MB to a client that stops reading: the server waits for each write, so it can only get as
// far as the socket buffers let it (the client's is pinned to 64 KiB, the server's autotunes up
// to net.ipv4.tcp_wmem's maximum, 4 MiB by default).
BOOST_AUTO_TEST_CASE(websocket_back_pressure_bounds_what_the_server_buffers, *watchdog) {
    constexpr std::uint64_t lines = 470'000;
    const std::uint64_t total = raycl::test::generated_log_size(0, lines);
    BOOST_REQUIRE(total > 50'000'000u);
    fake_dashboard dashboard;
    dashboard.websocket_route(
        tail_target, [](const recorded_request&) { return websocket_script{}.send_lines(0, lines).close(1000); });
    const auto rss_before = resident_kib();
    ws_client ws;
    BOOST_REQUIRE(!ws.connect(dashboard.port(), tail_target, {}, 64 * 1024));
    const auto first = ws.read();
    BOOST_TEST(first == generated_log(0, 10));

    BOOST_TEST(!dashboard.wait_for_websocket_bytes_sent(total, 300ms));  // the client is not reading
    const auto stuck_at = dashboard.websocket_bytes_sent();
    const auto rss_stuck = resident_kib();
    BOOST_TEST(stuck_at < 20'000'000u);
    BOOST_TEST(rss_stuck < rss_before + 10 * 1024, "VmRSS grew by " << (rss_stuck - rss_before) << " KiB");

    // Now read everything and check it line by line without keeping it.
    std::uint64_t next = 10;
    std::string partial;
    error_code ec;
    for (;;) {
        const auto frame = ws.read(ec);
        if (ec) break;
        partial += frame;
        std::size_t start = 0;
        for (auto end = partial.find('\n'); end != std::string::npos; end = partial.find('\n', start)) {
            if (std::string_view(partial).substr(start, end - start) != generated_log_line(next)) {
                BOOST_FAIL("line " << next << " differs");
            }
            ++next;
            start = end + 1;
        }
        partial.erase(0, start);
    }
    BOOST_TEST(ec == ws_closed);
    BOOST_TEST(next == lines);
    BOOST_TEST(partial.empty());
    BOOST_TEST(dashboard.websocket_bytes_sent() > total);
    BOOST_TEST(dashboard.wait_for_open_connections(0, 5s));
}

BOOST_AUTO_TEST_CASE(stop_ends_stalled_and_blocked_websockets, *watchdog) {
    fake_dashboard dashboard;
    dashboard.websocket_route("/stall",
                              [](const recorded_request&) { return websocket_script{}.send_text("x").stall(); });
    dashboard.websocket_route("/flood",
                              [](const recorded_request&) { return websocket_script{}.send_lines(0, 1'000'000); });
    dashboard.websocket_route(
        "/wait", [](const recorded_request&) { return websocket_script{}.wait_until([] { return false; }); });
    ws_client stalled, flooding, waiting;
    BOOST_REQUIRE(!stalled.connect(dashboard.port(), "/stall"));
    BOOST_REQUIRE(!flooding.connect(dashboard.port(), "/flood", {}, 64 * 1024));
    BOOST_REQUIRE(!waiting.connect(dashboard.port(), "/wait"));
    BOOST_TEST(stalled.read() == "x");
    BOOST_REQUIRE(dashboard.wait_for_websocket_bytes_sent(1'000'000, 5s));
    BOOST_TEST(dashboard.open_connections() == 3u);

    const auto start = std::chrono::steady_clock::now();
    dashboard.stop();
    BOOST_TEST(milliseconds_since(start) < 1000);
    BOOST_TEST(dashboard.open_connections() == 0u);
    BOOST_TEST(dashboard.server_errors().empty());
    error_code ec;
    stalled.read(ec);
    BOOST_TEST(ec.failed());
}

BOOST_AUTO_TEST_CASE(http_stream_reply_ends_or_never_ends, *watchdog) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/v0/logs/file").reply_with(reply::stream(raycl::test::generated_chunks(0, 30)));
    int calls = 0;  // runs on the server thread; read after the reply
    dashboard.expect("GET", "/polling").reply_with(reply::stream([&calls]() -> std::optional<std::string> {
        switch (calls++) {
            case 0:
                return "a";
            case 1:
            case 2:
                return "";  // nothing yet: asked again later
            case 3:
                return "b";
            default:
                return std::nullopt;
        }
    }));
    dashboard.expect("GET", "/api/v0/logs/stream*")
        .reply_with(reply::stream(raycl::test::generated_chunks(0, 3, 1)).never_ending());
    dashboard.expect("GET", "/endless").reply_with(reply::stream([n = std::uint64_t{0}]() mutable {
        return std::optional<std::string>(generated_log(n++, 1));
    }));
    dashboard.expect("GET", "/cut")
        .reply_with(reply::stream(raycl::test::generated_chunks(0, 3, 1)).with_fault(fault::close_before_end));

    client c(dashboard.port());
    const auto file = c.request("GET", "/api/v0/logs/file");
    BOOST_TEST(file.chunked());
    BOOST_TEST(file[http::field::content_type].starts_with("text/plain"));
    BOOST_TEST(file.body() == generated_log(0, 30));
    BOOST_TEST(c.request("GET", "/polling").body() == "ab");  // keep-alive after a finished stream
    BOOST_TEST(calls == 5);

    client streaming(dashboard.port());
    streaming.send("GET", "/api/v0/logs/stream?submission_id=s&node_id=x&lines=-1");
    BOOST_TEST(streaming.read_body_prefix(generated_log(0, 3).size()).body() == generated_log(0, 3));
    client endless(dashboard.port());
    endless.send("GET", "/endless");
    BOOST_TEST(endless.read_body_prefix(1'000'000).body().starts_with(generated_log(0, 100)));
    BOOST_TEST(dashboard.open_connections() == 3u);
    streaming.close();
    endless.close();
    BOOST_TEST(dashboard.wait_for_open_connections(1, 5s));

    client cut(dashboard.port());
    cut.send("GET", "/cut");
    error_code ec;
    cut.read(ec);
    BOOST_TEST(ec == partial_message);
    BOOST_TEST(dashboard.server_errors().empty());
}

BOOST_AUTO_TEST_CASE(raw_responses_end_as_scripted_and_drip, *watchdog) {
    fake_dashboard dashboard;
    const std::string head = "HTTP/1.1 200 OK\r\nContent-Le";
    dashboard.expect("GET", "/close").reply_with(reply::raw_response(head));
    dashboard.expect("GET", "/reset").reply_with(reply::raw_response(head, raycl::test::raw_end::reset));
    dashboard.expect("GET", "/drip")
        .reply_with(reply::raw_response("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]").dripping(4, 5ms));
    error_code ec;
    client closing(dashboard.port());
    closing.send("GET", "/close");
    BOOST_TEST(closing.read_until_closed(ec) == head);
    BOOST_TEST(ec == eof);
    client resetting(dashboard.port());
    resetting.send("GET", "/reset");
    resetting.read_until_closed(ec);  // the bytes may or may not arrive before the reset
    BOOST_TEST(ec == connection_reset);
    client dripping(dashboard.port());
    const auto start = std::chrono::steady_clock::now();
    BOOST_TEST(dripping.request("GET", "/drip").body() == "[]");
    BOOST_TEST(milliseconds_since(start) >= 5 * 9);  // 40 bytes in 10 pieces, 5 ms apart
    BOOST_TEST(raycl::test::chunk_encoded("abc") == "3\r\nabc\r\n");
    BOOST_TEST(dashboard.wait_for_open_connections(0, 5s));
}

BOOST_AUTO_TEST_CASE(a_restarted_fake_listens_on_the_same_port, *watchdog) {
    std::optional<fake_dashboard> first(std::in_place);
    const auto port = first->port();
    first->expect("GET", "/api/version").reply_with(reply::json(200, "1"));
    BOOST_TEST(client(port).request("GET", "/api/version").body() == "1");
    first.reset();
    fake_dashboard second(fake_dashboard::options{}.on_port(port));
    second.expect("GET", "/api/version").reply_with(reply::json(200, "2"));
    BOOST_TEST(second.port() == port);
    BOOST_TEST(client(port).request("GET", "/api/version").body() == "2");
}

BOOST_AUTO_TEST_CASE(a_stalled_tls_handshake_ends_when_the_client_gives_up, *watchdog) {
    fake_dashboard dashboard(fake_dashboard::options{}.stalling_tls_handshake());
    {
        client c(dashboard.port());
        c.write_raw("\x16\x03\x01\x00\x05hello");  // the start of a ClientHello: never answered
        BOOST_TEST(dashboard.wait_for_open_connections(1, 5s));
    }
    BOOST_TEST(dashboard.wait_for_open_connections(0, 5s));
    BOOST_TEST(dashboard.requests().empty());
}

BOOST_AUTO_TEST_CASE(the_record_keeps_the_latest_requests_and_counts_them_all, *watchdog) {
    fake_dashboard dashboard(fake_dashboard::options{}.keep_requests(5).limit_recorded_body(8));
    // Routes (and expectations) see the whole body, whatever the record keeps of it.
    dashboard.route("POST", "/api/jobs/*",
                    [](const recorded_request& r) { return reply::json(200, std::to_string(r.body.size())); });
    dashboard.expect("GET", "/api/jobs/?limit=5").reply_with(reply::json(200, "[]"));

    client c(dashboard.port());
    for (int i = 0; i < 12; ++i)
        BOOST_TEST(c.request("POST", "/api/jobs/" + std::to_string(i), "body-" + std::string(15, 'x')).body() == "20");
    BOOST_TEST(c.request("GET", "/api/jobs/?limit=5").body() == "[]");
    BOOST_TEST(c.request("GET", "/api/unrouted").result_int() == 599);

    // The ring: the 5 most recent, oldest first, bodies cut at 8 bytes.
    const auto kept = dashboard.requests();
    BOOST_REQUIRE(kept.size() == 5u);
    BOOST_TEST(kept[0].target == "/api/jobs/9");
    BOOST_TEST(kept[1].target == "/api/jobs/10");
    BOOST_TEST(kept[2].target == "/api/jobs/11");
    BOOST_TEST(kept[3].target == "/api/jobs/?limit=5");
    BOOST_TEST(kept[4].target == "/api/unrouted");
    BOOST_TEST(kept[0].body == "body-xxx");
    BOOST_TEST(kept[0].body_size == 20u);
    BOOST_TEST(kept[0].header("user-agent") == "raycl-self-test");
    BOOST_TEST(kept[3].body.empty());
    BOOST_TEST(kept[3].body_size == 0u);

    // The counters: every request, exactly.
    BOOST_TEST(dashboard.request_count() == 14u);
    BOOST_TEST(dashboard.wait_for_requests(14, 1s));
    BOOST_TEST(dashboard.request_count("POST", "/api/jobs/*") == 12u);
    BOOST_TEST(dashboard.request_count("POST", "/api/jobs/1*") == 3u);  // 1, 10, 11
    BOOST_TEST(dashboard.request_count("POST", "/api/jobs/3") == 1u);
    BOOST_TEST(dashboard.request_count("POST", "/api/jobs/") == 0u);
    BOOST_TEST(dashboard.request_count("GET", "/api/jobs/*") == 1u);
    BOOST_TEST(dashboard.request_count("GET", "/api/jobs/") == 0u);  // exact: the query counts
    BOOST_TEST(dashboard.request_count("GET", "/api/jobs/?limit=5") == 1u);
    BOOST_TEST(dashboard.request_count("GET", "*") == 2u);
    BOOST_TEST(dashboard.request_count("DELETE", "*") == 0u);
    BOOST_TEST(dashboard.unmatched().size() == 1u);

    fake_dashboard forgetful(fake_dashboard::options{}.keep_requests(0));
    client f(forgetful.port());
    BOOST_TEST(f.request("GET", "/api/unrouted").result_int() == 599);
    BOOST_TEST(forgetful.requests().empty());
    BOOST_TEST(forgetful.request_count() == 1u);
}

BOOST_AUTO_TEST_CASE(the_default_record_drops_the_oldest_after_10000, *watchdog) {
    fake_dashboard dashboard;
    dashboard.route("GET", "/api/jobs/*", [](const recorded_request&) { return reply::json(200, "{}"); });
    // 10,500 requests, pipelined 500 at a time.
    client c(dashboard.port());
    for (int batch = 0; batch < 21; ++batch) {
        std::string requests;
        for (int i = 0; i < 500; ++i)
            requests += "GET /api/jobs/" + std::to_string(batch * 500 + i) + " HTTP/1.1\r\nHost: x\r\n\r\n";
        c.write_raw(requests);
        for (int i = 0; i < 500; ++i) BOOST_REQUIRE(c.read().result_int() == 200);
    }
    BOOST_TEST(dashboard.request_count() == 10'500u);
    BOOST_TEST(dashboard.request_count("GET", "/api/jobs/*") == 10'500u);
    BOOST_TEST(dashboard.request_count("GET", "/api/jobs/42") == 1u);  // dropped from the ring, still counted
    const auto kept = dashboard.requests();
    BOOST_REQUIRE(kept.size() == 10'000u);
    BOOST_TEST(kept.front().target == "/api/jobs/500");
    BOOST_TEST(kept.back().target == "/api/jobs/10499");
}

BOOST_AUTO_TEST_CASE(a_tally_counts_requests_by_key_exactly, *watchdog) {
    // A ring of 10: the tally must not depend on it.
    fake_dashboard dashboard(fake_dashboard::options{}.keep_requests(10));
    dashboard.route("POST", "/api/jobs/*", [](const recorded_request&) { return reply::json(200, "{}"); });
    // The submission id of a submit body (as a JSON parser would take it, without one here).
    const auto submission_id = [](const recorded_request& r) {
        const std::string marker = R"("submission_id": ")";
        const auto start = r.body.find(marker);
        if (start == std::string::npos) throw std::runtime_error("no submission_id");
        const auto from = start + marker.size();
        return r.body.substr(from, r.body.find('"', from) - from);
    };
    const auto submit = [](int id) {
        return R"({"entrypoint": "x", "submission_id": "sub_)" + std::to_string(id) + R"("})";
    };

    client c(dashboard.port());
    BOOST_TEST(c.request("POST", "/api/jobs/", submit(1)).result_int() == 200);  // before the tally: not counted
    auto& submits = dashboard.tally("POST", "/api/jobs/", submission_id);
    auto& stops = dashboard.tally("POST", "/api/jobs/*");  // no key: total() only
    for (int i = 0; i < 300; ++i) BOOST_TEST(c.request("POST", "/api/jobs/", submit(i % 100)).result_int() == 200);
    BOOST_TEST(c.request("POST", "/api/jobs/", submit(7)).result_int() == 200);       // sub_7: 4 times
    BOOST_TEST(c.request("POST", "/api/jobs/", "not a submit").result_int() == 200);  // the key throws
    BOOST_TEST(c.request("POST", "/api/jobs/sub_1/stop").result_int() == 200);        // another target
    BOOST_TEST(c.request("GET", "/api/jobs/").result_int() == 599);                   // another method

    BOOST_TEST(submits.total() == 302u);
    const auto counts = submits.counts();
    BOOST_TEST(counts.size() == 100u);
    std::uint64_t keyed = 0;
    bool three_each = true;
    for (const auto& [id, n] : counts) {
        keyed += n;
        if (id != "sub_7") three_each = three_each && n == 3u;
    }
    BOOST_TEST(keyed == 301u);
    BOOST_TEST(three_each);
    BOOST_TEST(submits.count("sub_7") == 4u);
    BOOST_TEST(submits.count("sub_99") == 3u);
    BOOST_TEST(submits.count("sub_100") == 0u);
    BOOST_TEST(stops.total() == 303u);
    BOOST_TEST(stops.counts().empty());
    BOOST_TEST(dashboard.requests().size() == 10u);
    BOOST_TEST(dashboard.request_count() == 305u);
    const auto errors = dashboard.server_errors();
    BOOST_REQUIRE(errors.size() == 1u);
    BOOST_TEST(errors[0] == "tally key for POST /api/jobs/ threw: no submission_id");
}

BOOST_AUTO_TEST_SUITE_END()
