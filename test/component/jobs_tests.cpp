// Component tests of the Jobs API operations against the scripted fake dashboard.
#include "component/harness.hpp"

#include <boost/json.hpp>

namespace raycl::test {
namespace {

namespace json = boost::json;

const std::string succeeded_job = R"({"type": "SUBMISSION", "job_id": "02000000",
  "submission_id": "raysubmit_abc", "driver_info": {"id": "02000000", "node_ip_address": "127.0.0.1",
  "pid": "4242"}, "status": "SUCCEEDED", "entrypoint": "python job.py",
  "message": "Job finished successfully.", "error_type": null, "start_time": 1700000000000,
  "end_time": 1700000005000, "metadata": {"owner": "tests"}, "runtime_env": {},
  "driver_agent_http_address": "http://127.0.0.1:52365", "driver_node_id": "aa11",
  "driver_exit_code": 0, "a_field_from_the_future": [1, 2]})";

std::string job_with_status(const std::string& status) {
    return R"({"type": "SUBMISSION", "job_id": null, "submission_id": "raysubmit_abc",
      "status": ")" +
           status + R"(", "entrypoint": "sleep 1", "message": null})";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(component_jobs)

BOOST_AUTO_TEST_CASE(get_version_decodes_and_sends_user_agent) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/version")
        .reply_with(reply::json(
            200,
            R"({"version": "4", "ray_version": "2.60.0", "ray_commit": "abc", "session_name": "s1", "extra": 1})"));
    client ray(options_for(dashboard));
    const auto version = run_sync(ray.get_version());
    BOOST_TEST(version.ray_version == "2.60.0");
    BOOST_TEST(version.version == "4");
    BOOST_TEST(version.raw->contains("extra"));
    const auto request = dashboard.requests().at(0);
    BOOST_TEST(request.header("user-agent") == std::string("raycl/") + RAYCL_VERSION_STRING);
    BOOST_TEST(request.header("origin").empty());
    BOOST_TEST(request.header("referer").empty());
    BOOST_TEST(request.header("authorization").empty());
}

BOOST_AUTO_TEST_CASE(get_job_decodes_ray_payload) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/jobs/raysubmit_abc").reply_with(reply::json(200, succeeded_job));
    client ray(options_for(dashboard));
    const auto job = run_sync(ray.get_job("raysubmit_abc"));
    BOOST_TEST(job.status == job_status::succeeded);
    BOOST_TEST(job.is_terminal());
    BOOST_TEST(job.type == job_type::submission);
    BOOST_TEST(job.driver_info.has_value());
    BOOST_TEST(job.driver_info->pid == "4242");
    BOOST_TEST(job.metadata.at("owner") == "tests");
    BOOST_TEST(job.start_time.value() == 1700000000000);
    BOOST_TEST(!job.error_type.has_value());
    BOOST_TEST(job.raw->contains("a_field_from_the_future"));
}

BOOST_AUTO_TEST_CASE(get_job_unknown_is_404_with_ray_text) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/jobs/nope").reply_with(reply::text(404, "Job nope does not exist"));
    client ray(options_for(dashboard));
    const auto error = expect_error(ray.get_job("nope"));
    BOOST_TEST(error.status() == 404);
    BOOST_TEST(error.kind() == error_kind::not_found);
    BOOST_TEST(error.http_status() == 404);
    BOOST_TEST(error.server_body() == "Job nope does not exist");
    BOOST_TEST(error.request() == "GET /api/jobs/nope");
}

BOOST_AUTO_TEST_CASE(invalid_ids_are_rejected_before_any_io) {
    fake_dashboard dashboard;
    client ray(options_for(dashboard));
    for (const std::string& id : std::vector<std::string>{"", "../etc", "a/b", "a%2Fb", "a\r\nb",
                                                          std::string("a\0b", 3), std::string(101, 'x'), "job\n"}) {
        BOOST_TEST(expect_error(ray.get_job(id)).status() == 400);
        BOOST_TEST(expect_error(ray.stop_job(id)).status() == 400);
        BOOST_TEST(expect_error(ray.delete_job(id)).status() == 400);
        BOOST_TEST(expect_error(ray.list_job_logs(id)).status() == 400);
        BOOST_TEST(expect_error(ray.get_node(id)).status() == 400);
        BOOST_TEST(expect_error(ray.get_task(id)).status() == 400);
        BOOST_TEST(expect_error(ray.get_actor(id)).status() == 400);
    }
    BOOST_TEST(dashboard.requests().empty());
    BOOST_TEST(dashboard.connections_accepted() == 0u);
}

BOOST_AUTO_TEST_CASE(list_jobs_uses_the_trailing_slash_and_decodes_every_job) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/jobs/")
        .reply_with(reply::json(200, "[" + succeeded_job + "," + job_with_status("PENDING") + "]"));
    client ray(options_for(dashboard));
    const auto jobs = run_sync(ray.list_jobs());
    BOOST_TEST(jobs.size() == 2u);
    BOOST_TEST(jobs[1].status == job_status::pending);
    BOOST_TEST(!jobs[1].job_id.has_value());
    BOOST_TEST(dashboard.unmatched().empty());
}

