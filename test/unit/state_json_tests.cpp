// The state API beyond nodes, tasks and actors, its summaries, the cluster status and the log
// file list: decoders over responses recorded from Ray 2.60 (test/fixtures/ray/), the resource
// table's filter checks and the summary and status requests.
#include "core/models_json.hpp"
#include "core/state_json.hpp"
#include "core/state_resources.hpp"
#include "unit/ray_fixtures.hpp"
#include "unit/unit_helpers.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>

using namespace raycl;
using namespace raycl::core;
using raycl::test::contains;
using raycl::test::expect_client_error;
using raycl::test::ray_fixture_json;
namespace json = boost::json;

namespace {

const std::string head = "4fa3bd9464ae86d67b132fe9266657b7fea722bd95996b3cc6eae017";
const std::string worker_node = "337487c825edec7627763c0223135885de518c8c9fe94e208613a05c";

}  // namespace

BOOST_AUTO_TEST_SUITE(state_models)

BOOST_AUTO_TEST_CASE(objects_held_by_the_actor) {
    const auto list = decode_state_list(ray_fixture_json("state_objects.json"), &decode_object);
    BOOST_TEST(list.items.size() == 6u);
    BOOST_TEST(list.returned == 6);
    BOOST_TEST(!list.truncated());
    const auto held = std::count_if(list.items.begin(), list.items.end(), [](const object_info& o) {
        return o.pid == 25481 && o.reference_type == "LOCAL_REFERENCE" && o.type == "WORKER";
    });
    BOOST_TEST(held == 3);  // the three objects the actor put
    const auto handle = std::find_if(list.items.begin(), list.items.end(),
                                     [](const object_info& o) { return o.reference_type == "ACTOR_HANDLE"; });
    BOOST_REQUIRE(handle != list.items.end());
    BOOST_TEST(handle->object_size == -1);
    BOOST_TEST(handle->task_status == "NIL");
    BOOST_TEST(!handle->raw->empty());
    const auto detail = decode_state_list(ray_fixture_json("state_objects_detail.json"), &decode_object);
    BOOST_TEST(detail.warnings.size() == 1u);
    BOOST_TEST(contains(detail.warnings.front(), "Callsite is not being recorded"));
}

BOOST_AUTO_TEST_CASE(placement_groups_workers_runtime_envs_events) {
    const auto groups =
        decode_state_list(ray_fixture_json("state_placement_groups_detail.json"), &decode_placement_group);
    BOOST_REQUIRE(groups.items.size() == 1u);
    BOOST_TEST(groups.items[0].name == "raycl_logs_pg_p1");
    BOOST_TEST(groups.items[0].state == "CREATED");
    BOOST_TEST(groups.items[0].creator_job_id == "02000000");
    BOOST_TEST(groups.items[0].is_detached == false);
    BOOST_TEST(groups.items[0].bundle_count == 1u);

    // Drivers carry worker_launch_time_ms = 2^64-1 in Ray 2.60: it must not fail the row.
    const auto workers = decode_state_list(ray_fixture_json("state_workers_detail.json"), &decode_worker);
    BOOST_REQUIRE(workers.items.size() == 2u);
    BOOST_TEST(workers.items[0].worker_type == "DRIVER");
    BOOST_TEST(workers.items[0].is_alive);
    BOOST_TEST(workers.items[1].exit_type.value_or("") == "INTENDED_SYSTEM_EXIT");
    BOOST_TEST(workers.items[1].exit_detail.value_or("") == "Worker exited because it was idle for a long time");
    BOOST_TEST(workers.total == 8);
    BOOST_TEST(workers.limit_truncated());  // limit=2 of 8

    const auto envs = decode_state_list(ray_fixture_json("state_runtime_envs_detail.json"), &decode_runtime_env);
    BOOST_REQUIRE(envs.items.size() == 2u);
    BOOST_TEST(envs.items[0].success);
    BOOST_TEST(envs.items[0].creation_time_ms == 1);  // Ray sends "1", a string
    BOOST_TEST(envs.items[0].ref_cnt == 4);
    BOOST_TEST(envs.items[0].runtime_env.at("env_vars").at("RAYCL_PROBE").as_string() == "1");

    const auto events = decode_state_list(ray_fixture_json("state_cluster_events_detail.json"), &decode_cluster_event);
    BOOST_REQUIRE(events.items.size() == 1u);
    BOOST_TEST(events.items[0].message == "Started a ray job raycl-logs-p1.");
    BOOST_TEST(events.items[0].source_type == "JOBS");
    BOOST_TEST(events.items[0].custom_fields.at("submission_id") == "raycl-logs-p1");

    const auto jobs = decode_state_list(ray_fixture_json("state_jobs_detail.json"), &decode_job_details);
    BOOST_REQUIRE(jobs.items.size() == 1u);
    BOOST_TEST(jobs.items[0].submission_id.value_or("") == "raycl-logs-p1");
}

