// Component tests of the state API beyond nodes, tasks and actors, its summaries and the
// cluster status against the scripted fake dashboard, with Ray 2.60's recorded answers: the
// routes, decoding, filter checks before any I/O, and how every failure maps to a status.
#include "component/harness.hpp"

namespace raycl::test {
namespace {

const std::string object_id = "00868e48e2fa9a94678da072c43134ba5f9debd10200000002e1f505";

std::string by_id(const std::string& route, const std::string& key, const std::string& id) {
    return "/api/v0/" + route + "?detail=true&filter_keys=" + key + "&filter_predicates=%3D&filter_values=" + id;
}

const std::string no_rows = R"({"result": true, "msg": "", "data": {"result": {"total": 0, "num_after_truncation": 0,
  "num_filtered": 0, "result": [], "partial_failure_warning": "", "warnings": null}}})";

}  // namespace

BOOST_AUTO_TEST_SUITE(component_state_breadth)

BOOST_AUTO_TEST_CASE(every_new_resource_lists_through_its_route) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/v0/objects").reply_with(reply::json(200, ray_fixture("state_objects.json")));
    dashboard.expect("GET", "/api/v0/placement_groups?detail=true")
        .reply_with(reply::json(200, ray_fixture("state_placement_groups_detail.json")));
    dashboard.expect("GET", "/api/v0/workers?limit=3").reply_with(reply::json(200, ray_fixture("state_workers.json")));
    dashboard.expect("GET", "/api/v0/runtime_envs")
        .reply_with(reply::json(200, ray_fixture("state_runtime_envs.json")));
    dashboard.expect("GET", "/api/v0/cluster_events")
        .reply_with(reply::json(200, ray_fixture("state_cluster_events.json")));
    dashboard.expect("GET", "/api/v0/jobs?detail=true")
        .reply_with(reply::json(200, ray_fixture("state_jobs_detail.json")));
    dashboard.expect("GET", "/api/v0/tasks?limit=2&exclude_driver=false")
        .reply_with(reply::json(200, ray_fixture("state_tasks_exclude_driver_false.json")));
    client ray(options_for(dashboard));
    const auto objects = run_sync(ray.list_objects());
    BOOST_TEST(objects.items.size() == 6u);
    BOOST_TEST(!objects.filtered);
    const auto groups = run_sync(ray.list_placement_groups(list_options().with_detail()));
    BOOST_TEST(groups.items.at(0).name == "raycl_logs_pg_p1");
    const auto workers = run_sync(ray.list_workers(list_options().with_limit(3)));
    BOOST_TEST(workers.items.size() == 3u);
    BOOST_TEST(workers.limit_truncated());  // 3 of 8
    BOOST_TEST(run_sync(ray.list_runtime_envs()).items.size() == 2u);
    BOOST_TEST(run_sync(ray.list_cluster_events()).items.at(0).source_type == "JOBS");
    BOOST_TEST(run_sync(ray.list_state_jobs(list_options().with_detail())).items.at(0).status == job_status::running);
    const auto tasks = run_sync(ray.list_tasks(list_options().with_limit(2).with_exclude_driver(false)));
    BOOST_TEST(tasks.items.size() <= 2u);
    BOOST_TEST(dashboard.unmatched().empty());
    BOOST_TEST(dashboard.unmet_expectations().empty());
}

