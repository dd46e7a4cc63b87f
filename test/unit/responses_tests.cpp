#include "core/responses.hpp"
#include "unit/unit_helpers.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <tuple>
#include <vector>

using namespace raycl;
using namespace raycl::core;
using raycl::test::canary;
using raycl::test::contains;
using raycl::test::expect_client_error;
using raycl::test::free_of_canary;

namespace {

const request_spec get_job = get_job_request("raysubmit_abc");

client_error classified(int status, std::string_view body, const std::vector<std::string>& secrets = {}) {
    auto error = classify_status(get_job, status, body, secrets);
    BOOST_REQUIRE(error.has_value());
    return *error;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(responses_tests)

BOOST_AUTO_TEST_CASE(success_statuses_are_not_errors) {
    for (int status : {200, 201, 204, 299}) BOOST_TEST(!classify_status(get_job, status, "{}", {}).has_value());
}

BOOST_AUTO_TEST_CASE(status_mapping) {
    const std::vector<std::tuple<int, error_kind, int>> table{
        {400, error_kind::invalid_argument, 400}, {405, error_kind::invalid_argument, 400},
        {409, error_kind::invalid_argument, 400}, {422, error_kind::invalid_argument, 400},
        {418, error_kind::invalid_argument, 400}, {401, error_kind::unauthorized, 401},
        {403, error_kind::forbidden, 403},        {404, error_kind::not_found, 404},
        {408, error_kind::timeout, 408},          {413, error_kind::request_too_large, 413},
        {429, error_kind::limit_exceeded, 429},   {500, error_kind::server_error, 500},
        {505, error_kind::server_error, 500},     {599, error_kind::server_error, 500},
        {501, error_kind::unsupported, 501},      {502, error_kind::unavailable, 503},
        {503, error_kind::unavailable, 503},      {504, error_kind::unavailable, 503},
        {302, error_kind::protocol_error, 500},   {101, error_kind::protocol_error, 500},
        {0, error_kind::protocol_error, 500},     {700, error_kind::protocol_error, 500}};
    for (const auto& [http, kind, status] : table) {
        BOOST_TEST_CONTEXT("HTTP " << http) {
            client_error error = classified(http, "");
            BOOST_TEST(to_string(error.kind()) == to_string(kind));
            BOOST_TEST(error.status() == status);
            BOOST_TEST(error.http_status() == http);
            BOOST_TEST(error.request() == "GET /api/jobs/raysubmit_abc");
        }
    }
}

BOOST_AUTO_TEST_CASE(message_names_request_status_and_first_line) {
    client_error error = classified(404, "Job raysubmit_abc does not exist\nmore\n");
    BOOST_TEST(error.message() == "GET /api/jobs/raysubmit_abc failed: HTTP 404: Job raysubmit_abc does not exist");
    BOOST_TEST(error.server_body() == "Job raysubmit_abc does not exist\nmore\n");
    BOOST_TEST(classified(503, "").message() == "GET /api/jobs/raysubmit_abc failed: HTTP 503");
    BOOST_TEST(classified(400, "\n\n  Can only stop submission type jobs  \n").message() ==
               "GET /api/jobs/raysubmit_abc failed: HTTP 400: Can only stop submission type jobs");
}

BOOST_AUTO_TEST_CASE(traceback_message_uses_the_exception_line) {
    const std::string body =
        "Traceback (most recent call last):\n"
        "  File \"/ray/dashboard/modules/job/job_head.py\", line 412, in delete_job\n"
        "    raise RuntimeError(...)\n"
        "RuntimeError: Attempted to delete job raysubmit_abc, but it is in a non-terminal state RUNNING.\n"
        ".\n";  // Ray's agent wraps the text as "...: {text}."
    client_error error = classified(500, body);
    BOOST_TEST(contains(error.message(), "HTTP 500: RuntimeError: Attempted to delete job"));
    BOOST_TEST(error.server_body() == body);
}

BOOST_AUTO_TEST_CASE(ray_s_json_envelope_is_explained_by_its_message) {
    const request_spec tasks = state_list_request("tasks", list_options().where("name", "x"));
    // Ray 2.52+: 400 and a one-line message.
    auto error = classify_status(
        tasks, 400, R"({"result": false, "msg": "The given filter column bogus_col is not supported.", "data": {}})",
        {});
    BOOST_TEST(error->status() == 400);
    BOOST_TEST(error->message() ==
                   "GET " + tasks.target + " failed: HTTP 400: The given filter column bogus_col is not supported.",
               error->message());
    // Up to 2.44: 500 and the traceback of the ValueError: the caller's input, so 400.
    const std::string traceback =
        R"({"result": false, "msg": "Traceback (most recent call last):\n  File \"state_head.py\", line 1\n    raise ValueError(\nValueError: Given limit 10001 exceeds the supported limit 10000.\n", "data": {}})";
    error = classify_status(tasks, 500, traceback, {});
    BOOST_TEST(error->status() == 400);
    BOOST_TEST(error->http_status() == 500);
    BOOST_TEST(contains(error->message(),
                        "HTTP 500 (Ray before 2.52 answers a refused query this way): ValueError: Given limit 10001"),
               error->message());
    BOOST_TEST(error->server_body() == traceback);
    // pydantic's summary line says nothing: the next line is added.
    error = classify_status(
        tasks, 500,
        R"({"result": false, "msg": "Traceback (most recent call last):\n  x\npydantic_core._pydantic_core.ValidationError: 1 validation error for ListApiOptions\n  Value error, Unsupported filter predicate > is given. [type=value_error]\n"})",
        {});
    BOOST_TEST(error->status() == 400);
    BOOST_TEST(contains(error->message(),
                        "1 validation error for ListApiOptions: Value error, Unsupported filter predicate >"),
               error->message());
    // Another exception in the envelope is the server's failure.
    error = classify_status(
        tasks, 500,
        R"({"result": false, "msg": "Traceback (most recent call last):\nbinascii.Error: Odd-length string\n"})", {});
    BOOST_TEST(error->status() == 500);
    BOOST_TEST(contains(error->message(), "binascii.Error: Odd-length string"));
    // A result: true body or other JSON is not an envelope.
    BOOST_TEST(classify_status(tasks, 500, R"({"result": true, "msg": "ValueError: x"})", {})->status() == 500);
}

