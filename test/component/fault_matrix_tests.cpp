// The fault matrix of docs/fault-matrix.md: one test per fault the fake dashboard can inflict
// (connections refused, reset or stalled at every stage, slowloris drips, error pages, broken
// JSON and chunked encoding, odd WebSocket closes, oversized frames, a restarting server, TLS
// failures). Each row checks the exact status, that the call returns within a generous bound
// derived from the configured timeouts, that no operation and no connection is left behind,
// and for tails the exact sequence of lines (no loss, no duplicate).
#include "component/tail_harness.hpp"

#include <boost/json.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <thread>

namespace raycl::test {

using namespace tail_harness;

namespace {

using steady = std::chrono::steady_clock;

/// Options of the matrix's clients: short timeouts (every bound below derives from them) and
/// one attempt, unless a row says otherwise.
client_options matrix_options(const fake_dashboard& dashboard) {
    auto options = options_for(dashboard);
    options.timeout.connect = seconds(0.5);
    options.timeout.read = seconds(0.5);
    options.retry.max_attempts = 1;
    return options;
}

/// A generous upper bound of one call: every attempt running into both timeouts, the longest
/// back-offs, and 3 s of slack for a loaded machine. Not a timing assertion: it catches hangs.
steady::duration call_bound(const client_options& options) {
    const auto attempts = static_cast<double>(options.retry.max_attempts);
    const auto per_attempt =
        options.timeout.connect + options.timeout.read + std::chrono::duration<double>(options.retry.max_backoff);
    return std::chrono::duration_cast<steady::duration>(per_attempt * attempts + seconds(3.0));
}

/// The bound of a tail: every connection running into the connect and idle timeouts, plus the
/// back-offs, plus the status and static-log requests.
steady::duration tail_bound(const client_options& options, const tail_options& tail) {
    const auto connections = static_cast<double>(tail.max_reconnects + 1);
    const auto per_connection = options.timeout.connect + tail.stream_timeout.value_or(seconds(0.0)) +
                                std::chrono::duration<double>(options.retry.max_backoff);
    return std::chrono::duration_cast<steady::duration>(per_connection * connections) + 2 * call_bound(options);
}

/// Waits (bounded) until `condition` holds; for counters updated just after a result arrived.
bool eventually(const std::function<bool()>& condition, steady::duration limit = 5s) {
    const auto end = steady::now() + limit;
    while (!condition()) {
        if (steady::now() > end) return false;
        std::this_thread::sleep_for(5ms);
    }
    return true;
}

/// One row against a client of `options`: `call(client&)` must fail with `status` (and `kind`
/// when given) within call_bound(options); afterwards no operation is active, and once the
/// client is gone the fake has no open connection.
template <class Call>
client_error failing_row(fake_dashboard* dashboard, const client_options& options, Call call, int status,
                         std::optional<error_kind> kind = std::nullopt) {
    std::optional<client_error> error;
    steady::duration elapsed{};
    {
        client ray(options);
        const auto start = steady::now();
        error = expect_error(call(ray));
        elapsed = steady::now() - start;
        BOOST_TEST(eventually([&] { return ray.stats().operations_active == 0u; }), "an operation is still active");
    }
    BOOST_TEST(error->status() == status, error->what());
    if (kind) BOOST_TEST(error->kind() == *kind, error->what());
    BOOST_TEST((elapsed < call_bound(options)),
               "took " << std::chrono::duration<double>(elapsed).count() << " s: " << error->what());
    if (dashboard) {
        BOOST_TEST(dashboard->wait_for_open_connections(0, 5s), "a connection was left open");
        BOOST_TEST(dashboard->server_errors().empty());
    }
    return *error;
}

const auto list_jobs = [](client& ray) { return ray.list_jobs(); };

/// A row where GET /api/jobs/ always gets `answer`.
client_error list_jobs_row(reply answer, int status, std::optional<error_kind> kind = std::nullopt,
                           const std::function<void(client_options&)>& adjust = {}) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/jobs/").reply_with(std::move(answer)).repeatedly();
    auto options = matrix_options(dashboard);
    if (adjust) adjust(options);
    return failing_row(&dashboard, options, list_jobs, status, kind);
}

const std::string json_head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n";
const std::string chunked_head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n";

/// The outcome of a tail read to its end: the text of every line delivered, and the error
/// that ended it (if any).
struct tail_outcome {
    std::string text;
    std::optional<client_error> error;
    stream_stats stats;
    steady::duration elapsed{};
};

asio::awaitable<tail_outcome> consume(client& ray, tail_options options,
                                      std::atomic<std::size_t>* lines_seen = nullptr) {
    tail_outcome outcome;
    const auto start = steady::now();
    try {
        auto stream = co_await ray.tail_job_logs(job_id, options);
        try {
            while (auto line = co_await stream.next()) {
                outcome.text += line->text;
                if (line->newline) outcome.text += '\n';
                if (lines_seen) ++*lines_seen;
            }
        } catch (const client_error& error) {
            outcome.error = error;
        }
        outcome.stats = stream.stats();
    } catch (const client_error& error) {
        outcome.error = error;
    }
    outcome.elapsed = steady::now() - start;
    co_return outcome;
}

/// Runs a tail to its end on a fresh client; checks the bound and that nothing leaked.
tail_outcome tail_row(fake_dashboard& dashboard, client_options options, const tail_options& tail) {
    options.max_idle_connections_per_strand = 0;  // only the tail's own connection may stay open
    tail_outcome outcome;
    {
        client ray(options);
        outcome = run_sync(consume(ray, tail));
        BOOST_TEST(eventually([&] { return ray.stats().operations_active == 0u; }), "an operation is still active");
        BOOST_TEST(dashboard.wait_for_open_connections(0, 5s), "the tail left a connection open");
    }
    BOOST_TEST((outcome.elapsed < tail_bound(options, tail)),
               "took " << std::chrono::duration<double>(outcome.elapsed).count() << " s");
    BOOST_TEST(dashboard.server_errors().empty());
    return outcome;
}

tail_options ws_tail() {
    auto options = websocket_options();
    options.stream_timeout = seconds(1.0);
    options.max_reconnects = 3;
    return options;
}

tail_options stream_tail() {
    auto options = ws_tail();
    options.protocol = tail_protocol::stream;
    return options;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(component_faults)

// ---- connecting -------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(refused_connection_is_503_within_the_bound) {
    client_options options;
    {
        fake_dashboard closed;
        options = matrix_options(closed);
    }  // nothing listens there any more
    options.retry.max_attempts = 3;
    const auto error = failing_row(nullptr, options, list_jobs, 503, error_kind::unavailable);
    BOOST_TEST(error.http_status() == 0);
}

BOOST_AUTO_TEST_CASE(dns_failure_is_503_within_the_bound) {
    fake_dashboard unused;
    auto options = matrix_options(unused);
    options.address = "http://raycl-no-such-host.invalid:8265";
    failing_row(nullptr, options, list_jobs, 503, error_kind::unavailable);
}

// ---- resets and closes ------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(reset_before_headers_is_503) {
    list_jobs_row(reply::json(200, "[]").with_fault(fault::reset_before_headers), 503, error_kind::unavailable);
}

