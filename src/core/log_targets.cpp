#include "core/log_targets.hpp"

#include "core/json_reader.hpp"
#include "core/log_requests.hpp"
#include "core/models_json.hpp"
#include "core/responses.hpp"
#include "core/sanitize.hpp"
#include "core/validation.hpp"
#include "core/state_json.hpp"

#include <algorithm>

namespace raycl::core {

job_log_target::job_log_target(const job_details& job)
    : id_(job.submission_id.value_or("")), driver_node_id_(job.driver_node_id) {}

job_log_target::job_log_target(std::string id) : id_(std::move(id)) {
    validate_resource_id("job", id_);
}

tail_target_traits job_log_target::traits() const noexcept {
    tail_target_traits traits;
    traits.has_websocket = true;
    traits.needs_location = true;  // the stream needs the driver's node, known once the driver started
    traits.can_finish = true;
    traits.has_static_log = true;
    return traits;
}

std::string job_log_target::describe() const {
    return "job " + id_;
}

std::string job_log_target::websocket_target() const {
    return job_logs_request(id_).target + "/tail";
}

std::string job_log_target::stream_target() const {
    return "/api/v0/logs/stream?submission_id=" + percent_encode_query(id_) +
           "&node_id=" + percent_encode_query(driver_node_id_.value_or("")) + "&lines=-1";
}

request_spec job_log_target::static_log_request() const {
    return job_logs_request(id_);
}

std::string job_log_target::static_log_text(const request_spec& request, std::string_view body,
                                            std::span<const std::size_t>,
                                            const std::vector<std::string>& secrets) const {
    return decode_job_logs(parse_json_body(request, body, secrets));
}

request_spec job_log_target::state_request() const {
    return get_job_request(id_);
}

target_state job_log_target::read_state(const request_spec& request, std::string_view body,
                                        const std::vector<std::string>& secrets) {
    return read_job(decode_job_details(parse_json_body(request, body, secrets)));
}

target_state job_log_target::read_job(const job_details& job) {
    // A tail started from a hex job id follows the job's routes by its submission id from now
    // on: the HTTP stream takes nothing else.
    if (job.submission_id) id_ = *job.submission_id;
    if (job.driver_node_id) driver_node_id_ = job.driver_node_id;
    return {job.is_terminal(), driver_node_id_.has_value()};
}

std::optional<client_error> job_log_target::classify_refusal(const request_spec& request, int http_status,
                                                             std::string_view body,
                                                             const std::vector<std::string>& secrets) const {
    // job_head.py tail_job_logs: "Can only get logs of submission type jobs" (every release).
    if (http_status == 400 && body.find("submission type") != std::string_view::npos)
        return client_error(error_kind::invalid_argument, driver_job_message(id_, secrets),
                            sanitize(request.describe(), secrets, 512), {}, http_status);
    return log_target::classify_refusal(request, http_status, body, secrets);
}

std::string job_log_target::driver_job_message(std::string_view id, const std::vector<std::string>& secrets) {
    return "job " + sanitize(id, secrets, 128) + " is a driver job: Ray tails only submitted jobs";
}

target_state job_log_target::state_of(const job_details& job) noexcept {
    return {job.is_terminal(), job.driver_node_id.has_value()};
}

}  // namespace raycl::core

