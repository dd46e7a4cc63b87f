/// @file
/// @brief Typed results of raycl operations. Each keeps the raw JSON object it was read from.
///
/// Decoding ignores unknown keys and tolerates missing optional fields (Ray keeps adding
/// fields); a required field of the wrong type is a 500 `client_error` of kind
/// `protocol_error`.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace raycl {

/// @brief The JSON object a record was read from, parsed on first use.
///
/// Holds either an object built already (a record decoded from a parsed document, or any
/// `boost::json::object` assigned to it) or a shared source text and the record's byte range in
/// it (the lists of jobs and tasks, decoded straight from the response body): the object is
/// parsed from that text on the first get(), once, and kept. Reading it is thread-safe for
/// concurrent const use; copies share the text and the parsed object (a copy is two pointers).
///
/// A record decoded from a list keeps the whole body of that list alive (one shared string for
/// all its records) until its `raw` is released or replaced, e.g. `job.raw = {};`.
class raw_object {
public:
    /// @brief An empty object.
    raw_object() noexcept = default;
    /// @brief This object, as built (implicit: `record.raw = some_object;`).
    raw_object(boost::json::object object);
    /// @brief The object whose JSON text is `size` bytes at `offset` of `source`, parsed on first
    /// use. The text must be one JSON object (get() throws client_error protocol_error (500)
    /// otherwise); the range must lie inside `source` (else std::out_of_range here).
    raw_object(std::shared_ptr<const std::string> source, std::size_t offset, std::size_t size);

    /// @brief The object (parsed now if it was not yet).
    const boost::json::object& get() const;
    /// @brief The object (get()).
    const boost::json::object& operator*() const { return get(); }
    /// @brief Members of the object, e.g. `job.raw->at("metadata")` (get()).
    const boost::json::object* operator->() const { return &get(); }
    /// @brief The object (get()), so that `raw` can be passed where an object is expected.
    operator const boost::json::object&() const { return get(); }

    /// @brief The JSON text the object is (or will be) parsed from; none when it was built as an
    /// object.
    std::optional<std::string_view> text() const noexcept;
    /// @brief True when the object has been built (always, unless it came from a text not read yet).
    bool parsed() const noexcept;

private:
    struct state;
    std::shared_ptr<state> state_{};
};

/// @brief Status of a Ray job.
enum class job_status { pending, running, stopped, succeeded, failed, unknown };

/// @brief Parses Ray's upper-case status name; unrecognised names give `job_status::unknown`.
job_status parse_job_status(std::string_view text) noexcept;
/// @brief Ray's upper-case name of a status, e.g. `"SUCCEEDED"` (`"UNKNOWN"` for unknown).
std::string_view to_string(job_status status) noexcept;
/// @brief True for STOPPED, SUCCEEDED and FAILED.
bool is_terminal(job_status status) noexcept;

/// @brief How a job was started.
enum class job_type {
    submission,  ///< Submitted through the Jobs API (`SUBMISSION`).
    driver,      ///< A driver that connected itself (`DRIVER`); cannot be stopped or deleted.
    unknown,     ///< A type this version of raycl does not know.
};

/// @brief Where a job's driver process runs.
struct driver_info {
    std::string id{};               ///< Hex job id of the driver.
    std::string node_ip_address{};  ///< IP of the driver's node.
    std::string pid{};              ///< Process id (Ray sends it as a string).
};

/// @brief One job (`GET /api/jobs/{id}` and the elements of `GET /api/jobs/`).
struct job_details {
    job_type type = job_type::unknown;                       ///< SUBMISSION or DRIVER.
    std::optional<std::string> job_id{};                     ///< Hex Ray job id; empty while PENDING.
    std::optional<std::string> submission_id{};              ///< Submission id; empty for DRIVER jobs.
    std::optional<raycl::driver_info> driver_info{};         ///< Driver process, once started.
    job_status status = job_status::unknown;                 ///< Current status.
    std::string status_text{};                               ///< Status exactly as Ray sent it.
    std::string entrypoint{};                                ///< The shell command of the job.
    std::optional<std::string> message{};                    ///< Ray's status message.
    std::optional<std::string> error_type{};                 ///< Ray's error type (an open set).
    std::optional<std::int64_t> start_time{};                ///< Unix milliseconds.
    std::optional<std::int64_t> end_time{};                  ///< Unix milliseconds.
    std::map<std::string, std::string> metadata{};           ///< User metadata.
    std::optional<boost::json::object> runtime_env{};        ///< Runtime environment.
    std::optional<std::string> driver_agent_http_address{};  ///< Agent serving the driver.
    std::optional<std::string> driver_node_id{};             ///< Node the driver runs on.
    std::optional<std::int64_t> driver_exit_code{};          ///< Exit code once finished.
    raycl::raw_object raw{};                                 ///< The whole object as received.

