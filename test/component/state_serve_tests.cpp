// Component tests of the state API (nodes, tasks, actors) and the Serve operations.
#include "component/harness.hpp"

#include <boost/json.hpp>

namespace raycl::test {
namespace {

namespace json = boost::json;

std::string envelope(const std::string& rows, int total, int after_truncation, int filtered) {
    return R"({"result": true, "msg": "", "data": {"result": {"total": )" + std::to_string(total) +
           R"(, "num_after_truncation": )" + std::to_string(after_truncation) + R"(, "num_filtered": )" +
           std::to_string(filtered) + R"(, "result": [)" + rows +
           R"(], "partial_failure_warning": "", "warnings": null}}})";
}

const std::string head_node = R"({"node_id": "aaaa", "node_ip": "127.0.0.1", "is_head_node": true,
  "state": "ALIVE", "state_message": null, "node_name": "127.0.0.1",
  "resources_total": {"CPU": 2.0, "memory": 1000000000.0}, "labels": {"ray.io/node_id": "aaaa"},
  "start_time_ms": 1700000000000, "end_time_ms": 0})";
const std::string worker_node = R"({"node_id": "bbbb", "node_ip": "127.0.0.1", "is_head_node": false,
  "state": "ALIVE", "node_name": "127.0.0.1", "resources_total": {"CPU": 1.0}, "labels": {}})";

std::string task_row(int attempt, const std::string& state) {
    return R"({"task_id": "t1", "attempt_number": )" + std::to_string(attempt) + R"(, "name": "square", "state": ")" +
           state + R"(", "job_id": "02000000", "actor_id": null,
           "type": "NORMAL_TASK", "func_or_class_name": "square", "parent_task_id": "p0",
           "node_id": "aaaa", "worker_id": "w1", "worker_pid": 77, "error_type": null})";
}

const std::string serve_details = R"({"controller_info": {"node_id": "aaaa"}, "proxy_location": "EveryNode",
  "http_options": {"host": "127.0.0.1", "port": 8465, "root_path": "", "request_timeout_s": null,
                   "keep_alive_timeout_s": 90, "ssl_keyfile": null},
  "deploy_mode": "MULTI_APP", "target_capacity": null,
  "applications": {
    "echo": {"name": "echo", "route_prefix": "/echo", "docs_path": null, "status": "RUNNING",
             "message": "", "last_deployed_time_s": 1700000000.5, "source": "declarative",
             "deployed_app_config": {"name": "echo", "route_prefix": "/echo", "import_path": "fixture:echo_app"},
             "deployments": {"Echo": {"name": "Echo", "status": "HEALTHY", "status_trigger": "CONFIG_UPDATE_COMPLETED",
                                      "message": "", "replicas": [{"replica_id": "r1"}]}}},
    "hello": {"name": "hello", "route_prefix": "/hello", "docs_path": null, "status": "DEPLOYING",
              "message": "", "last_deployed_time_s": 1700000001.0, "source": "declarative",
              "deployed_app_config": {"name": "hello", "route_prefix": "/hello", "import_path": "fixture:hello_app"},
              "deployments": {}},
    "manual": {"name": "manual", "route_prefix": "/manual", "status": "RUNNING", "message": "",
               "source": "imperative", "deployed_app_config": null, "deployments": {}}}})";

}  // namespace

BOOST_AUTO_TEST_SUITE(component_state)

BOOST_AUTO_TEST_CASE(list_nodes_reports_numbers_and_rows) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/v0/nodes?limit=100")
        .reply_with(reply::json(200, envelope(head_node + "," + worker_node, 2, 2, 2)));
    client ray(options_for(dashboard));
    list_options options;
    options.limit = 100;
    const auto nodes = run_sync(ray.list_nodes(options));
    BOOST_TEST(nodes.items.size() == 2u);
    BOOST_TEST(nodes.items[0].is_head_node);
    BOOST_TEST(nodes.items[0].alive());
    BOOST_TEST(nodes.items[0].resources_total.at("CPU") == 2.0);
    BOOST_TEST(!nodes.truncated());
    BOOST_TEST(dashboard.unmatched().empty());
}

BOOST_AUTO_TEST_CASE(list_tasks_with_limit_filters_and_detail_reports_truncation) {
    fake_dashboard dashboard;
    dashboard
        .expect("GET",
                "/api/v0/tasks?limit=1&detail=true&filter_keys=job_id&filter_predicates=%3D"
                "&filter_values=02000000&filter_keys=state&filter_predicates=%21%3D&filter_values=FAILED")
        .reply_with(reply::json(200, envelope(task_row(0, "FINISHED"), 12, 1, 5)));
    client ray(options_for(dashboard));
    list_options options;
    options.limit = 1;
    options.detail = true;
    options.filters = {{"job_id", "=", "02000000"}, {"state", "!=", "FAILED"}};
    const auto tasks = run_sync(ray.list_tasks(options));
    BOOST_TEST(dashboard.unmatched().empty());
    BOOST_TEST(tasks.items.size() == 1u);
    BOOST_TEST(tasks.total == 12);
    BOOST_TEST(tasks.truncated());
    BOOST_TEST(tasks.items[0].worker_pid.value() == 77);
}

