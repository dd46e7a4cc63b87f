/// @file
/// @brief Typed results of the state API beyond nodes, tasks and actors (objects, placement
/// groups, workers, runtime envs, cluster events), of its summaries, and of the cluster status
/// (`ray status`). Each keeps the raw JSON object it was read from.
///
/// Decoding follows `models.hpp`: unknown keys are ignored, missing optional fields tolerated,
/// a present field of the wrong type is a 500 `client_error` of kind `protocol_error`.
#pragma once

#include <raycl/models.hpp>

#include <boost/json/object.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace raycl {

/// @brief One reference to an object in the object store (`/api/v0/objects`). The same object
/// appears once per process that holds a reference to it.
struct object_info {
    std::string object_id{};                       ///< Hex object id.
    std::optional<std::int64_t> object_size{};     ///< Bytes; -1 when Ray does not know it (actor handles).
    std::string task_status{};                     ///< State of the task that created it, e.g. `FINISHED`, `NIL`.
    std::optional<std::int64_t> attempt_number{};  ///< Attempt of the creating task.
    std::string reference_type{};                  ///< e.g. `LOCAL_REFERENCE`, `ACTOR_HANDLE`, `PINNED_IN_MEMORY`.
    std::string call_site{};                       ///< Where it was created (`disabled` unless Ray records it).
    std::string type{};                            ///< `DRIVER` or `WORKER`: the process holding the reference.
    std::optional<std::int64_t> pid{};             ///< Process holding the reference.
    std::string ip{};                              ///< Node IP of that process.
    raycl::raw_object raw{};                       ///< The whole object as received.
};

/// @brief One placement group (`/api/v0/placement_groups`).
struct placement_group_info {
    std::string placement_group_id{};   ///< Hex placement group id.
    std::string name{};                 ///< Name (may be empty).
    std::string creator_job_id{};       ///< Hex id of the job that created it.
    std::string state{};                ///< e.g. `PENDING`, `CREATED`, `REMOVED`, `RESCHEDULING`.
    std::optional<bool> is_detached{};  ///< With detail.
    std::size_t bundle_count = 0;       ///< Bundles listed (with detail).
    raycl::raw_object raw{};            ///< The whole object as received.
};

/// @brief One worker process, alive or dead (`/api/v0/workers`).
struct worker_info {
    std::string worker_id{};                      ///< Hex worker id.
    bool is_alive = false;                        ///< Whether the process still runs.
    std::string worker_type{};                    ///< e.g. `WORKER`, `DRIVER`.
    std::optional<std::string> exit_type{};       ///< Why it exited, once dead.
    std::string node_id{};                        ///< Node it runs on.
    std::string ip{};                             ///< Node IP.
    std::optional<std::int64_t> pid{};            ///< Process id.
    std::optional<std::string> exit_detail{};     ///< With detail.
    std::optional<std::int64_t> start_time_ms{};  ///< With detail.
    std::optional<std::int64_t> end_time_ms{};    ///< With detail (0 while alive).
    raycl::raw_object raw{};                      ///< The whole object as received.
};

/// @brief One runtime environment on one node (`/api/v0/runtime_envs`). Runtime envs have no
/// id of their own, so there is no get-by-id for them (as in `ray get`).
struct runtime_env_info {
    boost::json::object runtime_env{};               ///< The runtime env as Ray resolved it.
    bool success = false;                            ///< Whether it was set up.
    std::optional<std::int64_t> creation_time_ms{};  ///< Set-up time in ms (Ray sends a string).
    std::string node_id{};                           ///< Node it lives on.
    std::optional<std::int64_t> ref_cnt{};           ///< With detail: references to it.
    std::optional<std::string> error{};              ///< With detail: why set-up failed.
    raycl::raw_object raw{};                         ///< The whole object as received.
};

