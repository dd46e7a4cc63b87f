// What a live tail can follow, as pure code: the routes of a log and how to read what the
// cluster says about its target. The tail driver (src/client/tail_driver.cpp) needs nothing
// else to follow a log, whatever kind it is.
#pragma once

#include "core/requests.hpp"
#include "core/tail_machine.hpp"

#include <raycl/models.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace raycl::core {

/// A log a tail follows.
class log_target {
public:
    virtual ~log_target() = default;

    /// The facts the tail's decisions depend on.
    virtual tail_target_traits traits() const noexcept = 0;
    /// "job raysubmit_1", for messages (no secrets: ids are validated).
    virtual std::string describe() const = 0;
    /// Path and query of the WebSocket tail (only when traits().has_websocket).
    virtual std::string websocket_target() const { return {}; }
    /// Path and query of `/api/v0/logs/stream` for this log (once the target is located).
    virtual std::string stream_target() const = 0;
    /// The request of the whole log at once (completes a tail that ended).
    virtual request_spec static_log_request() const = 0;
    /// The log text of a 2xx answer to static_log_request(). Throws client_error 500 when malformed.
    virtual std::string static_log_text(const request_spec& request, std::string_view body,
                                        const std::vector<std::string>& secrets) const = 0;
    /// The request that tells whether the target finished and where it runs.
    virtual request_spec state_request() const = 0;
    /// Reads a 2xx answer to state_request(): updates what the target knows (e.g. a job's driver
    /// node) and returns the state. Throws client_error 500 when malformed.
    virtual target_state read_state(const request_spec& request, std::string_view body,
                                    const std::vector<std::string>& secrets) = 0;
};

/// A job's driver log: the WebSocket tail `/api/jobs/{id}/logs/tail`, the stream
/// `/api/v0/logs/stream?submission_id=..&node_id=<driver node>&lines=-1` (Ray 2.60 needs a
/// node_id next to submission_id, and lines=-1 for the whole file), the static log
/// `/api/jobs/{id}/logs`, the state `GET /api/jobs/{id}`.
class job_log_target final : public log_target {
public:
    /// `job`: as the facade read it (its submission id is required).
    explicit job_log_target(const job_details& job);

    tail_target_traits traits() const noexcept override;
    std::string describe() const override;
    std::string websocket_target() const override;
    std::string stream_target() const override;
    request_spec static_log_request() const override;
    std::string static_log_text(const request_spec& request, std::string_view body,
                                const std::vector<std::string>& secrets) const override;
    request_spec state_request() const override;
    target_state read_state(const request_spec& request, std::string_view body,
                            const std::vector<std::string>& secrets) override;

    /// The state of `job` as the tail sees it.
    static target_state state_of(const job_details& job) noexcept;

private:
    std::string id_;
    std::optional<std::string> driver_node_id_;
};

}  // namespace raycl::core