BOOST_AUTO_TEST_CASE(reset_during_headers_is_503) {
    list_jobs_row(reply::raw_response("HTTP/1.1 200 OK\r\nContent-Type: appl", raw_end::reset), 503,
                  error_kind::unavailable);
}

BOOST_AUTO_TEST_CASE(close_during_headers_is_503) {
    list_jobs_row(reply::raw_response("HTTP/1.1 200 OK\r\nContent-Type: appl", raw_end::close), 503,
                  error_kind::unavailable);
}

BOOST_AUTO_TEST_CASE(reset_during_body_is_503) {
    list_jobs_row(reply::raw_response(json_head + "Content-Length: 100\r\n\r\n[{\"type\": \"SUBM", raw_end::reset), 503,
                  error_kind::unavailable);
}

BOOST_AUTO_TEST_CASE(reset_during_body_is_retried_for_a_get) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/jobs/")
        .reply_with(reply::raw_response(json_head + "Content-Length: 100\r\n\r\n[{\"type\"", raw_end::reset));
    dashboard.expect("GET", "/api/jobs/").reply_with(reply::json(200, "[]"));
    auto options = matrix_options(dashboard);
    options.retry.max_attempts = 2;
    {
        client ray(options);
        BOOST_TEST(run_sync(ray.list_jobs()).empty());
        BOOST_TEST(ray.stats().retries == 1u);
    }
    BOOST_TEST(dashboard.wait_for_open_connections(0, 5s));
}