BOOST_AUTO_TEST_CASE(list_job_logs_returns_the_text) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/jobs/raysubmit_abc/logs")
        .reply_with(reply::json(200, R"({"logs": "line 1\nh\u00e9llo\nlast"})"));
    client ray(options_for(dashboard));
    BOOST_TEST(run_sync(ray.list_job_logs("raysubmit_abc")) == "line 1\nh\xC3\xA9llo\nlast");
}

BOOST_AUTO_TEST_CASE(list_job_logs_of_a_driver_job_is_400) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/jobs/02000000/logs")
        .reply_with(reply::text(400, "Can only get logs of submission type jobs"));
    client ray(options_for(dashboard));
    BOOST_TEST(expect_error(ray.list_job_logs("02000000")).status() == 400);
}

BOOST_AUTO_TEST_CASE(stop_job_running_and_already_terminal) {
    fake_dashboard dashboard;
    dashboard.expect("POST", "/api/jobs/raysubmit_abc/stop").reply_with(reply::json(200, R"({"stopped": true})"));
    dashboard.expect("POST", "/api/jobs/raysubmit_abc/stop").reply_with(reply::json(200, R"({"stopped": false})"));
    client ray(options_for(dashboard));
    BOOST_TEST(run_sync(ray.stop_job("raysubmit_abc")) == true);
    // Real Ray answers 200 {"stopped": false} for a terminal job: raycl returns false.
    BOOST_TEST(run_sync(ray.stop_job("raysubmit_abc")) == false);
}

BOOST_AUTO_TEST_CASE(stop_job_is_not_retried_after_a_503) {
    fake_dashboard dashboard;
    dashboard.expect("POST", "/api/jobs/raysubmit_abc/stop").reply_with(reply::text(503, "busy")).repeatedly();
    client ray(options_for(dashboard));
    BOOST_TEST(expect_error(ray.stop_job("raysubmit_abc")).status() == 503);
    BOOST_TEST(dashboard.requests().size() == 1u);
}

BOOST_AUTO_TEST_CASE(submit_job_sends_only_the_fields_that_are_set) {
    fake_dashboard dashboard;
    dashboard.expect("POST", "/api/jobs/")
        .reply_with(reply::json(200, R"({"job_id": "my_id", "submission_id": "my_id"})"));
    client ray(options_for(dashboard));
    job_submission submission;
    submission.entrypoint = "python -c 'print(1)'";
    submission.submission_id = "my_id";
    submission.entrypoint_num_cpus = 0.5;
    submission.metadata = std::map<std::string, std::string>{{"k", "v"}};
    BOOST_TEST(run_sync(ray.submit_job(submission)) == "my_id");
    const auto request = dashboard.requests().at(0);
    BOOST_TEST(request.header("content-type") == "application/json");
    const auto body = json::parse(request.body).as_object();
    BOOST_TEST(body.size() == 4u);
    BOOST_TEST(body.at("entrypoint").as_string() == "python -c 'print(1)'");
    BOOST_TEST(body.at("submission_id").as_string() == "my_id");
    BOOST_TEST(body.at("entrypoint_num_cpus").to_number<double>() == 0.5);
    BOOST_TEST(body.at("metadata").at("k").as_string() == "v");
}

BOOST_AUTO_TEST_CASE(submit_job_generates_a_submission_id) {
    fake_dashboard dashboard;
    dashboard.route("POST", "/api/jobs/", [](const recorded_request& request) {
        const auto id = json::value_to<std::string>(json::parse(request.body).at("submission_id"));
        return reply::json(200, R"({"job_id": ")" + id + R"(", "submission_id": ")" + id + R"("})");
    });
    client ray(options_for(dashboard));
    const auto id = run_sync(ray.submit_job({"echo hi"}));
    BOOST_TEST(id.rfind("raycl_", 0) == 0u);
    BOOST_TEST(json::parse(dashboard.requests().at(0).body).at("submission_id").as_string() == id);
}

