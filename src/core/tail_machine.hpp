// The decisions of a live log tail as a state machine (pure: no I/O, no clock, no Asio).
//
// A driver (src/client/tail_driver.cpp) performs the machine's actions (connect, read, ask
// about the target, sleep, fetch the static log, deliver lines) and feeds back how each one
// ended. The machine owns every policy: reconnects and their budget, the fall-back from
// WebSocket to the HTTP stream, idle and drain timing, when the target counts as finished,
// and the completion from the static log. It works for any Ray log: a job's driver log (which
// also has a WebSocket tail) or a task, actor, worker or node file behind
// `/api/v0/logs/stream`, a stream that never ends by itself.
//
// Two kinds of events:
//  - main events answer the last action (one action runs at a time);
//  - side events arrive while a `read` is pending: the stream has been quiet for a while
//    (`on_quiet`), or a side question about the target was answered (`on_target_seen`). They
//    return a side action (ask about the target, close the connection) and may change
//    `quiet_threshold()`, when the driver reports the next `on_quiet`.
#pragma once

#include "core/error_mapping.hpp"
#include "core/log_framing.hpp"
#include "core/log_lines.hpp"

#include <raycl/error.hpp>
#include <raycl/log_stream.hpp>
#include <raycl/options.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace raycl::core {

/// What the tail follows, as far as its decisions go.
struct tail_target_traits {
    bool has_websocket = false;  ///< a job: `/api/jobs/{id}/logs/tail` exists
    /// The HTTP stream can be opened only once the target has a log (a job's driver node is
    /// known, a task attempt or an actor was scheduled): until then the target is asked.
    bool needs_location = false;
    bool can_finish = true;      ///< false for a node's file: it is followed until closed
    bool has_static_log = true;  ///< the whole log can be fetched at once to complete the tail
    /// A line starting with this ends the target's log: the stream goes on with another
    /// target's output (a Ray worker writes `:task_name:<name>` into its log when it starts its
    /// next task, and Ray's stream of a task follows the worker's file past the task's end).
    /// Empty: none.
    std::string_view next_log_marker{};
};

/// What is known of the target after asking the cluster.
struct target_state {
    bool finished = false;  ///< terminal (job STOPPED/SUCCEEDED/FAILED, task finished, actor dead)
    bool located = true;    ///< the stream can be opened (a job's driver node is known)
    /// Once finished: the log's length in bytes, when the target knows it (a task attempt's
    /// byte range). Bytes past it are another target's and are never delivered.
    std::optional<std::uint64_t> log_end{};
};

/// Settings of one tail (validated by the facade).
struct tail_settings {
    tail_protocol protocol = tail_protocol::stream;
    /// Quiet time after which the tail fails with 408, unless the target finished; none: no limit.
    std::optional<std::chrono::milliseconds> idle_timeout{};
    int max_reconnects = 5;
    bool complete_from_static_log = true;
    retry_policy backoff{};
    stream_limits limits{};
    /// While the HTTP stream is quiet, how often the target is asked whether it finished (first
    /// after half the idle timeout if that is sooner).
    std::chrono::milliseconds poll_interval{1000};
    /// Once the target finished, how long the HTTP stream must stay quiet to count as drained.
    std::chrono::milliseconds drain_interval{300};
    /// Before the stream can be opened, how often the target is asked where it runs.
    std::chrono::milliseconds locate_interval{250};
    /// How the server frames the HTTP stream's body (log_framing_of the server's release);
    /// WebSocket frames are raw on every release.
    log_framing stream_framing = log_framing::raw;
    /// Where the tail starts in the log: a line boundary (the start of the last N lines), the
    /// bytes before it are skipped. Every connection still replays from byte 0.
    std::uint64_t start_offset = 0;
    /// Remove ANSI colour codes (ESC '[' digits/semicolons 'm') from the delivered lines. Done on
    /// lines, not on the bytes, so that offsets stay those of the log across reconnects.
    bool filter_ansi_codes = false;
};

class tail_machine {
public:
    /// What the driver does next.
    enum class step {
        connect,           ///< open a connection with `protocol` (each connection replays the log from byte 0)
        read,              ///< read the next bytes (`on_chunk`, `on_ended`, `on_failed`)
        refresh_target,    ///< ask the cluster about the target (`on_target`, `on_target_failed`)
        sleep,             ///< wait `delay` (`on_slept`)
        fetch_static_log,  ///< download the whole log (`on_static_log`, `on_static_log_failed`)
        deliver,           ///< hand `take_lines()` to the consumer (`on_delivered`)
        /// The server reported an error inside the body (Ray <= 2.44, `text`): close the
        /// connection, make the error (core::in_band_log_error) and report it (`on_in_band_error`).
        report_in_band_error,
        done,  ///< the end: `error` set, or the log is complete
    };
    struct action {
        step next = step::done;
        tail_protocol protocol = tail_protocol::stream;  ///< for connect
        std::chrono::milliseconds delay{0};              ///< for sleep
        std::optional<client_error> error{};             ///< for done
        std::string text{};                              ///< for report_in_band_error: the server's error text
    };

    /// What the driver does beside a pending read.
    enum class side_step {
        none,
        ask_target,  ///< ask about the target without stopping the read (`on_target_seen`)
        close,       ///< close the connection: the pending read then ends with `cancelled`
    };

    /// `initial`: what the facade already knows of the target (e.g. from `GET /api/jobs/{id}`).
    tail_machine(const tail_target_traits& traits, const tail_settings& settings, target_state initial);

    action start();