BOOST_AUTO_TEST_CASE(task_summaries_by_name_and_lineage) {
    const auto by_name = decode_task_summary(ray_fixture_json("state_tasks_summarize_func_name.json"));
    BOOST_TEST(by_name.summary_by == "func_name");
    BOOST_TEST(by_name.total_tasks == 4);
    BOOST_TEST(by_name.total_actor_tasks == 1);
    BOOST_TEST(by_name.total_actor_scheduled == 1);
    BOOST_TEST(std::is_sorted(by_name.groups.begin(), by_name.groups.end(),
                              [](const auto& a, const auto& b) { return a.key < b.key; }));
    const auto flaky = std::find_if(by_name.groups.begin(), by_name.groups.end(),
                                    [](const task_summary_group& g) { return g.key == "flaky"; });
    BOOST_REQUIRE(flaky != by_name.groups.end());
    BOOST_TEST(flaky->state_counts.at("FAILED") == 1);
    BOOST_TEST(flaky->state_counts.at("FINISHED") == 1);
    BOOST_TEST(flaky->type == "NORMAL_TASK");
    BOOST_TEST(!by_name.raw->empty());

    // Ray 2.60 answers summary_by=task_name with the func_name grouping, and says so.
    BOOST_TEST(decode_task_summary(ray_fixture_json("state_tasks_summarize_task_name.json")).summary_by == "func_name");

    const auto lineage = decode_task_summary(ray_fixture_json("state_tasks_summarize_lineage.json"));
    BOOST_TEST(lineage.summary_by == "lineage");
    BOOST_TEST(lineage.groups.empty());
    const auto actor = std::find_if(lineage.lineage.begin(), lineage.lineage.end(),
                                    [](const task_lineage_node& n) { return n.type == "ACTOR"; });
    BOOST_REQUIRE(actor != lineage.lineage.end());
    BOOST_TEST(actor->link_type == "actor");
    BOOST_TEST(actor->link_id == "678da072c43134ba5f9debd102000000");
    BOOST_TEST(actor->children.size() == 2u);
    BOOST_TEST(actor->state_counts.at("FINISHED") == 2);

    const auto filtered = decode_task_summary(ray_fixture_json("state_tasks_summarize_filtered.json"));
    BOOST_TEST(filtered.total == 5);  // state=FINISHED pushed down to the GCS
}

BOOST_AUTO_TEST_CASE(actor_and_object_summaries) {
    const auto actors = decode_actor_summary(ray_fixture_json("state_actors_summarize.json"));
    BOOST_TEST(actors.total_actors == 2);
    BOOST_REQUIRE(actors.groups.size() == 2u);
    BOOST_TEST(actors.groups[0].class_name == "JobSupervisor");  // sorted by class
    BOOST_TEST(actors.groups[1].class_name == "Printer");
    BOOST_TEST(actors.groups[1].state_counts.at("ALIVE") == 1);

    const auto objects = decode_object_summary(ray_fixture_json("state_objects_summarize.json"));
    BOOST_TEST(objects.total_objects == 6);
    BOOST_TEST(!objects.callsite_enabled);
    BOOST_REQUIRE(objects.groups.size() == 2u);
    BOOST_TEST(objects.groups[0].call_site == "<unknown>");
    BOOST_TEST(objects.groups[1].call_site == "disabled");
    BOOST_TEST(objects.groups[1].total_objects == 5);
    BOOST_TEST(objects.groups[1].ref_type_counts.at("LOCAL_REFERENCE") == 4);
    BOOST_TEST(objects.warnings.size() == 1u);
}