    /// @brief True when the job can no longer change state (STOPPED, SUCCEEDED, FAILED).
    bool is_terminal() const noexcept { return raycl::is_terminal(status); }
};

/// @brief What to submit with `client::submit_job`. Only the fields that are set are sent.
///
/// Not an aggregate on purpose: g++ 12 destroys aggregate temporaries inside a `co_await`
/// expression twice (heap corruption). Build it with the constructor and the `with_` setters:
/// `co_await ray.submit_job(raycl::job_submission("python job.py").with_num_cpus(0.5))`.
struct job_submission {
    /// @brief An empty submission; set `entrypoint` before submitting.
    job_submission() = default;
    /// @brief A submission of this shell command (implicit: `ray.submit_job({"python job.py"})`).
    job_submission(std::string entrypoint_command) : entrypoint(std::move(entrypoint_command)) {}

    /// @brief Sets `submission_id`.
    job_submission& with_submission_id(std::string id) {
        submission_id = std::move(id);
        return *this;
    }
    /// @brief Sets `runtime_env`.
    job_submission& with_runtime_env(boost::json::object env) {
        runtime_env = std::move(env);
        return *this;
    }
    /// @brief Sets `metadata`.
    job_submission& with_metadata(std::map<std::string, std::string> values) {
        metadata = std::move(values);
        return *this;
    }
    /// @brief Sets `entrypoint_num_cpus`.
    job_submission& with_num_cpus(double cpus) {
        entrypoint_num_cpus = cpus;
        return *this;
    }
    /// @brief Sets `entrypoint_num_gpus`.
    job_submission& with_num_gpus(double gpus) {
        entrypoint_num_gpus = gpus;
        return *this;
    }
    /// @brief Sets `entrypoint_memory` (bytes).
    job_submission& with_memory(std::int64_t bytes) {
        entrypoint_memory = bytes;
        return *this;
    }
    /// @brief Sets `entrypoint_resources`.
    job_submission& with_resources(std::map<std::string, double> values) {
        entrypoint_resources = std::move(values);
        return *this;
    }
    /// @brief Sets `entrypoint_label_selector`.
    job_submission& with_label_selector(std::map<std::string, std::string> values) {
        entrypoint_label_selector = std::move(values);
        return *this;
    }

    std::string entrypoint{};                                             ///< Shell command; required, non-empty.
    std::optional<std::string> submission_id{};                           ///< Generated when empty.
    std::optional<boost::json::object> runtime_env{};                     ///< Runtime environment.
    std::optional<std::map<std::string, std::string>> metadata{};         ///< User metadata.
    std::optional<double> entrypoint_num_cpus{};                          ///< CPUs reserved for the entrypoint.
    std::optional<double> entrypoint_num_gpus{};                          ///< GPUs reserved for the entrypoint.
    std::optional<std::int64_t> entrypoint_memory{};                      ///< Memory (bytes) for the entrypoint.
    std::optional<std::map<std::string, double>> entrypoint_resources{};  ///< Custom resources.
    /// @brief Node labels the entrypoint's node must have (`entrypoint_label_selector`, e.g.
    /// `{"region": "us-west"}`). Ray 2.54 and later: on an older cluster submit_job fails with
    /// error_kind::unsupported (501) before sending the job.
    std::optional<std::map<std::string, std::string>> entrypoint_label_selector{};
};

/// @brief `GET /api/version`.
struct version_info {
    std::string version{};       ///< Dashboard API version (e.g. "4").
    std::string ray_version{};   ///< Ray release, e.g. "2.60.0".
    std::string ray_commit{};    ///< Ray commit hash.
    std::string session_name{};  ///< Cluster session name.
    raycl::raw_object raw{};     ///< The whole object as received.
};

/// @brief One node of the cluster (state API).
struct node_info {
    std::string node_id{};                            ///< Hex node id.
    std::string node_ip{};                            ///< Node IP address.
    bool is_head_node = false;                        ///< Whether this is the head.
    std::string state{};                              ///< `ALIVE` or `DEAD`.
    std::string state_message{};                      ///< Why the node is in its state (may be empty).
    std::string node_name{};                          ///< Node name.
    std::map<std::string, double> resources_total{};  ///< Total resources.
    std::map<std::string, std::string> labels{};      ///< Node labels.
    std::optional<std::int64_t> start_time_ms{};      ///< With detail.
    std::optional<std::int64_t> end_time_ms{};        ///< With detail.
    raycl::raw_object raw{};                          ///< The whole object as received.

    /// @brief True when `state` is `ALIVE`.
    bool alive() const noexcept { return state == "ALIVE"; }
};