BOOST_AUTO_TEST_CASE(ray_2_45_s_bare_500_on_a_state_route_says_there_is_no_reason) {
    const request_spec nodes = state_list_request("nodes", list_options());
    const std::string page = "500 Internal Server Error\n\nServer got itself in trouble";
    const auto error = classify_status(nodes, 500, page, {});
    BOOST_TEST(error->status() == 500);
    BOOST_TEST(contains(error->message(), "HTTP 500 without a reason (Ray 2.45 to 2.51"), error->message());
    BOOST_TEST(error->server_body() == page);
    // Elsewhere the page is just a 500.
    BOOST_TEST(!contains(classified(500, page).message(), "without a reason"));
}

BOOST_AUTO_TEST_CASE(a_failed_agent_call_is_explained_by_its_grpc_status_and_details) {
    // Ray 2.52.1 under token authentication: every log read through a node agent fails so
    // (the exception of dashboard_StateHead.log; the 500's body is its str()).
    const std::string body =
        "<AioRpcError of RPC that terminated with:\n\tstatus = StatusCode.UNAUTHENTICATED\n\tdetails = \"Invalid "
        "or missing authentication token\"\n\tdebug_error_string = \"UNAUTHENTICATED:Invalid or missing "
        "authentication token\"\n>";
    const auto error = classified(500, body);
    BOOST_TEST(error.status() == 500);
    BOOST_TEST(contains(error.message(),
                        "HTTP 500: the dashboard's call to a node agent failed: UNAUTHENTICATED "
                        "(Invalid or missing authentication token); under token authentication Ray 2.52's"));
    const auto other = classified(
        500,
        "<AioRpcError of RPC that terminated with:\n\tstatus = StatusCode.UNAVAILABLE\n\tdetails = \"failed to "
        "connect to all addresses\"\n>");
    BOOST_TEST(contains(other.message(), "node agent failed: UNAVAILABLE (failed to connect to all addresses)"));
    BOOST_TEST(!contains(other.message(), "Ray 2.52"));
}

BOOST_AUTO_TEST_CASE(body_is_bounded_to_2_kib) {
    client_error error = classified(500, std::string(10000, 'x'));
    BOOST_TEST(error.server_body().size() <= 2048u);
    BOOST_TEST(error.server_body().ends_with("..."));
    BOOST_TEST(error.message().size() < 700u);
}

BOOST_AUTO_TEST_CASE(no_secret_reaches_the_error) {
    const std::string secret(canary);
    const std::string body = "request headers: {'Authorization': 'Bearer " + secret + "'}\n" + std::string(3000, 'y') +
                             "\nraw " + secret + "\n";
    client_error error = classified(403, body, {secret});
    BOOST_TEST(free_of_canary(error.what()));
    BOOST_TEST(free_of_canary(error.message()));
    BOOST_TEST(free_of_canary(error.server_body()));
    BOOST_TEST(to_string(error.kind()) == "forbidden");

    // A key on one line, its value on the next: the message must not pick the bare value.
    client_error split = classified(400, "token:\n" + secret + "\n");
    BOOST_TEST(free_of_canary(split.what()));
}

