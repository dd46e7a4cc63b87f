#include "core/models_json.hpp"
#include "core/record_decoder.hpp"
#include "unit/unit_helpers.hpp"

#include <raycl/models.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <memory>
#include <string>

using namespace raycl;
using namespace raycl::core;
using raycl::test::canary;
using raycl::test::contains;
using raycl::test::expect_client_error;
using raycl::test::free_of_canary;
namespace json = boost::json;

namespace {

// A finished SUBMISSION job as Ray 2.60 sends it, with fields raycl does not model.
constexpr std::string_view succeeded_job = R"({
  "type": "SUBMISSION", "job_id": "02000000",
  "submission_id": "raysubmit_WzQ7bc5kHu4dPXhj",
  "driver_info": {"id": "02000000", "node_ip_address": "127.0.0.1", "pid": "48213"},
  "status": "SUCCEEDED", "entrypoint": "python -c \"print('hello')\"",
  "message": "Job finished successfully.", "error_type": null,
  "start_time": 1732570000123, "end_time": 1732570004567,
  "metadata": {"owner": "ci", "run": "7"},
  "runtime_env": {"env_vars": {"A": "1"}, "pip": null},
  "driver_agent_http_address": "http://127.0.0.1:52365",
  "driver_node_id": "f3a2c1d6e4b5a69788f0e1d2c3b4a5968778695a4b3c2d1e0f9e8d7c",
  "driver_exit_code": 0,
  "entrypoint_num_cpus": 0, "entrypoint_num_gpus": 0, "entrypoint_memory": 0,
  "entrypoint_resources": null, "entrypoint_label_selector": null,
  "retry_policy": null, "attempt_number": 0, "some_future_field": {"x": [1, 2]}
})";

// A just-submitted job: most fields still null.
constexpr std::string_view pending_job = R"({
  "type": "SUBMISSION", "job_id": null, "submission_id": "raycl_0123456789abcdef",
  "driver_info": null, "status": "PENDING", "entrypoint": "sleep 10", "message": "Job has not started yet.",
  "error_type": null, "start_time": 1732570000123, "end_time": null, "metadata": null,
  "runtime_env": null, "driver_agent_http_address": null, "driver_node_id": null, "driver_exit_code": null
})";

json::value parse(std::string_view text) {
    return json::parse(text);
}

// `text` with one field replaced by `replacement` (raw JSON).
json::value with_field(std::string_view text, std::string_view key, std::string_view replacement) {
    json::value value = parse(text);
    value.as_object()[key] = parse(replacement);
    return value;
}

json::value without_field(std::string_view text, std::string_view key) {
    json::value value = parse(text);
    value.as_object().erase(key);
    return value;
}

client_error protocol_error_of(auto decode, const json::value& body) {
    return expect_client_error(error_kind::protocol_error, [&] { decode(body); });
}

/// `body` as text through a text decoder of core/record_decoder.hpp (`decode(text, request)`):
/// the same kind of error with the same message as the DOM decoder's `dom`.
template <class Decode>
void same_error_through_text(const client_error& dom, const json::value& body, Decode decode) {
    request_spec request;
    request.target = "/api/jobs/";
    const auto text = std::make_shared<const std::string>(json::serialize(body));
    const client_error sax = expect_client_error(dom.kind(), [&] { decode(text, request); });
    BOOST_TEST(sax.message() == dom.message());
    BOOST_TEST(sax.status() == dom.status());
}

const auto job_text = [](std::shared_ptr<const std::string> text, const request_spec& request) {
    decode_job_details_text(std::move(text), request);
};
const auto job_list_text = [](std::shared_ptr<const std::string> text, const request_spec& request) {
    decode_job_list_text(std::move(text), request);
};
const auto task_list_text = [](std::shared_ptr<const std::string> text, const request_spec& request) {
    decode_task_list_text(std::move(text), request);
};

std::string state_envelope(std::string_view rows, int total, int after_truncation, int filtered) {
    return R"({"result": true, "msg": "", "data": {"result": {"total": )" + std::to_string(total) +
           R"(, "num_after_truncation": )" + std::to_string(after_truncation) + R"(, "num_filtered": )" +
           std::to_string(filtered) + R"(, "result": )" + std::string(rows) +
           R"(, "partial_failure_warning": "", "warnings": null}}})";
}

