// Turning log bytes from frames/chunks into lines, exactly once, within stream limits (pure).
#include "core/log_lines.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

namespace raycl::core {

namespace {

/// Bytes past max_message_size that must be known before a line is cut (unless it ended):
/// enough to see a whole UTF-8 sequence that starts up to 3 bytes before the cut.
constexpr std::size_t lookahead = 3;

/// The current line's undelivered bytes: the pending part, then a slice of the frame. Lets a
/// piece be built with a single copy whichever side the cut falls on.
struct two_part {
    std::string_view head;
    std::string_view tail;

    std::size_t size() const noexcept { return head.size() + tail.size(); }

    unsigned char at(std::size_t i) const noexcept {
        return static_cast<unsigned char>(i < head.size() ? head[i] : tail[i - head.size()]);
    }

    std::string prefix(std::size_t n) const {
        std::string text;
        text.reserve(n);
        const std::size_t from_head = std::min(n, head.size());
        text.append(head.data(), from_head);
        text.append(tail.data(), n - from_head);
        return text;
    }

    void drop(std::size_t n) noexcept {
        if (n <= head.size()) {
            head.remove_prefix(n);
        } else {
            tail.remove_prefix(n - head.size());
            head = {};
        }
    }
};

bool is_continuation(unsigned char byte) noexcept {
    return (byte & 0xC0U) == 0x80U;
}

/// Length of the well-formed UTF-8 sequence starting at `start` (2..4), or 0 when the bytes there
/// are not one (ASCII, a stray continuation, an invalid lead, an overlong form, a surrogate, a
/// value past U+10FFFF, or a sequence cut short by the end of `content`).
std::size_t sequence_length(const two_part& content, std::size_t start) noexcept {
    const unsigned char lead = content.at(start);
    std::size_t length = 0;
    unsigned char second_min = 0x80;
    unsigned char second_max = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        if (lead == 0xE0) second_min = 0xA0;
        if (lead == 0xED) second_max = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        if (lead == 0xF0) second_min = 0x90;
        if (lead == 0xF4) second_max = 0x8F;
    } else {
        return 0;
    }
    if (start + length > content.size()) return 0;
    const unsigned char second = content.at(start + 1);
    if (second < second_min || second > second_max) return 0;
    for (std::size_t i = 2; i < length; ++i) {
        if (!is_continuation(content.at(start + i))) return 0;
    }
    return length;
}

/// Where to cut `content` (longer than `max`) so that the first part has at most `max` bytes and
/// no well-formed UTF-8 sequence is split: backs off to the start of a sequence that straddles
/// the cut (at most 3 bytes). Cuts at `max` when the bytes there are not valid UTF-8, or when
/// backing off would leave an empty first part (max < 4), so every cut makes progress.
/// Needs content.size() >= max + lookahead unless `content` is the whole rest of the line.
std::size_t utf8_cut(const two_part& content, std::size_t max) noexcept {
    if (max == 0 || !is_continuation(content.at(max))) return max;
    for (std::size_t back = 1; back <= 3 && back <= max; ++back) {
        const std::size_t start = max - back;
        if (is_continuation(content.at(start))) continue;
        const std::size_t length = sequence_length(content, start);
        if (length > back && start > 0) return start;
        return max;
    }
    return max;
}

}  // namespace

std::string describe(feed_status status, const stream_limits& limits) {
    switch (status) {
        case feed_status::ok:
            return "the stream is within its limits";
        case feed_status::max_messages:
            return "the stream exceeded max_messages (" + std::to_string(limits.max_messages) + ")";
        case feed_status::max_lines:
            return "the stream exceeded max_lines (" + std::to_string(limits.max_lines) + ")";
        case feed_status::max_bytes:
            return "the stream exceeded max_bytes (" + std::to_string(limits.max_bytes) + ")";
        case feed_status::oversize_line:
            return "a log line exceeded max_message_size (" + std::to_string(limits.max_message_size) +
                   " bytes) and the oversize policy is fail";
        case feed_status::gap:
            return "the log stream skipped bytes: data arrived past the offset already consumed";
    }
    return "the stream stopped";
}

void strip_ansi_codes(std::string& text) noexcept {
    std::size_t out = 0;
    for (std::size_t i = 0; i < text.size();) {
        if (text[i] == '\x1b' && i + 1 < text.size() && text[i + 1] == '[') {
            std::size_t j = i + 2;
            while (j < text.size() && ((text[j] >= '0' && text[j] <= '9') || text[j] == ';')) ++j;
            if (j > i + 2 && j < text.size() && text[j] == 'm') {
                i = j + 1;
                continue;
            }
        }
        text[out++] = text[i++];
    }
    text.resize(out);
}

std::uint64_t start_of_last_lines(std::string_view text, std::uint64_t lines) noexcept {
    if (lines == 0) return text.size();
    // The line that contains the start is the one after the lines-th newline from the end, not
    // counting a final newline; an unterminated last line is a line of its own.
    std::size_t end = text.size();
    if (end > 0 && text[end - 1] == '\n') --end;
    std::uint64_t newlines = 0;
    for (std::size_t i = end; i > 0; --i) {
        if (text[i - 1] == '\n' && ++newlines == lines) return i;
    }
    return 0;
}

line_assembler::line_assembler(const stream_limits& limits) : limits_(limits) {
    // A piece must hold at least one byte to make progress.
    if (limits_.oversize == oversize_policy::split && limits_.max_message_size == 0) limits_.max_message_size = 1;
}