// ---- stalls and drips ---------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(stall_before_headers_is_408) {
    list_jobs_row(reply::json(200, "[]").with_fault(fault::stall_before_headers), 408, error_kind::timeout);
}

BOOST_AUTO_TEST_CASE(stall_mid_body_is_408) {
    list_jobs_row(reply::json(200, "[1, 2, 3, 4]").with_fault(fault::stall_mid_body, 3), 408, error_kind::timeout);
}

BOOST_AUTO_TEST_CASE(stall_before_the_last_chunk_is_408) {
    list_jobs_row(reply::json(200, "[]").as_chunked().never_ending(), 408, error_kind::timeout);
}

BOOST_AUTO_TEST_CASE(slowloris_header_drip_is_408_at_the_read_timeout) {
    // A valid answer, one byte every 20 ms: each byte comes well within any idle timeout, the
    // whole would take about 6 s; the read timeout (0.5 s) bounds the response as a whole.
    std::string answer = json_head + "X-Padding: " + std::string(200, 'p') + "\r\nContent-Length: 2\r\n\r\n[]";
    list_jobs_row(reply::raw_response(answer).dripping(1, 20ms), 408, error_kind::timeout);
}

BOOST_AUTO_TEST_CASE(slowloris_body_drip_is_408_at_the_read_timeout) {
    list_jobs_row(reply::json(200, "[" + std::string(400, ' ') + "]").dripping(1, 20ms), 408, error_kind::timeout);
}

// ---- error answers ------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(error_statuses_with_text_and_html_bodies) {
    const std::vector<std::pair<int, int>> cases = {{400, 400}, {401, 401}, {403, 403}, {404, 404},
                                                    {405, 400}, {409, 400}, {413, 413}, {429, 429},
                                                    {500, 500}, {502, 503}, {503, 503}, {504, 503}};
    const std::string html_page = "<!DOCTYPE html><html><head><title>Bad</title></head><body><h1>Error</h1>" +
                                  std::string(50 * 1024, 'x') + "</body></html>";
    for (const auto& [http_status, expected] : cases) {
        for (bool html : {false, true}) {
            auto answer = reply::text(http_status, html ? html_page : "plain reason from the server");
            if (html) answer.content_type = "text/html; charset=utf-8";
            const auto error = list_jobs_row(answer, expected);
            BOOST_TEST(error.http_status() == http_status);
            BOOST_TEST(error.server_body().size() <= 2048u, "HTTP " << http_status);
            BOOST_TEST(std::string(error.what()).size() <= 4096u, "HTTP " << http_status);
            if (!html) BOOST_TEST(error.server_body() == "plain reason from the server");
        }
    }
}

// ---- JSON ---------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(malformed_json_is_500) {
    list_jobs_row(reply::json(200, R"([{"status": "RUNN)"), 500, error_kind::protocol_error);
    list_jobs_row(reply::json(200, "[1, 2,, 3]"), 500, error_kind::protocol_error);
    list_jobs_row(reply::json(200, "not json at all"), 500, error_kind::protocol_error);
    list_jobs_row(reply::json(200, ""), 500, error_kind::protocol_error);
}

BOOST_AUTO_TEST_CASE(truncated_json_is_500) {
    // A complete HTTP message whose JSON stops half-way (as a proxy cutting a body and fixing
    // the length would deliver it).
    list_jobs_row(reply::json(200, R"([{"type": "SUBMISSION", "submission_id": "a", "status": "RUNNING"}, {"ty)"), 500,
                  error_kind::protocol_error);
}

BOOST_AUTO_TEST_CASE(deeply_nested_json_is_500_without_a_crash) {
    const std::size_t depth = 100'000;
    list_jobs_row(reply::json(200, std::string(depth, '[')), 500, error_kind::protocol_error);
    list_jobs_row(reply::json(200, std::string(depth, '[') + std::string(depth, ']')), 500, error_kind::protocol_error);
    std::string deep_field = R"([{"type": "SUBMISSION", "submission_id": "a", "status": "RUNNING", "metadata": )";
    for (std::size_t i = 0; i < depth; ++i) deep_field += R"({"a":)";
    deep_field += "1" + std::string(depth, '}') + "}]";
    list_jobs_row(reply::json(200, deep_field), 500, error_kind::protocol_error);
}