constexpr std::string_view node_rows = R"([{
  "node_id": "6b2bd1a6b7e2b0f07c2d5f1d7f3c8a9e0d1c2b3a4f5e6d7c8b9a0f1e", "node_ip": "127.0.0.1",
  "is_head_node": true, "state": "ALIVE", "state_message": null, "node_name": "127.0.0.1",
  "resources_total": {"CPU": 2.0, "memory": 4294967296, "object_store_memory": 200000000.0, "node:127.0.0.1": 1},
  "labels": {"ray.io/node_id": "6b2bd1a6"}, "start_time_ms": 1732570000000, "end_time_ms": 0,
  "is_head_node_extra": "ignored"
}, {
  "node_id": "aa", "node_ip": "127.0.0.2", "is_head_node": false, "state": "DEAD",
  "state_message": "Expected termination: received SIGTERM", "node_name": "worker", "resources_total": {},
  "labels": {}
}])";

constexpr std::string_view task_rows = R"([{
  "task_id": "c8ef45ccd0112571ffffffffffffffffffffffff02000000", "attempt_number": 1, "name": "square",
  "state": "FAILED", "job_id": "02000000", "actor_id": null, "type": "NORMAL_TASK",
  "func_or_class_name": "square", "parent_task_id": "ffffffffffffffffffffffffffffffffffffffff02000000",
  "node_id": "6b2bd1a6", "worker_id": "9f8e7d6c", "worker_pid": 51234, "error_type": "TASK_EXECUTION_EXCEPTION",
  "language": "PYTHON", "required_resources": {"CPU": 1.0}, "runtime_env_info": {"serialized_runtime_env": "{}"},
  "placement_group_id": null, "events": [{"state": "RUNNING", "created_ms": 1732570000200.0}],
  "profiling_data": {}, "creation_time_ms": 1732570000100, "start_time_ms": 1732570000200,
  "end_time_ms": 1732570000300, "task_log_info": null, "error_message": "ZeroDivisionError: division by zero",
  "is_debugger_paused": null, "call_site": null, "label_selector": {}
}])";

constexpr std::string_view actor_rows = R"([{
  "actor_id": "31cc2a3c1f5b0e1a2b3c4d5e02000000", "class_name": "Counter", "state": "ALIVE",
  "job_id": "02000000", "name": "counter", "node_id": "6b2bd1a6", "pid": 52000, "ray_namespace": "ns1",
  "serialized_runtime_env": "{}", "required_resources": {}, "death_cause": null, "is_detached": false,
  "placement_group_id": null, "repr_name": "", "num_restarts": "0",
  "num_restarts_due_to_lineage_reconstruction": "0", "call_site": null, "label_selector": {}
}, {
  "actor_id": "41dd", "class_name": "Worker", "state": "DEAD", "job_id": "02000000", "name": "",
  "node_id": null, "pid": null, "ray_namespace": "ns1", "num_restarts": 2
}])";

// Two applications, one declarative and one imperative, shaped like Ray 2.60's
// GET /api/serve/applications/.
constexpr std::string_view serve_details = R"({
  "controller_info": {"node_id": "6b2bd1a6", "node_ip": "127.0.0.1", "node_instance_id": "",
                      "actor_id": "aa11", "actor_name": "SERVE_CONTROLLER_ACTOR", "worker_id": "bb22",
                      "log_file_path": "/serve/controller_1234.log"},
  "proxy_location": "EveryNode",
  "http_options": {"host": "0.0.0.0", "port": 8000, "root_path": "", "request_timeout_s": null,
                   "keep_alive_timeout_s": 5, "ssl_keyfile": null, "ssl_certfile": null,
                   "ssl_keyfile_password": null, "ssl_ca_certs": null},
  "grpc_options": {"port": 9000, "grpc_servicer_functions": [], "request_timeout_s": null},
  "proxies": {"6b2bd1a6": {"node_id": "6b2bd1a6", "status": "HEALTHY"}},
  "deploy_mode": "MULTI_APP",
  "target_capacity": null,
  "applications": {
    "zeta": {
      "name": "zeta", "route_prefix": "/zeta", "docs_path": null, "status": "RUNNING", "message": "",
      "last_deployed_time_s": 1732570100.5,
      "deployed_app_config": {"name": "zeta", "route_prefix": "/zeta", "import_path": "fixture_app:app",
                              "runtime_env": {}, "args": {"greeting": "hi"}},
      "source": "declarative",
      "deployments": {
        "Router": {"name": "Router", "status": "HEALTHY", "status_trigger": "CONFIG_UPDATE_COMPLETED",
                   "message": "", "deployment_config": {"name": "Router", "num_replicas": 1},
                   "target_num_replicas": 1, "required_resources": {"CPU": 1},
                   "replicas": [{"node_id": "6b2bd1a6", "replica_id": "r1", "state": "RUNNING", "pid": 1}]},
        "Model": {"name": "Model", "status": "UPDATING", "status_trigger": "CONFIG_UPDATE_STARTED",
                  "message": "Deploying 2 replicas", "deployment_config": {"name": "Model", "num_replicas": 2},
                  "replicas": [{"replica_id": "m1"}, {"replica_id": "m2"}]}
      },
      "external_scaler_enabled": false
    },
    "alpha": {
      "name": "alpha", "route_prefix": "/alpha", "docs_path": "/docs", "status": "DEPLOYING", "message": "",
      "last_deployed_time_s": 1732570200, "deployed_app_config": null, "source": "imperative",
      "deployments": {}
    }
  }
})";

}  // namespace

