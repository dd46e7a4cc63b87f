/// @file
/// @brief Logs of anything in the cluster: which log (`log_target`, `node_selector`), how to
/// read it (`log_options`), and the log files of a node (`log_file_list`).
///
/// Ray keeps one log per worker process (stdout `.out`, stderr `.err`); a task's log is the
/// byte range its attempt wrote into its worker's file, an actor's log is its worker's whole
/// file, a job's driver log is `job-driver-<submission id>.log`, and a node holds the files of
/// its raylet, agents and GCS besides. All of them are read through the dashboard alone
/// (`/api/v0/logs`, `/api/v0/logs/file`, `/api/v0/logs/stream`).
#pragma once

#include <raycl/models.hpp>
#include <raycl/options.hpp>

#include <boost/json/object.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace raycl {

/// @brief A node of the cluster: by hex id, by IP address, or the head node.
///
/// Not an aggregate (it owns a string): build it with `by_id`, `by_ip` or `head`.
class node_selector {
public:
    /// @brief How the node is named.
    enum class kind {
        id,    ///< Ray's 56-hex node id.
        ip,    ///< The node's IP address (Ray resolves it to the node).
        head,  ///< The head node, looked up in the state API (what `ray logs` defaults to).
    };

    /// @brief The head node (the default).
    node_selector() = default;
    /// @brief The node with this hex id.
    static node_selector by_id(std::string node_id);
    /// @brief The node with this IP address.
    static node_selector by_ip(std::string node_ip);
    /// @brief The head node.
    static node_selector head() { return {}; }

    /// @brief How the node is named.
    kind how() const noexcept { return kind_; }
    /// @brief The id or IP (empty for the head).
    const std::string& value() const noexcept { return value_; }

private:
    kind kind_ = kind::head;
    std::string value_{};
};

/// @brief Which stream of a worker's output: Ray's `suffix` option.
enum class log_suffix {
    out,  ///< stdout (`.out`), Ray's default.
    err,  ///< stderr (`.err`).
};

/// @brief One log of the cluster, as `ray logs job|task|actor|worker|cluster` name them.
///
/// Not an aggregate (it owns strings): build it with the static functions, e.g.
/// `raycl::log_target::task(id, 1)`.
class log_target {
public:
    /// @brief What the log belongs to.
    enum class kind {
        job,        ///< A job's driver log, by submission id.
        task,       ///< One attempt of a task: the bytes it wrote into its worker's log.
        actor,      ///< An actor's worker log, by actor id.
        worker,     ///< A worker process's log, by pid on a node.
        node_file,  ///< Any file of a node's log directory, by name.
    };

    /// @brief A job's driver log, by submission id (`job-driver-<id>.log`).
    static log_target job(std::string submission_id);
    /// @brief The log of a task's attempt (0 is the first run; retries count up).
    static log_target task(std::string task_id, std::int64_t attempt_number = 0);
    /// @brief An actor's log (its worker's whole file).
    static log_target actor(std::string actor_id);
    /// @brief The log of the worker process `pid` on `node`.
    static log_target worker(std::int64_t pid, node_selector node = {});
    /// @brief The file `filename` (relative to the node's Ray log directory, e.g. `raylet.out`)
    /// of `node`. A node's file never ends: following it goes on until the stream is closed.
    static log_target node_file(std::string filename, node_selector node = {});

    /// @brief What the log belongs to.
    kind what() const noexcept { return kind_; }
    /// @brief The submission, task or actor id (empty for workers and node files).
    const std::string& id() const noexcept { return id_; }
    /// @brief The task attempt (task targets only).
    std::int64_t attempt_number() const noexcept { return attempt_number_; }
    /// @brief The worker's pid (worker targets only).
    std::int64_t pid() const noexcept { return pid_; }
    /// @brief The file name (node files only).
    const std::string& filename() const noexcept { return filename_; }
    /// @brief The node (workers and node files only).
    const node_selector& node() const noexcept { return node_; }

private:
    kind kind_ = kind::job;
    std::string id_{};
    std::int64_t attempt_number_ = 0;
    std::int64_t pid_ = 0;
    std::string filename_{};
    node_selector node_{};
};

/// @brief How to read a log: Ray's `lines`, `suffix`, `filter_ansi_code` and `timeout`.
struct log_options {
    /// @brief The last `lines` lines; -1 (the default, as Ray's own `get_log`) for the whole log.
    /// Other values than -1 and 1..10,000,000 are refused (400) before any I/O (Ray reads 0 as
    /// 1000).
    std::int64_t lines = -1;
    /// @brief stdout or stderr of a task, actor or worker (job drivers and node files have one
    /// file: `err` is refused there with 400).
    log_suffix suffix = log_suffix::out;
    /// @brief Remove ANSI colour codes (`ESC [ digits/semicolons m`) from the text.
    bool filter_ansi_code = false;
    /// @brief Ray's own time limit for finding and reading the log (`timeout`, whole seconds
    /// rounded up; Ray's default is 30 s). Not used when following.
    std::optional<seconds> server_timeout{};
};

/// @brief The log files of one node (`GET /api/v0/logs`), by Ray's categories.
struct log_file_list {
    /// @brief The node id the files were listed for (empty when it was named by IP).
    std::string node_id{};
    /// @brief The node IP the files were listed for (empty when it was named by id).
    std::string node_ip{};
    /// @brief Category (`raylet`, `gcs_server`, `worker_out`, `worker_err`, `core_worker`,
    /// `driver`, `autoscaler`, `agent`, `dashboard`, `internal`) to file names relative to the
    /// node's log directory, as Ray lists them (directories end in `/`). Empty categories are absent.
    std::map<std::string, std::vector<std::string>> categories{};
    /// @brief The `data.result` object as received.
    raycl::raw_object raw{};

    /// @brief Every file name of every category, sorted.
    std::vector<std::string> files() const;
};

}  // namespace raycl
