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
/// Every operation is a `boost::asio::awaitable` to `co_await` from a coroutine running on any
/// executor. The work itself runs on one of the client's **five strands**, built over either an
/// io_context the client owns (run by one thread it starts) or an executor the caller passes in
/// (the client then starts no thread). Results and errors come back on the caller's executor.
///
/// Every operation below documents the same four things:
///
/// @par Errors
/// Every failure is a `client_error` (nothing else escapes) whose `status()` is 400 invalid
/// input (checked before any I/O), 401/403 authentication, 404 not found, 408 timeout, 413
/// request too large, 429 limit, 500 internal/unexpected, 501 unsupported by the server, 503
/// unreachable. Each operation lists the ones specific to it.
///
/// @par Retries
/// Only what is safe to repeat is retried, with `client_options::retry` (or the call's
/// `call_options::retry`): capped exponential back-off with jitter. GET, PUT and DELETE are
/// retried on connect failures, lost connections, read timeouts and 502/503/504; a POST only
/// when it never reached the server, except submit, which carries a submission id and so is
/// retried like a GET. A pooled keep-alive connection the server had closed is replaced at
/// once without spending an attempt.
///
/// @par Cancellation
/// Each operation honours the cancellation slot of its `co_await`
/// (e.g. `co_await (c.list_jobs() || timer.async_wait(use_awaitable))`): the losing operation
/// fails with kind `cancelled`, closes its connection (never returned to the pool) and leaves
/// nothing running. Destroying the client cancels every operation it still runs.
///
/// @par Thread safety
/// All operations may be started concurrently from any thread, including several threads of a
/// multi-threaded io_context. Constructing and destroying the client must not race with
/// starting operations. An io_context that runs only raycl work returns from `run()` once that
/// work is done: idle pooled connections hold no work.
class client {
public:
    /// @brief Creates a client that owns an io_context and one thread running it.
    /// @throws client_error 400 when the options are invalid (address, headers, timeouts).
    explicit client(client_options options = {});

    /// @brief Creates a client embedded in the caller's event loop: its five strands are built
    /// over @p executor and it starts no thread.
    /// @throws client_error 400 when the options are invalid.
    explicit client(boost::asio::any_io_executor executor, client_options options = {});

    /// @brief Cancels every running operation and closes every connection and log stream;
    /// operations still awaited fail with kind `cancelled`. With an owned io_context, waits
    /// (at most 5 s) for the cancelled work to finish and joins the thread. Don't destroy an
    /// owning client from inside its own thread's handlers.
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

    /// @brief `GET /api/version`: the server's Ray version.
    /// @par Errors
    /// 401/403 under token auth without a valid token (`/api/version` is not public there).
    /// @par Retries, cancellation, thread safety
    /// As described for the class: a GET, retried.
    boost::asio::awaitable<version_info> get_version(call_options call = {});

    // ---- Jobs -----------------------------------------------------------------------------

    /// @brief One job by submission id or hex job id (`GET /api/jobs/{id}`).
    /// @par Errors
    /// 400 malformed id (before any I/O), 404 unknown job.
    /// @par Retries, cancellation, thread safety
    /// As described for the class: a GET, retried.
    boost::asio::awaitable<job_details> get_job(std::string id, call_options call = {});

    /// @brief Every job of the cluster, as Ray returns them (`GET /api/jobs/`).
    /// @par Errors
    /// Those of the class only.
    /// @par Retries, cancellation, thread safety
    /// As described for the class: a GET, retried.
    boost::asio::awaitable<std::vector<job_details>> list_jobs(call_options call = {});

    /// @brief The job's whole log as text, static, not following (`GET /api/jobs/{id}/logs`).
    /// Empty while the job is PENDING.
    /// @par Errors
    /// 400 malformed id or a DRIVER job, 404 unknown job.
    /// @par Retries, cancellation, thread safety
    /// As described for the class: a GET, retried.
    boost::asio::awaitable<std::string> list_job_logs(std::string id, call_options call = {});

    /// @brief Asks Ray to stop a job (SIGTERM, then SIGKILL; the status turns STOPPED later).
    /// @return true if the job was running and is being stopped; **false if it was already
    /// terminal** (real Ray answers 200 `{"stopped": false}` there).
    /// @par Errors
    /// 400 malformed id or a DRIVER job, 404 unknown job.
    /// @par Retries
    /// Never repeated once it may have reached the server (a POST without an id of its own);
    /// retried only when it never left (connect failures).
    /// @par Cancellation, thread safety
    /// As described for the class.
    boost::asio::awaitable<bool> stop_job(std::string id, call_options call = {});