/// @brief One task attempt (state API).
struct task_info {
    std::string task_id{};                        ///< Hex task id.
    std::int64_t attempt_number = 0;              ///< Attempt (retries add rows).
    std::string name{};                           ///< Task name.
    std::string state{};                          ///< e.g. `FINISHED`, `RUNNING`, `FAILED`.
    std::string job_id{};                         ///< Hex job id.
    std::optional<std::string> actor_id{};        ///< Actor, for actor tasks.
    std::string type{};                           ///< e.g. `NORMAL_TASK`, `ACTOR_TASK`.
    std::string func_or_class_name{};             ///< Function or class name.
    std::optional<std::string> parent_task_id{};  ///< Parent task.
    std::optional<std::string> node_id{};         ///< Node it ran on.
    std::optional<std::string> worker_id{};       ///< Worker it ran on.
    std::optional<std::int64_t> worker_pid{};     ///< Worker process id.
    std::optional<std::string> error_type{};      ///< Error type, if failed.
    std::optional<std::string> error_message{};   ///< With detail.
    raycl::raw_object raw{};                      ///< The whole object as received.
};

/// @brief One actor (state API).
struct actor_info {
    std::string actor_id{};                      ///< Hex actor id.
    std::string class_name{};                    ///< Actor class.
    std::string state{};                         ///< e.g. `ALIVE`, `DEAD`.
    std::string job_id{};                        ///< Hex job id.
    std::optional<std::string> name{};           ///< Name, if named.
    std::optional<std::string> node_id{};        ///< Node it runs on.
    std::optional<std::int64_t> pid{};           ///< Process id.
    std::optional<std::string> ray_namespace{};  ///< Namespace.
    std::optional<std::int64_t> num_restarts{};  ///< With detail.
    raycl::raw_object raw{};                     ///< The whole object as received.
};

/// @brief The numbers of a state-API list that tell whether it is complete.
///
/// Ray fills a list in three steps: its data source (the GCS, the raylets) returns at most
/// 10,000 rows (`num_after_truncation` of `total`), the dashboard applies the filters it did not
/// push down to the source (`num_filtered` left), then it returns the first `limit` rows. So a
/// filtered list whose source was cut can miss matching rows although `num_filtered` looks
/// small: the trap of Ray issue 33547 ("my filter returned nothing").
struct list_counts {
    std::int64_t total = 0;                 ///< Rows at the source (after filters the source applied itself).
    std::int64_t num_after_truncation = 0;  ///< Rows the source returned (at most 10,000 by default).
    std::int64_t num_filtered = 0;          ///< Rows left after the dashboard's filters.
    std::int64_t returned = 0;              ///< Rows returned (after `limit`).
    bool filtered = false;                  ///< The query had filters.
    std::string partial_failure_warning{};  ///< Ray's warning when some sources failed.
    std::vector<std::string> warnings{};    ///< Ray's other warnings.

    /// @brief True when the source held more rows than it returned (Ray's 10,000-row limit).
    bool source_truncated() const noexcept { return num_after_truncation < total; }
    /// @brief True when `limit` cut the matching rows.
    bool limit_truncated() const noexcept { return returned < num_filtered; }
    /// @brief True when rows matching the query were not returned, for either reason.
    bool truncated() const noexcept { return source_truncated() || limit_truncated(); }
    /// @brief Plain sentences about what is missing, for people (empty when the list is
    /// complete and Ray warned of nothing): the source's truncation (and, for a filtered list,
    /// that matching rows may be missing, Ray issue 33547), the limit, and Ray's own warnings.
    /// `rows` names the rows, e.g. "tasks".
    std::vector<std::string> describe_truncation(std::string_view rows) const;
};

/// @brief A list from Ray's state API, with the numbers that tell whether it was truncated.
template <class T>
struct list_result : list_counts {
    std::vector<T> items{};  ///< The rows returned.
};

/// @brief A state-API filter: `key predicate value`, predicate `=` or `!=`.
struct list_filter {
    /// @brief An empty filter (fill in the fields).
    list_filter() = default;
    /// @brief `key predicate value`, e.g. `{"state", "=", "RUNNING"}`.
    list_filter(std::string filter_key, std::string filter_predicate, std::string filter_value)
        : key(std::move(filter_key)), predicate(std::move(filter_predicate)), value(std::move(filter_value)) {}

    std::string key{};            ///< Column, e.g. `state` or `job_id`.
    std::string predicate = "=";  ///< `=` or `!=`.
    std::string value{};          ///< Value (Ray compares case-insensitively).
};