BOOST_AUTO_TEST_SUITE(models_tests)

BOOST_AUTO_TEST_CASE(job_status_names) {
    const std::vector<std::pair<std::string, job_status>> table{{"PENDING", job_status::pending},
                                                                {"RUNNING", job_status::running},
                                                                {"STOPPED", job_status::stopped},
                                                                {"SUCCEEDED", job_status::succeeded},
                                                                {"FAILED", job_status::failed}};
    for (const auto& [name, status] : table) {
        BOOST_TEST(parse_job_status(name) == status);
        BOOST_TEST(to_string(status) == name);
    }
    for (std::string unknown : {"", "running", "QUEUED", "SUCCEEDED "})
        BOOST_TEST(parse_job_status(unknown) == job_status::unknown);
    BOOST_TEST(to_string(job_status::unknown) == "UNKNOWN");
    BOOST_TEST(is_terminal(job_status::stopped));
    BOOST_TEST(is_terminal(job_status::succeeded));
    BOOST_TEST(is_terminal(job_status::failed));
    BOOST_TEST(!is_terminal(job_status::pending));
    BOOST_TEST(!is_terminal(job_status::running));
    BOOST_TEST(!is_terminal(job_status::unknown));
}

BOOST_AUTO_TEST_CASE(serve_status_names) {
    const std::vector<std::pair<std::string, serve_app_status>> table{
        {"NOT_STARTED", serve_app_status::not_started},     {"DEPLOYING", serve_app_status::deploying},
        {"DEPLOY_FAILED", serve_app_status::deploy_failed}, {"RUNNING", serve_app_status::running},
        {"UNHEALTHY", serve_app_status::unhealthy},         {"DELETING", serve_app_status::deleting}};
    for (const auto& [name, status] : table) {
        BOOST_TEST(parse_serve_app_status(name) == status);
        BOOST_TEST(to_string(status) == name);
    }
    BOOST_TEST(parse_serve_app_status("HEALTHY") == serve_app_status::unknown);
    BOOST_TEST(to_string(serve_app_status::unknown) == "UNKNOWN");
}

BOOST_AUTO_TEST_CASE(job_details_with_unknown_keys) {
    job_details job = decode_job_details(parse(succeeded_job));
    BOOST_TEST((job.type == job_type::submission));
    BOOST_TEST(job.job_id.value() == "02000000");
    BOOST_TEST(job.submission_id.value() == "raysubmit_WzQ7bc5kHu4dPXhj");
    BOOST_REQUIRE(job.driver_info.has_value());
    BOOST_TEST(job.driver_info->id == "02000000");
    BOOST_TEST(job.driver_info->node_ip_address == "127.0.0.1");
    BOOST_TEST(job.driver_info->pid == "48213");
    BOOST_TEST((job.status == job_status::succeeded));
    BOOST_TEST(job.status_text == "SUCCEEDED");
    BOOST_TEST(job.is_terminal());
    BOOST_TEST(job.entrypoint == "python -c \"print('hello')\"");
    BOOST_TEST(job.message.value() == "Job finished successfully.");
    BOOST_TEST(!job.error_type.has_value());
    BOOST_TEST(job.start_time.value() == 1732570000123);
    BOOST_TEST(job.end_time.value() == 1732570004567);
    BOOST_TEST(job.metadata.size() == 2u);
    BOOST_TEST(job.metadata.at("run") == "7");
    BOOST_TEST(job.runtime_env->at("env_vars").at("A").as_string() == "1");
    BOOST_TEST(job.driver_agent_http_address.value() == "http://127.0.0.1:52365");
    BOOST_TEST(job.driver_node_id->size() == 56u);
    BOOST_TEST(job.driver_exit_code.value() == 0);
    BOOST_TEST(job.raw->contains("some_future_field"));
    BOOST_TEST(json::value(*job.raw) == parse(succeeded_job));
}

