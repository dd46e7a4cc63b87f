/// @file
/// @brief Live job log tails: options, limits, lines, and the `log_stream` async generator.
#pragma once

#include <raycl/options.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace raycl {

/// @brief How a tail reads the log.
enum class tail_protocol {
    stream,     ///< HTTP chunked stream (`/api/v0/logs/stream`); the default.
    websocket,  ///< WebSocket (`/api/jobs/{id}/logs/tail`); lowest latency.
    automatic,  ///< WebSocket first; on a connection-level failure, the HTTP stream.
};

/// @brief Ray's name of a protocol: `"stream"`, `"websocket"` or `"auto"`.
const char* to_string(tail_protocol protocol) noexcept;

/// @brief Options of `client::tail_job_logs`.
struct tail_options {
    /// @brief The protocol; the default is the HTTP stream.
    tail_protocol protocol = tail_protocol::stream;
    /// @brief How long the tail waits for new data before failing with 408; in (0, 300].
    /// `std::nullopt` means no idle timeout (long quiet jobs).
    std::optional<seconds> stream_timeout = seconds(10.0);
    /// @brief Limits of this stream; unset uses the client's `client_options::stream_limits`.
    std::optional<raycl::stream_limits> limits{};
    /// @brief Reconnects allowed in a row without new log data, after abnormal closes or normal
    /// closes while the job still runs (each resumes after the bytes already delivered). A
    /// connection that delivers new data renews the budget, so a long tail survives any number
    /// of network blips. 404/400/401/403 are never retried.
    int max_reconnects = 5;
    /// @brief When the job has ended and the tail closed, deliver the lines the tail missed from
    /// the static log (Ray issue 46413). Default on.
    bool complete_from_static_log = true;
};

/// @brief How a delivered line relates to the line in the log.
enum class line_kind {
    whole,      ///< The complete line.
    piece,      ///< A piece of a line longer than max_message_size (policy split).
    truncated,  ///< The start of a longer line plus a marker (policy truncate).
};

/// @brief One line of a job's log.
struct log_line {
    std::string text;  ///< The line without its newline (valid or invalid UTF-8 as logged).
    bool newline =
        true;  ///< Whether it ended with `\n` (false for the log's unterminated last line and for all pieces but the last).
    line_kind kind = line_kind::whole;  ///< Whole, piece or truncated.
    std::uint64_t offset = 0;           ///< Byte offset of `text` in the log.
};

/// @brief Counters of one stream.
struct stream_stats {
    std::uint64_t lines = 0;                         ///< Lines (and pieces) delivered to the channel.
    std::uint64_t bytes = 0;                         ///< Log bytes consumed (newlines included).
    std::uint64_t frames = 0;                        ///< Frames/chunks that carried new bytes.
    std::uint64_t reconnects = 0;                    ///< Connections after the first.
    std::uint64_t oversize_lines = 0;                ///< Lines longer than max_message_size.
    std::uint64_t static_log_bytes = 0;              ///< Bytes recovered from the static log at the end.
    std::uint64_t last_offset = 0;                   ///< Log offset just after the last byte consumed.
    std::size_t queue_peak = 0;                      ///< Most lines ever waiting in the channel.
    tail_protocol protocol = tail_protocol::stream;  ///< The protocol in use now.
};

namespace detail {
class log_stream_state;
}

/// @brief A live tail of a job's log: an async generator of lines.
///
/// Consume it in a loop; `next()` yields lines in log order, exactly once each, across
/// reconnects and protocol switches, and `std::nullopt` once the job has ended and its log is
/// complete:
/// @code
/// auto logs = co_await ray.tail_job_logs(id);
/// while (auto line = co_await logs.next())
///     std::cout << line->text << (line->newline ? "\n" : "");
/// @endcode
/// `next_batch()` hands out every line already received in one await (the same lines, in the
/// same order); it saves a coroutine round trip per line where lines arrive fast:
/// @code
/// for (auto lines = co_await logs.next_batch(); !lines.empty(); lines = co_await logs.next_batch())
///     for (const auto& line : lines) std::cout << line.text << (line.newline ? "\n" : "");
/// @endcode
/// The two can be mixed.
/// Stop early by leaving the loop and destroying the stream, by calling `close()`, or by
/// cancelling a `next()` (e.g. `co_await (logs.next() || timer.async_wait(use_awaitable))`):
/// each closes the socket at once and ends the reader.
///
/// Errors are thrown by `next()` as `client_error` after every line before them was delivered:
/// 404 unknown job, 400 driver job, 401/403 auth, 408 no data within `stream_timeout`,
/// 429 a limit, 503 the cluster became unreachable after the allowed reconnects.
///
/// Thread safety: one consumer at a time; `close()` and `stats()` from any thread.
class log_stream {
public:
    /// @brief An empty stream whose `next()` ends at once.
    log_stream() = default;
    /// @brief Wraps a started stream (used by `client`).
    explicit log_stream(std::shared_ptr<detail::log_stream_state> state) noexcept;
    log_stream(log_stream&&) noexcept = default;         ///< Movable.
    log_stream& operator=(log_stream&& other) noexcept;  ///< Closes the current stream first.
    log_stream(const log_stream&) = delete;              ///< Not copyable.
    log_stream& operator=(const log_stream&) = delete;   ///< Not copyable.
    /// @brief Closes the stream (see `close()`).
    ~log_stream();

    /// @brief The next line, or `std::nullopt` at the end of the log.
    /// @throws client_error as described above; kind `cancelled` after `close()`.
    boost::asio::awaitable<std::optional<log_line>> next();

    /// @brief Every line received and not yet handed out (at least one; waits for one when
    /// there is none), in log order; an empty vector at the end of the log. At most
    /// `stream_limits::queue_size` lines at once.
    /// @par Errors
    /// Those of `next()`, thrown once every line before them was handed out: a batch never
    /// holds lines from after an error.
    /// @par Retries
    /// None here: the reader reconnects on its own (see `client::tail_job_logs`); this only
    /// hands out what it delivered.
    /// @par Cancellation
    /// As `next()`: cancelling the await (e.g. `co_await (logs.next_batch() || timer.async_wait(use_awaitable))`)
    /// closes the socket at once and fails with kind `cancelled`; lines not yet handed out are dropped.
    /// @par Thread safety
    /// One consumer at a time, like `next()`; `close()` and `stats()` from any thread.
    boost::asio::awaitable<std::vector<log_line>> next_batch();

    /// @brief Stops the tail: closes its socket and ends its reader. Idempotent.
    void close() noexcept;

    /// @brief A snapshot of the counters.
    stream_stats stats() const;

private:
    std::shared_ptr<detail::log_stream_state> state_;
};

}  // namespace raycl
