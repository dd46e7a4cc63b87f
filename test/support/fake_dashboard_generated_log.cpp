// The fake dashboard's deterministic generated log: lines of varied length that depend only on
// their number, fast enough for hundreds of MiB, so a test checks what a client got line by line
// without storing what was sent.
#include "support/fake_dashboard.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <memory>

namespace raycl::test {

namespace {

// SplitMix64: a good, cheap hash of the line number.
constexpr std::uint64_t mix(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

// The filler is a window of this text (printable ASCII, no newline): at most 200 bytes from an
// offset below 256.
constexpr std::string_view filler_text =
    "INFO worker.py:1432 -- Connecting to existing Ray cluster at address: 127.0.0.1:6379... "
    "step=0042 loss=0.73125 lr=3e-4 tokens/s=18234.5 {\"epoch\": 3, \"ok\": true} [a-z] "
    "WARNING: the quick brown fox jumps over the lazy dog; THE QUICK BROWN FOX 0123456789 "
    "(pid=4711, ip=10.0.0.7) Task finished in 12.5 ms ~ !#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ "
    "ERROR tail -f /tmp/ray/session_latest/logs/job-driver-raysubmit_1.log: retrying... "
    "DEBUG abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 9876543210 spaces and the end. ";
static_assert(filler_text.size() >= 256 + 200);

struct line_shape {
    std::size_t filler_offset;
    std::size_t total_size;  // without the newline
};

line_shape shape_of(std::uint64_t i) {
    const std::uint64_t h = mix(i);
    return {static_cast<std::size_t>((h >> 16) % 256), static_cast<std::size_t>(20 + h % 181)};
}

// "line <i> ": 6 + digits.
std::size_t prefix_size(std::uint64_t i) {
    std::size_t digits = 1;
    while (i >= 10) {
        i /= 10;
        ++digits;
    }
    return 6 + digits;
}

}  // namespace

void append_generated_log_line(std::string& out, std::uint64_t i) {
    std::array<char, 32> prefix{};
    std::memcpy(prefix.data(), "line ", 5);
    auto [end, ec] = std::to_chars(prefix.data() + 5, prefix.data() + prefix.size() - 1, i);
    (void)ec;
    *end++ = ' ';
    const auto prefix_length = static_cast<std::size_t>(end - prefix.data());
    const auto shape = shape_of(i);
    const std::size_t filler = shape.total_size > prefix_length ? shape.total_size - prefix_length : 0;
    out.append(prefix.data(), prefix_length);
    out.append(filler_text.substr(shape.filler_offset, filler));
    out.push_back('\n');
}

std::string generated_log_line(std::uint64_t i) {
    std::string line;
    append_generated_log_line(line, i);
    line.pop_back();
    return line;
}

std::string generated_log(std::uint64_t first, std::uint64_t count) {
    std::string out;
    out.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(count, 1u << 20)) * 112);
    for (std::uint64_t i = first; i < first + count; ++i) append_generated_log_line(out, i);
    return out;
}

std::uint64_t generated_log_size(std::uint64_t first, std::uint64_t count) {
    std::uint64_t size = 0;
    for (std::uint64_t i = first; i < first + count; ++i) size += std::max(shape_of(i).total_size, prefix_size(i)) + 1;
    return size;
}

chunk_source generated_chunks(std::uint64_t first, std::uint64_t count, std::size_t lines_per_chunk) {
    lines_per_chunk = std::max<std::size_t>(lines_per_chunk, 1);
    auto next = std::make_shared<std::uint64_t>(first);
    const std::uint64_t end = first + count;
    return [next, end, lines_per_chunk]() -> std::optional<std::string> {
        if (*next >= end) return std::nullopt;
        const auto n = std::min<std::uint64_t>(lines_per_chunk, end - *next);
        std::string chunk = generated_log(*next, n);
        *next += n;
        return chunk;
    };
}

}  // namespace raycl::test