BOOST_AUTO_TEST_CASE(pending_job_nulls_are_missing) {
    job_details job = decode_job_details(parse(pending_job));
    BOOST_TEST((job.status == job_status::pending));
    BOOST_TEST(!job.job_id.has_value());
    BOOST_TEST(!job.driver_info.has_value());
    BOOST_TEST(!job.end_time.has_value());
    BOOST_TEST(job.metadata.empty());
    BOOST_TEST(!job.runtime_env.has_value());
    BOOST_TEST(!job.driver_exit_code.has_value());
    BOOST_TEST(!job.is_terminal());
}

BOOST_AUTO_TEST_CASE(driver_job_with_missing_optional_keys) {
    job_details job = decode_job_details(parse(R"({"type": "DRIVER", "status": "RUNNING", "entrypoint": ""})"));
    BOOST_TEST((job.type == job_type::driver));
    BOOST_TEST(!job.submission_id.has_value());
    BOOST_TEST(!job.start_time.has_value());
    job_details odd = decode_job_details(parse(R"({"status": "QUEUED", "entrypoint": "x", "type": "NEW_KIND"})"));
    BOOST_TEST((odd.type == job_type::unknown));
    BOOST_TEST((odd.status == job_status::unknown));
    BOOST_TEST(odd.status_text == "QUEUED");
}

BOOST_AUTO_TEST_CASE(numbers_in_every_json_representation) {
    BOOST_TEST(decode_job_details(with_field(succeeded_job, "start_time", "1.732570000123e12")).start_time.value() ==
               1732570000123);
    BOOST_TEST(decode_job_details(with_field(succeeded_job, "start_time", "9223372036854775807")).start_time.value() ==
               std::numeric_limits<std::int64_t>::max());
    BOOST_TEST(decode_job_details(with_field(succeeded_job, "start_time", "\"1732570000123\"")).start_time.value() ==
               1732570000123);
    BOOST_TEST(decode_job_details(with_field(succeeded_job, "driver_exit_code", "-1")).driver_exit_code.value() == -1);
    job_details numeric_pid = decode_job_details(with_field(
        succeeded_job, "driver_info", R"({"id": "02000000", "node_ip_address": "127.0.0.1", "pid": 48213})"));
    BOOST_TEST(numeric_pid.driver_info->pid == "48213");
}

BOOST_AUTO_TEST_CASE(wrong_types_are_protocol_errors_naming_the_field) {
    const std::vector<std::pair<std::string, std::string>> cases{{"status", "3"},
                                                                 {"entrypoint", "[\"python\"]"},
                                                                 {"job_id", "2"},
                                                                 {"start_time", "\"soon\""},
                                                                 {"start_time", "true"},
                                                                 {"start_time", "18446744073709551615"},
                                                                 {"start_time", "1e300"},
                                                                 {"metadata", "{\"a\": 1}"},
                                                                 {"metadata", "[]"},
                                                                 {"runtime_env", "[]"},
                                                                 {"driver_info", "\"127.0.0.1\""},
                                                                 {"driver_exit_code", "{}"},
                                                                 {"message", "false"}};
    for (const auto& [key, replacement] : cases) {
        BOOST_TEST_CONTEXT(key << " = " << replacement) {
            client_error error = protocol_error_of(decode_job_details, with_field(succeeded_job, key, replacement));
            same_error_through_text(error, with_field(succeeded_job, key, replacement), job_text);
            BOOST_TEST(error.status() == 500);
            BOOST_TEST((contains(error.message(), "'" + key + "'") || contains(error.message(), "driver_info")));
        }
    }
    client_error nested =
        protocol_error_of(decode_job_details, with_field(succeeded_job, "driver_info", R"({"pid": [1]})"));
    BOOST_TEST(contains(nested.message(), "field 'pid' of driver_info"));
    same_error_through_text(nested, with_field(succeeded_job, "driver_info", R"({"pid": [1]})"), job_text);
}