    // ---- main events ---------------------------------------------------------------------
    action on_connected();
    /// The server refused the connection with an HTTP status (a declined WebSocket upgrade, a
    /// non-200 stream answer); `error` is its classified client_error. `random01` in [0, 1)
    /// drives the back-off's jitter.
    action on_refused(client_error error, double random01);
    /// New bytes of the current connection; `starts_chunk`: they begin an HTTP chunk the server
    /// wrote (the transport never hands out bytes of two chunks at once). Decoded with the
    /// stream's framing; a chunk without Ray's status byte fails the tail (protocol_error).
    action on_chunk(std::string_view data, bool starts_chunk = true);
    /// New bytes of the current connection in several pieces (WebSocket messages, each counts
    /// toward `stream_limits::max_messages`), in order, with one `deliver` for all of them.
    action on_chunks(std::span<const log_piece> pieces);
    /// The server's in-band error (after `report_in_band_error`): handled like a 5xx refusal,
    /// i.e. a reconnect within the budget.
    action on_in_band_error(client_error error, double random01);
    /// The server ended the connection normally (WebSocket close 1000, end of the HTTP body).
    action on_ended();
    /// The connection failed below HTTP; `error` is its client_error.
    action on_failed(transport_failure reason, client_error error, double random01);
    action on_target(target_state state);
    action on_target_failed(client_error error);
    action on_slept();
    action on_static_log(std::string_view text);
    action on_static_log_failed(client_error error);
    action on_delivered();

    // ---- side events (only while a read is pending) -----------------------------------------
    /// The stream has carried no new bytes for `quiet` (reported once `quiet_threshold()` is reached).
    side_step on_quiet(std::chrono::milliseconds quiet);
    /// The answer to `ask_target`; `quiet` is the stream's quiet time when it arrived.
    side_step on_target_seen(target_state state, std::chrono::milliseconds quiet);
    /// `ask_target` failed: not fatal, the stream itself reports lost connections.
    side_step on_target_unseen();

    /// When the stream's quiet time (since its last bytes, or since the connection opened)
    /// reaches this, report `on_quiet`; none: never. Changes after events.
    std::optional<std::chrono::milliseconds> quiet_threshold() const noexcept { return quiet_threshold_; }

    /// The shortest time between two `ask_target` of a quiet HTTP stream: the poll interval, or
    /// half the idle timeout when that is sooner (how long an answer may take to stay useful).
    std::chrono::milliseconds poll_interval() const noexcept {
        return settings_.idle_timeout ? std::min(settings_.poll_interval, *settings_.idle_timeout / 2)
                                      : settings_.poll_interval;
    }

    /// How soon a `refresh_target` question wants its answer: the locate interval, the shortest
    /// wait between two of them.
    std::chrono::milliseconds refresh_patience() const noexcept { return settings_.locate_interval; }

    /// Swaps the lines of the last `deliver` into `out` (which must be empty: its capacity is
    /// reused for the next lines), ANSI codes removed when the settings say so.
    void take_lines(std::vector<log_line>& out) noexcept;

    // ---- what the tail did so far ----------------------------------------------------------
    tail_protocol protocol() const noexcept { return protocol_; }
    std::uint64_t reconnects() const noexcept { return reconnects_; }
    std::uint64_t static_log_bytes() const noexcept { return static_log_bytes_; }
    const line_assembler& assembler() const noexcept { return assembler_; }

private:
    /// Why the machine wants the target refreshed, or the connection it closed.
    enum class phase {
        locating,  ///< the stream needs the target's location first
        connecting,
        reading,
        after_end,    ///< the server ended the connection normally: finished, or reconnect?
        after_idle,   ///< quiet for longer than idle_timeout: finished, or 408?
        backing_off,  ///< sleeping before a reconnect
        completing,   ///< fetching the static log, delivering it
        finished,
    };
    enum class closing { none, idle, drained };

    action connect_or_locate();
    action reconnect_after_failure(client_error error, double random01);
    action reconnect_after_end();
    action complete();
    action finish();
    action deliver_then(action next);
    action fail(client_error error);
    action after_feed(feed_status status, action next);
    action report_in_band_error();
    void reset_quiet_threshold() noexcept;
    bool reached_log_end() const noexcept;
    /// Decodes and feeds one piece; an action when the piece ends the batch (an error, the
    /// target's end), nullopt to go on with the next piece.
    std::optional<action> feed_piece(const log_piece& piece);
    std::string_view before_marker(std::uint64_t offset, std::string_view data, bool& ended);

    tail_target_traits traits_;
    tail_settings settings_;
    target_state target_;
    line_assembler assembler_;
    log_body_decoder decoder_;  ///< of the current connection
    std::vector<log_line> lines_;
    phase phase_ = phase::connecting;
    tail_protocol protocol_ = tail_protocol::stream;
    std::uint64_t connection_offset_ = 0;
    int reconnects_left_ = 0;
    int failures_in_a_row_ = 0;
    std::uint64_t reconnects_ = 0;
    std::uint64_t static_log_bytes_ = 0;
    std::chrono::milliseconds located_wait_{0};
    std::optional<client_error> last_failure_{};
    std::optional<action> after_delivery_{};  ///< what follows the pending `deliver`
    std::optional<std::chrono::milliseconds> quiet_threshold_{};
    std::string held_;           ///< new bytes that may start next_log_marker (split across chunks)
    bool at_line_start_ = true;  ///< the next new byte starts a line
    closing closing_ = closing::none;
    bool draining_ = false;
    bool asking_ = false;
};

}  // namespace raycl::core
