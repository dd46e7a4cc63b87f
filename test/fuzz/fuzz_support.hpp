// Shared pieces of the libFuzzer targets: invariant checks that abort with a message, a small
// deterministic PRNG driven by the input, and the oracle of core::line_assembler's output.
#pragma once

#include "core/log_lines.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace raycl::fuzz {

/// Aborts (a crash libFuzzer records with its input) when an invariant does not hold.
#define RAYCL_FUZZ_CHECK(condition)                                                                    \
    do {                                                                                               \
        if (!(condition)) {                                                                            \
            std::fprintf(stderr, "invariant violated at %s:%d: %s\n", __FILE__, __LINE__, #condition); \
            std::abort();                                                                              \
        }                                                                                              \
    } while (false)

/// Splits the fuzz input into a fixed-size header of control bytes and the payload.
struct input_view {
    input_view(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}

    /// The next control byte (0 once the input is used up).
    std::uint8_t byte() noexcept { return pos_ < size_ ? data_[pos_++] : 0; }
    /// Everything not consumed as control bytes.
    std::string_view rest() const noexcept {
        return pos_ < size_ ? std::string_view(reinterpret_cast<const char*>(data_) + pos_, size_ - pos_)
                            : std::string_view();
    }

private:
    const std::uint8_t* data_;
    std::size_t size_;
    std::size_t pos_ = 0;
};

/// xorshift64*: frame sizes and replay decisions seeded by control bytes, so the fuzzer steers
/// the splits by mutating the seed.
class prng {
public:
    explicit prng(std::uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ULL + 1) {}
    std::uint64_t next() noexcept {
        state_ ^= state_ >> 12;
        state_ ^= state_ << 25;
        state_ ^= state_ >> 27;
        return state_ * 0x2545F4914F6CDD1DULL;
    }
    /// Uniform-ish in [0, bound) (bound > 0).
    std::uint64_t below(std::uint64_t bound) noexcept { return next() % bound; }

private:
    std::uint64_t state_;
};

/// Length of the well-formed UTF-8 sequence (2..4 bytes) starting at `at` in `text`, 0 when none
/// starts there. Written from Unicode's table 3-7 independently of the code under test.
inline std::size_t well_formed_sequence(std::string_view text, std::size_t at) noexcept {
    struct row {
        unsigned char lead_lo, lead_hi, second_lo, second_hi;
        std::size_t length;
    };
    static constexpr row table[] = {
        {0xC2, 0xDF, 0x80, 0xBF, 2}, {0xE0, 0xE0, 0xA0, 0xBF, 3}, {0xE1, 0xEC, 0x80, 0xBF, 3},
        {0xED, 0xED, 0x80, 0x9F, 3}, {0xEE, 0xEF, 0x80, 0xBF, 3}, {0xF0, 0xF0, 0x90, 0xBF, 4},
        {0xF1, 0xF3, 0x80, 0xBF, 4}, {0xF4, 0xF4, 0x80, 0x8F, 4},
    };
    auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    for (const row& r : table) {
        if (byte(at) < r.lead_lo || byte(at) > r.lead_hi) continue;
        if (at + r.length > text.size()) return 0;
        if (byte(at + 1) < r.second_lo || byte(at + 1) > r.second_hi) return 0;
        for (std::size_t k = 2; k < r.length; ++k)
            if (byte(at + k) < 0x80 || byte(at + k) > 0xBF) return 0;
        return r.length;
    }
    return 0;
}

/// Where the line starting at `begin` in `log` ends (index of its '\n', or log.size()).
inline std::size_t line_end(std::string_view log, std::size_t begin) noexcept {
    const std::size_t newline = log.find('\n', begin);
    return newline == std::string_view::npos ? log.size() : newline;
}

/// A cut of the line [line_begin, line_stop) after `cut` bytes of the part starting at `from`:
/// checks it follows log_lines.hpp ("at most max bytes, never cutting a valid UTF-8 sequence"):
/// no well-formed sequence starting inside (from, from+cut) crosses the cut, and the cut is
/// shorter than `max` only when a sequence straddling position from+max made it back off.
inline void check_cut(std::string_view log, std::size_t from, std::size_t cut, std::size_t max, std::size_t line_stop) {
    const std::string_view line = log.substr(0, line_stop);
    RAYCL_FUZZ_CHECK(cut <= max);
    for (std::size_t s = from + 1; s < from + cut; ++s) {
        const std::size_t length = well_formed_sequence(line, s);
        RAYCL_FUZZ_CHECK(length == 0 || s + length <= from + cut);
    }
    if (cut < max) {
        const std::size_t start = from + cut;
        RAYCL_FUZZ_CHECK(cut > 0 && max - cut <= 3);
        const std::size_t length = well_formed_sequence(line, start);
        RAYCL_FUZZ_CHECK(length > max - cut);
    }
}

/// What check_lines() found: where the delivered lines end in the log.
struct replay_result {
    std::size_t end = 0;             ///< log offset just after the last delivered line/piece
    std::size_t oversize_lines = 0;  ///< distinct lines longer than max seen in the output
    bool in_line = false;            ///< the output ends inside a line (a non-final piece)
};

/// Checks that `lines` are exactly what log_lines.hpp promises for `log` (the bytes the
/// assembler was given, possibly more than it consumed) under `limits`: contiguous offsets
/// from 0; `whole` lines equal to the log's line (no newline inside, <= max, newline flag =
/// the log has '\n' there, else the end of the log); `piece`s of 1..max bytes that concatenate
/// to the line, the newline only on the last, cuts UTF-8 safe; `truncated` = a prefix of at
/// most max bytes (UTF-8 safe cut) plus " [raycl: N bytes truncated]" with N = the rest.
inline replay_result check_lines(std::string_view log, const std::vector<log_line>& lines,
                                 const stream_limits& limits) {
    std::size_t max = limits.max_message_size;
    if (limits.oversize == oversize_policy::split && max == 0) max = 1;
    replay_result r;
    std::size_t line_begin = 0;
    for (const log_line& line : lines) {
        RAYCL_FUZZ_CHECK(line.offset == r.end);
        RAYCL_FUZZ_CHECK(r.end <= log.size());
        const std::size_t stop = line_end(log, line_begin);
        switch (line.kind) {
            case line_kind::whole: {
                RAYCL_FUZZ_CHECK(!r.in_line && line_begin == r.end);
                RAYCL_FUZZ_CHECK(line.text.size() <= max);
                RAYCL_FUZZ_CHECK(stop - line_begin == line.text.size());
                RAYCL_FUZZ_CHECK(log.substr(line_begin, line.text.size()) == line.text);
                RAYCL_FUZZ_CHECK(line.newline == (stop < log.size()));
                r.end = stop + (line.newline ? 1 : 0);
                line_begin = r.end;
                break;
            }
            case line_kind::piece: {
                RAYCL_FUZZ_CHECK(limits.oversize == oversize_policy::split);
                RAYCL_FUZZ_CHECK(!line.text.empty() && line.text.size() <= max);
                RAYCL_FUZZ_CHECK(line.text.find('\n') == std::string::npos);
                RAYCL_FUZZ_CHECK(log.substr(r.end, line.text.size()) == line.text);
                RAYCL_FUZZ_CHECK(stop - line_begin > max);  // only oversize lines come in pieces
                if (line_begin == r.end) ++r.oversize_lines;
                const std::size_t piece_end = r.end + line.text.size();
                if (piece_end == stop) {  // the last piece of its line
                    RAYCL_FUZZ_CHECK(line.newline == (stop < log.size()));
                    r.end = stop + (line.newline ? 1 : 0);
                    line_begin = r.end;
                    r.in_line = false;
                } else {
                    RAYCL_FUZZ_CHECK(!line.newline);
                    check_cut(log, r.end, line.text.size(), max, stop);
                    r.end = piece_end;
                    r.in_line = true;
                }
                break;
            }
            case line_kind::truncated: {
                RAYCL_FUZZ_CHECK(limits.oversize == oversize_policy::truncate);
                RAYCL_FUZZ_CHECK(!r.in_line && line_begin == r.end);
                const std::size_t length = stop - line_begin;
                RAYCL_FUZZ_CHECK(length > max);
                constexpr std::string_view marker_head = " [raycl: ";
                const std::size_t marker = line.text.rfind(marker_head);
                RAYCL_FUZZ_CHECK(marker != std::string::npos);
                const std::size_t kept = marker;
                check_cut(log, line_begin, kept, max, stop);
                RAYCL_FUZZ_CHECK(log.substr(line_begin, kept) == std::string_view(line.text).substr(0, kept));
                const std::string expected_marker =
                    std::string(marker_head) + std::to_string(length - kept) + " bytes truncated]";
                RAYCL_FUZZ_CHECK(std::string_view(line.text).substr(kept) == expected_marker);
                RAYCL_FUZZ_CHECK(line.newline == (stop < log.size()));
                ++r.oversize_lines;
                r.end = stop + (line.newline ? 1 : 0);
                line_begin = r.end;
                break;
            }
        }
    }
    return r;
}

}  // namespace raycl::fuzz
