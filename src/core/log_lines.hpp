// Turning log bytes from frames/chunks into lines, exactly once, within stream limits (pure).
#pragma once

#include <raycl/log_stream.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace raycl::core {

/// Why `line_assembler::feed`/`finish` stopped early; `ok` when it did not.
enum class feed_status {
    ok,
    max_messages,   ///< more frames with new data than stream_limits::max_messages
    max_lines,      ///< more lines/pieces than stream_limits::max_lines
    max_bytes,      ///< more log bytes than stream_limits::max_bytes
    oversize_line,  ///< a line longer than max_message_size under oversize_policy::fail
    gap,            ///< bytes arrived past the consumed offset: a hole in the log (a bug upstream)
};

/// A sanitized sentence for a non-ok status, e.g. "the stream exceeded max_lines (50000)".
std::string describe(feed_status status, const stream_limits& limits);

/// Removes ANSI colour codes from `text` in place: what Ray's `filter_ansi_code` removes, the
/// pattern `ESC [ [0-9;]+ m` (a lone ESC or another escape sequence stays).
void strip_ansi_codes(std::string& text) noexcept;

/// The offset where the last `lines` lines of `text` start, as Ray's log agent counts them
/// (`find_start_offset_last_n_lines_from_offset`): an unterminated last line counts as a line;
/// 0 when the text has no more lines than that. `lines` >= 1.
std::uint64_t start_of_last_lines(std::string_view text, std::uint64_t lines) noexcept;

/// Reassembles a job log that arrives in frames (WebSocket) or chunks (HTTP) into lines.
///
/// Every connection to Ray replays the log from its first byte, so each frame is fed with the
/// log offset of its first byte (the count of bytes that connection delivered before it): bytes
/// below `consumed_offset()` were consumed already and are skipped. That makes reconnects and
/// protocol switches exactly-once, and lets the static log (offset 0) fill in what a tail missed.
///
/// A frame may hold several lines, end mid-line, or end inside a multi-byte UTF-8 sequence.
/// Lines longer than `max_message_size` follow `oversize_policy`: `split` emits pieces of at
/// most max_message_size bytes, never cutting a valid UTF-8 sequence (kind `piece`, newline only
/// on the last); `truncate` emits the first max_message_size bytes (UTF-8 safe) followed by
/// " [raycl: N bytes truncated]" (kind `truncated`) when the line ends; `fail` stops with
/// `oversize_line`. Memory held is bounded by max_message_size (plus one frame in flight).
///
/// Limits: a frame that carries new bytes counts toward max_messages (when `is_message`);
/// each emitted line/piece toward max_lines; consumed bytes toward max_bytes. On reaching a
/// limit, everything before it is emitted and the limit's status is returned; later calls keep
/// returning it without emitting more.
class line_assembler {
public:
    explicit line_assembler(const stream_limits& limits);

    /// Feeds the log bytes [offset, offset + data.size()), appending finished lines to `out`.
    feed_status feed(std::uint64_t offset, std::string_view data, std::vector<log_line>& out, bool is_message = true);

    /// Starts the log at `offset` (a line boundary) instead of 0: the bytes before it count as
    /// consumed but are neither delivered nor counted toward max_bytes. Only before the first
    /// feed; later calls change nothing.
    void start_at(std::uint64_t offset) noexcept;

    /// End of the log: emits the pending partial line (newline = false), if any.
    feed_status finish(std::vector<log_line>& out);

    /// Bytes of the log consumed so far (delivered lines plus the pending partial line).
    std::uint64_t consumed_offset() const noexcept { return consumed_; }
    /// Frames that carried new bytes.
    std::uint64_t messages() const noexcept { return messages_; }
    /// Lines and pieces emitted.
    std::uint64_t lines() const noexcept { return lines_; }
    /// Lines longer than max_message_size seen (each counted once).
    std::uint64_t oversize_lines() const noexcept { return oversize_lines_; }
    /// Bytes held for the line in progress.
    std::size_t pending_bytes() const noexcept { return pending_.size(); }

private:
    bool take(std::string_view segment, bool line_ends, bool newline, std::vector<log_line>& out);
    bool emit_truncated(bool newline, std::uint64_t next_line, std::vector<log_line>& out);
    bool emit(std::string text, bool newline, line_kind kind, std::uint64_t offset, std::vector<log_line>& out);
    void end_line(std::uint64_t next_line) noexcept;
    feed_status stop(feed_status status) noexcept;

    stream_limits limits_;
    std::string pending_;               ///< start of the current line (bounded)
    std::uint64_t pending_offset_ = 0;  ///< log offset of pending_[0]
    std::uint64_t consumed_ = 0;
    std::uint64_t start_ = 0;  ///< start_at()'s offset: bytes before it are not counted
    std::uint64_t messages_ = 0;
    std::uint64_t lines_ = 0;
    std::uint64_t oversize_lines_ = 0;
    std::uint64_t dropped_ = 0;      ///< bytes of the current line dropped by `truncate`
    bool in_oversize_line_ = false;  ///< the current line already exceeded the limit
    feed_status stopped_ = feed_status::ok;
};

}  // namespace raycl::core