BOOST_AUTO_TEST_CASE(secret_in_the_request_target_is_redacted) {
    request_spec spec = state_list_request("tasks", list_options().where("name", std::string(canary)));
    auto error = classify_status(spec, 500, "boom", {std::string(canary)});
    BOOST_REQUIRE(error.has_value());
    BOOST_TEST(free_of_canary(error->request()));
    BOOST_TEST(free_of_canary(error->what()));
}

BOOST_AUTO_TEST_CASE(json_bodies_parse) {
    boost::json::value value = parse_json_body(get_job, R"({"job_id": null, "status": "RUNNING"})");
    BOOST_TEST(value.at("status").as_string() == "RUNNING");
    std::string nested;
    for (int i = 0; i < 60; ++i) nested += "[";
    for (int i = 0; i < 60; ++i) nested += "]";
    BOOST_CHECK_NO_THROW(parse_json_body(get_job, nested));
}

BOOST_AUTO_TEST_CASE(malformed_json_is_a_protocol_error) {
    for (std::string body : {"{", "", "not json", "{\"a\": 1,}", "<html>502 Bad Gateway</html>", "{} trailing"}) {
        BOOST_TEST_CONTEXT("body '" << body << "'") {
            client_error error =
                expect_client_error(error_kind::protocol_error, [&] { parse_json_body(get_job, body); });
            BOOST_TEST(error.status() == 500);
            BOOST_TEST(contains(error.message(), "GET /api/jobs/raysubmit_abc"));
            BOOST_TEST(error.request() == "GET /api/jobs/raysubmit_abc");
        }
    }
}

BOOST_AUTO_TEST_CASE(hostile_nesting_fails_cleanly) {
    for (auto [open, close] : {std::pair{"[", "]"}, std::pair{"{\"a\":", "}"}}) {
        std::string body;
        for (int i = 0; i < 10000; ++i) body += open;
        body += "1";
        for (int i = 0; i < 10000; ++i) body += close;
        expect_client_error(error_kind::protocol_error, [&] { parse_json_body(get_job, body); });
    }
}

BOOST_AUTO_TEST_CASE(malformed_json_body_is_sanitized) {
    const std::string secret(canary);
    client_error error = expect_client_error(
        error_kind::protocol_error, [&] { parse_json_body(get_job, "{\"token\": \"" + secret + "\" oops", {secret}); });
    BOOST_TEST(free_of_canary(error.server_body()));
    BOOST_TEST(free_of_canary(error.what()));
}

BOOST_AUTO_TEST_CASE(transport_failure_mapping) {
    const std::vector<std::tuple<transport_failure, error_kind, int>> table{
        {transport_failure::resolve_failed, error_kind::unavailable, 503},
        {transport_failure::connect_refused, error_kind::unavailable, 503},
        {transport_failure::connect_timeout, error_kind::timeout, 408},
        {transport_failure::tls_failed, error_kind::unavailable, 503},
        {transport_failure::stale_connection, error_kind::unavailable, 503},
        {transport_failure::read_timeout, error_kind::timeout, 408},
        {transport_failure::connection_lost, error_kind::unavailable, 503},
        {transport_failure::body_too_large, error_kind::limit_exceeded, 429},
        {transport_failure::malformed_response, error_kind::protocol_error, 500},
        {transport_failure::cancelled, error_kind::cancelled, 500}};
    for (const auto& [failure, kind, status] : table) {
        BOOST_TEST_CONTEXT("failure " << static_cast<int>(failure)) {
            client_error error = transport_error(get_job, failure, "Connection refused", {});
            BOOST_TEST(to_string(error.kind()) == to_string(kind));
            BOOST_TEST(error.status() == status);
            BOOST_TEST(error.http_status() == 0);
            BOOST_TEST(error.request() == "GET /api/jobs/raysubmit_abc");
            BOOST_TEST(contains(error.message(), "GET /api/jobs/raysubmit_abc failed: "));
            BOOST_TEST(contains(error.message(), "Connection refused"));
        }
    }
}

BOOST_AUTO_TEST_CASE(transport_detail_is_sanitized) {
    const std::string secret(canary);
    client_error error = transport_error(get_job, transport_failure::tls_failed,
                                         "handshake with https://u:" + secret + "@h failed\r\n", {});
    BOOST_TEST(free_of_canary(error.what()));
    BOOST_TEST(!contains(error.message(), "\r"));
}

BOOST_AUTO_TEST_CASE(duplicate_submission_detection) {
    const std::string body = "Job with submission_id raycl_1 already exists. Please use a different submission_id.";
    BOOST_TEST(is_duplicate_submission(500, body));
    BOOST_TEST(!is_duplicate_submission(400, body));
    BOOST_TEST(!is_duplicate_submission(200, body));
    BOOST_TEST(!is_duplicate_submission(500, "Internal Server Error"));
}

BOOST_AUTO_TEST_SUITE_END()
