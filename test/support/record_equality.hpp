// Comparing decoded jobs and tasks field by field, for the tests that check the text decoders
// (core/record_decoder.hpp) against the DOM decoders (unit/record_decoder_tests.cpp, the fuzz
// target fuzz/json_models.cpp).
#pragma once

#include <raycl/error.hpp>
#include <raycl/models.hpp>

#include <boost/json/value.hpp>

#include <exception>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace raycl::test {

/// A job's typed fields (not `raw`), comparable with ==.
inline auto typed(const job_details& j) {
    std::optional<std::tuple<std::string, std::string, std::string>> driver;
    if (j.driver_info) driver.emplace(j.driver_info->id, j.driver_info->node_ip_address, j.driver_info->pid);
    return std::make_tuple(j.type, j.job_id, j.submission_id, driver, j.status, j.status_text, j.entrypoint, j.message,
                           j.error_type, j.start_time, j.end_time, j.metadata, j.runtime_env,
                           j.driver_agent_http_address, j.driver_node_id, j.driver_exit_code);
}

/// A task's typed fields (not `raw`), comparable with ==.
inline auto typed(const task_info& t) {
    return std::tie(t.task_id, t.attempt_number, t.name, t.state, t.job_id, t.actor_id, t.type, t.func_or_class_name,
                    t.parent_task_id, t.node_id, t.worker_id, t.worker_pid, t.error_type, t.error_message);
}

/// A list's counters and warnings, comparable with ==.
inline auto counts(const list_counts& c) {
    return std::tie(c.total, c.num_after_truncation, c.num_filtered, c.returned, c.filtered, c.partial_failure_warning,
                    c.warnings);
}

/// The same typed fields and the same raw object (parsed), row by row.
template <class T>
bool same_records(const std::vector<T>& a, const std::vector<T>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (!(typed(a[i]) == typed(b[i]))) return false;
        if (boost::json::value(*a[i].raw) != boost::json::value(*b[i].raw)) return false;
    }
    return true;
}

/// "ok", or the error's whole text and status: two decoders of the same body must agree.
template <class F>
std::string outcome(F f) {
    try {
        f();
        return "ok";
    } catch (const client_error& e) {
        return std::string(e.what()) + " [" + std::to_string(e.status()) + "]";
    } catch (const std::exception& e) {
        return std::string("other exception: ") + e.what();
    }
}

}  // namespace raycl::test