BOOST_AUTO_TEST_CASE(required_fields_and_shapes) {
    client_error missing = protocol_error_of(decode_job_details, without_field(succeeded_job, "status"));
    BOOST_TEST(missing.message() == "unexpected JSON from Ray: field 'status' of job details is missing");
    same_error_through_text(missing, without_field(succeeded_job, "status"), job_text);
    for (const json::value& body : {with_field(succeeded_job, "entrypoint", "null"), parse("[]"), parse("\"text\"")})
        same_error_through_text(protocol_error_of(decode_job_details, body), body, job_text);
}

BOOST_AUTO_TEST_CASE(job_lists) {
    std::string list = "[" + std::string(succeeded_job) + "," + std::string(pending_job) + "]";
    std::vector<job_details> jobs = decode_job_list(parse(list));
    BOOST_REQUIRE(jobs.size() == 2u);
    BOOST_TEST((jobs[1].status == job_status::pending));
    // Rows are moved, not copied, into `raw`: each job still holds its whole object.
    BOOST_TEST(json::value(*jobs[0].raw) == parse(succeeded_job));
    BOOST_TEST(json::value(*jobs[1].raw) == parse(pending_job));
    BOOST_TEST(decode_job_list(parse("[]")).empty());
    for (const json::value& body : {parse(R"({"jobs": []})"), parse("[" + std::string(succeeded_job) + ", 7]")})
        same_error_through_text(protocol_error_of(decode_job_list, body), body, job_list_text);
}

BOOST_AUTO_TEST_CASE(small_job_answers) {
    version_info version = decode_version(parse(
        R"({"version": "4", "ray_version": "2.60.0", "ray_commit": "abc123", "session_name": "session_2025", "extra": 1})"));
    BOOST_TEST(version.version == "4");
    BOOST_TEST(version.ray_version == "2.60.0");
    BOOST_TEST(version.ray_commit == "abc123");
    BOOST_TEST(version.session_name == "session_2025");
    BOOST_TEST(version.raw->contains("extra"));
    protocol_error_of(decode_version, parse(R"({"ray_version": "2.60.0"})"));

    BOOST_TEST(decode_job_logs(parse(R"({"logs": "line 1\nline 2\n"})")) == "line 1\nline 2\n");
    BOOST_TEST(decode_job_logs(parse(R"({"logs": ""})")).empty());
    protocol_error_of(decode_job_logs, parse(R"({"logs": null})"));

    BOOST_TEST(decode_stopped(parse(R"({"stopped": true})")));
    BOOST_TEST(!decode_stopped(parse(R"({"stopped": false})")));
    protocol_error_of(decode_stopped, parse(R"({"stopped": "false"})"));
    BOOST_TEST(decode_deleted(parse(R"({"deleted": true})")));
    protocol_error_of(decode_deleted, parse(R"({})"));

    BOOST_TEST(decode_submission_id(parse(R"({"job_id": "raycl_1", "submission_id": "raycl_1"})")) == "raycl_1");
    BOOST_TEST(decode_submission_id(parse(R"({"job_id": "raysubmit_old"})")) == "raysubmit_old");
    protocol_error_of(decode_submission_id, parse(R"({})"));
    protocol_error_of(decode_submission_id, parse(R"({"submission_id": 12})"));
}

BOOST_AUTO_TEST_CASE(state_list_of_nodes) {
    list_result<node_info> nodes = decode_state_list(parse(state_envelope(node_rows, 2, 2, 2)), &decode_node);
    BOOST_REQUIRE(nodes.items.size() == 2u);
    const node_info& head = nodes.items[0];
    BOOST_TEST(head.is_head_node);
    BOOST_TEST(head.alive());
    BOOST_TEST(head.node_ip == "127.0.0.1");
    BOOST_TEST(head.state_message.empty());
    BOOST_TEST(head.resources_total.at("CPU") == 2.0);
    BOOST_TEST(head.resources_total.at("memory") == 4294967296.0);
    BOOST_TEST(head.resources_total.at("node:127.0.0.1") == 1.0);
    BOOST_TEST(head.labels.at("ray.io/node_id") == "6b2bd1a6");
    BOOST_TEST(head.start_time_ms.value() == 1732570000000);
    BOOST_TEST(head.raw->contains("is_head_node_extra"));
    BOOST_TEST(json::value(*head.raw) == parse(node_rows).as_array()[0]);
    const node_info& dead = nodes.items[1];
    BOOST_TEST(!dead.alive());
    BOOST_TEST(dead.state_message == "Expected termination: received SIGTERM");
    BOOST_TEST(!dead.start_time_ms.has_value());
    BOOST_TEST(!nodes.truncated());
    BOOST_TEST(nodes.warnings.empty());
}

