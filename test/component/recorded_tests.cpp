// Component tests where the fake dashboard serves responses recorded from a real Ray 2.60.0
// cluster (test/fixtures/ray, see its README for the requests that produced them).
#include "component/harness.hpp"

#include <boost/json.hpp>

namespace raycl::test {

namespace json = boost::json;

BOOST_AUTO_TEST_SUITE(component_recorded)

BOOST_AUTO_TEST_CASE(recorded_job_and_job_list) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/jobs/raycl-ok-2")
        .reply_with(reply::json(200, ray_fixture("jobs_get_succeeded.json")));
    dashboard.expect("GET", "/api/jobs/").reply_with(reply::json(200, ray_fixture("jobs_list.json")));
    client ray(options_for(dashboard));
    const auto job = run_sync(ray.get_job("raycl-ok-2"));
    BOOST_TEST(job.status == job_status::succeeded);
    BOOST_TEST(job.driver_info->pid == "15258");
    BOOST_TEST(job.metadata.empty());          // Ray sent null
    BOOST_TEST(!job.runtime_env.has_value());  // Ray sent null
    BOOST_TEST(job.driver_exit_code.value() == 0);
    const auto jobs = run_sync(ray.list_jobs());
    BOOST_TEST(jobs.size() == 2u);
    BOOST_TEST(jobs[1].status == job_status::failed);
}

BOOST_AUTO_TEST_CASE(recorded_error_bodies) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/jobs/raycl-nope")
        .reply_with(reply::text(404, ray_fixture("error_job_not_found.txt")));
    dashboard.expect("DELETE", "/api/jobs/raycl-long-1")
        .reply_with(reply::text(500, ray_fixture("error_job_delete_running.txt")));
    dashboard.expect("GET", "/api/v0/tasks?filter_keys=bogus&filter_predicates=%3D&filter_values=x")
        .reply_with(reply::json(400, ray_fixture("error_state_tasks_unknown_filter_key.json")));
    client ray(options_for(dashboard));
    const auto missing = expect_error(ray.get_job("raycl-nope"));
    BOOST_TEST(missing.status() == 404);
    BOOST_TEST(missing.message().find("Job raycl-nope does not exist") != std::string::npos, missing.message());
    const auto running = expect_error(ray.delete_job("raycl-long-1"));
    BOOST_TEST(running.status() == 400);
    list_options bogus;
    bogus.filters = {{"bogus", "=", "x"}};
    const auto bad_filter = expect_error(ray.list_tasks(bogus));
    BOOST_TEST(bad_filter.status() == 400);
    BOOST_TEST(dashboard.unmatched().empty());
}

BOOST_AUTO_TEST_CASE(recorded_submit_duplicate_after_a_lost_answer) {
    fake_dashboard dashboard;
    dashboard.expect("POST", "/api/jobs/").reply_with(reply::json(200, "{}").with_fault(fault::reset_before_headers));
    dashboard.expect("POST", "/api/jobs/").reply_with(reply::text(500, ray_fixture("error_jobs_submit_duplicate.txt")));
    client ray(options_for(dashboard));
    BOOST_TEST(run_sync(ray.submit_job(job_submission("echo hi").with_submission_id("raycl-dup"))) == "raycl-dup");
}

BOOST_AUTO_TEST_CASE(recorded_state_lists) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/v0/nodes?detail=true")
        .reply_with(reply::json(200, ray_fixture("state_nodes_detail.json")));
    dashboard.expect("GET", "/api/v0/tasks?limit=1")
        .reply_with(reply::json(200, ray_fixture("state_tasks_limit1.json")));
    client ray(options_for(dashboard));
    list_options detail;
    detail.detail = true;
    const auto nodes = run_sync(ray.list_nodes(detail));
    BOOST_TEST(nodes.items.size() == 2u);
    BOOST_TEST(
        std::count_if(nodes.items.begin(), nodes.items.end(), [](const node_info& n) { return n.is_head_node; }) == 1);
    BOOST_TEST(!nodes.truncated());
    list_options one;
    one.limit = 1;
    const auto tasks = run_sync(ray.list_tasks(one));
    BOOST_TEST(tasks.items.size() == 1u);
    BOOST_TEST(tasks.num_filtered == 7);
    BOOST_TEST(tasks.truncated());  // Ray reports a limit cut only as rows < num_filtered
}

BOOST_AUTO_TEST_CASE(recorded_serve_mixed_declarative_and_imperative) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/serve/applications/")
        .reply_with(reply::json(200, ray_fixture("serve_get_mixed.json")))
        .repeatedly();
    dashboard.expect("PUT", "/api/serve/applications/").reply_with(reply::text(200, ""));
    client ray(options_for(dashboard));
    BOOST_TEST(run_sync(ray.get_serve_application("imperative_hello")).source == "imperative");
    BOOST_TEST(expect_error(ray.delete_serve_application("imperative_hello")).status() == 400);
    run_sync(ray.delete_serve_application("echo"));
    const auto put = dashboard.requests().back();
    BOOST_TEST(put.method == "PUT");
    const auto config = json::parse(put.body).as_object();
    BOOST_TEST(config.at("applications").as_array().empty());  // the imperative app is not in it
    BOOST_TEST(config.at("http_options").at("port").to_number<int>() == 8465);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace raycl::test
