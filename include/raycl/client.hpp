/// @file
/// @brief `raycl::client`: the awaitable Ray dashboard client.
#pragma once

#include <raycl/error.hpp>
#include <raycl/log_stream.hpp>
#include <raycl/models.hpp>
#include <raycl/options.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace raycl {

namespace detail {
class client_impl;
class owned_loop;
}  // namespace detail

/// @brief Counters of a client's traffic, updated atomically (read them from any thread).
struct client_stats {
    std::uint64_t requests_sent = 0;       ///< HTTP attempts sent (retries included).
    std::uint64_t retries = 0;             ///< Attempts that were repeated after a failure.
    std::uint64_t connections_opened = 0;  ///< TCP (or TLS) connections established.
    std::uint64_t operations_active = 0;   ///< Operations started and not yet finished.
};

/// @brief An asynchronous client of the Ray dashboard HTTP API.
///
/// Every operation is an `boost::asio::awaitable` to `co_await` from a coroutine running on any
/// executor. The work itself runs on one of the client's **five strands**, built over either an
/// io_context the client owns (run by one thread it starts) or an executor the caller passes in
/// (the client then starts no thread). Results and errors come back on the caller's executor.
///
/// **Errors.** Every failure is thrown as `client_error` with the seed's status: 400 invalid
/// input (checked before any I/O), 401/403 authentication, 404 not found, 408 timeout,
/// 429 limit, 500 internal/unexpected, 503 unreachable.
///
/// **Cancellation.** Each operation honours the cancellation slot of its `co_await`
/// (e.g. `co_await (c.list_jobs() || timer.async_wait(use_awaitable))`): the losing operation
/// closes its connection, which is never returned to the pool, and leaves nothing running.
///
/// **Thread safety.** All operations may be started concurrently from any thread, including
/// several threads of a multi-threaded io_context. Constructing and destroying the client must
/// not race with starting operations. Destroying the client cancels every operation it still
/// runs and closes every connection; operations still awaited then fail with kind `cancelled`.
/// An io_context that runs only raycl work returns from `run()` once that work is done: idle
/// pooled connections hold no work.
///
/// **Retries.** Only what is safe to repeat is retried (GET, PUT, DELETE; POST stop and submit
/// only when the request never reached the server; submit also after a failed attempt, since
/// it always carries a submission id), on connect failures and 502/503/504, with capped
/// exponential back-off and jitter. A pooled keep-alive connection the server had closed is
/// replaced transparently.
class client {
public:
    /// @brief Creates a client that owns an io_context and one thread running it.
    /// @throws client_error 400 when the options are invalid (address, headers, timeouts).
    explicit client(client_options options = {});

    /// @brief Creates a client embedded in the caller's event loop: its five strands are built
    /// over @p executor and it starts no thread.
    /// @throws client_error 400 when the options are invalid.
    explicit client(boost::asio::any_io_executor executor, client_options options = {});

    /// @brief Cancels every running operation and closes every connection. With an owned
    /// io_context, waits (bounded) for the cancelled work to finish and joins the thread.
    ~client();

    client(const client&) = delete;             ///< Not copyable.
    client& operator=(const client&) = delete;  ///< Not assignable.

    /// @brief The executor the client's strands are built on (the owned io_context's or the
    /// one passed in).
    boost::asio::any_io_executor get_executor() const noexcept;

    /// @brief The dashboard base URL in use, e.g. `http://127.0.0.1:8265` (no credentials).
    const std::string& address() const noexcept;

    /// @brief A snapshot of the client's counters.
    client_stats stats() const noexcept;

    /// @brief `GET /api/version`.
    boost::asio::awaitable<version_info> get_version(call_options call = {});

    // ---- Jobs -----------------------------------------------------------------------------

    /// @brief One job by submission id or hex job id. 404 when unknown.
    boost::asio::awaitable<job_details> get_job(std::string id, call_options call = {});

    /// @brief Every job of the cluster, as Ray returns them.
    boost::asio::awaitable<std::vector<job_details>> list_jobs(call_options call = {});

    /// @brief The job's whole log as text (static, not following). Empty while PENDING.
    /// 404 when unknown, 400 for a DRIVER job.
    boost::asio::awaitable<std::string> list_job_logs(std::string id, call_options call = {});

    /// @brief Asks Ray to stop a job (SIGTERM, then SIGKILL; the status turns STOPPED later).
    /// @return true if the job was running and is being stopped; **false if it was already
    /// terminal** (raycl follows real Ray here, which answers 200 `{"stopped": false}`, not
    /// the seed's 400). 404 when unknown, 400 for a DRIVER job.
    boost::asio::awaitable<bool> stop_job(std::string id, call_options call = {});

