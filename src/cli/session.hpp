// Running a command against the cluster: the client built from the resolved connection, Ctrl-C,
// errors mapped to exit codes, and what commands share while they run (output in the chosen
// format, waiting for a job with a progress line, watching a list).
//
// g++ 12 note: never co_await an expression holding a non-trivially-destructible temporary
// (it may be destroyed twice). Operations are started into a named variable first:
// `auto op = ray.get_job(id); auto job = co_await std::move(op);`.
#pragma once

#include "args.hpp"
#include "config.hpp"
#include "format.hpp"
#include "terminal.hpp"

#include <raycl/client.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace raycl::cli {

/// The client options of a command's connection (precedence in config.hpp). `warnings` gets
/// lines for stderr (config file permissions, RAY_ADDRESS hiding a chosen context).
/// @throws client_error 400/404 for a malformed config file, a missing context, an unreadable
/// token reference.
client_options connection_options(const global_options& global, connection& resolved,
                                  std::vector<std::string>& warnings);

/// One refresh of a watched list: the rows as JSON (kept as the server sent them) and as a
/// table, the table's rows in the same order, keyed by `keys`.
struct watch_frame {
    boost::json::array rows;
    table view;
    std::vector<std::string> keys;
};

/// A command running against the cluster.
class session {
public:
    session(const command& cmd, client& ray, const terminal& term) : cmd_(cmd), ray_(ray), term_(term) {}

    const command& cmd() const { return cmd_; }
    client& ray() { return ray_; }
    const terminal& term() const { return term_; }
    output_format output() const { return cmd_.global.output; }
    /// Colour on stdout (a terminal, NO_COLOR unset, table output).
    bool colour() const { return term_.colour_stdout && output() == output_format::table; }

    /// Prints `value` as a JSON or YAML document, or `table_text()` for table output.
    void print(const boost::json::value& value, const std::function<std::string()>& table_text) const;

    /// What Ctrl-C says ("stopped following ...; the job keeps running") and closes.
    void on_interrupt(std::string note, std::function<void()> close = {});
    /// Called by run_remote on SIGINT/SIGTERM.
    void interrupt();
    bool interrupted() const { return interrupted_; }
    const std::string& interrupt_note() const { return interrupt_note_; }

    /// client::wait_for_job, drawing a progress line ("| waiting for ID  3s  RUNNING") on
    /// stderr when it is a terminal. 408 after `deadline`.
    boost::asio::awaitable<job_details> wait_for_job(const std::string& id,
                                                     std::optional<std::chrono::steady_clock::duration> deadline,
                                                     const std::string& what);

    /// Refreshes a list every --interval until Ctrl-C: on a terminal (table output) the frame
    /// is redrawn in place; otherwise the first listing is printed in full, then only changes
    /// (table rows, or {"type": ADDED|MODIFIED|DELETED, "object": ...} documents).
    boost::asio::awaitable<int> watch(const std::string& title,
                                      std::function<boost::asio::awaitable<watch_frame>()> fetch);

private:
    const command& cmd_;
    client& ray_;
    const terminal& term_;
    bool interrupted_ = false;
    std::string interrupt_note_ = "interrupted";
    std::function<void()> close_on_interrupt_;
};

/// Runs a remote command: resolves the connection, builds the client on a local io_context,
/// runs `cmd.run.remote`, and maps its outcome to an exit code (usage_error 2, client_error 3
/// with one line on stderr, Ctrl-C 130).
int run_remote(const command& cmd);

/// Runs a local command (`cmd.run.local`): a client_error is one line on stderr and exit 3.
int run_local(const command& cmd);

/// The `--timeout` of waiting commands as a deadline.
std::optional<std::chrono::steady_clock::duration> wait_deadline(const command& cmd);

}  // namespace raycl::cli