BOOST_AUTO_TEST_CASE(list_options_are_validated_before_io) {
    fake_dashboard dashboard;
    client ray(options_for(dashboard));
    list_options too_many;
    too_many.limit = 10001;
    BOOST_TEST(expect_error(ray.list_tasks(too_many)).status() == 400);
    list_options bad_predicate;
    bad_predicate.filters = {{"state", "~", "x"}};
    BOOST_TEST(expect_error(ray.list_actors(bad_predicate)).status() == 400);
    BOOST_TEST(dashboard.requests().empty());
}

BOOST_AUTO_TEST_CASE(get_node_found_and_not_found) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/v0/nodes?detail=true&filter_keys=node_id&filter_predicates=%3D&filter_values=aaaa")
        .reply_with(reply::json(200, envelope(head_node, 2, 2, 1)));
    dashboard.expect("GET", "/api/v0/nodes?detail=true&filter_keys=node_id&filter_predicates=%3D&filter_values=ffff")
        .reply_with(reply::json(200, envelope("", 2, 2, 0)));
    client ray(options_for(dashboard));
    const auto node = run_sync(ray.get_node("aaaa"));
    BOOST_TEST(node.node_id == "aaaa");
    BOOST_TEST(node.start_time_ms.value() == 1700000000000);
    BOOST_TEST(expect_error(ray.get_node("ffff")).status() == 404);
    BOOST_TEST(dashboard.unmatched().empty());
}

BOOST_AUTO_TEST_CASE(get_task_returns_the_latest_attempt) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/v0/tasks?detail=true&filter_keys=task_id&filter_predicates=%3D&filter_values=t1")
        .reply_with(reply::json(200, envelope(task_row(1, "FINISHED") + "," + task_row(0, "FAILED"), 2, 2, 2)));
    client ray(options_for(dashboard));
    const auto task = run_sync(ray.get_task("t1"));
    BOOST_TEST(task.attempt_number == 1);
    BOOST_TEST(task.state == "FINISHED");
}

BOOST_AUTO_TEST_CASE(get_and_list_actors) {
    const std::string actor = R"({"actor_id": "ac1", "class_name": "Counter", "state": "ALIVE",
      "job_id": "02000000", "name": "", "node_id": "aaaa", "pid": 99, "ray_namespace": "ns", "num_restarts": 0})";
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/v0/actors").reply_with(reply::json(200, envelope(actor, 1, 1, 1)));
    dashboard.expect("GET", "/api/v0/actors?detail=true&filter_keys=actor_id&filter_predicates=%3D&filter_values=ac1")
        .reply_with(reply::json(200, envelope(actor, 1, 1, 1)));
    client ray(options_for(dashboard));
    const auto actors = run_sync(ray.list_actors());
    BOOST_TEST(actors.items.at(0).class_name == "Counter");
    BOOST_TEST(run_sync(ray.get_actor("ac1")).pid.value() == 99);
    BOOST_TEST(dashboard.unmatched().empty());
}

BOOST_AUTO_TEST_CASE(state_api_failure_envelope_and_429) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/v0/tasks")
        .reply_with(reply::json(200, R"({"result": false, "msg": "Failed to query: timeout", "data": {}})"));
    dashboard.expect("GET", "/api/v0/tasks")
        .reply_with(reply::json(
            429, R"({"result": false, "msg": "Max number of in-progress requests=100 reached.", "data": {}})"));
    client ray(options_for(dashboard));
    const auto failed = expect_error(ray.list_tasks());
    BOOST_TEST(failed.status() == 500);
    BOOST_TEST(failed.message().find("Failed to query") != std::string::npos);
    BOOST_TEST(expect_error(ray.list_tasks()).status() == 429);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(component_serve)

BOOST_AUTO_TEST_CASE(list_and_get_serve_applications) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/serve/applications/").reply_with(reply::json(200, serve_details)).repeatedly();
    client ray(options_for(dashboard));
    const auto instance = run_sync(ray.list_serve_applications());
    BOOST_TEST(instance.applications.size() == 3u);
    BOOST_TEST(instance.proxy_location.value() == "EveryNode");
    const auto echo = run_sync(ray.get_serve_application("echo"));
    BOOST_TEST(echo.status == serve_app_status::running);
    BOOST_TEST(echo.deployments.size() == 1u);
    BOOST_TEST(echo.deployments[0].replica_count == 1u);
    BOOST_TEST(expect_error(ray.get_serve_application("nope")).status() == 404);
}