BOOST_AUTO_TEST_CASE(gets_are_filtered_detailed_lists) {
    fake_dashboard dashboard;
    dashboard.expect("GET", by_id("objects", "object_id", object_id))
        .reply_with(reply::json(200, ray_fixture("state_objects_filter_pid.json")));
    const std::string pg = "1c45c8d33ae0f2ab0506bc649cde02000000";
    dashboard.expect("GET", by_id("placement_groups", "placement_group_id", pg))
        .reply_with(reply::json(200, ray_fixture("state_placement_groups_detail.json")));
    dashboard.expect("GET", by_id("placement_groups", "placement_group_id", "ffff"))
        .reply_with(reply::json(200, no_rows));
    const std::string worker = "01536971406a4627a357fc7d22f471c2b6e597ea9f10ad515bbed763";
    dashboard.expect("GET", by_id("workers", "worker_id", worker))
        .reply_with(reply::json(200, ray_fixture("state_workers_filter_pid.json")));
    dashboard.expect("GET", by_id("cluster_events", "event_id", "2Bd7B2a50681BF2Ea8Ab02dAE4b36A3ddFe8"))
        .reply_with(reply::json(200, ray_fixture("state_cluster_events_detail.json")));
    dashboard.expect("GET", by_id("jobs", "submission_id", "raycl-logs-p1"))
        .reply_with(reply::json(200, ray_fixture("state_jobs_detail.json")));
    client ray(options_for(dashboard));
    const auto references = run_sync(ray.get_object(object_id));
    BOOST_TEST(references.size() == 3u);  // one row per holder: a list, as `ray get objects`
    BOOST_TEST(run_sync(ray.get_placement_group(pg)).state == "CREATED");
    const auto missing = expect_error(ray.get_placement_group("ffff"));
    BOOST_TEST(missing.status() == 404);
    BOOST_TEST(missing.message() == "placement group ffff not found");
    BOOST_TEST(run_sync(ray.get_worker(worker)).pid == 25481);
    BOOST_TEST(run_sync(ray.get_cluster_event("2Bd7B2a50681BF2Ea8Ab02dAE4b36A3ddFe8")).severity == "INFO");
    BOOST_TEST(run_sync(ray.get_state_job("raycl-logs-p1")).submission_id.value_or("") == "raycl-logs-p1");
    BOOST_TEST(expect_error(ray.get_object("a/b")).status() == 400);
    BOOST_TEST(dashboard.unmet_expectations().empty());
}

BOOST_AUTO_TEST_CASE(filter_columns_are_checked_before_any_io) {
    fake_dashboard dashboard;
    client ray(options_for(dashboard));
    list_options bogus = list_options().where("bogus", "x");
    const auto objects = expect_error(ray.list_objects(bogus));
    BOOST_TEST(objects.status() == 400);
    BOOST_TEST(objects.message().find("supported filter columns: attempt_number, call_site, ip, object_id") !=
               std::string::npos);
    BOOST_TEST(expect_error(ray.list_placement_groups(bogus)).status() == 400);
    BOOST_TEST(expect_error(ray.list_workers(bogus)).status() == 400);
    BOOST_TEST(expect_error(ray.list_runtime_envs(bogus)).status() == 400);
    BOOST_TEST(expect_error(ray.list_cluster_events(bogus)).status() == 400);
    // Ray answers this one on /api/v0/jobs with a bare 500: the check keeps it a 400.
    BOOST_TEST(expect_error(ray.list_state_jobs(bogus)).status() == 400);
    BOOST_TEST(expect_error(ray.list_tasks(bogus)).status() == 400);
    BOOST_TEST(expect_error(ray.list_actors(list_options().with_exclude_driver(true))).status() == 400);
    BOOST_TEST(expect_error(ray.summarize_objects(summary_options().where("class_name", "x"))).status() == 400);
    BOOST_TEST(dashboard.request_count() == 0u);
}

