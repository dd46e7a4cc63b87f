// Component tests: `raycl list|get|summary`, `raycl status` and `raycl logs` (the built binary)
// against the fake dashboard serving Ray 2.60's recorded answers (test/fixtures/ray): the
// requests each command's flags make, tables and the server's objects unchanged with --output
// json, notes on stderr only, and the exit codes of usage and request errors.
#include "dashboard_cli.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <sstream>

namespace raycl::cli::test {
namespace {

namespace json = boost::json;
using raycl::test::fake_dashboard;
using raycl::test::reply;

/// The rows of a recorded state list (`data.result.result`).
json::value rows_of(const std::string& fixture_name) {
    return json::parse(fixture(fixture_name)).at("data").at("result").at("result");
}

const std::string head = std::string(56, 'a');
const std::string head_lookup = "/api/v0/nodes?filter_keys=is_head_node&filter_predicates=%3D&filter_values=true";
const std::string head_rows = R"({"result": true, "msg": "", "data": {"result": {"total": 1, "num_after_truncation": 1,
  "num_filtered": 1, "result": [{"node_id": ")" +
                              head + R"(", "node_ip": "127.0.0.1", "is_head_node": true,
  "state": "ALIVE"}], "partial_failure_warning": "", "warnings": null}}})";
const std::string flaky = "e5cbd90b7f1fb776ffffffffffffffffffffffff02000000";
const std::string pg = "1c45c8d33ae0f2ab0506bc649cde02000000";

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cli_state_queries)

BOOST_AUTO_TEST_CASE(help_of_every_new_command_needs_no_network) {
    for (const auto& args : std::vector<std::vector<std::string>>{{"list", "--help"},
                                                                  {"get", "--help"},
                                                                  {"summary", "--help"},
                                                                  {"status", "--help"},
                                                                  {"logs", "--help"},
                                                                  {"logs", "cluster", "--help"},
                                                                  {"logs", "job", "--help"},
                                                                  {"logs", "task", "--help"},
                                                                  {"logs", "actor", "--help"},
                                                                  {"logs", "worker", "--help"}}) {
        const auto r = run_cli(args);
        BOOST_TEST(r.exit_code == 0, args.front() << ": " << r.err);
        BOOST_TEST(r.out.rfind("Usage: raycl " + args.front(), 0) == 0, r.out);
        std::istringstream in(r.out);
        for (std::string line; std::getline(in, line);) BOOST_TEST(line.size() <= 80u, line);
    }
}

BOOST_AUTO_TEST_CASE(list_every_resource_as_a_table_and_as_the_servers_rows) {
    const std::vector<std::tuple<std::string, std::string, std::string, std::string>> cases{
        {"placement-groups", "/api/v0/placement_groups", "state_placement_groups.json", "PLACEMENT_GROUP_ID"},
        {"workers", "/api/v0/workers", "state_workers.json", "WORKER_ID"},
        {"objects", "/api/v0/objects", "state_objects.json", "OBJECT_ID"},
        {"runtime-envs", "/api/v0/runtime_envs", "state_runtime_envs.json", "RUNTIME_ENV"},
        {"cluster-events", "/api/v0/cluster_events", "state_cluster_events.json", "SEVERITY"},
        {"jobs", "/api/v0/jobs", "state_jobs_detail.json", "SUBMISSION_ID"},
        {"actors", "/api/v0/actors", "state_actors.json", "CLASS_NAME"},
        {"nodes", "/api/v0/nodes", "state_nodes.json", "NODE_IP"},
        {"tasks", "/api/v0/tasks", "state_tasks.json", "FUNC_OR_CLASS_NAME"},
    };
    for (const auto& [resource, route, recorded, header] : cases) {
        fake_dashboard dashboard;
        dashboard.expect("GET", route).reply_with(reply::json(200, fixture(recorded))).times(2);
        auto r = raycl_at(dashboard, {"list", resource});
        BOOST_TEST(r.exit_code == 0, resource << ": " << r.err);
        BOOST_TEST(contains(r.out, header), resource << ":\n" << r.out);
        r = raycl_at(dashboard, {"list", resource, "--output", "json"});
        BOOST_TEST(r.exit_code == 0, resource << ": " << r.err);
        BOOST_TEST(json::parse(r.out) == rows_of(recorded), resource);
        BOOST_TEST(dashboard.unmatched().empty(), resource);
        BOOST_TEST(dashboard.unmet_expectations().empty(), resource);
    }
}