BOOST_AUTO_TEST_CASE(ray_camel_case_is_pythons) {
    BOOST_TEST(ray_camel_case("object_store_memory") == "objectStoreMemory");
    BOOST_TEST(ray_camel_case("node:__internal_head__") == "node:InternalHead");
    BOOST_TEST(ray_camel_case("node_4fa3bd9464ae") == "node4Fa3Bd9464Ae");
    BOOST_TEST(ray_camel_case("CPU_group_0_1c45c8d3") == "CPUGroup01C45C8D3");
    BOOST_TEST(ray_camel_case("raycl_worker_1") == "rayclWorker1");
    BOOST_TEST(ray_camel_case("CPU") == "CPU");
    BOOST_TEST(ray_camel_case("a__b_") == "aB");
}

BOOST_AUTO_TEST_CASE(cluster_status_text_and_report) {
    const std::string text = decode_cluster_status_text(ray_fixture_json("cluster_status_format1.json"));
    BOOST_TEST(text.starts_with("======== Autoscaler status: "));
    BOOST_TEST(contains(text, "\nResources\n"));

    cluster_status status;
    decode_cluster_status(ray_fixture_json("cluster_status_format0.json"), status);
    BOOST_TEST(contains(status.autoscaling_status.value_or(""), "Cluster status: 0 nodes"));
    BOOST_TEST(!status.autoscaling_error.has_value());
    BOOST_REQUIRE(status.report.has_value());
    const autoscaler_report& report = *status.report;
    BOOST_TEST(report.monitor_pid == 24006);
    // Names Ray camelCased come back as they are in the cluster.
    BOOST_TEST(report.active_nodes.at("node_" + head) == 1);
    BOOST_TEST(report.active_nodes.at("node_" + worker_node) == 1);
    BOOST_TEST(report.usage.at("CPU").total == 3.0);
    BOOST_TEST(report.usage.at("object_store_memory").total == 300000000.0);
    BOOST_TEST(report.usage.at("raycl_worker_1").total == 1.0);
    BOOST_TEST(report.usage.count("CPU_group_1c45c8d33ae0f2ab0506bc649cde02000000") == 1u);
    BOOST_TEST(report.usage.count("node:__internal_head__") == 1u);
    BOOST_TEST(report.usage.count("objectStoreMemory") == 0u);
    BOOST_TEST(report.usage_by_node.at(worker_node).at("raycl_worker_1").total == 1.0);
    BOOST_TEST(report.pending_node_count == 0u);
    BOOST_TEST(!report.raw->empty());
    BOOST_TEST(!status.raw->empty());

    // Autoscaler v2 writes no report: clusterStatus null.
    json::value v2 = ray_fixture_json("cluster_status_format0.json");
    v2.at("data").as_object()["clusterStatus"] = nullptr;
    cluster_status without;
    decode_cluster_status(v2, without);
    BOOST_TEST(!without.report.has_value());
    BOOST_TEST(without.autoscaling_status.has_value());
}

BOOST_AUTO_TEST_CASE(log_file_lists_by_category) {
    const auto head_list = decode_log_file_list(ray_fixture_json("logs_list_head.json"));
    BOOST_TEST(head_list.categories.count("worker_out") == 1u);
    BOOST_TEST(head_list.categories.at("raylet").size() == 4u);
    const auto files = head_list.files();
    BOOST_TEST(std::is_sorted(files.begin(), files.end()));
    BOOST_TEST(std::count(files.begin(), files.end(), "job-driver-raycl-logs-p1.log") == 1);
    const auto glob = decode_log_file_list(ray_fixture_json("logs_list_glob.json"));
    BOOST_TEST(glob.categories.size() == 1u);
    BOOST_TEST((glob.files() == std::vector<std::string>{"raylet.1.err", "raylet.1.out", "raylet.err", "raylet.out"}));
}