BOOST_AUTO_TEST_CASE(state_list_of_tasks) {
    list_result<task_info> tasks = decode_state_list(parse(state_envelope(task_rows, 1, 1, 1)), &decode_task);
    BOOST_REQUIRE(tasks.items.size() == 1u);
    const task_info& task = tasks.items[0];
    BOOST_TEST(task.attempt_number == 1);
    BOOST_TEST(task.state == "FAILED");
    BOOST_TEST(task.type == "NORMAL_TASK");
    BOOST_TEST(!task.actor_id.has_value());
    BOOST_TEST(task.worker_pid.value() == 51234);
    BOOST_TEST(task.error_type.value() == "TASK_EXECUTION_EXCEPTION");
    BOOST_TEST(task.error_message.value() == "ZeroDivisionError: division by zero");
    BOOST_TEST(task.parent_task_id->starts_with("ffff"));
}

BOOST_AUTO_TEST_CASE(state_list_of_actors) {
    list_result<actor_info> actors = decode_state_list(parse(state_envelope(actor_rows, 2, 2, 2)), &decode_actor);
    BOOST_REQUIRE(actors.items.size() == 2u);
    BOOST_TEST(actors.items[0].class_name == "Counter");
    BOOST_TEST(actors.items[0].name.value() == "counter");
    BOOST_TEST(actors.items[0].pid.value() == 52000);
    BOOST_TEST(actors.items[0].num_restarts.value() == 0);  // protobuf int64 sent as "0"
    BOOST_TEST(actors.items[0].ray_namespace.value() == "ns1");
    BOOST_TEST(!actors.items[1].pid.has_value());
    BOOST_TEST(!actors.items[1].node_id.has_value());
    BOOST_TEST(actors.items[1].num_restarts.value() == 2);
    protocol_error_of([](const json::value& v) { decode_actor(v); }, parse(R"({"actor_id": "a", "pid": "x"})"));
    protocol_error_of([](const json::value& v) { decode_actor(v); }, parse(R"({"class_name": "Counter"})"));
}

BOOST_AUTO_TEST_CASE(truncation_numbers) {
    list_result<node_info> cut = decode_state_list(parse(state_envelope(node_rows, 15000, 10000, 10000)), &decode_node);
    BOOST_TEST(cut.total == 15000);
    BOOST_TEST(cut.num_after_truncation == 10000);
    BOOST_TEST(cut.num_filtered == 10000);
    BOOST_TEST(cut.truncated());
    // The limit cut the list: 5 matched, 2 returned.
    BOOST_TEST(decode_state_list(parse(state_envelope(node_rows, 5, 5, 5)), &decode_node).truncated());
    // Counters missing (older servers): nothing is reported as cut.
    list_result<node_info> bare = decode_state_list(
        parse(R"({"result": true, "msg": "", "data": {"result": {"result": [{"node_id": "n1"}]}}})"), &decode_node);
    BOOST_TEST(bare.total == 1);
    BOOST_TEST(!bare.truncated());
}

BOOST_AUTO_TEST_CASE(state_warnings) {
    list_result<node_info> warned = decode_state_list(parse(R"({"result": true, "msg": "", "data": {"result": {
        "total": 0, "num_after_truncation": 0, "num_filtered": 0, "result": [],
        "partial_failure_warning": "2 of 3 sources failed", "warnings": ["w1", "w2"]}}})"),
                                                      &decode_node);
    BOOST_TEST(warned.partial_failure_warning == "2 of 3 sources failed");
    BOOST_TEST(warned.warnings.size() == 2u);
    BOOST_TEST(warned.items.empty());
}

BOOST_AUTO_TEST_CASE(failed_state_query_is_a_server_error_with_msg) {
    const json::value failed =
        parse(R"({"result": false, "msg": "Failed to query: Given limit 20000 exceeds 10000", "data": {}})");
    client_error error =
        expect_client_error(error_kind::server_error, [&] { decode_state_list(failed, &decode_task); });
    same_error_through_text(error, failed, task_list_text);
    BOOST_TEST(error.status() == 500);
    BOOST_TEST(contains(error.message(), "Given limit 20000 exceeds 10000"));
    client_error secret = expect_client_error(error_kind::server_error, [] {
        decode_state_list(
            parse(R"({"result": false, "msg": "bad header Authorization: Bearer )" + std::string(canary) + R"("})"),
            &decode_task);
    });
    BOOST_TEST(free_of_canary(secret.what()));
}