/// @brief One cluster event (`/api/v0/cluster_events`), e.g. "Started a ray job ...".
struct cluster_event_info {
    std::string event_id{};                              ///< Event id.
    std::string severity{};                              ///< e.g. `INFO`, `WARNING`, `ERROR`.
    std::string time{};                                  ///< Local time as Ray formats it, e.g. `2026-12-02 00:20:23`.
    std::string source_type{};                           ///< e.g. `JOBS`, `GCS`, `AUTOSCALER`.
    std::string message{};                               ///< The event's text.
    std::map<std::string, std::string> custom_fields{};  ///< With detail (string fields only).
    raycl::raw_object raw{};                             ///< The whole object as received.
};

/// @brief How `summarize_tasks` groups tasks: Ray's `summary_by`.
enum class task_summary_by {
    func_name,  ///< By function or class name (Ray's default).
    task_name,  ///< By task name. Ray 2.60 answers this with the func_name grouping.
    lineage,    ///< As a tree of parent tasks and actors.
};

/// @brief Ray's name of a grouping: `"func_name"`, `"task_name"` or `"lineage"`.
std::string_view to_string(task_summary_by by) noexcept;

/// @brief Options of the summaries: filters (checked as for lists) and Ray's time limit.
/// (Not an aggregate: see `job_submission` on g++ 12.)
struct summary_options {
    /// @brief No filter, Ray's default time limit.
    summary_options() = default;
    /// @brief Adds the filter `key = value`.
    summary_options& where(std::string key, std::string value) {
        filters.emplace_back(std::move(key), "=", std::move(value));
        return *this;
    }
    /// @brief Adds the filter `key != value`.
    summary_options& where_not(std::string key, std::string value) {
        filters.emplace_back(std::move(key), "!=", std::move(value));
        return *this;
    }

    std::vector<list_filter> filters{};  ///< Filters, all of which must match.
    /// @brief Server-side timeout (`timeout`), in (0, 300] seconds; Ray's default is 30.
    std::optional<double> server_timeout_seconds{};
};

/// @brief One group of a task summary by function (or task) name.
struct task_summary_group {
    std::string key{};                                   ///< The group's name, e.g. `flaky`, `Printer.hold`.
    std::string func_or_class_name{};                    ///< Function or class name.
    std::string type{};                                  ///< e.g. `NORMAL_TASK`, `ACTOR_TASK`.
    std::map<std::string, std::int64_t> state_counts{};  ///< Attempts per state.
};

/// @brief One node of a lineage summary: a task or an actor, with its children.
struct task_lineage_node {
    std::string name{};                                  ///< Function, class or actor name.
    std::string key{};                                   ///< Task id, or `actor:<id>` for actors.
    std::string type{};                                  ///< e.g. `NORMAL_TASK`, `ACTOR`.
    std::optional<std::int64_t> timestamp{};             ///< Creation time in ms.
    std::map<std::string, std::int64_t> state_counts{};  ///< Attempts per state.
    std::string link_type{};                             ///< `task` or `actor`.
    std::string link_id{};                               ///< The task or actor id.
    std::vector<task_lineage_node> children{};           ///< Child tasks (and an actor's tasks).
};

/// @brief `GET /api/v0/tasks/summarize`.
struct task_summary : list_counts {
    std::string summary_by{};                  ///< As Ray reports it: `func_name` or `lineage`.
    std::vector<task_summary_group> groups{};  ///< By name (func_name/task_name), sorted by key.
    std::vector<task_lineage_node> lineage{};  ///< The tree (lineage), in Ray's order.
    std::int64_t total_tasks = 0;              ///< Normal tasks.
    std::int64_t total_actor_tasks = 0;        ///< Actor method calls.
    std::int64_t total_actor_scheduled = 0;    ///< Actor creations.
    raycl::raw_object raw{};                   ///< `data.result.result.node_id_to_summary.cluster` as received.
};

/// @brief One class of an actor summary.
struct actor_summary_group {
    std::string class_name{};                            ///< Actor class.
    std::map<std::string, std::int64_t> state_counts{};  ///< Actors per state.
};

