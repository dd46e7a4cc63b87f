// What a live tail can follow, as pure code: the routes of a log and how to read what the
// cluster says about its target. The tail driver (src/client/tail_driver.cpp) needs nothing
// else to follow a log, whatever kind it is: a job's driver log, a task attempt's, an actor's,
// a worker's, or a node's file.
#pragma once

#include "core/log_framing.hpp"
#include "core/requests.hpp"
#include "core/tail_machine.hpp"

#include <raycl/logs.hpp>
#include <raycl/models.hpp>
#include <raycl/state.hpp>

#include <cstddef>
#include <optional>
#include <span>
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
    /// How the server frames `/api/v0/logs/file` bodies (log_framing_of its release). Targets
    /// whose static log comes from another route ignore it.
    virtual void use_framing(log_framing) noexcept {}
    /// The request of the whole log at once (completes a tail that ended).
    virtual request_spec static_log_request() const = 0;
    /// The log text of a 2xx answer to static_log_request(); `chunk_starts`: where its HTTP chunks
    /// start (transport::http_response::chunk_starts). Throws client_error 500 when malformed.
    virtual std::string static_log_text(const request_spec& request, std::string_view body,
                                        std::span<const std::size_t> chunk_starts,
                                        const std::vector<std::string>& secrets) const = 0;
    /// The request that tells whether the target finished and where it runs.
    virtual request_spec state_request() const = 0;
    /// Reads a 2xx answer to state_request(): updates what the target knows (e.g. a job's driver
    /// node) and returns the state. Throws client_error 500 when malformed.
    virtual target_state read_state(const request_spec& request, std::string_view body,
                                    const std::vector<std::string>& secrets) = 0;
    /// The submission id whose `GET /api/jobs/{id}` is state_request() (a job's driver log): the
    /// client's job-status watcher may answer for it. Empty for other targets.
    virtual std::string_view watched_job() const noexcept { return {}; }
    /// Reads the job as the watcher reported it, like read_state() (only when watched_job() is
    /// not empty; others return the default state).
    virtual target_state read_job(const job_details&) { return {}; }
    /// The client_error of a refused connection (a non-2xx answer to the stream or WebSocket);
    /// by default classify_status.
    virtual std::optional<client_error> classify_refusal(const request_spec& request, int http_status,
                                                         std::string_view body,
                                                         const std::vector<std::string>& secrets) const;
};

/// A job's driver log: the WebSocket tail `/api/jobs/{id}/logs/tail`, the stream
/// `/api/v0/logs/stream?submission_id=..&node_id=<driver node>&lines=-1` (Ray 2.60 needs a
/// node_id next to submission_id, and lines=-1 for the whole file), the static log
/// `/api/jobs/{id}/logs`, the state `GET /api/jobs/{id}`.
class job_log_target final : public log_target {
public:
    /// `job`: as the facade read it (its submission id is required).
    explicit job_log_target(const job_details& job);
    /// A job known only by the id the caller gave (a submission id or a hex job id; 400 when
    /// invalid), before anything was asked about it: the WebSocket tail's upgrade is the check
    /// (Ray answers 404 for an unknown job, 400 for a driver job), and the driver's node is
    /// learnt when the HTTP stream needs it.
    explicit job_log_target(std::string id);

    tail_target_traits traits() const noexcept override;
    std::string describe() const override;
    std::string websocket_target() const override;
    std::string stream_target() const override;
    request_spec static_log_request() const override;
    std::string static_log_text(const request_spec& request, std::string_view body,
                                std::span<const std::size_t> chunk_starts,
                                const std::vector<std::string>& secrets) const override;
    request_spec state_request() const override;
    target_state read_state(const request_spec& request, std::string_view body,
                            const std::vector<std::string>& secrets) override;
    std::string_view watched_job() const noexcept override { return id_; }
    target_state read_job(const job_details& job) override;
    /// classify_status, except Ray's 400 to the WebSocket tail of a driver job, which says so
    /// as the facade's own check does.
    std::optional<client_error> classify_refusal(const request_spec& request, int http_status, std::string_view body,
                                                 const std::vector<std::string>& secrets) const override;

    /// The message of the 400 for a job Ray keeps no submission logs for (a DRIVER job).
    static std::string driver_job_message(std::string_view id, const std::vector<std::string>& secrets);

