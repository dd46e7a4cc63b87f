/// @file
/// @brief `raycl::client`: the awaitable Ray dashboard client.
#pragma once

#include <raycl/error.hpp>
#include <raycl/log_stream.hpp>
#include <raycl/logs.hpp>
#include <raycl/models.hpp>
#include <raycl/options.hpp>
#include <raycl/state.hpp>
#include <raycl/runtime_env.hpp>

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

    /// @brief Creates a client embedded in the caller's event loop: its five strands run on the
    /// io_context of @p executor (an io_context's executor, or a strand of one) and it starts no
    /// thread. Each operation completes on the executor of the coroutine that awaits it.
    /// @throws client_error 400 when the options are invalid, or when @p executor does not
    /// belong to an io_context.
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
    ///
    /// The runtime_env is normalised as Ray's own client does it (`prepare_runtime_env`), and
    /// every local `working_dir` and `py_modules` entry is packaged, uploaded when the cluster
    /// lacks it and replaced by its `gcs://` URI, with the default `packaging_options` (the
    /// overload below takes others). When `pip` or `conda` is set, the cluster's `ray_commit`
    /// (`GET /api/version`) is sent as `_ray_commit`, as a Python client of the cluster's
    /// version would.
    /// @return the submission id (the one given, or a generated `raycl_<16 hex>` one).
    /// @par Errors
    /// 400 invalid submission or runtime_env (before any I/O) or refused by Ray (e.g. a
    /// submission id in use by another job); those of `prepare_runtime_env`.
    /// @par Retries
    /// Always carries a submission id, so it is retried like a GET: a retry that meets Ray's
    /// "Please use a different submission_id" answer counts as success, since the earlier
    /// attempt did submit the job. A job is never submitted twice. Package requests: see
    /// `prepare_runtime_env`.
    /// @par Cancellation
    /// As described for the class, also while packaging (see `prepare_runtime_env`).
    /// @par Thread safety
    /// As described for the class.
    boost::asio::awaitable<std::string> submit_job(job_submission submission, call_options call = {});

    /// @brief `submit_job` packaging local paths with `packaging` (size limit, compression,
    /// progress reports).
    /// @par Errors, retries, cancellation, thread safety
    /// Those of `submit_job` and `prepare_runtime_env`.
    boost::asio::awaitable<std::string> submit_job(job_submission submission, packaging_options packaging,
                                                   call_options call = {});

    /// @brief Makes a runtime_env ready to send: normalised as Ray 2.60's `JobSubmissionClient`
    /// does it, every local `working_dir` (a directory, or a `.zip/.tar.gz/.tgz/.tar.xz` file) and
    /// `py_modules` entry (a directory, a `.whl` or a single `.py` file) replaced by the `gcs://`
    /// URI Ray's Python client computes for it, and each package uploaded unless the cluster
    /// has it.
    ///
    /// Per package: `GET /api/packages/gcs/NAME`; 200 means the cluster has it (state
    /// `already_present`, progress `skipped`), 404 means it is archived into a temporary file
    /// and sent with `PUT` (state `uploaded`). Remote URIs and `local://` pass through after
    /// Ray's extension checks. The file work (hashing, zipping) runs on a small thread pool the
    /// client starts on first use, never on the client's strands nor on the caller's executor;
    /// uploads stream the archive from its file (memory does not grow with its size). The
    /// result completes on the caller's executor.
    /// @return the runtime_env to send and, per package, its URI, size and state. Without
    /// local paths no request is made, unless `pip`/`conda` needs the cluster's `ray_commit`.
    /// @par Errors
    /// 400 an invalid runtime_env (naming the field, before any I/O), a missing or unsupported
    /// local path, a symbolic-link loop, an unreadable file, a file that changed while it was
    /// packaged, a package larger than `packaging.size_limit` (the message names its size, the
    /// limit and its ten largest files or directories); 413 `request_too_large` with that same
    /// message when the dashboard refuses the upload as too large; 401/403 under token auth;
    /// 500 when the archive cannot be written or the dashboard fails. `_ray_commit`: a 401/403
    /// from `GET /api/version` fails the call (the submit would fail the same way); any other
    /// failure of it leaves `_ray_commit` out (nothing in Ray 2.60 reads it).
    /// @par Retries
    /// The existence check is a GET and the upload a PUT of content-addressed bytes under
    /// their own name: both are retried under the client's rules; a retried upload sends the
    /// archive again from its first byte. A package the cluster has is never sent.
    /// @par Cancellation
    /// Cancelling the call (or destroying the client) stops the file work within one read of
    /// at most 256 KiB and any request at once; it fails with kind `cancelled`. Temporary
    /// archives are removed on every path (success, error, cancellation, destruction).
    /// @par Thread safety
    /// As described for the class; `packaging.on_progress` is called on raycl's packaging
    /// thread (hashing, archiving) or a client strand (uploading) and on the caller's executor
    /// (skipped), one report at a time.
    boost::asio::awaitable<prepared_runtime_env> prepare_runtime_env(boost::json::object runtime_env,
                                                                     packaging_options packaging = {},
                                                                     call_options call = {});

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
    /// Checks that the job exists and was submitted through the Jobs API, then reads with
    /// `options.protocol` on one of the client's strands. With `websocket` and `automatic` the
    /// WebSocket opens at once and its upgrade is the check (Ray answers it 404 or 400), so the
    /// call returns once the WebSocket is open; with `stream` the job is read first (a GET: the
    /// stream needs the driver's node). Lines are delivered exactly once and in order, across
    /// reconnects (abnormal closes, resets, and a normal close while the job still runs) and
    /// protocol switches (`automatic`); once the job is terminal, lines the tail missed are taken
    /// from the static log. The channel between reader and consumer holds at
    /// most `limits.queue_size` lines: a slow consumer slows the reader, which stops reading the
    /// socket.
    /// @par Errors
    /// Here: 400 for an invalid id or options (before any I/O) or a DRIVER job, 404 unknown
    /// job, 401/403. Later, from `log_stream::next()`: see `log_stream`.
    /// @par Retries
    /// The job check (a GET, or the WebSocket's upgrade) is retried. The tail reconnects after
    /// abnormal closes and after normal closes while the job runs, up to `options.max_reconnects`
    /// in a row without new data, with the client's back-off.
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

    // ---- The state API: nodes, tasks, actors, objects, placement groups, workers, ... -------

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

    /// @brief Objects in the object store, one row per reference (`/api/v0/objects`).
    /// @par Errors
    /// As `list_nodes`; a filter column Ray cannot filter objects on is a 400 before any I/O.
    /// @par Retries, cancellation, thread safety
    /// As described for the class: a GET, retried.
    boost::asio::awaitable<list_result<object_info>> list_objects(list_options options = {}, call_options call = {});
    /// @brief The references to one object by hex id, with detail: one row per process holding it.
    /// @par Errors
    /// 400 malformed id, 404 unknown object.
    /// @par Retries, cancellation, thread safety
    /// As described for the class: a GET, retried.
    boost::asio::awaitable<std::vector<object_info>> get_object(std::string id, call_options call = {});
    /// @brief Placement groups of the cluster (`/api/v0/placement_groups`).
    /// @par Errors
    /// As `list_nodes`.
    /// @par Retries, cancellation, thread safety
    /// As described for the class: a GET, retried.
    boost::asio::awaitable<list_result<placement_group_info>> list_placement_groups(list_options options = {},
                                                                                    call_options call = {});
    /// @brief One placement group by hex id, with detail.
    /// @par Errors
    /// 400 malformed id, 404 unknown placement group.
    /// @par Retries, cancellation, thread safety
    /// As described for the class: a GET, retried.
    boost::asio::awaitable<placement_group_info> get_placement_group(std::string id, call_options call = {});
    /// @brief Worker processes, alive and dead (`/api/v0/workers`).
    /// @par Errors
    /// As `list_nodes`.
    /// @par Retries, cancellation, thread safety
    /// As described for the class: a GET, retried.
    boost::asio::awaitable<list_result<worker_info>> list_workers(list_options options = {}, call_options call = {});
    /// @brief One worker by hex id, with detail.
    /// @par Errors
    /// 400 malformed id, 404 unknown worker.
    /// @par Retries, cancellation, thread safety
    /// As described for the class: a GET, retried.
    boost::asio::awaitable<worker_info> get_worker(std::string id, call_options call = {});
    /// @brief Runtime environments per node (`/api/v0/runtime_envs`). They have no id, so there
    /// is no get (as in `ray get`).
    /// @par Errors
    /// As `list_nodes`.
    /// @par Retries, cancellation, thread safety
    /// As described for the class: a GET, retried.
    boost::asio::awaitable<list_result<runtime_env_info>> list_runtime_envs(list_options options = {},
                                                                            call_options call = {});
    /// @brief Cluster events (`/api/v0/cluster_events`), e.g. jobs started, nodes added.
    /// @par Errors
    /// As `list_nodes`.
    /// @par Retries, cancellation, thread safety
    /// As described for the class: a GET, retried.
    boost::asio::awaitable<list_result<cluster_event_info>> list_cluster_events(list_options options = {},
                                                                                call_options call = {});
    /// @brief One cluster event by its event id, with detail.
    /// @par Errors
    /// 400 malformed id, 404 unknown event.
    /// @par Retries, cancellation, thread safety
    /// As described for the class: a GET, retried.
    boost::asio::awaitable<cluster_event_info> get_cluster_event(std::string id, call_options call = {});
    /// @brief Jobs through the state API (`/api/v0/jobs`): filters, limit and truncation counters,
    /// which `list_jobs` (the Jobs API) has not.
    /// @par Errors
    /// As `list_nodes`. Ray answers a bad query on this route with a bare 500, so the columns
    /// are checked before any I/O.
    /// @par Retries, cancellation, thread safety
    /// As described for the class: a GET, retried.
    boost::asio::awaitable<list_result<job_details>> list_state_jobs(list_options options = {}, call_options call = {});
    /// @brief One job through the state API, by submission id, with detail.
    /// @par Errors
    /// 400 malformed id, 404 unknown job.
    /// @par Retries, cancellation, thread safety
    /// As described for the class: a GET, retried.
    boost::asio::awaitable<job_details> get_state_job(std::string submission_id, call_options call = {});

    // ---- Summaries (state API) ----------------------------------------------------------------

    /// @brief Tasks summarized by function name, task name or lineage (`/api/v0/tasks/summarize`).
    /// Ray counts at most 10,000 tasks: see `list_counts::source_truncated()`.
    /// @par Errors
    /// 400 invalid options or filter columns (before any I/O), 429 too many state queries at once.
    /// @par Retries, cancellation, thread safety
    /// As described for the class: a GET, retried.
    boost::asio::awaitable<task_summary> summarize_tasks(task_summary_by by = task_summary_by::func_name,
                                                         summary_options options = {}, call_options call = {});
    /// @brief Actors summarized by class (`/api/v0/actors/summarize`).
    /// @par Errors
    /// As `summarize_tasks`.
    /// @par Retries, cancellation, thread safety
    /// As described for the class: a GET, retried.
    boost::asio::awaitable<actor_summary> summarize_actors(summary_options options = {}, call_options call = {});
    /// @brief Object references summarized by call site (`/api/v0/objects/summarize`).
    /// @par Errors
    /// As `summarize_tasks`.
    /// @par Retries, cancellation, thread safety
    /// As described for the class: a GET, retried.
    boost::asio::awaitable<object_summary> summarize_objects(summary_options options = {}, call_options call = {});

    // ---- Cluster status ----------------------------------------------------------------------

    /// @brief What `ray status` prints and the autoscaler's structured report
    /// (`GET /api/cluster_status?format=1`, then `GET /api/cluster_status`), through the
    /// dashboard alone (Ray's own `ray status` needs the GCS).
    /// @par Errors
    /// Those of the class only; 500 when Ray's envelope says the query failed.
    /// @par Retries, cancellation, thread safety
    /// As described for the class: two GETs, each retried.
    boost::asio::awaitable<raycl::cluster_status> get_cluster_status(call_options call = {});

    // ---- Logs of anything --------------------------------------------------------------------

    /// @brief The log files of a node by Ray's categories (`GET /api/v0/logs`), as
    /// `ray logs cluster` lists them; `glob` matches names relative to the node's log directory
    /// (not recursive unless it holds `**`). The head node is looked up first when `node` names it.
    /// @par Errors
    /// 400 an invalid node id or IP, or a glob that is absolute or holds `..` (before any I/O);
    /// 404 an unknown node (by id or IP).
    /// @par Retries, cancellation, thread safety
    /// As described for the class: GETs, retried.
    boost::asio::awaitable<log_file_list> list_logs(node_selector node = {}, std::string glob = "*",
                                                    call_options call = {});

    /// @brief The text of one log (`GET /api/v0/logs/file`): a job's driver log, a task attempt's,
    /// an actor's, a worker's or a node's file, as `ray logs` prints it. A job is looked up
    /// first (its driver node), the head node when a target names it.
    /// @par Errors
    /// 400 an invalid target or options (before any I/O), a DRIVER job, or an actor task (it has
    /// no log of its own: the message says to read its actor's log instead); 404 a log Ray cannot
    /// find (an unknown job, task, attempt, actor, worker, node or file, a job not started yet;
    /// Ray itself answers those with 500); 429 a log larger than `max_response_bytes`.
    /// @par Retries, cancellation, thread safety
    /// As described for the class: GETs, retried.
    boost::asio::awaitable<std::string> get_log(log_target target, log_options options = {}, call_options call = {});

    /// @brief Follows one log live; see `log_stream` for consuming it.
    ///
    /// The same guarantees as `tail_job_logs`: lines exactly once and in order across reconnects,
    /// at most `tail.limits.queue_size` lines between reader and consumer (back-pressure down to
    /// TCP), the stream limits, and the completion from the static log. Ray's
    /// `/api/v0/logs/stream` never ends by itself: the stream ends once its target is finished
    /// and the stream drained (a job terminal, a task attempt FINISHED or FAILED, an actor DEAD,
    /// a worker process gone); a task attempt's log also ends where its worker starts its next
    /// task. A node's file never finishes: it is followed until closed, or until
    /// `tail.stream_timeout` passes without data (408; `std::nullopt` for no limit).
    /// `options.lines` = N starts N lines before the end (the whole log is read once to find
    /// where, so that reconnects stay exact); `filter_ansi_code` removes colour codes from each
    /// line. `tail.protocol`: only a job's log has a WebSocket tail; `websocket` for another
    /// target is a 400, `automatic` means the HTTP stream there. A job's WebSocket opens at once,
    /// its upgrade the job's check, as in `tail_job_logs` (unless `options.lines` is set).
    /// @par Errors
    /// Here: 400 an invalid target or options (before any I/O), a DRIVER job, an actor task; 404
    /// an unknown job, task, attempt, actor or worker; 401/403. Later, from `log_stream::next()`:
    /// those of `log_stream` (404 an unknown file or node).
    /// @par Retries
    /// The checks (GETs, or a job's WebSocket upgrade) are retried; the stream reconnects as
    /// `tail_job_logs` does.
    /// @par Cancellation
    /// Cancelling this call ends it with kind `cancelled`; a started stream is stopped with
    /// `log_stream::close()` or by destroying it.
    /// @par Thread safety
    /// As described for the class; see `log_stream` for the stream itself.
    boost::asio::awaitable<log_stream> follow_log(log_target target, log_options options = {}, tail_options tail = {});

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
    ///
    /// Beyond Ray's `serve deploy`, which refuses local paths: each application's local
    /// `runtime_env.working_dir` and `py_modules` entries are packaged and uploaded as
    /// `prepare_runtime_env` does it and replaced by their `gcs://` URIs; the rest of the
    /// config is sent as given.
    /// @par Errors
    /// 400 a config without an `applications` array (before any I/O), or one Ray's schema
    /// refuses; for local paths, those of `prepare_runtime_env` (the message names the
    /// application).
    /// @par Retries
    /// Replacing the whole config is idempotent: retried like a GET. Package requests: see
    /// `prepare_runtime_env`.
    /// @par Cancellation, thread safety
    /// As described for the class, and for packaging as in `prepare_runtime_env`.
    boost::asio::awaitable<void> deploy_serve_applications(boost::json::object config, call_options call = {});
    /// @brief `deploy_serve_applications` packaging local paths with `packaging`.
    /// @par Errors, retries, cancellation, thread safety
    /// Those of `deploy_serve_applications` and `prepare_runtime_env`.
    boost::asio::awaitable<void> deploy_serve_applications(boost::json::object config, packaging_options packaging,
                                                           call_options call = {});
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
    /// @brief Shuts Serve down with every application (`DELETE /api/serve/applications/`) and
    /// returns once the dashboard reports no Serve controller (Ray answers the DELETE while its
    /// controller is still exiting; a deploy in that window fails with a 500 RayActorError).
    /// @par Errors
    /// Those of the class; 408 `timeout` when the controller still runs 30 s after the DELETE.
    /// @par Retries, cancellation, thread safety
    /// As described for the class: a DELETE, retried.
    boost::asio::awaitable<void> shutdown_serve(call_options call = {});

private:
    std::unique_ptr<detail::owned_loop> loop_;  // set when the client owns its io_context
    std::shared_ptr<detail::client_impl> impl_;
};

}  // namespace raycl
