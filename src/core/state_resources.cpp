#include "core/state_resources.hpp"

#include "core/sanitize.hpp"
#include "core/validation.hpp"

#include <raycl/error.hpp>

#include <algorithm>
#include <array>

namespace raycl::core {
namespace {

// Ray 2.60's filterable columns (`util/state/common.py`, each schema's filterable_columns();
// confirmed by the 400 each route answers to an unknown column), sorted.
constexpr std::array<std::string_view, 10> actor_columns{
    "actor_id", "class_name",         "job_id",        "name",      "node_id",
    "pid",      "placement_group_id", "ray_namespace", "repr_name", "state"};
constexpr std::array<std::string_view, 4> job_columns{"job_id", "status", "submission_id", "type"};
constexpr std::array<std::string_view, 5> node_columns{"is_head_node", "node_id", "node_ip", "node_name", "state"};
constexpr std::array<std::string_view, 5> placement_group_columns{"creator_job_id", "is_detached", "name",
                                                                  "placement_group_id", "state"};
constexpr std::array<std::string_view, 9> worker_columns{
    "debugger_port", "exit_type", "ip", "is_alive", "node_id", "num_paused_threads", "pid", "worker_id", "worker_type"};
constexpr std::array<std::string_view, 16> task_columns{
    "actor_id", "attempt_number", "error_type", "func_or_class_name", "is_debugger_paused", "job_id",
    "language", "name",           "node_id",    "parent_task_id",     "placement_group_id", "state",
    "task_id",  "type",           "worker_id",  "worker_pid"};
constexpr std::array<std::string_view, 9> object_columns{
    "attempt_number", "call_site", "ip", "object_id", "object_size", "pid", "reference_type", "task_status", "type"};
constexpr std::array<std::string_view, 4> runtime_env_columns{"error", "node_id", "runtime_env", "success"};
constexpr std::array<std::string_view, 3> cluster_event_columns{"event_id", "severity", "source_type"};

const std::array<state_resource_info, 9> resources{{
    {"actors", "actor", "actor_id", actor_columns, true},
    {"jobs", "job", "submission_id", job_columns, false},
    {"nodes", "node", "node_id", node_columns, true},
    {"placement_groups", "placement group", "placement_group_id", placement_group_columns, false},
    {"workers", "worker", "worker_id", worker_columns, false},
    {"tasks", "task", "task_id", task_columns, true},
    {"objects", "object", "object_id", object_columns, false},
    {"runtime_envs", "runtime env", "", runtime_env_columns, false},
    {"cluster_events", "cluster event", "event_id", cluster_event_columns, false},
}};

}  // namespace

const state_resource_info* find_state_resource(std::string_view route) noexcept {
    auto it = std::find_if(resources.begin(), resources.end(), [&](const auto& r) { return r.route == route; });
    return it == resources.end() ? nullptr : &*it;
}

const state_resource_info& state_resource(std::string_view route) {
    if (const auto* resource = find_state_resource(route)) return *resource;
    throw client_error(error_kind::invalid_argument, "unknown state resource '" + sanitize(route, {}, 64) + "'");
}

void validate_filter_columns(const state_resource_info& resource, const std::vector<list_filter>& filters) {
    for (const list_filter& filter : filters) {
        const auto& columns = resource.filter_columns;
        if (std::find(columns.begin(), columns.end(), filter.key) != columns.end()) continue;
        std::string supported;
        for (std::string_view column : columns) supported += (supported.empty() ? "" : ", ") + std::string(column);
        throw client_error(error_kind::invalid_argument,
                           "'" + sanitize(filter.key, {}, 64) + "' is not a column Ray can filter " +
                               std::string(resource.route) + " on; supported filter columns: " + supported);
    }
}

request_spec state_summary_request(std::string_view resource, const summary_options& options,
                                   std::optional<task_summary_by> by) {
    if (resource != "tasks" && resource != "actors" && resource != "objects")
        throw client_error(error_kind::invalid_argument, "Ray summarizes only tasks, actors and objects");
    if (by && resource != "tasks") throw client_error(error_kind::invalid_argument, "summary_by applies to tasks only");
    list_options checked;
    checked.filters = options.filters;
    checked.server_timeout_seconds = options.server_timeout_seconds;
    validate_list_options(checked);
    validate_filter_columns(state_resource(resource), options.filters);

    request_spec spec;
    spec.target = "/api/v0/" + std::string(resource) + "/summarize";
    if (by) append_query(spec.target, "summary_by", to_string(*by));
    if (options.server_timeout_seconds) append_server_timeout(spec.target, *options.server_timeout_seconds);
    append_filters(spec.target, options.filters);
    return spec;
}

request_spec cluster_status_request(bool formatted) {
    request_spec spec;
    spec.target = formatted ? "/api/cluster_status?format=1" : "/api/cluster_status";
    return spec;
}

}  // namespace raycl::core