BOOST_AUTO_TEST_CASE(ray_failures_of_the_state_routes) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/v0/objects?detail=true")
        .reply_with(reply::json(400, ray_fixture("error_state_detail_bogus.json")));
    dashboard.expect("GET", "/api/v0/jobs?limit=50")
        .reply_with(reply::text(500, ray_fixture("error_state_jobs_limit_10001.txt")));
    dashboard.expect("GET", "/api/v0/workers")
        .reply_with(reply::json(429, R"({"result": false, "msg": "Max number of in-progress requests=100 reached.",
          "data": {"result": null}})"));
    dashboard.expect("GET", "/api/v0/cluster_events")
        .reply_with(
            reply::json(500, R"({"result": false, "msg": "Failed to query the GCS", "data": {"result": null}})"));
    client ray(options_for(dashboard));
    const auto bad = expect_error(ray.list_objects(list_options().with_detail()));
    BOOST_TEST(bad.status() == 400);
    BOOST_TEST(bad.message().find("HTTP 400: Failed to convert a value maybe") != std::string::npos, bad.message());
    call_options once;
    once.retry = retry_policy{};
    once.retry->max_attempts = 1;
    BOOST_TEST(expect_error(ray.list_state_jobs(list_options().with_limit(50), once)).status() == 500);
    BOOST_TEST(expect_error(ray.list_workers({}, once)).status() == 429);
    const auto unavailable = expect_error(ray.list_cluster_events({}, once));
    BOOST_TEST(unavailable.status() == 500);
    BOOST_TEST(unavailable.message().find("Failed to query the GCS") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_filtered_list_cut_at_the_source_says_so) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/v0/tasks?filter_keys=func_or_class_name&filter_predicates=%3D&filter_values=f")
        .reply_with(reply::json(200, R"({"result": true, "msg": "", "data": {"result": {"total": 25000,
          "num_after_truncation": 10000, "num_filtered": 0, "result": [], "partial_failure_warning": "",
          "warnings": null}}})"));
    client ray(options_for(dashboard));
    const auto tasks = run_sync(ray.list_tasks(list_options().where("func_or_class_name", "f")));
    BOOST_TEST(tasks.items.empty());
    BOOST_TEST(tasks.filtered);
    BOOST_TEST(tasks.source_truncated());
    const auto notes = tasks.describe_truncation("tasks");
    BOOST_TEST_REQUIRE(notes.size() == 1u);
    BOOST_TEST(notes[0].find("Ray issue 33547") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(summaries_of_tasks_actors_and_objects) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/v0/tasks/summarize?summary_by=func_name")
        .reply_with(reply::json(200, ray_fixture("state_tasks_summarize_func_name.json")));
    dashboard
        .expect("GET",
                "/api/v0/tasks/summarize?summary_by=lineage&timeout=5&filter_keys=state&filter_predicates=%3D"
                "&filter_values=FINISHED")
        .reply_with(reply::json(200, ray_fixture("state_tasks_summarize_lineage.json")));
    dashboard.expect("GET", "/api/v0/actors/summarize")
        .reply_with(reply::json(200, ray_fixture("state_actors_summarize.json")));
    dashboard.expect("GET", "/api/v0/objects/summarize")
        .reply_with(reply::json(200, ray_fixture("state_objects_summarize.json")));
    dashboard.expect("GET", "/api/v0/actors/summarize")
        .reply_with(reply::text(500, ray_fixture("error_state_tasks_summarize_bogus.txt")));
    client ray(options_for(dashboard));
    const auto by_name = run_sync(ray.summarize_tasks());
    BOOST_TEST(by_name.total_tasks == 4);
    BOOST_TEST(by_name.groups.size() == 5u);
    summary_options finished = summary_options().where("state", "FINISHED");
    finished.server_timeout_seconds = 5;
    const auto lineage = run_sync(ray.summarize_tasks(task_summary_by::lineage, finished));
    BOOST_TEST(lineage.lineage.size() == 4u);
    BOOST_TEST(lineage.filtered);
    BOOST_TEST(run_sync(ray.summarize_actors()).total_actors == 2);
    const auto objects = run_sync(ray.summarize_objects());
    BOOST_TEST(objects.total_objects == 6);
    BOOST_TEST(objects.describe_truncation("objects").size() == 1u);  // Ray's callsite warning
    call_options once;
    once.retry = retry_policy{};
    once.retry->max_attempts = 1;
    BOOST_TEST(expect_error(ray.summarize_actors({}, once)).status() == 500);
    BOOST_TEST(dashboard.unmet_expectations().empty());
}

BOOST_AUTO_TEST_CASE(cluster_status_text_and_structured_form) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/cluster_status?format=1")
        .reply_with(reply::json(200, ray_fixture("cluster_status_format1.json")));
    dashboard.expect("GET", "/api/cluster_status")
        .reply_with(reply::json(200, ray_fixture("cluster_status_format0.json")));
    dashboard.expect("GET", "/api/cluster_status?format=1")
        .reply_with(reply::json(200, R"({"result": false, "msg": "Failed to get cluster status", "data": {}})"));
    dashboard.expect("GET", "/api/cluster_status?format=1")
        .reply_with(reply::text(401, "Unauthorized: Missing authentication token"));
    client ray(options_for(dashboard));
    const auto status = run_sync(ray.get_cluster_status());
    BOOST_TEST(status.text.starts_with("======== Autoscaler status: "));
    BOOST_REQUIRE(status.report.has_value());
    BOOST_TEST(status.report->usage.at("raycl_worker_1").total == 1.0);
    BOOST_TEST(!status.raw->empty());
    const auto failed = expect_error(ray.get_cluster_status());
    BOOST_TEST(failed.status() == 500);
    BOOST_TEST(failed.message().find("Failed to get cluster status") != std::string::npos);
    BOOST_TEST(expect_error(ray.get_cluster_status()).status() == 401);
    BOOST_TEST(dashboard.unmet_expectations().empty());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace raycl::test