BOOST_AUTO_TEST_CASE(braced_arguments_inside_co_await_are_safe_with_gcc_12) {
    // g++ 12 destroys aggregate temporaries of a co_await expression twice; the argument types
    // are therefore not aggregates. This is the way users write it.
    fake_dashboard dashboard;
    dashboard.expect("POST", "/api/jobs/").reply_with(reply::json(200, R"({"job_id": "j", "submission_id": "j"})"));
    dashboard.expect("GET", "/api/v0/tasks?limit=5&filter_keys=state&filter_predicates=%3D&filter_values=RUNNING")
        .reply_with(reply::json(200, R"({"result": true, "msg": "", "data": {"result": {"total": 0,
            "num_after_truncation": 0, "num_filtered": 0, "result": []}}})"));
    client ray(options_for(dashboard));
    auto flow = [&]() -> asio::awaitable<std::size_t> {
        const auto id = co_await ray.submit_job(job_submission("echo hi").with_submission_id("j").with_num_cpus(0.5));
        const auto tasks = co_await ray.list_tasks(list_options().with_limit(5).where("state", "RUNNING"));
        co_return id.size() + tasks.items.size();
    };
    BOOST_TEST(run_sync(flow()) == 1u);
    BOOST_TEST(dashboard.unmatched().empty());
}

BOOST_AUTO_TEST_CASE(submit_job_retried_after_a_lost_response_counts_the_duplicate_as_success) {
    fake_dashboard dashboard;
    // The first attempt reaches Ray (which records the job) but the answer is lost.
    dashboard.expect("POST", "/api/jobs/").reply_with(reply::json(200, "{}").with_fault(fault::close_before_headers));
    dashboard.expect("POST", "/api/jobs/")
        .reply_with(reply::text(500,
                                "Traceback ...\nValueError: Job with submission_id job_1 already exists. Please use a "
                                "different submission_id."));
    client ray(options_for(dashboard));
    BOOST_TEST(run_sync(ray.submit_job(job_submission("echo hi").with_submission_id("job_1"))) == "job_1");
    BOOST_TEST(dashboard.requests().size() == 2u);
}

BOOST_AUTO_TEST_CASE(submit_job_duplicate_on_first_attempt_is_an_error) {
    fake_dashboard dashboard;
    dashboard.expect("POST", "/api/jobs/")
        .reply_with(
            reply::text(500, "Job with submission_id job_1 already exists. Please use a different submission_id."));
    client ray(options_for(dashboard));
    const auto error = expect_error(ray.submit_job(job_submission("echo hi").with_submission_id("job_1")));
    BOOST_TEST(error.status() == 500);
}

BOOST_AUTO_TEST_CASE(submit_job_validates_before_io) {
    fake_dashboard dashboard;
    client ray(options_for(dashboard));
    BOOST_TEST(expect_error(ray.submit_job({""})).status() == 400);
    BOOST_TEST(expect_error(ray.submit_job(job_submission("x").with_submission_id("bad/id"))).status() == 400);
    job_submission nan_cpus("x");
    nan_cpus.entrypoint_num_cpus = std::numeric_limits<double>::quiet_NaN();
    BOOST_TEST(expect_error(ray.submit_job(nan_cpus)).status() == 400);
    BOOST_TEST(dashboard.requests().empty());
}

BOOST_AUTO_TEST_CASE(delete_job_terminal_and_running) {
    fake_dashboard dashboard;
    dashboard.expect("DELETE", "/api/jobs/done").reply_with(reply::json(200, R"({"deleted": true})"));
    dashboard.expect("DELETE", "/api/jobs/busy")
        .reply_with(reply::text(500,
                                "Traceback (most recent call last):\nRuntimeError: Attempted to delete job busy, but "
                                "it is in a non-terminal state RUNNING."));
    client ray(options_for(dashboard));
    BOOST_TEST(run_sync(ray.delete_job("done")) == true);
    const auto error = expect_error(ray.delete_job("busy"));
    BOOST_TEST(error.status() == 400);
    BOOST_TEST(error.http_status() == 500);
}

BOOST_AUTO_TEST_CASE(wait_for_job_polls_until_terminal) {
    fake_dashboard dashboard;
    std::atomic<int> polls{0};
    dashboard.route("GET", "/api/jobs/raysubmit_abc", [&](const recorded_request&) {
        const int n = ++polls;
        return reply::json(200, job_with_status(n < 3 ? "RUNNING" : "FAILED"));
    });
    client ray(options_for(dashboard));
    wait_options wait;
    wait.initial_interval = std::chrono::milliseconds(1);
    wait.max_interval = std::chrono::milliseconds(4);
    const auto job = run_sync(ray.wait_for_job("raysubmit_abc", wait));
    BOOST_TEST(job.status == job_status::failed);
    BOOST_TEST(polls.load() == 3);
}

BOOST_AUTO_TEST_CASE(wait_for_job_deadline_is_408) {
    fake_dashboard dashboard;
    dashboard.route("GET", "/api/jobs/raysubmit_abc",
                    [&](const recorded_request&) { return reply::json(200, job_with_status("RUNNING")); });
    client ray(options_for(dashboard));
    wait_options wait;
    wait.deadline = std::chrono::milliseconds(30);
    wait.initial_interval = std::chrono::milliseconds(5);
    const auto error = expect_error(ray.wait_for_job("raysubmit_abc", wait));
    BOOST_TEST(error.status() == 408);
    BOOST_TEST(dashboard.requests().size() >= 2u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace raycl::test