feed_status line_assembler::feed(std::uint64_t offset, std::string_view data, std::vector<log_line>& out,
                                 bool is_message) {
    if (stopped_ != feed_status::ok) return stopped_;
    if (offset > consumed_) return stop(feed_status::gap);
    const std::uint64_t replayed = consumed_ - offset;
    if (replayed >= data.size()) return feed_status::ok;  // nothing new: not a message
    data.remove_prefix(static_cast<std::size_t>(replayed));

    if (is_message) {
        if (messages_ >= limits_.max_messages) return stop(feed_status::max_messages);
        ++messages_;
    }
    bool over_bytes = false;
    const std::uint64_t delivered = consumed_ - start_;  // <= max_bytes always
    if (data.size() > limits_.max_bytes - delivered) {
        data = data.substr(0, static_cast<std::size_t>(limits_.max_bytes - delivered));
        over_bytes = true;
    }

    while (!data.empty()) {
        const void* newline = std::memchr(data.data(), '\n', data.size());
        if (newline == nullptr) {
            if (!take(data, false, false, out)) return stopped_;
            consumed_ += data.size();
            break;
        }
        const auto length = static_cast<std::size_t>(static_cast<const char*>(newline) - data.data());
        if (!take(data.substr(0, length), true, true, out)) return stopped_;
        consumed_ += length + 1;
        data.remove_prefix(length + 1);
    }
    if (over_bytes) return stop(feed_status::max_bytes);
    return feed_status::ok;
}

void line_assembler::start_at(std::uint64_t offset) noexcept {
    if (consumed_ != start_ || !pending_.empty()) return;  // only before the first byte
    start_ = consumed_ = pending_offset_ = offset;
}

feed_status line_assembler::finish(std::vector<log_line>& out) {
    if (stopped_ != feed_status::ok) return stopped_;
    if (pending_.empty() && !in_oversize_line_) return feed_status::ok;
    if (!take({}, true, false, out)) return stopped_;
    return feed_status::ok;
}

// Takes `segment`, the next bytes of the current line (without its newline); `line_ends` when
// the line ends after it, with a '\n' when `newline` (else at the end of the log). consumed_ is
// the log offset of segment[0]. Returns false when a limit stopped the assembler.
bool line_assembler::take(std::string_view segment, bool line_ends, bool newline, std::vector<log_line>& out) {
    const std::uint64_t next_line = consumed_ + segment.size() + (newline ? 1 : 0);
    const bool truncate = limits_.oversize == oversize_policy::truncate;
    if (in_oversize_line_ && truncate) {
        dropped_ += segment.size();
        return !line_ends || emit_truncated(newline, next_line, out);
    }

    const std::size_t max = limits_.max_message_size;
    two_part line{pending_, segment};
    if (!in_oversize_line_) {
        if (line.size() <= max) {
            if (!line_ends) {
                pending_.append(segment);
                return true;
            }
            if (!emit(line.prefix(line.size()), newline, line_kind::whole, pending_offset_, out)) return false;
            end_line(next_line);
            return true;
        }
        if (limits_.oversize == oversize_policy::fail) {
            stop(feed_status::oversize_line);
            return false;
        }
        if (!line_ends && line.size() < max + lookahead) {  // wait until the cut can be decided
            pending_.append(segment);
            return true;
        }
        ++oversize_lines_;
        in_oversize_line_ = true;
        if (truncate) {
            const std::size_t cut = utf8_cut(line, max);
            dropped_ = line.size() - cut;
            if (cut <= pending_.size())
                pending_.resize(cut);
            else
                pending_.append(segment.substr(0, cut - pending_.size()));
            return !line_ends || emit_truncated(newline, next_line, out);
        }
    }

    // oversize_policy::split: pieces of at most max bytes; the last one carries the newline.
    while (line.size() > max && (line_ends || line.size() >= max + lookahead)) {
        const std::size_t cut = utf8_cut(line, max);
        if (!emit(line.prefix(cut), false, line_kind::piece, pending_offset_, out)) return false;
        pending_offset_ += cut;
        line.drop(cut);
    }
    if (line_ends) {
        if (!emit(line.prefix(line.size()), newline, line_kind::piece, pending_offset_, out)) return false;
        end_line(next_line);
        return true;
    }
    pending_.erase(0, pending_.size() - line.head.size());
    pending_.append(line.tail);
    return true;
}

bool line_assembler::emit_truncated(bool newline, std::uint64_t next_line, std::vector<log_line>& out) {
    const std::string dropped = std::to_string(dropped_);
    std::string text;
    text.reserve(pending_.size() + dropped.size() + 27);
    text.append(pending_).append(" [raycl: ").append(dropped).append(" bytes truncated]");
    if (!emit(std::move(text), newline, line_kind::truncated, pending_offset_, out)) return false;
    end_line(next_line);
    return true;
}

bool line_assembler::emit(std::string text, bool newline, line_kind kind, std::uint64_t offset,
                          std::vector<log_line>& out) {
    if (lines_ >= limits_.max_lines) {
        stop(feed_status::max_lines);
        return false;
    }
    out.push_back(log_line{std::move(text), newline, kind, offset});
    ++lines_;
    return true;
}

void line_assembler::end_line(std::uint64_t next_line) noexcept {
    pending_.clear();
    pending_offset_ = next_line;
    in_oversize_line_ = false;
    dropped_ = 0;
}

// Limits end the stream after the last delivered line: the undelivered rest of the current line
// is released and consumed_offset() becomes the end of what was delivered. A gap consumes
// nothing and changes nothing but the status.
feed_status line_assembler::stop(feed_status status) noexcept {
    stopped_ = status;
    if (status != feed_status::gap) {
        consumed_ = pending_offset_;
        pending_.clear();
        pending_.shrink_to_fit();
        in_oversize_line_ = false;
        dropped_ = 0;
    }
    return status;
}

}  // namespace raycl::core