BOOST_AUTO_TEST_CASE(enormous_json_is_429_at_the_response_cap) {
    const auto cap = [](client_options& options) { options.max_response_bytes = 1 << 20; };
    const std::string enormous = "[" + std::string(8 << 20, ' ') + "]";
    list_jobs_row(reply::json(200, enormous), 429, error_kind::limit_exceeded, cap);
    auto chunked = reply::json(200, {});
    chunked.chunked = true;
    for (int i = 0; i < 64; ++i) chunked.chunks.push_back(std::string(128 * 1024, ' '));
    list_jobs_row(chunked, 429, error_kind::limit_exceeded, cap);
}

BOOST_AUTO_TEST_CASE(wrong_json_types_are_500) {
    for (const char* body : {R"({"not": "a list"})", "[1, 2, 3]", R"([{"status": 7}])", "null", R"("text")",
                             R"([{"type": "SUBMISSION", "submission_id": 12, "status": "RUNNING"}])",
                             R"([{"type": "SUBMISSION", "status": "RUNNING", "start_time": "yesterday"}])"}) {
        list_jobs_row(reply::json(200, body), 500, error_kind::protocol_error);
    }
}

BOOST_AUTO_TEST_CASE(invalid_utf8_in_json_is_500) {
    list_jobs_row(
        reply::json(200, "[{\"type\": \"SUBMISSION\", \"status\": \"RUNNING\", \"entrypoint\": \"\xff\xfe\"}]"), 500,
        error_kind::protocol_error);
}

// ---- HTTP framing -------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(chunked_encoding_errors_are_500) {
    for (const std::string& body : {std::string("zz\r\n[]\r\n0\r\n\r\n"),  // not a hex size
                                    std::string("2\r\n[]XX0\r\n\r\n"),     // no CRLF after the data
                                    std::string("fffffffffffffffffffff\r\n[]\r\n0\r\n\r\n")}) {  // size overflow
        list_jobs_row(reply::raw_response(chunked_head + body), 500, error_kind::protocol_error);
    }
}

BOOST_AUTO_TEST_CASE(chunked_body_cut_short_is_503) {
    list_jobs_row(reply::raw_response(chunked_head + "10\r\n[1, 2"), 503, error_kind::unavailable);
}

BOOST_AUTO_TEST_CASE(malformed_status_line_is_500) {
    list_jobs_row(reply::json(200, "[]").with_fault(fault::malformed_status_line), 500, error_kind::protocol_error);
}

BOOST_AUTO_TEST_CASE(oversized_header_is_500) {
    // Beast's header limit (8 KiB): no dashboard sends such a header, so a protocol error.
    list_jobs_row(
        reply::raw_response(json_head + "X-Huge: " + std::string(1 << 20, 'h') + "\r\nContent-Length: 2\r\n\r\n[]"),
        500, error_kind::protocol_error);
}

// ---- TLS ----------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(tls_handshake_with_a_plain_http_server_is_503) {
    fake_dashboard dashboard;  // plain HTTP: it answers the ClientHello with a 400 page
    auto options = matrix_options(dashboard);
    options.address = "https://127.0.0.1:" + std::to_string(dashboard.port());
    options.tls.ca_file = tls_fixture("ca.pem");
    failing_row(&dashboard, options, list_jobs, 503, error_kind::unavailable);
    BOOST_TEST(dashboard.requests().empty());
}

BOOST_AUTO_TEST_CASE(plain_http_to_a_tls_server_is_503) {
    fake_dashboard dashboard(fake_dashboard::options{}.use_tls());
    auto options = matrix_options(dashboard);
    options.address = "http://127.0.0.1:" + std::to_string(dashboard.port());
    failing_row(&dashboard, options, list_jobs, 503, error_kind::unavailable);
    BOOST_TEST(dashboard.requests().empty());
}