    /// The state of `job` as the tail sees it.
    static target_state state_of(const job_details& job) noexcept;

private:
    std::string id_;
    std::optional<std::string> driver_node_id_;
};

/// A log behind `/api/v0/logs/{file,stream}`, named by its query (core::log_query): the stream
/// `/api/v0/logs/stream?<query>&lines=-1`, the static log `/api/v0/logs/file?<query>&lines=-1`
/// (raw bytes, or framed per chunk on Ray <= 2.44: use_framing), refusals read by
/// classify_log_status (Ray's 500 "not found" sentences are 404).
class logs_api_target : public log_target {
public:
    void use_framing(log_framing framing) noexcept override { framing_ = framing; }
    std::string stream_target() const override;
    request_spec static_log_request() const override;
    std::string static_log_text(const request_spec& request, std::string_view body,
                                std::span<const std::size_t> chunk_starts,
                                const std::vector<std::string>& secrets) const override;
    std::optional<client_error> classify_refusal(const request_spec& request, int http_status, std::string_view body,
                                                 const std::vector<std::string>& secrets) const override;

protected:
    /// `target`'s node must be named by id or IP.
    logs_api_target(const raycl::log_target& target, log_suffix suffix);

    raycl::log_target target_;
    log_suffix suffix_;
    std::string query_;
    log_framing framing_ = log_framing::raw;
};

/// One attempt of a task: Ray's stream starts at the attempt's first byte in its worker's file
/// and goes on past its end, so the log ends at the next `:task_name:` line (the worker's next
/// task) or at the attempt's byte range once Ray reports it (`task_log_info`). The state is the
/// attempt's row of `/api/v0/tasks?filter task_id&detail=true`: located once it has a log
/// (`task_log_info`), finished once FINISHED or FAILED.
class task_log_target final : public logs_api_target {
public:
    task_log_target(const raycl::log_target& target, log_suffix suffix);

    tail_target_traits traits() const noexcept override;
    std::string describe() const override;
    request_spec state_request() const override;
    target_state read_state(const request_spec& request, std::string_view body,
                            const std::vector<std::string>& secrets) override;

    /// The state of the attempt in these rows (all rows of the task id, detailed).
    target_state state_of(const std::vector<task_info>& rows) const;
    /// True when these rows hold the attempt, finished, and its log (of the suffix) is empty: an
    /// empty byte range, or no file recorded.
    bool has_finished_empty_log(const std::vector<task_info>& rows) const;
};

/// An actor's worker log. The state is its row of `/api/v0/actors?filter actor_id`: located once
/// scheduled (a pid), finished once DEAD.
class actor_log_target final : public logs_api_target {
public:
    actor_log_target(const raycl::log_target& target, log_suffix suffix);

    tail_target_traits traits() const noexcept override;
    std::string describe() const override;
    request_spec state_request() const override;
    target_state read_state(const request_spec& request, std::string_view body,
                            const std::vector<std::string>& secrets) override;

    /// The state of the actor in these rows.
    static target_state state_of(const std::vector<actor_info>& rows) noexcept;
};

/// A worker process's log by pid on a node. The state is `/api/v0/workers?filter pid&node`:
/// finished once no row of that pid is alive.
class worker_log_target final : public logs_api_target {
public:
    worker_log_target(const raycl::log_target& target, log_suffix suffix);

    tail_target_traits traits() const noexcept override;
    std::string describe() const override;
    request_spec state_request() const override;
    target_state read_state(const request_spec& request, std::string_view body,
                            const std::vector<std::string>& secrets) override;

    /// The state of the worker in these rows.
    static target_state state_of(const std::vector<worker_info>& rows) noexcept;
};

/// A file of a node's log directory: it never finishes (followed until the stream is closed) and
/// has no static log to complete from. Its state request (the node's row) is only asked after a
/// normal close, which it answers with "still running".
class node_file_log_target final : public logs_api_target {
public:
    explicit node_file_log_target(const raycl::log_target& target);

    tail_target_traits traits() const noexcept override;
    std::string describe() const override;
    request_spec state_request() const override;
    target_state read_state(const request_spec& request, std::string_view body,
                            const std::vector<std::string>& secrets) override;
};

}  // namespace raycl::core