    /// @brief Submits a job; sends only the fields that are set.
    /// @return the submission id (the one given, or a generated `raycl_<hex>` one).
    /// Retried safely: a retry that meets Ray's "Please use a different submission_id" answer
    /// counts as success, since the earlier attempt did submit the job.
    boost::asio::awaitable<std::string> submit_job(job_submission submission, call_options call = {});

    /// @brief Deletes a terminal job and its info. Ray refuses a non-terminal job (500 from
    /// Ray, reported as 400 `invalid_argument`). 404 when unknown.
    /// @return true when Ray reported the job deleted.
    boost::asio::awaitable<bool> delete_job(std::string id, call_options call = {});

    /// @brief Polls `get_job` with back-off until the job is terminal.
    /// @return the terminal job. 408 when `wait.deadline` passes first.
    boost::asio::awaitable<job_details> wait_for_job(std::string id, wait_options wait = {}, call_options call = {});

    // ---- Live logs ---------------------------------------------------------------------------

    /// @brief Starts a live tail of a job's log; see `log_stream` for consuming it.
    ///
    /// Checks first that the job exists (404) and was submitted through the Jobs API (a DRIVER
    /// job is 400), then reads with `options.protocol` on one of the client's strands. Lines are
    /// delivered exactly once and in order, across reconnects (abnormal closes, resets, and a
    /// normal close while the job still runs) and protocol switches (`automatic`); once the job
    /// is terminal, lines the tail missed are taken from the static log. The channel between
    /// reader and consumer holds at most `limits.queue_size` lines: a slow consumer slows the
    /// reader, which stops reading the socket.
    /// @throws client_error 400 for invalid id/options (before any I/O), 404, 401/403.
    boost::asio::awaitable<log_stream> tail_job_logs(std::string id, tail_options options = {});

    /// @brief The seed's WebSocket tail: `tail_job_logs` with `tail_protocol::websocket`.
    boost::asio::awaitable<log_stream> websocket_tail_job_logs(std::string id,
                                                               std::optional<seconds> stream_timeout = seconds(10.0));

    /// @brief The seed's HTTP stream tail: `tail_job_logs` with `tail_protocol::stream`.
    boost::asio::awaitable<log_stream> stream_tail_job_logs(std::string id,
                                                            std::optional<seconds> stream_timeout = seconds(10.0));

    // ---- Nodes, tasks, actors (state API) --------------------------------------------------

    /// @brief One node by hex id (detailed). 404 when unknown.
    boost::asio::awaitable<node_info> get_node(std::string id, call_options call = {});
    /// @brief Nodes of the cluster; see `list_result::truncated()`.
    boost::asio::awaitable<list_result<node_info>> list_nodes(list_options options = {}, call_options call = {});
    /// @brief One task by hex id (detailed); its latest attempt. 404 when unknown.
    boost::asio::awaitable<task_info> get_task(std::string id, call_options call = {});
    /// @brief Tasks of the cluster (one row per attempt).
    boost::asio::awaitable<list_result<task_info>> list_tasks(list_options options = {}, call_options call = {});
    /// @brief One actor by hex id (detailed). 404 when unknown.
    boost::asio::awaitable<actor_info> get_actor(std::string id, call_options call = {});
    /// @brief Actors of the cluster.
    boost::asio::awaitable<list_result<actor_info>> list_actors(list_options options = {}, call_options call = {});

    // ---- Ray Serve ---------------------------------------------------------------------------

    /// @brief Serve's instance details with every application (empty when Serve is not running).
    boost::asio::awaitable<serve_instance> list_serve_applications(call_options call = {});
    /// @brief One Serve application by name (free text, percent-encoded). 404 when absent.
    boost::asio::awaitable<serve_application> get_serve_application(std::string name, call_options call = {});
    /// @brief Replaces Serve's declarative config (`PUT /api/serve/applications/`).
    /// Deployment continues asynchronously: poll `get_serve_application`.
    boost::asio::awaitable<void> deploy_serve_applications(boost::json::object config, call_options call = {});
    /// @brief Deletes one application. Ray has no per-application delete: raycl re-deploys the
    /// current declarative config without that application. 404 when absent; 400 when it was
    /// deployed imperatively (from Python), which a declarative config cannot remove.
    boost::asio::awaitable<void> delete_serve_application(std::string name, call_options call = {});
    /// @brief Shuts Serve down with every application (`DELETE /api/serve/applications/`).
    boost::asio::awaitable<void> shutdown_serve(call_options call = {});

private:
    std::unique_ptr<detail::owned_loop> loop_;  // set when the client owns its io_context
    std::shared_ptr<detail::client_impl> impl_;
};

}  // namespace raycl