BOOST_AUTO_TEST_CASE(malformed_state_envelopes) {
    auto decode_nodes = [](const json::value& v) { decode_state_list(v, &decode_node); };
    protocol_error_of(decode_nodes, parse(R"({"result": true, "msg": ""})"));
    protocol_error_of(decode_nodes, parse(R"({"result": true, "data": {"result": {"result": {}}}})"));
    protocol_error_of(decode_nodes, parse(R"({"result": true, "data": {"result": {"result": [], "total": "many"}}})"));
    protocol_error_of(decode_nodes, parse(R"({"result": true, "data": {"result": {"result": [], "warnings": [1]}}})"));
    protocol_error_of(decode_nodes, parse(R"([])"));
    protocol_error_of(decode_nodes, parse(R"({"result": "yes", "data": {"result": {"result": []}}})"));
    // The same envelopes as task lists, through the text decoder: the same errors.
    for (const char* text :
         {R"({"result": true, "msg": ""})", R"({"result": true, "data": {"result": {"result": {}}}})",
          R"({"result": true, "data": {"result": {"result": [], "total": "many"}}})",
          R"({"result": true, "data": {"result": {"result": [], "warnings": [1]}}})", "[]",
          R"({"result": "yes", "data": {"result": {"result": []}}})"}) {
        const json::value body = parse(text);
        same_error_through_text(
            expect_client_error(error_kind::protocol_error, [&] { decode_state_list(body, &decode_task); }), body,
            task_list_text);
    }
}

BOOST_AUTO_TEST_CASE(serve_instance_with_two_applications) {
    serve_instance instance = decode_serve_instance(parse(serve_details));
    BOOST_REQUIRE(instance.applications.size() == 2u);
    BOOST_TEST(instance.applications[0].name == "alpha");  // sorted by name
    BOOST_TEST(instance.applications[1].name == "zeta");
    BOOST_TEST(instance.proxy_location.value() == "EveryNode");
    BOOST_TEST(instance.http_options.at("port").as_int64() == 8000);
    BOOST_TEST(instance.controller_info.at("actor_name").as_string() == "SERVE_CONTROLLER_ACTOR");
    BOOST_TEST(instance.raw->contains("grpc_options"));

    const serve_application* alpha = instance.find("alpha");
    BOOST_REQUIRE(alpha != nullptr);
    BOOST_TEST(alpha->source == "imperative");
    BOOST_TEST(!alpha->deployed_app_config.has_value());
    BOOST_TEST((alpha->status == serve_app_status::deploying));
    BOOST_TEST(alpha->docs_path.value() == "/docs");
    BOOST_TEST(alpha->last_deployed_time_s.value() == 1732570200.0);
    BOOST_TEST(alpha->deployments.empty());

    const serve_application* zeta = instance.find("zeta");
    BOOST_REQUIRE(zeta != nullptr);
    BOOST_TEST(zeta->source == "declarative");
    BOOST_TEST((zeta->status == serve_app_status::running));
    BOOST_TEST(zeta->route_prefix.value() == "/zeta");
    BOOST_TEST(!zeta->docs_path.has_value());
    BOOST_TEST(zeta->last_deployed_time_s.value() == 1732570100.5);
    BOOST_TEST(zeta->deployed_app_config->at("import_path").as_string() == "fixture_app:app");
    BOOST_TEST(zeta->raw->contains("external_scaler_enabled"));
    BOOST_REQUIRE(zeta->deployments.size() == 2u);
    BOOST_TEST(zeta->deployments[0].name == "Model");
    BOOST_TEST(zeta->deployments[0].status == "UPDATING");
    BOOST_TEST(zeta->deployments[0].message == "Deploying 2 replicas");
    BOOST_TEST(zeta->deployments[0].replica_count == 2u);
    BOOST_TEST(zeta->deployments[1].name == "Router");
    BOOST_TEST(zeta->deployments[1].status_trigger == "CONFIG_UPDATE_COMPLETED");
    BOOST_TEST(zeta->deployments[1].replica_count == 1u);
    BOOST_TEST(zeta->deployments[1].raw->contains("deployment_config"));

    BOOST_TEST(instance.find("missing") == nullptr);
}

