// Unit tests of the pure views of `raycl list|get|summary|logs` (state_views.hpp): the
// resources by their CLI names, filters as `ray list` reads them, tables of raw rows, the
// summaries and a node's log listing.
#include "args.hpp"
#include "state_views.hpp"
#include "text.hpp"

#include <raycl/error.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

namespace raycl::cli {
namespace {

namespace json = boost::json;

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cli_state_views)

BOOST_AUTO_TEST_CASE(resources_as_ray_list_and_ray_get_name_them) {
    BOOST_TEST(
        (state_noun_names(false) == std::vector<std::string>{"actors", "jobs", "placement-groups", "nodes", "workers",
                                                             "tasks", "objects", "runtime-envs", "cluster-events"}));
    // `ray get` takes neither jobs nor runtime-envs.
    BOOST_TEST((state_noun_names(true) == std::vector<std::string>{"actors", "placement-groups", "nodes", "workers",
                                                                   "tasks", "objects", "cluster-events"}));
    BOOST_TEST(find_state_noun("placement-groups")->id_key == "placement_group_id");
    BOOST_TEST(find_state_noun("placement_groups") == nullptr);
    BOOST_TEST(find_state_noun("tasks")->columns.size() == 13u);
}

BOOST_AUTO_TEST_CASE(filters_split_at_the_first_operator_and_keys_fold_to_lower_case) {
    auto f = parse_state_filter("State!=FAILED");
    BOOST_TEST(f.key == "state");
    BOOST_TEST(f.predicate == "!=");
    BOOST_TEST(f.value == "FAILED");
    f = parse_state_filter("name=a=b");  // the value keeps later '='
    BOOST_TEST(f.key == "name");
    BOOST_TEST(f.predicate == "=");
    BOOST_TEST(f.value == "a=b");
    f = parse_state_filter("name=");  // an empty value is Ray's too
    BOOST_TEST(f.value.empty());
    BOOST_TEST(parse_filter("Name=X").key == "Name");  // the job and node commands keep the case
    for (const std::string bad : {"state", "=x", "!=x", ""}) BOOST_CHECK_THROW(parse_state_filter(bad), invalid_value);
}

BOOST_AUTO_TEST_CASE(rows_table_shows_the_default_columns_of_raw_rows) {
    const auto rows = json::parse(R"([{"placement_group_id": "pg1", "name": "", "creator_job_id": "02000000",
        "state": "CREATED", "extra": 1}, {"placement_group_id": "pg2", "state": null, "name": {"a": [1]}}, 7])")
                          .as_array();
    const auto t = rows_table(rows, find_state_noun("placement-groups")->columns);
    BOOST_TEST((t.headers == std::vector<std::string>{"PLACEMENT_GROUP_ID", "NAME", "CREATOR_JOB_ID", "STATE"}));
    BOOST_TEST(t.status_column == 3);
    BOOST_TEST(t.rows.size() == 3u);
    BOOST_TEST((t.rows.at(0) == std::vector<std::string>{"pg1", "", "02000000", "CREATED"}));
    BOOST_TEST((t.rows.at(1) == std::vector<std::string>{"pg2", R"({"a":[1]})", "-", "-"}));  // null, missing: "-"
    BOOST_TEST((t.rows.at(2) == std::vector<std::string>{"-", "-", "-", "-"}));               // not an object
}

BOOST_AUTO_TEST_CASE(summaries_render_counts_per_group) {
    task_summary tasks;
    tasks.total_tasks = 3;
    tasks.total_actor_tasks = 1;
    tasks.summary_by = "func_name";
    task_summary_group flaky;
    flaky.key = flaky.func_or_class_name = "flaky";
    flaky.type = "NORMAL_TASK";
    flaky.state_counts = {{"FINISHED", 1}, {"FAILED", 1}};
    tasks.groups.push_back(flaky);
    auto text = render_task_summary(tasks, 100);
    BOOST_TEST(text.rfind("total tasks: 3, actor tasks: 1, actors scheduled: 0\n\n", 0) == 0, text);
    BOOST_TEST(contains(text, "FUNC_OR_CLASS_NAME"), text);
    BOOST_TEST(contains(text, "FAILED: 1, FINISHED: 1"), text);

    tasks.summary_by = "lineage";
    task_lineage_node parent, child;
    parent.name = "driver_task";
    parent.type = "NORMAL_TASK";
    child.name = "to_stdout";
    child.type = "NORMAL_TASK";
    child.state_counts = {{"FINISHED", 1}};
    parent.children.push_back(child);
    tasks.lineage.push_back(parent);
    text = render_task_summary(tasks, 100);
    BOOST_TEST(contains(text, "driver_task (NORMAL_TASK)  -\n  to_stdout (NORMAL_TASK)  FINISHED: 1\n"), text);

    actor_summary actors;
    actors.total_actors = 2;
    actors.groups.push_back(actor_summary_group{"Printer", {{"ALIVE", 2}}});
    text = render_actor_summary(actors, 100);
    BOOST_TEST(text.rfind("total actors: 2\n\n", 0) == 0, text);
    BOOST_TEST(contains(text, "ALIVE: 2"), text);

    object_summary objects;
    objects.total_objects = 4;
    objects.total_size_mb = 0.0029;
    object_summary_group site;
    site.call_site = "disabled";
    site.total_objects = 4;
    site.total_size_mb = 0.0029;
    site.ref_type_counts = {{"LOCAL_REFERENCE", 4}};
    objects.groups.push_back(site);
    text = render_object_summary(objects, 120);
    BOOST_TEST(text.rfind("total objects: 4, total size: 0.003 MB\n\n", 0) == 0, text);
    BOOST_TEST(contains(text, "LOCAL_REFERENCE: 4"), text);
}

BOOST_AUTO_TEST_CASE(log_listing_and_truncation_note_as_ray_logs_prints_them) {
    log_file_list files;
    files.node_id = "abc";
    files.categories = {{"raylet", {"raylet.err", "raylet.out"}}, {"gcs_server", {"gcs_server.out"}}};
    BOOST_TEST(render_log_files(files) ==
               "Node ID: abc\ngcs_server:\n  - gcs_server.out\nraylet:\n  - raylet.err\n  - raylet.out\n");
    files.node_id.clear();
    files.node_ip = "10.0.0.1";
    BOOST_TEST(render_log_files(files).rfind("Node IP: 10.0.0.1\n", 0) == 0);
    BOOST_TEST(log_truncation_note(5) ==
               "--- Log has been truncated to last 5 lines. Use `--tail` flag to toggle. "
               "Set to -1 for getting the entire file. ---\n");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace raycl::cli