BOOST_AUTO_TEST_CASE(delete_one_application_redeploys_the_others) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/serve/applications/").reply_with(reply::json(200, serve_details)).repeatedly();
    dashboard.expect("PUT", "/api/serve/applications/").reply_with(reply::json(200, ""));
    client ray(options_for(dashboard));
    run_sync(ray.delete_serve_application("echo"));
    const auto requests = dashboard.requests();
    BOOST_TEST(requests.back().method == "PUT");
    const auto config = json::parse(requests.back().body).as_object();
    const auto& apps = config.at("applications").as_array();
    BOOST_TEST(apps.size() == 1u);
    BOOST_TEST(apps[0].at("name").as_string() == "hello");
    BOOST_TEST(config.at("http_options").at("port").to_number<int>() == 8465);
    BOOST_TEST(!config.at("http_options").as_object().contains("ssl_keyfile"));
}

BOOST_AUTO_TEST_CASE(delete_of_absent_or_imperative_app_changes_nothing) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/serve/applications/").reply_with(reply::json(200, serve_details)).repeatedly();
    client ray(options_for(dashboard));
    BOOST_TEST(expect_error(ray.delete_serve_application("nope")).status() == 404);
    BOOST_TEST(expect_error(ray.delete_serve_application("manual")).status() == 400);
    for (const auto& request : dashboard.requests()) BOOST_TEST(request.method == "GET");
}

BOOST_AUTO_TEST_CASE(app_names_are_percent_encoded_free_text) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/serve/applications/").reply_with(reply::json(200, serve_details));
    client ray(options_for(dashboard));
    BOOST_TEST(expect_error(ray.get_serve_application("a/b c?")).status() == 404);
    BOOST_TEST(expect_error(ray.get_serve_application("")).status() == 400);
}

BOOST_AUTO_TEST_CASE(deploy_and_shutdown) {
    fake_dashboard dashboard;
    dashboard.expect("PUT", "/api/serve/applications/").reply_with(reply::json(200, ""));
    dashboard.expect("PUT", "/api/serve/applications/")
        .reply_with(reply::text(400, "ValidationError: bad import_path"));
    dashboard.expect("DELETE", "/api/serve/applications/").reply_with(reply::json(200, ""));
    // Ray answers the DELETE while its controller is still exiting: twice more a controller.
    dashboard.expect("GET", "/api/serve/applications/")
        .reply_with(reply::json(200, ray_fixture("serve_get_running.json")))
        .times(2);
    dashboard.expect("GET", "/api/serve/applications/")
        .reply_with(reply::json(200, ray_fixture("serve_get_not_running.json")));
    client ray(options_for(dashboard));
    json::object config{{"applications", json::array{json::object{{"name", "a"}, {"import_path", "m:app"}}}}};
    run_sync(ray.deploy_serve_applications(config));
    BOOST_TEST(json::parse(dashboard.requests().at(0).body).as_object() == config);
    BOOST_TEST(expect_error(ray.deploy_serve_applications(config)).status() == 400);
    BOOST_TEST(expect_error(ray.deploy_serve_applications(json::object{{"apps", 1}})).status() == 400);
    run_sync(ray.shutdown_serve());  // returns once the dashboard reports no controller
    BOOST_TEST(dashboard.request_count("DELETE", "/api/serve/applications/") == 1u);
    BOOST_TEST(dashboard.request_count("GET", "/api/serve/applications/") == 3u);
    BOOST_TEST(dashboard.unmatched().empty());
}

BOOST_AUTO_TEST_CASE(serve_not_installed_is_501_unsupported) {
    fake_dashboard dashboard;
    // Ray's text (serve_head.py validate_endpoint).
    dashboard.expect("GET", "/api/serve/applications/")
        .reply_with(reply::text(501, "Serve dependencies are not installed. Please run `pip install \"ray[serve]\"`."))
        .repeatedly();
    client ray(options_for(dashboard));
    const auto error = expect_error(ray.list_serve_applications());
    BOOST_TEST(error.status() == 501);
    BOOST_TEST(error.kind() == error_kind::unsupported);
    BOOST_TEST(error.message().find("HTTP 501: Serve dependencies are not installed") != std::string::npos,
               error.message());
    BOOST_TEST(dashboard.request_count("GET", "/api/serve/applications/") == 1u);  // not retried
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace raycl::test
