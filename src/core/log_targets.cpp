#include "core/log_targets.hpp"

#include "core/models_json.hpp"
#include "core/responses.hpp"

namespace raycl::core {

job_log_target::job_log_target(const job_details& job)
    : id_(job.submission_id.value_or("")), driver_node_id_(job.driver_node_id) {}

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
                                            const std::vector<std::string>& secrets) const {
    return decode_job_logs(parse_json_body(request, body, secrets));
}

request_spec job_log_target::state_request() const {
    return get_job_request(id_);
}

target_state job_log_target::read_state(const request_spec& request, std::string_view body,
                                        const std::vector<std::string>& secrets) {
    const auto job = decode_job_details(parse_json_body(request, body, secrets));
    if (job.driver_node_id) driver_node_id_ = job.driver_node_id;
    return {job.is_terminal(), driver_node_id_.has_value()};
}

target_state job_log_target::state_of(const job_details& job) noexcept {
    return {job.is_terminal(), job.driver_node_id.has_value()};
}

}  // namespace raycl::core