BOOST_AUTO_TEST_CASE(list_flags_become_the_state_query_and_warnings_go_to_stderr) {
    fake_dashboard dashboard;
    // Keys in any case, as `ray list --filter` matches them; `!=` split before `=`.
    dashboard
        .expect("GET",
                "/api/v0/tasks?limit=5&detail=true&timeout=7&filter_keys=name&filter_predicates=%3D&filter_values=flaky"
                "&filter_keys=state&filter_predicates=%21%3D&filter_values=FAILED")
        .reply_with(reply::json(200, fixture("state_tasks_detail_flaky.json")));
    // Objects carry Ray's "callsite is not being recorded" warning.
    dashboard.expect("GET", "/api/v0/objects").reply_with(reply::json(200, fixture("state_objects.json"))).times(2);
    auto r = raycl_at(dashboard, {"--timeout", "7", "list", "tasks", "--filter", "Name=flaky", "-f", "STATE!=FAILED",
                                  "--limit", "5", "--detail"});
    BOOST_TEST(r.exit_code == 0, r.err);
    // --detail: every field of each row as YAML, as `ray list --detail` does.
    BOOST_TEST(contains(r.out, "task_id: " + flaky), r.out);
    BOOST_TEST(contains(r.out, "task_log_info:"), r.out);
    r = raycl_at(dashboard, {"list", "objects"});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(contains(r.err, "Callsite is not being recorded"), r.err);
    BOOST_TEST(!contains(r.out, "Callsite is not being recorded"));
    r = raycl_at(dashboard, {"list", "objects", "-o", "json"});
    BOOST_TEST(json::parse(r.out) == rows_of("state_objects.json"));  // the warning only on stderr
    BOOST_TEST(contains(r.err, "Callsite is not being recorded"), r.err);
    BOOST_TEST(dashboard.unmatched().empty());
}

BOOST_AUTO_TEST_CASE(a_filtered_list_cut_at_the_source_says_so_on_stderr) {
    fake_dashboard dashboard;
    // 10,000 of 25,000 tasks reached the dashboard before the filter ran: none matched.
    dashboard.expect("GET", "/api/v0/tasks?filter_keys=state&filter_predicates=%3D&filter_values=RUNNING")
        .reply_with(reply::json(200, R"({"result": true, "msg": "", "data": {"result": {"total": 25000,
          "num_after_truncation": 10000, "num_filtered": 0, "result": [], "partial_failure_warning": "",
          "warnings": null}}})"));
    const auto r = raycl_at(dashboard, {"-o", "json", "list", "tasks", "--filter", "state=RUNNING"});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(r.out == "[]\n");
    BOOST_TEST(contains(r.err, "10000"), r.err);
    BOOST_TEST(contains(r.err, "25000"), r.err);
    BOOST_TEST(contains(r.err, "filter"), r.err);
}

BOOST_AUTO_TEST_CASE(state_usage_and_filter_errors_come_before_any_request) {
    fake_dashboard dashboard;
    for (const auto& args : std::vector<std::vector<std::string>>{{"list"},
                                                                  {"list", "bogus"},
                                                                  {"list", "tasks", "--filter", "state"},
                                                                  {"list", "tasks", "--filter", "=x"},
                                                                  {"list", "tasks", "--limit", "0"},
                                                                  {"list", "tasks", "--limit", "10001"},
                                                                  {"get", "tasks"},
                                                                  {"get", "jobs", "x"},
                                                                  {"get", "runtime-envs", "x"},
                                                                  {"summary", "nodes"},
                                                                  {"summary", "actors", "--summary-by", "lineage"},
                                                                  {"summary", "tasks", "--summary-by", "bogus"}}) {
        const auto r = raycl_at(dashboard, args);
        BOOST_TEST(r.exit_code == 2, args.back() << ": " << r.err);
        BOOST_TEST(r.out.empty());
        BOOST_TEST(r.err.rfind("raycl: ", 0) == 0, r.err);
    }
    // A column Ray 2.60 cannot filter on: a 400 that names the ones it can, nothing sent.
    auto r = raycl_at(dashboard, {"list", "placement-groups", "--filter", "colour=red"});
    BOOST_TEST(r.exit_code == 3);
    BOOST_TEST(r.err.rfind("raycl: error 400: ", 0) == 0, r.err);
    BOOST_TEST(contains(r.err, "placement_group_id"), r.err);
    r = raycl_at(dashboard, {"summary", "tasks", "--filter", "colour=red"});
    BOOST_TEST(r.exit_code == 3, r.err);
    BOOST_TEST(dashboard.requests().empty());
}