BOOST_AUTO_TEST_CASE(tls_handshake_that_never_completes_is_408) {
    fake_dashboard dashboard(fake_dashboard::options{}.stalling_tls_handshake());
    auto options = matrix_options(dashboard);
    options.tls.ca_file = tls_fixture("ca.pem");
    failing_row(&dashboard, options, list_jobs, 408, error_kind::timeout);
}

BOOST_AUTO_TEST_CASE(certificate_mismatch_is_503) {
    fake_dashboard dashboard(fake_dashboard::options{}.use_tls("wrong_host"));
    auto options = matrix_options(dashboard);
    options.tls.ca_file = tls_fixture("ca.pem");
    const auto error = failing_row(&dashboard, options, list_jobs, 503, error_kind::unavailable);
    BOOST_TEST(dashboard.requests().empty());
    BOOST_TEST(error.message().find("certificate") != std::string::npos, error.message());
}

// ---- WebSocket tails ------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(websocket_reset_mid_tail_is_exactly_once) {
    fake_dashboard dashboard;
    scripted_job job;
    job.install(dashboard, 0, generated_log(0, 300));  // terminal when asked after the close
    auto connections = std::make_shared<std::atomic<int>>(0);
    dashboard.websocket_route(tail_target, [connections](const recorded_request&) {
        if (connections->fetch_add(1) == 0) return websocket_script{}.send_lines(0, 171, 10, 900).reset();
        return websocket_script{}.send_lines(0, 300).close(1000);
    });
    const auto outcome = tail_row(dashboard, matrix_options(dashboard), ws_tail());
    BOOST_TEST(!outcome.error.has_value(), (outcome.error ? outcome.error->what() : ""));
    BOOST_TEST(outcome.text == generated_log(0, 300));
    BOOST_TEST(outcome.stats.reconnects == 1u);
}

BOOST_AUTO_TEST_CASE(odd_close_codes_reconnect_exactly_once) {
    // 1001 going away, 1002 protocol error, 1008 policy, 1011 server error, 4000 private,
    // 0 = a close frame without a code (1005): all are "not the end", like an abnormal close.
    for (std::uint16_t code : {1001, 1002, 1008, 1011, 4000, 0}) {
        fake_dashboard dashboard;
        scripted_job job;
        job.install(dashboard, 0, generated_log(0, 100));
        auto connections = std::make_shared<std::atomic<int>>(0);
        dashboard.websocket_route(tail_target, [connections, code](const recorded_request&) {
            if (connections->fetch_add(1) == 0) return websocket_script{}.send_lines(0, 43).close(code, "odd");
            return websocket_script{}.send_lines(0, 100).close(1000);
        });
        const auto outcome = tail_row(dashboard, matrix_options(dashboard), ws_tail());
        BOOST_TEST(!outcome.error.has_value(), "code " << code << ": " << (outcome.error ? outcome.error->what() : ""));
        BOOST_TEST(outcome.text == generated_log(0, 100), "code " << code);
        BOOST_TEST(outcome.stats.reconnects == 1u, "code " << code);
    }
}

BOOST_AUTO_TEST_CASE(odd_close_codes_forever_end_with_503_after_the_reconnects) {
    fake_dashboard dashboard;
    scripted_job job;
    job.install(dashboard, 1000, "");
    dashboard.websocket_route(tail_target, [](const recorded_request&) {
        return websocket_script{}.send_lines(0, 20).close(1011, "internal error");
    });
    auto tail = ws_tail();
    tail.max_reconnects = 2;
    const auto outcome = tail_row(dashboard, matrix_options(dashboard), tail);
    BOOST_TEST_REQUIRE(outcome.error.has_value());
    BOOST_TEST(outcome.error->status() == 503, outcome.error->what());
    BOOST_TEST(outcome.text == generated_log(0, 20));
    BOOST_TEST(outcome.stats.reconnects == 2u);
}