BOOST_AUTO_TEST_CASE(filter_columns_are_ray_s_and_listed_when_wrong) {
    for (const char* route : {"actors", "jobs", "nodes", "placement_groups", "workers", "tasks", "objects",
                              "runtime_envs", "cluster_events"}) {
        BOOST_TEST_CONTEXT(route) {
            const state_resource_info& resource = state_resource(route);
            BOOST_TEST(std::is_sorted(resource.filter_columns.begin(), resource.filter_columns.end()));
            list_options bogus;
            bogus.filters.emplace_back("bogus", "=", "x");
            const client_error error =
                expect_client_error(error_kind::invalid_argument, [&] { state_list_request(route, bogus); });
            // Every column Ray's own 400 lists (error_state_*_unknown_filter_key.json) is listed.
            for (std::string_view column : resource.filter_columns) BOOST_TEST(contains(error.message(), column));
            list_options good;
            good.filters.emplace_back(std::string(resource.filter_columns.front()), "=", "x");
            BOOST_CHECK_NO_THROW(state_list_request(route, good));
        }
    }
    // The recorded 400s of Ray agree with the table.
    for (const char* route : {"objects", "placement_groups", "workers", "runtime_envs", "cluster_events"}) {
        const auto body = ray_fixture_json(std::string("error_state_") + route + "_unknown_filter_key.json");
        const std::string msg(body.at("msg").as_string());
        for (std::string_view column : state_resource(route).filter_columns)
            BOOST_TEST(contains(msg, "'" + std::string(column) + "'"), route << ": " << column);
    }
    list_options exclude;
    exclude.exclude_driver = false;
    BOOST_TEST(state_list_request("tasks", exclude).target == "/api/v0/tasks?exclude_driver=false");
    expect_client_error(error_kind::invalid_argument, [&] { state_list_request("actors", exclude); });
    expect_client_error(error_kind::invalid_argument, [] { state_resource("bogus"); });
}

BOOST_AUTO_TEST_CASE(summary_and_status_requests) {
    summary_options options;
    options.where("state", "FINISHED");
    options.server_timeout_seconds = 9.5;
    BOOST_TEST(state_summary_request("tasks", options, task_summary_by::lineage).target ==
               "/api/v0/tasks/summarize?summary_by=lineage&timeout=10"
               "&filter_keys=state&filter_predicates=%3D&filter_values=FINISHED");
    BOOST_TEST(state_summary_request("actors", {}).target == "/api/v0/actors/summarize");
    expect_client_error(error_kind::invalid_argument,
                        [] { state_summary_request("actors", {}, task_summary_by::func_name); });
    expect_client_error(error_kind::invalid_argument, [] { state_summary_request("nodes", {}); });
    summary_options bad;
    bad.where("class_name", "Printer");
    expect_client_error(error_kind::invalid_argument, [&] { state_summary_request("objects", bad); });
    BOOST_TEST(cluster_status_request(true).target == "/api/cluster_status?format=1");
    BOOST_TEST(cluster_status_request(false).target == "/api/cluster_status");
}

BOOST_AUTO_TEST_CASE(truncation_is_described_plainly) {
    list_counts complete;
    complete.total = complete.num_after_truncation = complete.num_filtered = complete.returned = 3;
    BOOST_TEST(complete.describe_truncation("tasks").empty());

    // Ray issue 33547: 10,000 of 25,000 tasks reached the filter, which matched none of them.
    list_counts cut = complete;
    cut.total = 25'000;
    cut.num_after_truncation = 10'000;
    cut.num_filtered = cut.returned = 0;
    cut.filtered = true;
    auto notes = cut.describe_truncation("tasks");
    BOOST_REQUIRE(notes.size() == 1u);
    BOOST_TEST(contains(notes[0], "only 10000 of the 25000 tasks"), notes[0]);
    BOOST_TEST(contains(notes[0], "matching tasks may be missing (Ray issue 33547)"), notes[0]);
    cut.filtered = false;
    BOOST_TEST(contains(cut.describe_truncation("tasks")[0], "15000 truncated"));

    list_counts limited = complete;
    limited.returned = 1;
    limited.warnings = {"ray says"};
    notes = limited.describe_truncation("actors");
    BOOST_REQUIRE(notes.size() == 2u);
    BOOST_TEST(notes[0] == "Showing 1 of 3 actors: raise the limit or add filters to see the rest.");
    BOOST_TEST(notes[1] == "ray says");
}

BOOST_AUTO_TEST_SUITE_END()