namespace raycl::core {

std::optional<client_error> log_target::classify_refusal(const request_spec& request, int http_status,
                                                         std::string_view body,
                                                         const std::vector<std::string>& secrets) const {
    return classify_status(request, http_status, body, secrets);
}

// ---- logs behind /api/v0/logs/{file,stream} ---------------------------------------------------

logs_api_target::logs_api_target(const raycl::log_target& target, log_suffix suffix)
    : target_(target), suffix_(suffix), query_(log_query(target, suffix)) {}

std::string logs_api_target::stream_target() const {
    // From the first byte: every connection replays the log, the assembler skips what it had.
    return "/api/v0/logs/stream?" + query_ + "&lines=-1";
}

request_spec logs_api_target::static_log_request() const {
    request_spec spec;
    spec.target = "/api/v0/logs/file?" + query_ + "&lines=-1";
    spec.framed_log_body = framing_ == log_framing::leading_byte;
    return spec;
}

std::string logs_api_target::static_log_text(const request_spec& request, std::string_view body,
                                             std::span<const std::size_t> chunk_starts,
                                             const std::vector<std::string>& secrets) const {
    return log_file_text(request, 200, body, chunk_starts, secrets);
}

std::optional<client_error> logs_api_target::classify_refusal(const request_spec& request, int http_status,
                                                              std::string_view body,
                                                              const std::vector<std::string>& secrets) const {
    return classify_log_status(request, http_status, body, secrets);
}

namespace {

/// The node of a worker or node-file target as a state-API filter.
list_filter node_filter(const node_selector& node, std::string_view ip_column) {
    if (node.how() == node_selector::kind::ip) return {std::string(ip_column), "=", node.value()};
    return {"node_id", "=", node.value()};
}

std::string node_text(const node_selector& node) {
    return "node " + node.value();
}

}  // namespace

task_log_target::task_log_target(const raycl::log_target& target, log_suffix suffix)
    : logs_api_target(target, suffix) {}

tail_target_traits task_log_target::traits() const noexcept {
    tail_target_traits traits;
    traits.needs_location = true;  // the attempt has a log once it started on a worker
    traits.next_log_marker = ":task_name:";
    return traits;
}

std::string task_log_target::describe() const {
    return "task " + target_.id() + " attempt " + std::to_string(target_.attempt_number());
}

request_spec task_log_target::state_request() const {
    return state_get_request("tasks", "task_id", target_.id());
}

target_state task_log_target::read_state(const request_spec& request, std::string_view body,
                                         const std::vector<std::string>& secrets) {
    return state_of(decode_state_list(parse_json_body(request, body, secrets), &decode_task).items);
}

target_state task_log_target::state_of(const std::vector<task_info>& rows) const {
    const task_info* attempt = nullptr;
    const task_info* latest = nullptr;
    for (const task_info& row : rows) {
        if (row.attempt_number == target_.attempt_number()) attempt = &row;
        if (!latest || row.attempt_number > latest->attempt_number) latest = &row;
    }
    if (!attempt) {
        // Gone from Ray's task table, or a later attempt finished: this one will never run.
        if (!latest || latest->state == "FINISHED" || latest->attempt_number > target_.attempt_number())
            return {true, true, 0};
        return {false, false, {}};  // a retry not scheduled yet
    }
    target_state state;
    state.finished = attempt->state == "FINISHED" || attempt->state == "FAILED";
    const bool err = suffix_ == log_suffix::err;
    std::optional<std::int64_t> start, end;
    bool has_file = false;
    if (const auto* info = attempt->raw->if_contains("task_log_info"); info && info->is_object()) {
        const auto& fields = info->get_object();
        const auto number = [&](std::string_view key) -> std::optional<std::int64_t> {
            const auto* value = fields.if_contains(key);
            return value ? json_to_int64(*value) : std::nullopt;
        };
        const auto* file = fields.if_contains(err ? "stderr_file" : "stdout_file");
        has_file = file && file->is_string();
        start = number(err ? "stderr_start" : "stdout_start");
        end = number(err ? "stderr_end" : "stdout_end");
    }
    state.located = has_file && start.has_value();
    if (state.finished && !state.located) {
        state.located = true;  // it ended without writing a log: an empty one
        state.log_end = 0;
    } else if (state.finished && start && end && *end >= *start) {
        state.log_end = static_cast<std::uint64_t>(*end - *start);
    }
    return state;
}

bool task_log_target::has_finished_empty_log(const std::vector<task_info>& rows) const {
    const bool has_attempt = std::any_of(
        rows.begin(), rows.end(), [&](const task_info& row) { return row.attempt_number == target_.attempt_number(); });
    const auto state = state_of(rows);
    return has_attempt && state.finished && state.log_end == 0;
}

actor_log_target::actor_log_target(const raycl::log_target& target, log_suffix suffix)
    : logs_api_target(target, suffix) {}

tail_target_traits actor_log_target::traits() const noexcept {
    tail_target_traits traits;
    traits.needs_location = true;  // the actor has a log once a worker runs it
    return traits;
}

std::string actor_log_target::describe() const {
    return "actor " + target_.id();
}

request_spec actor_log_target::state_request() const {
    return state_get_request("actors", "actor_id", target_.id());
}

target_state actor_log_target::read_state(const request_spec& request, std::string_view body,
                                          const std::vector<std::string>& secrets) {
    return state_of(decode_state_list(parse_json_body(request, body, secrets), &decode_actor).items);
}

target_state actor_log_target::state_of(const std::vector<actor_info>& rows) noexcept {
    if (rows.empty()) return {true, true, 0};  // gone from Ray's actor table
    const actor_info& actor = rows.front();
    target_state state;
    state.finished = actor.state == "DEAD";
    state.located = actor.pid.value_or(0) > 0;
    if (state.finished && !state.located) {
        state.located = true;  // died before a worker ran it: no log
        state.log_end = 0;
    }
    return state;
}

worker_log_target::worker_log_target(const raycl::log_target& target, log_suffix suffix)
    : logs_api_target(target, suffix) {}

tail_target_traits worker_log_target::traits() const noexcept {
    return {};
}

std::string worker_log_target::describe() const {
    return "worker " + std::to_string(target_.pid()) + " on " + node_text(target_.node());
}

request_spec worker_log_target::state_request() const {
    list_options options;
    options.filters.emplace_back("pid", "=", std::to_string(target_.pid()));
    options.filters.push_back(node_filter(target_.node(), "ip"));
    return state_list_request("workers", options);
}

target_state worker_log_target::read_state(const request_spec& request, std::string_view body,
                                           const std::vector<std::string>& secrets) {
    return state_of(decode_state_list(parse_json_body(request, body, secrets), &decode_worker).items);
}

target_state worker_log_target::state_of(const std::vector<worker_info>& rows) noexcept {
    // A pid can come back for a new worker: running while any row of it is alive.
    const bool alive = std::any_of(rows.begin(), rows.end(), [](const worker_info& row) { return row.is_alive; });
    return {!alive, true, {}};
}

node_file_log_target::node_file_log_target(const raycl::log_target& target)
    : logs_api_target(target, log_suffix::out) {}

tail_target_traits node_file_log_target::traits() const noexcept {
    tail_target_traits traits;
    traits.can_finish = false;
    traits.has_static_log = false;
    return traits;
}

std::string node_file_log_target::describe() const {
    return "file " + target_.filename() + " on " + node_text(target_.node());
}

request_spec node_file_log_target::state_request() const {
    list_options options;
    options.filters.push_back(node_filter(target_.node(), "node_ip"));
    return state_list_request("nodes", options);
}

target_state node_file_log_target::read_state(const request_spec& request, std::string_view body,
                                              const std::vector<std::string>& secrets) {
    parse_json_body(request, body, secrets);  // a malformed answer is still a 500
    return {false, true, {}};
}

}  // namespace raycl::core