BOOST_AUTO_TEST_CASE(normal_close_while_running_then_the_rest_is_exactly_once) {
    fake_dashboard dashboard;
    scripted_job job;
    job.install(dashboard, 1, generated_log(0, 90));  // RUNNING when the first connection closes
    auto connections = std::make_shared<std::atomic<int>>(0);
    dashboard.websocket_route(tail_target, [connections](const recorded_request&) {
        if (connections->fetch_add(1) == 0) return websocket_script{}.send_lines(0, 40).close(1000);
        return websocket_script{}.send_lines(0, 90).close(1000);
    });
    const auto outcome = tail_row(dashboard, matrix_options(dashboard), ws_tail());
    BOOST_TEST(!outcome.error.has_value(), (outcome.error ? outcome.error->what() : ""));
    BOOST_TEST(outcome.text == generated_log(0, 90));
    BOOST_TEST(outcome.stats.reconnects == 1u);
}

BOOST_AUTO_TEST_CASE(stall_before_the_upgrade_answer_is_408) {
    fake_dashboard dashboard;
    scripted_job job;
    job.install(dashboard, 1000, "");
    // No websocket route: the upgrade request meets this expectation, which never answers.
    dashboard.expect("GET", tail_target)
        .reply_with(reply::json(200, "").with_fault(fault::stall_before_headers))
        .repeatedly();
    auto tail = ws_tail();
    tail.max_reconnects = 1;
    const auto outcome = tail_row(dashboard, matrix_options(dashboard), tail);
    BOOST_TEST_REQUIRE(outcome.error.has_value());
    BOOST_TEST(outcome.error->status() == 408, outcome.error->what());
    BOOST_TEST(outcome.text.empty());
}

BOOST_AUTO_TEST_CASE(stall_mid_tail_is_408_after_every_line_before_it) {
    fake_dashboard dashboard;
    scripted_job job;
    job.install(dashboard, 1000, "");
    dashboard.websocket_route(tail_target,
                              [](const recorded_request&) { return websocket_script{}.send_lines(0, 37).stall(); });
    auto tail = ws_tail();
    tail.stream_timeout = seconds(0.3);
    const auto outcome = tail_row(dashboard, matrix_options(dashboard), tail);
    BOOST_TEST_REQUIRE(outcome.error.has_value());
    BOOST_TEST(outcome.error->status() == 408, outcome.error->what());
    BOOST_TEST(outcome.text == generated_log(0, 37));
}

/// A server TEXT frame header (FIN, unmasked) announcing `size` bytes.
std::string text_frame_header(std::uint64_t size) {
    std::string header("\x81\x7f", 2);
    for (int shift = 56; shift >= 0; shift -= 8) header.push_back(static_cast<char>(size >> shift));
    return header;
}

BOOST_AUTO_TEST_CASE(oversized_websocket_frame_is_429_after_every_line_before_it) {
    fake_dashboard dashboard;
    scripted_job job;
    job.install(dashboard, 1000, "");
    dashboard.websocket_route(tail_target, [](const recorded_request&) {
        const std::uint64_t size = 9u << 20;  // over the 8 MiB frame cap
        return websocket_script{}.send_lines(0, 25).send_raw(text_frame_header(size) + std::string(size, 'x')).stall();
    });
    const auto outcome = tail_row(dashboard, matrix_options(dashboard), ws_tail());
    BOOST_TEST_REQUIRE(outcome.error.has_value());
    BOOST_TEST(outcome.error->status() == 429, outcome.error->what());
    BOOST_TEST(outcome.text == generated_log(0, 25));
    std::size_t upgrades = 0;  // a frame over the cap is final: no reconnect
    for (const auto& request : dashboard.requests()) upgrades += request.target == tail_target;
    BOOST_TEST(upgrades == 1u);
}

BOOST_AUTO_TEST_CASE(frame_header_announcing_a_terabyte_then_silence_is_408) {
    // Nothing is allocated for the announced size: the client reads what comes, up to the cap,
    // and the idle timeout ends the wait for the rest.
    fake_dashboard dashboard;
    scripted_job job;
    job.install(dashboard, 1000, "");
    dashboard.websocket_route(tail_target, [](const recorded_request&) {
        return websocket_script{}.send_lines(0, 25).send_raw(text_frame_header(std::uint64_t{1} << 40) + "xyz").stall();
    });
    auto tail = ws_tail();
    tail.stream_timeout = seconds(0.3);
    const auto outcome = tail_row(dashboard, matrix_options(dashboard), tail);
    BOOST_TEST_REQUIRE(outcome.error.has_value());
    BOOST_TEST(outcome.error->status() == 408, outcome.error->what());
    BOOST_TEST(outcome.text == generated_log(0, 25));
}