/// @brief Options of state-API list calls, e.g.
/// `raycl::list_options().with_limit(50).where("state", "RUNNING")`.
/// (Not an aggregate: see `job_submission` on g++ 12.)
struct list_options {
    /// @brief Ray's defaults: 100 rows, no detail, no filter.
    list_options() = default;

    /// @brief Sets `limit`.
    list_options& with_limit(int rows) {
        limit = rows;
        return *this;
    }
    /// @brief Asks for detailed rows.
    list_options& with_detail(bool on = true) {
        detail = on;
        return *this;
    }
    /// @brief Adds the filter `key = value`.
    list_options& where(std::string key, std::string value) {
        filters.emplace_back(std::move(key), "=", std::move(value));
        return *this;
    }
    /// @brief Adds the filter `key != value`.
    list_options& where_not(std::string key, std::string value) {
        filters.emplace_back(std::move(key), "!=", std::move(value));
        return *this;
    }
    /// @brief Sets `exclude_driver` (tasks only).
    list_options& with_exclude_driver(bool on) {
        exclude_driver = on;
        return *this;
    }
    /// @brief Sets `server_timeout_seconds`.
    list_options& with_server_timeout(double value) {
        server_timeout_seconds = value;
        return *this;
    }

    /// @brief Maximum rows (1..10000); unset uses Ray's default of 100.
    std::optional<int> limit{};
    /// @brief Ask for detailed rows (`detail=true`).
    bool detail = false;
    /// @brief Filters, all of which must match. Their columns are checked before any I/O
    /// against the columns Ray 2.60 can filter the resource on (400 listing them).
    std::vector<list_filter> filters{};
    /// @brief Tasks only: leave out the drivers' own pseudo-tasks (Ray's default: true). Set on
    /// another resource it is refused with 400.
    std::optional<bool> exclude_driver{};
    /// @brief Server-side timeout of the query (`timeout`), in (0, 300] seconds.
    std::optional<double> server_timeout_seconds{};
};

/// @brief Status of a Serve application.
enum class serve_app_status { not_started, deploying, deploy_failed, running, unhealthy, deleting, unknown };

/// @brief Parses Ray Serve's application status name (unknown names give `unknown`).
serve_app_status parse_serve_app_status(std::string_view text) noexcept;
/// @brief Ray Serve's upper-case name of an application status.
std::string_view to_string(serve_app_status status) noexcept;

/// @brief How Serve applications were deployed (Ray's `api_type`, an application's `source`).
enum class serve_api_type {
    declarative,  ///< From a config: `PUT /api/serve/applications/`, `serve deploy`.
    imperative,   ///< From Python: `serve.run`.
};

/// @brief Ray's name of an API type: `"declarative"` or `"imperative"`.
std::string_view to_string(serve_api_type type) noexcept;

/// @brief One deployment of a Serve application.
struct serve_deployment {
    std::string name{};             ///< Deployment name.
    std::string status{};           ///< e.g. `HEALTHY`, `UPDATING`, `UNHEALTHY`.
    std::string status_trigger{};   ///< Why it is in that status.
    std::string message{};          ///< Status message.
    std::size_t replica_count = 0;  ///< Replicas listed.
    raycl::raw_object raw{};        ///< The whole object as received.
};

/// @brief One Serve application.
struct serve_application {
    std::string name{};                                        ///< Application name.
    std::optional<std::string> route_prefix{};                 ///< HTTP route prefix.
    std::optional<std::string> docs_path{};                    ///< Docs path.
    serve_app_status status = serve_app_status::unknown;       ///< Status.
    std::string status_text{};                                 ///< Status exactly as Ray sent it.
    std::string message{};                                     ///< Status message.
    std::optional<double> last_deployed_time_s{};              ///< Unix seconds.
    std::optional<boost::json::object> deployed_app_config{};  ///< Declarative config, if any.
    /// `declarative` or `imperative` (Ray's `source`; before Ray 2.39, which sends none, derived
    /// from `deployed_app_config`: present exactly for declaratively deployed applications).
    std::string source{};
    std::vector<serve_deployment> deployments{};  ///< Deployments, sorted by name.
    raycl::raw_object raw{};                      ///< The whole object as received.
};

/// @brief `GET /api/serve/applications/`: the Serve instance and its applications.
struct serve_instance {
    std::vector<serve_application> applications{};  ///< Applications, sorted by name.
    std::optional<std::string> proxy_location{};    ///< e.g. `EveryNode`.
    boost::json::object http_options{};             ///< HTTP proxy options (may be empty).
    boost::json::object controller_info{};          ///< Empty when Serve is not running.
    raycl::raw_object raw{};                        ///< The whole object as received.

    /// @brief The application with this name, or nullptr.
    const serve_application* find(std::string_view name) const noexcept;
};

}  // namespace raycl
