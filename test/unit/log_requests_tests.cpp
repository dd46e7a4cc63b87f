// The requests of Ray's log routes: validation before any I/O, the exact queries, and how
// Ray 2.60's recorded failures are read (test/fixtures/ray/error_logs_*).
#include "core/log_lines.hpp"
#include "core/log_requests.hpp"
#include "unit/ray_fixtures.hpp"
#include "unit/unit_helpers.hpp"

#include <boost/test/unit_test.hpp>

#include <map>
#include <string>

using namespace raycl;
using namespace raycl::core;
using raycl::test::contains;
using raycl::test::expect_client_error;
using raycl::test::ray_fixture;

namespace {

const std::string head = "4fa3bd9464ae86d67b132fe9266657b7fea722bd95996b3cc6eae017";
const std::string task_id = "67a2e8cfa5a06db3ffffffffffffffffffffffff02000000";
const std::string actor_id = "678da072c43134ba5f9debd102000000";

client_error rejected(const raycl::log_target& target, log_options options = {}) {
    return expect_client_error(error_kind::invalid_argument, [&] { log_file_request(target, options); });
}

/// How a recorded error body of the file route reads.
client_error classified(const std::string& fixture, int status = 500) {
    request_spec request;
    request.target = "/api/v0/logs/file?x=1";
    auto error = classify_log_status(request, status, ray_fixture(fixture), {});
    BOOST_REQUIRE(error.has_value());
    return *error;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(log_requests)

BOOST_AUTO_TEST_CASE(each_target_names_its_log_with_ray_parameters) {
    log_options options;
    BOOST_TEST(log_file_request(raycl::log_target::task(task_id), options).target ==
               "/api/v0/logs/file?task_id=" + task_id + "&attempt_number=0&suffix=out&lines=-1");
    options.suffix = log_suffix::err;
    options.lines = 5;
    options.server_timeout = seconds(2.5);
    options.filter_ansi_code = true;
    BOOST_TEST(log_file_request(raycl::log_target::task(task_id, 1), options).target ==
               "/api/v0/logs/file?task_id=" + task_id +
                   "&attempt_number=1&suffix=err&lines=5&timeout=3&filter_ansi_code=true");
    BOOST_TEST(log_file_request(raycl::log_target::actor(actor_id), {}).target ==
               "/api/v0/logs/file?actor_id=" + actor_id + "&suffix=out&lines=-1");
    BOOST_TEST(log_file_request(raycl::log_target::worker(25481, node_selector::by_id(head)), {}).target ==
               "/api/v0/logs/file?pid=25481&node_id=" + head + "&suffix=out&lines=-1");
    BOOST_TEST(log_file_request(raycl::log_target::worker(7, node_selector::by_ip("127.0.0.1")), {}).target ==
               "/api/v0/logs/file?pid=7&node_ip=127.0.0.1&suffix=out&lines=-1");
    BOOST_TEST(
        log_file_request(raycl::log_target::node_file("old/raylet 1.out", node_selector::by_id(head)), {}).target ==
        "/api/v0/logs/file?node_id=" + head + "&filename=old%2Fraylet%201.out&lines=-1");
    // A job: Ray 2.60 wants a node next to the submission id (the facade passes the driver's).
    BOOST_TEST(log_file_request(raycl::log_target::job("raycl-logs-p1"), {}, head).target ==
               "/api/v0/logs/file?submission_id=raycl-logs-p1&node_id=" + head + "&lines=-1");
    BOOST_TEST(log_query(raycl::log_target::task(task_id, 2), log_suffix::err) ==
               "task_id=" + task_id + "&attempt_number=2&suffix=err");
}

BOOST_AUTO_TEST_CASE(targets_are_checked_before_any_io) {
    BOOST_TEST(rejected(raycl::log_target::task("67a2e8cf")).message() == "task ID must be 48 hexadecimal characters");
    BOOST_TEST(contains(rejected(raycl::log_target::task(task_id, -1)).message(), "attempt_number"));
    BOOST_TEST(rejected(raycl::log_target::actor(std::string(32, 'g'))).message() ==
               "actor ID must be 32 hexadecimal characters");
    BOOST_TEST(contains(rejected(raycl::log_target::worker(0, node_selector::by_id(head))).message(), "pid"));
    BOOST_TEST(rejected(raycl::log_target::worker(1, node_selector::by_id("abc"))).message() ==
               "node ID must be 56 hexadecimal characters");
    BOOST_TEST(contains(rejected(raycl::log_target::worker(1, node_selector::by_ip("host; rm"))).message(), "IP"));
    for (const std::string name : {"../../etc/passwd", "/etc/passwd", "a/../../b", "", "x\ny"}) {
        BOOST_TEST_CONTEXT(name) {
            rejected(raycl::log_target::node_file(name, node_selector::by_id(head)));
        }
    }
    rejected(raycl::log_target::job("a/b"));
    // The head is looked up by the facade; a request never names it.
    BOOST_TEST(contains(rejected(raycl::log_target::node_file("raylet.out")).message(), "head"));
}

BOOST_AUTO_TEST_CASE(options_are_checked_against_the_target) {
    const auto task = raycl::log_target::task(task_id);
    for (std::int64_t lines : {0LL, -2LL, 10'000'001LL}) {
        log_options options;
        options.lines = lines;
        BOOST_TEST_CONTEXT("lines " << lines) {
            rejected(task, options);
        }
    }
    log_options err;
    err.suffix = log_suffix::err;
    BOOST_CHECK_NO_THROW(log_file_request(task, err));
    rejected(raycl::log_target::job("raycl-logs-p1"), err);
    rejected(raycl::log_target::node_file("raylet.out", node_selector::by_id(head)), err);
    log_options timeout;
    timeout.server_timeout = seconds(0.0);
    rejected(task, timeout);
}

BOOST_AUTO_TEST_CASE(list_logs_names_the_node_and_glob) {
    BOOST_TEST(list_logs_request(node_selector::by_id(head), "*").target ==
               "/api/v0/logs?node_id=" + head + "&glob=%2A");
    BOOST_TEST(list_logs_request(node_selector::by_ip("127.0.0.1"), "worker-*.out", seconds(10.0)).target ==
               "/api/v0/logs?node_ip=127.0.0.1&glob=worker-%2A.out&timeout=10");
    expect_client_error(error_kind::invalid_argument, [] { list_logs_request(node_selector::by_id(head), "../*"); });
    expect_client_error(error_kind::invalid_argument, [] { list_logs_request(node_selector::by_id(head), "/tmp/*"); });
    expect_client_error(error_kind::invalid_argument, [] { list_logs_request(node_selector::head(), "*"); });
    BOOST_TEST(head_node_request().target ==
               "/api/v0/nodes?filter_keys=is_head_node&filter_predicates=%3D&filter_values=true");
}

BOOST_AUTO_TEST_CASE(ray_500s_that_mean_no_such_log_are_404) {
    // Recorded from Ray 2.60: every one of these is a 500 there.
    for (const std::string fixture :
         {"error_logs_file_task_attempt_missing.txt", "error_logs_file_unknown_task.txt",
          "error_logs_file_unknown_actor.txt", "error_logs_file_malformed_actor.txt", "error_logs_file_unknown_pid.txt",
          "error_logs_file_unknown_filename.txt", "error_logs_file_unknown_node_ip.txt", "error_logs_file_dotdot.txt",
          "error_logs_file_absolute.txt", "error_logs_file_unknown_submission.txt"}) {
        BOOST_TEST_CONTEXT(fixture) {
            const client_error error = classified(fixture);
            BOOST_TEST(error.status() == 404);
            BOOST_TEST(error.http_status() == 500);  // what Ray answered
            BOOST_TEST(contains(error.message(), "HTTP 500"));
        }
    }
}

BOOST_AUTO_TEST_CASE(an_actor_task_is_a_400_that_points_to_its_actor) {
    const client_error error = classified("error_logs_file_actor_task.txt");
    BOOST_TEST(error.status() == 400);
    BOOST_TEST(contains(error.message(), "read the log of its actor " + actor_id + " instead"), error.message());
    BOOST_TEST(contains(error.server_body(), "For actor task, please query actor log"));
}

BOOST_AUTO_TEST_CASE(other_failures_keep_their_status) {
    // Ray's validation errors (a bare "Server got itself in trouble"), an id Ray cannot parse,
    // a job without driver node yet: the server's trouble, as classify_status reads it.
    for (const std::string fixture :
         {"error_logs_file_bad_suffix.txt", "error_logs_file_both_node_keys.txt", "error_logs_file_interval.txt",
          "error_logs_file_no_target.txt", "error_logs_file_pid_no_node.txt", "error_logs_bad_media_type.txt",
          "error_logs_file_malformed_task.txt", "error_logs_stream_job_pending.txt",
          "error_logs_list_unknown_node.txt"}) {
        BOOST_TEST_CONTEXT(fixture) {
            BOOST_TEST(classified(fixture).status() == 500);
        }
    }
    // Ray's own 400 and 404 of /api/v0/logs come as the state envelope: its msg is the message.
    const client_error no_node = classified("error_logs_list_no_node.json", 400);
    BOOST_TEST(no_node.status() == 400);
    BOOST_TEST(contains(no_node.message(), "HTTP 400: Both node id and node ip are not provided"), no_node.message());
    const client_error unknown_ip = classified("error_logs_list_unknown_ip.json", 404);
    BOOST_TEST(unknown_ip.status() == 404);
    BOOST_TEST(contains(unknown_ip.message(), "Cannot find matching node_id for a given node ip 10.9.9.9"));
    BOOST_TEST(!classify_log_status(list_jobs_request(), 200, "text", {}).has_value());
}

BOOST_AUTO_TEST_CASE(ansi_codes_are_removed_as_ray_removes_them) {
    std::string text = ray_fixture("logs_file_job.txt");
    strip_ansi_codes(text);
    BOOST_TEST(text == ray_fixture("logs_file_job_ansi_filtered.txt"));  // Ray's own filter_ansi_code=true
    std::string edge = "a\x1b[m b\x1b[1;32mc\x1b[0m\x1b[ d\x1b";
    strip_ansi_codes(edge);
    BOOST_TEST(edge == "a\x1b[m bc\x1b[ d\x1b");  // Ray's pattern needs a digit or ';'
}

BOOST_AUTO_TEST_CASE(the_last_lines_start_where_ray_starts_them) {
    const std::string actor_log = ray_fixture("logs_file_actor.txt");
    const std::string last_line = ray_fixture("logs_file_actor_lines1.txt");  // Ray's lines=1
    BOOST_TEST(actor_log.substr(start_of_last_lines(actor_log, 1)) == last_line);
    const std::string job_log = ray_fixture("logs_file_job.txt");
    BOOST_TEST(job_log.substr(start_of_last_lines(job_log, 2)) ==
               "RuntimeError: raycl flaky: first attempt fails on "
               "purpose\nraycl job p1 ready [1, 2, 3] 3\n");
    BOOST_TEST(start_of_last_lines("a\nb\nc\n", 2) == 2u);
    BOOST_TEST(start_of_last_lines("a\nb\nc", 1) == 4u);  // an unterminated last line counts
    BOOST_TEST(start_of_last_lines("a\nb\nc", 2) == 2u);
    BOOST_TEST(start_of_last_lines("a\nb\n", 5) == 0u);
    BOOST_TEST(start_of_last_lines("", 3) == 0u);
    BOOST_TEST(start_of_last_lines("\n\n", 1) == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