BOOST_AUTO_TEST_CASE(serve_not_running) {
    serve_instance instance = decode_serve_instance(parse(
        R"({"applications": {}, "controller_info": {}, "proxy_location": null, "http_options": null, "grpc_options": null, "proxies": {}, "deploy_mode": "MULTI_APP"})"));
    BOOST_TEST(instance.applications.empty());
    BOOST_TEST(!instance.proxy_location.has_value());
    BOOST_TEST(instance.http_options.empty());
    BOOST_TEST(instance.controller_info.empty());
}

BOOST_AUTO_TEST_CASE(serve_wrong_types) {
    protocol_error_of(decode_serve_instance, parse(R"({"applications": []})"));
    protocol_error_of(decode_serve_instance, parse(R"({"applications": {"a": 1}})"));
    client_error error = protocol_error_of(
        decode_serve_instance,
        parse(R"({"applications": {"a": {"status": "RUNNING", "deployments": {"d": {"replicas": {}}}}}})"));
    BOOST_TEST(contains(error.message(), "field 'replicas' of Serve deployment 'd'"));
    protocol_error_of(decode_serve_instance, parse(R"({"applications": {"a": {"deployed_app_config": "x"}}})"));
}

BOOST_AUTO_TEST_CASE(config_without_keeps_other_declarative_apps) {
    json::value details = parse(serve_details);
    // A second declarative app, which must survive removing "zeta".
    details.as_object()["applications"].as_object()["beta"] = parse(R"({
        "name": "beta", "route_prefix": "/beta", "status": "RUNNING", "message": "", "source": "declarative",
        "deployed_app_config": {"name": "beta", "route_prefix": "/beta", "import_path": "other:app"},
        "deployments": {}})");
    json::object config = serve_config_without(decode_serve_instance(details), "zeta");
    BOOST_REQUIRE(config.at("applications").is_array());
    const json::array& apps = config.at("applications").as_array();
    BOOST_REQUIRE(apps.size() == 1u);
    BOOST_TEST(apps[0].at("name").as_string() == "beta");
    BOOST_TEST(apps[0].at("import_path").as_string() == "other:app");
    BOOST_TEST(config.at("proxy_location").as_string() == "EveryNode");
    // http_options reduced to the keys a config accepts, nulls dropped.
    BOOST_TEST(json::value(config.at("http_options")) ==
               parse(R"({"host": "0.0.0.0", "port": 8000, "root_path": "", "keep_alive_timeout_s": 5})"));
    BOOST_TEST(config.size() == 3u);
}

BOOST_AUTO_TEST_CASE(removing_the_only_declarative_app_sends_an_empty_list) {
    json::object config = serve_config_without(decode_serve_instance(parse(serve_details)), "zeta");
    BOOST_REQUIRE(config.contains("applications"));
    BOOST_TEST(config.at("applications").is_array());
    BOOST_TEST(config.at("applications").as_array().empty());
    BOOST_TEST(contains(json::serialize(config), "\"applications\":[]"));
}

BOOST_AUTO_TEST_CASE(config_without_refuses_absent_and_imperative_apps) {
    serve_instance instance = decode_serve_instance(parse(serve_details));
    client_error absent = expect_client_error(error_kind::not_found, [&] { serve_config_without(instance, "nope"); });
    BOOST_TEST(contains(absent.message(), "'nope'"));
    client_error imperative =
        expect_client_error(error_kind::invalid_argument, [&] { serve_config_without(instance, "alpha"); });
    BOOST_TEST(contains(imperative.message(), "imperative"));
}

BOOST_AUTO_TEST_CASE(config_without_never_silently_drops_a_declarative_app) {
    json::value details = parse(serve_details);
    details.as_object()["applications"].as_object()["beta"] =
        parse(R"({"name": "beta", "source": "declarative", "deployed_app_config": null})");
    expect_client_error(error_kind::protocol_error,
                        [&] { serve_config_without(decode_serve_instance(details), "zeta"); });
}

BOOST_AUTO_TEST_CASE(encode_submission_sends_only_set_fields) {
    job_submission submission;
    submission.entrypoint = "python x.py";
    submission.entrypoint_num_gpus = 1.0;
    json::object body = encode_submission(submission, "raycl_abc");
    BOOST_TEST(json::value(body) ==
               parse(R"({"entrypoint": "python x.py", "submission_id": "raycl_abc", "entrypoint_num_gpus": 1.0})"));
}

BOOST_AUTO_TEST_SUITE_END()