BOOST_AUTO_TEST_CASE(get_by_id_with_every_field_and_404_when_absent) {
    fake_dashboard dashboard;
    const auto by_id = [](const std::string& route, const std::string& key, const std::string& id) {
        return "/api/v0/" + route + "?detail=true&filter_keys=" + key + "&filter_predicates=%3D&filter_values=" + id;
    };
    dashboard.expect("GET", by_id("tasks", "task_id", flaky))
        .reply_with(reply::json(200, fixture("state_tasks_detail_flaky.json")))
        .times(2);
    dashboard.expect("GET", by_id("placement_groups", "placement_group_id", pg))
        .reply_with(reply::json(200, fixture("state_placement_groups_detail.json")));
    dashboard.expect("GET", by_id("placement_groups", "placement_group_id", "ffff"))
        .reply_with(reply::json(200, R"({"result": true, "msg": "", "data": {"result": {"total": 0,
          "num_after_truncation": 0, "num_filtered": 0, "result": []}}})"));
    auto r = raycl_at(dashboard, {"get", "tasks", flaky});
    BOOST_TEST(r.exit_code == 0, r.err);
    // One block per attempt, as `ray get tasks`.
    BOOST_TEST(std::count(r.out.begin(), r.out.end(), '\n') > 10);
    BOOST_TEST(contains(r.out, "attempt_number"), r.out);
    r = raycl_at(dashboard, {"get", "tasks", flaky, "-o", "json"});
    BOOST_TEST(json::parse(r.out) == rows_of("state_tasks_detail_flaky.json"));
    r = raycl_at(dashboard, {"get", "placement-groups", pg});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(contains(r.out, "raycl_logs_pg_p1"), r.out);
    r = raycl_at(dashboard, {"get", "placement-groups", "ffff"});
    BOOST_TEST(r.exit_code == 3);
    BOOST_TEST(r.err.rfind("raycl: error 404: ", 0) == 0, r.err);
    BOOST_TEST(dashboard.unmatched().empty());
}