    /// @brief Submits a job (`POST /api/jobs/`); sends only the fields that are set.
    /// @return the submission id (the one given, or a generated `raycl_<16 hex>` one).
    /// @par Errors
    /// 400 invalid submission (before any I/O) or refused by Ray (e.g. a submission id in use
    /// by another job).
    /// @par Retries
    /// Always carries a submission id, so it is retried like a GET: a retry that meets Ray's
    /// "Please use a different submission_id" answer counts as success, since the earlier
    /// attempt did submit the job. A job is never submitted twice.
    /// @par Cancellation, thread safety
    /// As described for the class.
    boost::asio::awaitable<std::string> submit_job(job_submission submission, call_options call = {});

    /// @brief Deletes a terminal job and its info (`DELETE /api/jobs/{id}`).
    /// @return true when Ray reported the job deleted.
    /// @par Errors
    /// 400 malformed id, or a job that is not terminal (Ray answers that with a 500; it is the
    /// caller's mistake), 404 unknown job.
    /// @par Retries, cancellation, thread safety
    /// As described for the class: a DELETE, retried.
    boost::asio::awaitable<bool> delete_job(std::string id, call_options call = {});

    /// @brief Polls `get_job` with back-off until the job is terminal.
    /// @return the terminal job.
    /// @par Errors
    /// Those of `get_job`; 408 when `wait.deadline` passes first; 400 for invalid intervals.
    /// @par Retries
    /// Each poll is a `get_job`, retried as such.
    /// @par Cancellation
    /// Cancelling the wait (or destroying the client) ends it with kind `cancelled`, also
    /// between two polls.
    /// @par Thread safety
    /// As described for the class; `wait.on_poll` runs on the caller's executor.
    boost::asio::awaitable<job_details> wait_for_job(std::string id, wait_options wait = {}, call_options call = {});

    // ---- Live logs ---------------------------------------------------------------------------

    /// @brief Starts a live tail of a job's log; see `log_stream` for consuming it.
    ///
    /// Checks first that the job exists and was submitted through the Jobs API, then reads with
    /// `options.protocol` on one of the client's strands. Lines are delivered exactly once and
    /// in order, across reconnects (abnormal closes, resets, and a normal close while the job
    /// still runs) and protocol switches (`automatic`); once the job is terminal, lines the tail
    /// missed are taken from the static log. The channel between reader and consumer holds at
    /// most `limits.queue_size` lines: a slow consumer slows the reader, which stops reading the
    /// socket.
    /// @par Errors
    /// Here: 400 for an invalid id or options (before any I/O) or a DRIVER job, 404 unknown
    /// job, 401/403. Later, from `log_stream::next()`: see `log_stream`.
    /// @par Retries
    /// The job check is a GET, retried. The tail reconnects after abnormal closes and after
    /// normal closes while the job runs, up to `options.max_reconnects` in a row without new
    /// data, with the client's back-off.
    /// @par Cancellation
    /// Cancelling this call ends it with kind `cancelled`; a started stream is stopped with
    /// `log_stream::close()` or by destroying it.
    /// @par Thread safety
    /// As described for the class; see `log_stream` for the stream itself.
    boost::asio::awaitable<log_stream> tail_job_logs(std::string id, tail_options options = {});

    /// @brief `tail_job_logs` with `tail_protocol::websocket` (the WebSocket tail Ray's own
    /// `JobSubmissionClient.tail_job_logs` uses).
    /// @par Errors, retries, cancellation, thread safety
    /// Those of `tail_job_logs`.
    boost::asio::awaitable<log_stream> websocket_tail_job_logs(std::string id,
                                                               std::optional<seconds> stream_timeout = seconds(10.0));

    /// @brief `tail_job_logs` with `tail_protocol::stream` (`/api/v0/logs/stream`).
    /// @par Errors, retries, cancellation, thread safety
    /// Those of `tail_job_logs`.
    boost::asio::awaitable<log_stream> stream_tail_job_logs(std::string id,
                                                            std::optional<seconds> stream_timeout = seconds(10.0));

    // ---- Nodes, tasks, actors (state API) --------------------------------------------------