BOOST_AUTO_TEST_CASE(invalid_utf8_in_a_websocket_text_frame_fails_the_connection) {
    // RFC 6455 8.1: a TEXT frame must be UTF-8; the client fails such a connection, reconnects,
    // and gives up with 503 after the reconnects, every valid line before it delivered once.
    fake_dashboard dashboard;
    scripted_job job;
    job.install(dashboard, 1000, "");
    dashboard.websocket_route(tail_target, [](const recorded_request&) {
        return websocket_script{}.send_lines(0, 12).send_text("bad \xff\xfe bytes\n").stall();
    });
    auto tail = ws_tail();
    tail.max_reconnects = 1;
    const auto outcome = tail_row(dashboard, matrix_options(dashboard), tail);
    BOOST_TEST_REQUIRE(outcome.error.has_value());
    BOOST_TEST(outcome.error->status() == 503, outcome.error->what());
    BOOST_TEST(outcome.text == generated_log(0, 12));
}

BOOST_AUTO_TEST_CASE(a_protocol_break_without_an_idle_timeout_does_not_hang) {
    // With stream_timeout unset nothing idles a connection out: a server that breaks the protocol,
    // then answers nothing and never closes (not even after the client's FIN) is bounded by
    // raycl's immediate teardown and Beast's own handshake timeout (the connect timeout).
    // Invalid UTF-8 in a TEXT frame, and a frame with reserved bits.
    const std::string invalid_utf8_frame = "\x81\x04\xff\xfe\xfd\n";
    const std::string reserved_bits_frame = std::string("\xc1\x03") + "abc";
    for (const std::string& bad : {invalid_utf8_frame, reserved_bits_frame}) {
        fake_dashboard dashboard;
        scripted_job job;
        job.install(dashboard, 1000, "");
        dashboard.websocket_route(tail_target, [bad](const recorded_request&) {
            return websocket_script{}.send_lines(0, 12).send_raw(bad).hold_open();
        });
        auto tail = ws_tail();
        tail.stream_timeout = std::nullopt;
        tail.max_reconnects = 1;
        const auto outcome = tail_row(dashboard, matrix_options(dashboard), tail);
        BOOST_TEST_REQUIRE(outcome.error.has_value());
        BOOST_TEST_MESSAGE("after " << std::chrono::duration<double>(outcome.elapsed).count()
                                    << " s: " << outcome.error->what());
        BOOST_TEST(outcome.error->status() == 503, outcome.error->what());
        BOOST_TEST(outcome.text == generated_log(0, 12));
    }
}

// ---- HTTP stream tails ----------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(http_stream_reset_mid_tail_is_exactly_once) {
    fake_dashboard dashboard;
    scripted_job job;
    job.install(dashboard, 2, generated_log(0, 80));
    const std::string full = generated_log(0, 80);
    // 30 lines, then half a chunk of the next ones, then a reset.
    dashboard.expect("GET", stream_target)
        .reply_with(reply::raw_response(
            chunked_head + chunk_encoded(generated_log(0, 30)) + chunk_encoded(generated_log(30, 10)).substr(0, 100),
            raw_end::reset));
    dashboard.expect("GET", stream_target).reply_with(reply::stream(generated_chunks(0, 80)).never_ending());
    const auto outcome = tail_row(dashboard, matrix_options(dashboard), stream_tail());
    BOOST_TEST(!outcome.error.has_value(), (outcome.error ? outcome.error->what() : ""));
    BOOST_TEST(outcome.text == full);
    BOOST_TEST(outcome.stats.reconnects == 1u);
    BOOST_TEST(dashboard.unmet_expectations().empty());
}

BOOST_AUTO_TEST_CASE(http_stream_chunk_error_mid_tail_is_exactly_once) {
    fake_dashboard dashboard;
    scripted_job job;
    job.install(dashboard, 2, generated_log(0, 60));
    dashboard.expect("GET", stream_target)
        .reply_with(reply::raw_response(
            chunked_head + chunk_encoded(generated_log(0, 25)) + "zz\r\n" + generated_log(25, 5) + "\r\n",
            raw_end::close));
    dashboard.expect("GET", stream_target).reply_with(reply::stream(generated_chunks(0, 60)).never_ending());
    const auto outcome = tail_row(dashboard, matrix_options(dashboard), stream_tail());
    BOOST_TEST(!outcome.error.has_value(), (outcome.error ? outcome.error->what() : ""));
    BOOST_TEST(outcome.text == generated_log(0, 60));
    BOOST_TEST(outcome.stats.reconnects == 1u);
}