BOOST_AUTO_TEST_CASE(summaries_of_tasks_actors_and_objects) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/v0/tasks/summarize?summary_by=func_name")
        .reply_with(reply::json(200, fixture("state_tasks_summarize_func_name.json")))
        .times(2);
    dashboard.expect("GET", "/api/v0/tasks/summarize?summary_by=lineage")
        .reply_with(reply::json(200, fixture("state_tasks_summarize_lineage.json")));
    dashboard.expect("GET", "/api/v0/actors/summarize")
        .reply_with(reply::json(200, fixture("state_actors_summarize.json")));
    dashboard.expect("GET", "/api/v0/objects/summarize")
        .reply_with(reply::json(200, fixture("state_objects_summarize.json")));
    auto r = raycl_at(dashboard, {"summary", "tasks"});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(contains(r.out, "FUNC_OR_CLASS_NAME"), r.out);
    BOOST_TEST(contains(r.out, "FAILED: 1, FINISHED: 1"), r.out);  // flaky's two attempts
    r = raycl_at(dashboard, {"summary", "tasks", "-o", "json"});
    const auto cluster = json::parse(fixture("state_tasks_summarize_func_name.json"))
                             .at("data")
                             .at("result")
                             .at("result")
                             .at("node_id_to_summary")
                             .at("cluster");
    BOOST_TEST(json::parse(r.out) == cluster);
    r = raycl_at(dashboard, {"summary", "tasks", "--summary-by", "lineage"});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(contains(r.out, "flaky"), r.out);
    r = raycl_at(dashboard, {"summary", "actors"});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(contains(r.out, "total actors: 2"), r.out);
    BOOST_TEST(contains(r.out, "ALIVE: 1"), r.out);
    r = raycl_at(dashboard, {"summary", "objects"});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(contains(r.out, "total objects: 6"), r.out);
    BOOST_TEST(contains(r.err, "Callsite is not being recorded"), r.err);
    BOOST_TEST(dashboard.unmatched().empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(cli_cluster_status)

BOOST_AUTO_TEST_CASE(status_prints_ray_status_text_and_the_structured_form) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/cluster_status?format=1")
        .reply_with(reply::json(200, fixture("cluster_status_format1.json")));
    dashboard.expect("GET", "/api/cluster_status?format=1")
        .reply_with(reply::json(200, fixture("cluster_status_format1.json")));
    // Both forms are read each time (the text, and the structured report).
    dashboard.expect("GET", "/api/cluster_status")
        .reply_with(reply::json(200, fixture("cluster_status_format0.json")))
        .times(2);
    dashboard.expect("GET", "/api/cluster_status?format=1")
        .reply_with(reply::text(401, fixture("error_cluster_status_no_token.txt")));
    auto r = raycl_at(dashboard, {"status"});
    BOOST_TEST(r.exit_code == 0, r.err);
    const auto text = json::parse(fixture("cluster_status_format1.json")).at("data").at("clusterStatus").as_string();
    BOOST_TEST(r.out == std::string(text) + "\n");  // as `ray status` prints it
    BOOST_TEST(r.err.empty());
    r = raycl_at(dashboard, {"status", "-o", "json"});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(json::parse(r.out) == json::parse(fixture("cluster_status_format0.json")).at("data"));
    r = raycl_at(dashboard, {"status"});
    BOOST_TEST(r.exit_code == 3);
    BOOST_TEST(r.err.rfind("raycl: error 401: ", 0) == 0, r.err);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(cli_logs)

BOOST_AUTO_TEST_CASE(logs_of_a_task_actor_worker_and_job) {
    fake_dashboard dashboard;
    const std::string actor = "9b2ea9374ea72aa0c3f29dac02000000";
    dashboard.expect("GET", "/api/v0/logs/file?task_id=" + flaky + "&attempt_number=1&suffix=out&lines=-1")
        .reply_with(reply::text(200, fixture("logs_file_task_flaky_attempt1.txt")));
    dashboard.expect("GET", "/api/v0/logs/file?actor_id=" + actor + "&suffix=err&lines=1000&timeout=9")
        .reply_with(reply::text(200, fixture("logs_file_actor_err.txt")));
    dashboard.expect("GET", head_lookup).reply_with(reply::json(200, head_rows));
    dashboard.expect("GET", "/api/v0/logs/file?pid=41&node_id=" + head + "&suffix=out&lines=3")
        .reply_with(reply::text(200, fixture("logs_file_worker_pid.txt")));
    dashboard.expect("GET", "/api/v0/logs/file?pid=41&node_ip=10.0.0.2&suffix=out&lines=-1")
        .reply_with(reply::text(200, fixture("logs_file_worker_pid_ip.txt")));
    auto r = raycl_at(dashboard, {"logs", "task", "--id", flaky, "--attempt-number", "1", "--tail", "-1"});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(r.out == fixture("logs_file_task_flaky_attempt1.txt"));
    BOOST_TEST(r.err.empty());  // no note with --tail -1
    r = raycl_at(dashboard, {"--timeout", "9", "logs", "actor", "--id", actor, "--err"});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(r.out == fixture("logs_file_actor_err.txt"));
    // `ray logs` prints this note into the log's own output; raycl keeps stdout the log alone.
    BOOST_TEST(r.err ==
               "--- Log has been truncated to last 1000 lines. Use `--tail` flag to toggle. Set to -1 for getting the "
               "entire file. ---\n");
    r = raycl_at(dashboard, {"logs", "worker", "--pid", "41", "--tail", "3"});  // the head, as `ray logs`
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(r.out == fixture("logs_file_worker_pid.txt"));
    r = raycl_at(dashboard, {"logs", "actor", "--pid", "41", "--node-ip", "10.0.0.2", "--tail", "-1"});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(r.out == fixture("logs_file_worker_pid_ip.txt"));
    BOOST_TEST(dashboard.unmatched().empty());
    BOOST_TEST(dashboard.unmet_expectations().empty());
}

BOOST_AUTO_TEST_CASE(logs_cluster_lists_the_head_or_prints_the_one_match) {
    fake_dashboard dashboard;
    dashboard.expect("GET", head_lookup).reply_with(reply::json(200, head_rows));
    dashboard.expect("GET", "/api/v0/logs?node_id=" + head + "&glob=%2A")
        .reply_with(reply::json(200, fixture("logs_list_head.json")));
    dashboard.expect("GET", "/api/v0/logs?node_ip=127.0.0.1&glob=raylet.out")
        .reply_with(reply::json(200, R"({"result": true, "msg": "", "data": {"result": {"raylet": ["raylet.out"]}}})"));
    dashboard.expect("GET", "/api/v0/logs/file?node_ip=127.0.0.1&filename=raylet.out&lines=3")
        .reply_with(reply::text(200, fixture("logs_file_node_ip_raylet_lines3.txt")));
    dashboard.expect("GET", "/api/v0/logs?node_ip=127.0.0.1&glob=gcs%2A")
        .reply_with(reply::json(200, fixture("logs_list_node_ip.json")));
    auto r = raycl_at(dashboard, {"logs", "cluster"});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(r.out.rfind("Node ID: " + head + "\n", 0) == 0, r.out);
    BOOST_TEST(contains(r.out, "worker_out:"), r.out);
    r = raycl_at(dashboard, {"logs", "cluster", "raylet.out", "--node-ip", "127.0.0.1", "--tail", "3"});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(r.out == fixture("logs_file_node_ip_raylet_lines3.txt"));
    BOOST_TEST(contains(r.err, "truncated to last 3 lines"), r.err);
    r = raycl_at(dashboard, {"logs", "cluster", "gcs*", "--node-ip", "127.0.0.1", "-o", "json"});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(json::parse(r.out) == json::parse(fixture("logs_list_node_ip.json")).at("data").at("result"));
    BOOST_TEST(dashboard.unmatched().empty());
}

BOOST_AUTO_TEST_CASE(logs_errors_and_usage) {
    fake_dashboard dashboard;
    for (const auto& args :
         std::vector<std::vector<std::string>>{{"logs"},
                                               {"logs", "actor"},
                                               {"logs", "job"},
                                               {"logs", "task"},
                                               {"logs", "worker"},
                                               {"logs", "task", "--id", "x", "--tail", "0"},
                                               {"logs", "worker", "--pid", "0"},
                                               {"logs", "job", "--id", "j", "--err"},
                                               {"logs", "worker", "--pid", "1", "--node-id", "a", "--node-ip", "b"}}) {
        const auto r = raycl_at(dashboard, args);
        BOOST_TEST(r.exit_code == 2, args.back() << ": " << r.err);
        BOOST_TEST(r.out.empty());
    }
    BOOST_TEST(dashboard.requests().empty());
    const std::string target = "/api/v0/logs/file?task_id=" + flaky + "&attempt_number=0&suffix=out&lines=1000";
    dashboard.expect("GET", target).reply_with(reply::text(500, fixture("error_logs_file_unknown_task.txt")));
    dashboard.expect("GET", target).reply_with(reply::text(500, fixture("error_logs_file_actor_task.txt")));
    auto r = raycl_at(dashboard, {"logs", "task", "--id", flaky});
    BOOST_TEST(r.exit_code == 3);
    BOOST_TEST(r.out.empty());
    BOOST_TEST(contains(r.err, "raycl: error 404: "), r.err);
    r = raycl_at(dashboard, {"logs", "task", "--id", flaky});
    BOOST_TEST(r.exit_code == 3);
    BOOST_TEST(contains(r.err, "raycl: error 400: "), r.err);
    BOOST_TEST(contains(r.err, "actor"), r.err);
}

BOOST_AUTO_TEST_CASE(logs_follow_of_an_actor_ends_when_it_is_dead) {
    fake_dashboard dashboard;
    const std::string actor = std::string(24, 'd') + "02000000";
    const std::string lookup =
        "/api/v0/actors?detail=true&filter_keys=actor_id&filter_predicates=%3D&filter_values=" + actor;
    const auto row = [&](const std::string& state) {
        return R"({"result": true, "msg": "", "data": {"result": {"total": 1, "num_after_truncation": 1,
          "num_filtered": 1, "result": [{"actor_id": ")" +
               actor + R"(", "class_name": "Printer", "state": ")" + state +
               R"(", "job_id": "02000000", "node_id": ")" + head + R"(", "pid": 41}]}}})";
    };
    auto asked = std::make_shared<std::atomic<int>>(0);
    dashboard.route("GET", lookup, [=](const raycl::test::recorded_request&) {
        return reply::json(200, row(asked->fetch_add(1) < 2 ? "ALIVE" : "DEAD"));
    });
    dashboard.expect("GET", "/api/v0/logs/stream?actor_id=" + actor + "&suffix=out&lines=-1")
        .reply_with(reply::chunked_text(200, {"init\nsay 1\n"}).never_ending());
    dashboard.expect("GET", "/api/v0/logs/file?actor_id=" + actor + "&suffix=out&lines=-1")
        .reply_with(reply::text(200, "init\nsay 1\nsay 2\n"));
    const auto r = raycl_at(dashboard, {"logs", "actor", "--id", actor, "--follow", "--tail", "-1"});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(r.out == "init\nsay 1\nsay 2\n");  // exactly once, completed from the static log
    BOOST_TEST(dashboard.unmatched().empty());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace raycl::cli::test