    /// @brief One node by hex id, with detail. Ray has no get-by-id route: this lists with an
    /// id filter.
    /// @par Errors
    /// 400 malformed id (before any I/O; Ray also refuses an id that is not valid hex), 404
    /// unknown node.
    /// @par Retries, cancellation, thread safety
    /// As described for the class: a GET, retried.
    boost::asio::awaitable<node_info> get_node(std::string id, call_options call = {});
    /// @brief Nodes of the cluster; see `list_result::truncated()`.
    /// @par Errors
    /// 400 invalid options (before any I/O) or refused by Ray (e.g. an unknown filter column),
    /// 429 when Ray runs too many state queries at once.
    /// @par Retries, cancellation, thread safety
    /// As described for the class: a GET, retried.
    boost::asio::awaitable<list_result<node_info>> list_nodes(list_options options = {}, call_options call = {});
    /// @brief One task by hex id, with detail; its latest attempt.
    /// @par Errors
    /// 400 malformed id, 404 unknown task.
    /// @par Retries, cancellation, thread safety
    /// As described for the class: a GET, retried.
    boost::asio::awaitable<task_info> get_task(std::string id, call_options call = {});
    /// @brief Tasks of the cluster (one row per attempt).
    /// @par Errors
    /// As `list_nodes`.
    /// @par Retries, cancellation, thread safety
    /// As described for the class: a GET, retried.
    boost::asio::awaitable<list_result<task_info>> list_tasks(list_options options = {}, call_options call = {});
    /// @brief One actor by hex id, with detail.
    /// @par Errors
    /// 400 malformed id, 404 unknown actor.
    /// @par Retries, cancellation, thread safety
    /// As described for the class: a GET, retried.
    boost::asio::awaitable<actor_info> get_actor(std::string id, call_options call = {});
    /// @brief Actors of the cluster.
    /// @par Errors
    /// As `list_nodes`.
    /// @par Retries, cancellation, thread safety
    /// As described for the class: a GET, retried.
    boost::asio::awaitable<list_result<actor_info>> list_actors(list_options options = {}, call_options call = {});

    // ---- Ray Serve ---------------------------------------------------------------------------

    /// @brief Serve's instance details with every application (empty when Serve is not running).
    /// @par Errors
    /// Those of the class only.
    /// @par Retries, cancellation, thread safety
    /// As described for the class: a GET, retried.
    boost::asio::awaitable<serve_instance> list_serve_applications(call_options call = {});
    /// @brief Serve's instance with only the applications deployed one way: `declarative`
    /// (a config) or `imperative` (`serve.run`). Ray filters from 2.50 (`?api_type=`); older
    /// releases ignore the filter, so raycl filters itself, by each application's `source`
    /// (which Ray sends from 2.39 and raycl derives before). `raw` keeps only those too.
    /// @par Errors
    /// Those of the class only. Asks the server's release once per client (`GET /api/version`).
    /// @par Retries, cancellation, thread safety
    /// As described for the class: a GET, retried.
    boost::asio::awaitable<serve_instance> list_serve_applications(serve_api_type api_type, call_options call = {});
    /// @brief One Serve application by name (free text, percent-encoded).
    /// @par Errors
    /// 400 invalid name (before any I/O), 404 absent.
    /// @par Retries, cancellation, thread safety
    /// As described for the class: a GET, retried.
    boost::asio::awaitable<serve_application> get_serve_application(std::string name, call_options call = {});
    /// @brief Replaces Serve's declarative config (`PUT /api/serve/applications/`).
    /// Deployment continues asynchronously: poll `get_serve_application`.
    /// @par Errors
    /// 400 a config without an `applications` array (before any I/O), or one Ray's schema refuses.
    /// @par Retries
    /// Replacing the whole config is idempotent: retried like a GET.
    /// @par Cancellation, thread safety
    /// As described for the class.
    boost::asio::awaitable<void> deploy_serve_applications(boost::json::object config, call_options call = {});
    /// @brief Deletes one application. Ray has no per-application delete: raycl re-deploys the
    /// current declarative config without that application.
    /// @par Errors
    /// 404 absent; 400 when it was deployed imperatively (from Python), which a declarative
    /// config cannot remove; 501 `unsupported` on Ray before 2.11 while another application is
    /// deployed imperatively (a declarative PUT there removes every application it does not
    /// list); nothing is changed in these cases.
    /// @par Retries
    /// Both steps (the GET and the PUT) are retried.
    /// @par Cancellation, thread safety
    /// As described for the class.
    boost::asio::awaitable<void> delete_serve_application(std::string name, call_options call = {});
    /// @brief Shuts Serve down with every application (`DELETE /api/serve/applications/`).
    /// @par Errors
    /// Those of the class only.
    /// @par Retries, cancellation, thread safety
    /// As described for the class: a DELETE, retried.
    boost::asio::awaitable<void> shutdown_serve(call_options call = {});

private:
    std::unique_ptr<detail::owned_loop> loop_;  // set when the client owns its io_context
    std::shared_ptr<detail::client_impl> impl_;
};

}  // namespace raycl