BOOST_AUTO_TEST_CASE(http_stream_stall_mid_tail_is_408_after_every_line_before_it) {
    fake_dashboard dashboard;
    scripted_job job;
    job.install(dashboard, 1000, "");
    dashboard.expect("GET", stream_target).reply_with(reply::stream(generated_chunks(0, 33)).never_ending());
    auto tail = stream_tail();
    tail.stream_timeout = seconds(0.3);
    const auto outcome = tail_row(dashboard, matrix_options(dashboard), tail);
    BOOST_TEST_REQUIRE(outcome.error.has_value());
    BOOST_TEST(outcome.error->status() == 408, outcome.error->what());
    BOOST_TEST(outcome.text == generated_log(0, 33));
}

BOOST_AUTO_TEST_CASE(invalid_utf8_in_an_http_stream_is_delivered_byte_for_byte) {
    fake_dashboard dashboard;
    const std::string log = "ok\n\xff\xfe not utf-8 \xc3\n\xed\xa0\x80 surrogate\nend\n";
    scripted_job job;
    job.install(dashboard, 0, "");
    dashboard.expect("GET", stream_target).reply_with(reply::chunked_text(200, {log.substr(0, 5), log.substr(5)}));
    auto tail = stream_tail();
    tail.complete_from_static_log = false;  // the static log is JSON: Ray sends it valid UTF-8
    const auto outcome = tail_row(dashboard, matrix_options(dashboard), tail);
    BOOST_TEST(!outcome.error.has_value(), (outcome.error ? outcome.error->what() : ""));
    BOOST_TEST(outcome.text == log);
}

// ---- a restarting server --------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(server_restart_during_a_tail_is_exactly_once) {
    auto first = std::make_unique<fake_dashboard>();
    const auto port = first->port();
    scripted_job before_restart;
    before_restart.install(*first, 1000, "");
    first->websocket_route(tail_target,
                           [](const recorded_request&) { return websocket_script{}.send_lines(0, 64).stall(); });
    auto options = matrix_options(*first);
    options.max_idle_connections_per_strand = 0;
    options.retry.initial_backoff = 20ms;
    options.retry.max_backoff = 200ms;
    auto tail = ws_tail();
    tail.max_reconnects = 50;  // 50 back-offs of up to 200 ms: ample time for the restart
    std::atomic<std::size_t> lines_seen{0};
    std::optional<fake_dashboard> second;
    {
        client ray(options);
        asio::io_context context;
        auto done = asio::co_spawn(context, consume(ray, tail, &lines_seen), asio::use_future);
        std::thread consumer([&] { context.run(); });
        BOOST_TEST(eventually([&] { return lines_seen.load() == 64u; }, 10s));
        first.reset();  // the dashboard goes away: connections closed, connects refused
        second.emplace(fake_dashboard::options{}.on_port(port));
        scripted_job after_restart;
        after_restart.install(*second, 0, generated_log(0, 150));
        second->websocket_route(
            tail_target, [](const recorded_request&) { return websocket_script{}.send_lines(0, 150).close(1000); });
        const bool finished = done.wait_for(tail_bound(options, tail)) == std::future_status::ready;
        BOOST_TEST(finished, "the tail did not end after the restart");
        if (!finished) second->stop();
        consumer.join();
        const auto outcome = done.get();
        BOOST_TEST(!outcome.error.has_value(), (outcome.error ? outcome.error->what() : ""));
        BOOST_TEST(outcome.text == generated_log(0, 150));
        BOOST_TEST(outcome.stats.reconnects >= 1u);
        BOOST_TEST(eventually([&] { return ray.stats().operations_active == 0u; }));
    }
    BOOST_TEST(second->wait_for_open_connections(0, 5s));
    BOOST_TEST(second->server_errors().empty());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace raycl::test