/// @brief `GET /api/v0/actors/summarize`.
struct actor_summary : list_counts {
    std::vector<actor_summary_group> groups{};  ///< By class, sorted by class name.
    std::int64_t total_actors = 0;              ///< Actors summarized.
    raycl::raw_object raw{};                    ///< `...node_id_to_summary.cluster` as received.
};

/// @brief One call site of an object summary.
struct object_summary_group {
    std::string call_site{};                                           ///< Where the objects were created.
    std::int64_t total_objects = 0;                                    ///< References.
    double total_size_mb = 0;                                          ///< Their size in MiB.
    std::int64_t total_num_workers = 0;                                ///< Processes holding them.
    std::int64_t total_num_nodes = 0;                                  ///< Nodes holding them.
    std::map<std::string, std::int64_t> task_state_counts{};           ///< Creating tasks' states.
    std::map<std::string, std::int64_t> task_attempt_number_counts{};  ///< Creating attempts.
    std::map<std::string, std::int64_t> ref_type_counts{};             ///< Reference types.
};

/// @brief `GET /api/v0/objects/summarize`.
struct object_summary : list_counts {
    std::vector<object_summary_group> groups{};  ///< By call site, sorted by call site.
    std::int64_t total_objects = 0;              ///< References summarized.
    double total_size_mb = 0;                    ///< Their size in MiB.
    bool callsite_enabled = false;               ///< Whether Ray records call sites.
    raycl::raw_object raw{};                     ///< `...node_id_to_summary.cluster` as received.
};

/// @brief A resource's use: `used` of `total`.
struct resource_usage {
    double used = 0;   ///< In use (or reserved).
    double total = 0;  ///< Available in all.
};

/// @brief The autoscaler's report of the cluster (`clusterStatus` of `GET /api/cluster_status`),
/// camelCase keys decoded. Ray camelCases resource and node-type names too (`raycl_worker_1`
/// arrives as `rayclWorker1`); names found in the report's own unconverted lists are restored,
/// the others stay as Ray sent them.
struct autoscaler_report {
    std::optional<double> time{};                                                  ///< Unix seconds of the report.
    std::optional<double> gcs_request_time{};                                      ///< Seconds.
    std::optional<double> autoscaler_update_time{};                                ///< Seconds.
    std::optional<double> non_terminated_nodes_time{};                             ///< Seconds.
    std::optional<std::int64_t> monitor_pid{};                                     ///< The autoscaler monitor's pid.
    std::map<std::string, std::int64_t> active_nodes{};                            ///< Node type to count.
    std::map<std::string, std::int64_t> idle_nodes{};                              ///< Node type to count.
    std::map<std::string, std::int64_t> pending_launches{};                        ///< Node type to count.
    std::size_t pending_node_count = 0;                                            ///< Nodes being started.
    std::size_t failed_node_count = 0;                                             ///< Recent failures.
    std::map<std::string, resource_usage> usage{};                                 ///< Cluster-wide, by resource.
    std::map<std::string, std::map<std::string, resource_usage>> usage_by_node{};  ///< Node id to usage.
    std::optional<std::string> head_ip{};                                          ///< Head IP, when Ray reports it.
    raycl::raw_object raw{};                                                       ///< `clusterStatus` as received.
};

/// @brief `GET /api/cluster_status`: what `ray status` prints, and the structured form.
struct cluster_status {
    /// @brief The text `ray status` prints (`format=1`), e.g. starting
    /// `======== Autoscaler status: <time> ========`.
    std::string text{};
    /// @brief The legacy autoscaler's status text (`autoscalingStatus`), if any.
    std::optional<std::string> autoscaling_status{};
    /// @brief The autoscaler's error (`autoscalingError`), if any.
    std::optional<std::string> autoscaling_error{};
    /// @brief The autoscaler's report; none on clusters run by autoscaler v2, which does not
    /// write it (`clusterStatus: null`).
    std::optional<autoscaler_report> report{};
    /// @brief The `data` object of the structured answer (`format=0`) as received.
    raycl::raw_object raw{};
};

}  // namespace raycl
