#include "core/log_lines.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace raycl::core {
inline std::ostream& boost_test_print_type(std::ostream& out, feed_status status) {
    static constexpr const char* names[] = {"ok", "max_messages", "max_lines", "max_bytes", "oversize_line", "gap"};
    return out << names[static_cast<int>(status)];
}
}  // namespace raycl::core

using namespace raycl;
using namespace raycl::core;

namespace {

// ASCII, 2-, 3- and 4-byte UTF-8, empty lines, a kept '\r', and a last line without newline.
const std::string sample_log =
    "plain ascii line\n"
    "\n"
    "caf\xC3\xA9 \xE2\x82\xAC euro \xF0\x9F\x98\x80 grin\n"
    "windows line\r\n"
    "\n"
    "\n"
    "x\xE4\xB8\xAD\xE6\x96\x87 wide \xC3\xB1\xC3\xB1\xC3\xB1\n"
    "\xF0\x9F\x8E\x89\xF0\x9F\x8E\x89\xF0\x9F\x8E\x89\n"
    "last line without newline \xF0\x9F\x8E\x89";

stream_limits make_limits(oversize_policy policy, std::size_t max_message_size) {
    stream_limits limits;
    limits.oversize = policy;
    limits.max_message_size = max_message_size;
    limits.max_messages = std::size_t(-1);
    limits.max_lines = std::size_t(-1);
    limits.max_bytes = std::size_t(-1);
    return limits;
}

stream_limits unlimited() {
    return make_limits(oversize_policy::split, 10 * 1024);
}

/// The configurations the framing tests run under: whole lines, and small limits that cut
/// through the multi-byte characters of the sample.
std::vector<stream_limits> framing_configs() {
    return {unlimited(),
            make_limits(oversize_policy::split, 5),
            make_limits(oversize_policy::split, 2),
            make_limits(oversize_policy::split, 1),
            make_limits(oversize_policy::truncate, 5),
            make_limits(oversize_policy::truncate, 11)};
}

char kind_char(line_kind kind) {
    return kind == line_kind::whole ? 'W' : kind == line_kind::piece ? 'P' : 'T';
}

/// A readable, comparable rendering of emitted lines (bytes outside ASCII shown as \xNN).
std::string dump(const std::vector<log_line>& lines) {
    std::string text;
    for (const log_line& line : lines) {
        text += std::to_string(line.offset);
        text += ' ';
        text += kind_char(line.kind);
        text += line.newline ? "+nl" : "   ";
        text += " [";
        for (unsigned char c : line.text) {
            if (c >= 0x20 && c < 0x7F) {
                text += static_cast<char>(c);
            } else {
                char hex[8];
                std::snprintf(hex, sizeof hex, "\\x%02X", static_cast<unsigned>(c));
                text += hex;
            }
        }
        text += "]\n";
    }
    return text;
}

struct result {
    std::vector<log_line> lines;
    feed_status status = feed_status::ok;
};

/// Feeds `log` as frames cut at `cuts` (sorted positions), then finishes.
result feed_cut(const stream_limits& limits, std::string_view log, const std::vector<std::size_t>& cuts) {
    line_assembler assembler(limits);
    result r;
    std::size_t begin = 0;
    auto feed_to = [&](std::size_t end) {
        if (r.status != feed_status::ok) return;
        r.status = assembler.feed(begin, log.substr(begin, end - begin), r.lines);
        begin = end;
    };
    for (std::size_t cut : cuts) feed_to(cut);
    feed_to(log.size());
    if (r.status == feed_status::ok) r.status = assembler.finish(r.lines);
    return r;
}

result feed_whole(const stream_limits& limits, std::string_view log) {
    return feed_cut(limits, log, {});
}

result feed_bytes(const stream_limits& limits, std::string_view log) {
    std::vector<std::size_t> cuts;
    for (std::size_t i = 1; i < log.size(); ++i) cuts.push_back(i);
    return feed_cut(limits, log, cuts);
}

// ---- A simple reference: whole log in hand, forward UTF-8 decoding, no streaming. ----

/// Positions inside a well-formed multi-byte sequence of `s` (forward decoding).
std::vector<bool> inside_sequence(std::string_view s) {
    std::vector<bool> inside(s.size() + 1, false);
    std::size_t i = 0;
    while (i < s.size()) {
        const auto b = static_cast<unsigned char>(s[i]);
        std::size_t n = 0;
        std::uint32_t cp = 0;
        if (b >= 0xC0 && b < 0xE0) {
            n = 2;
            cp = b & 0x1FU;
        } else if (b >= 0xE0 && b < 0xF0) {
            n = 3;
            cp = b & 0x0FU;
        } else if (b >= 0xF0 && b < 0xF8) {
            n = 4;
            cp = b & 0x07U;
        }
        bool ok = n != 0 && i + n <= s.size();
        for (std::size_t k = 1; ok && k < n; ++k) {
            const auto c = static_cast<unsigned char>(s[i + k]);
            ok = (c & 0xC0U) == 0x80U;
            cp = (cp << 6) | (c & 0x3FU);
        }
        if (ok) {
            const std::uint32_t min = n == 2 ? 0x80 : n == 3 ? 0x800 : 0x10000;
            ok = cp >= min && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
        }
        if (!ok) {
            ++i;
            continue;
        }
        for (std::size_t k = 1; k < n; ++k) inside[i + k] = true;
        i += n;
    }
    return inside;
}

std::size_t reference_cut(std::string_view s, std::size_t max) {
    if (max == 0) return 0;
    const std::vector<bool> inside = inside_sequence(s);
    if (!inside[max]) return max;
    std::size_t start = max;
    while (inside[start]) --start;
    return start > 0 ? start : max;
}

struct reference_result {
    std::vector<log_line> lines;
    std::vector<std::uint64_t> ends;  ///< log offset just after each item's bytes
    bool failed = false;
};

reference_result reference(const stream_limits& limits, std::string_view log) {
    reference_result r;
    std::size_t max = limits.max_message_size;
    if (limits.oversize == oversize_policy::split) max = std::max<std::size_t>(max, 1);
    std::size_t start = 0;
    while (start < log.size()) {
        std::size_t nl = log.find('\n', start);
        const bool newline = nl != std::string_view::npos;
        if (!newline) nl = log.size();
        std::string_view line = log.substr(start, nl - start);
        const std::uint64_t end = nl + (newline ? 1 : 0);
        if (line.size() <= max) {
            r.lines.push_back(log_line{std::string(line), newline, line_kind::whole, start});
            r.ends.push_back(end);
        } else if (limits.oversize == oversize_policy::fail) {
            r.failed = true;
            return r;
        } else if (limits.oversize == oversize_policy::truncate) {
            const std::size_t cut = reference_cut(line, max);
            r.lines.push_back(log_line{std::string(line.substr(0, cut)) +
                                           " [raycl: " + std::to_string(line.size() - cut) + " bytes truncated]",
                                       newline, line_kind::truncated, start});
            r.ends.push_back(end);
        } else {
            std::uint64_t offset = start;
            while (line.size() > max) {
                const std::size_t cut = reference_cut(line, max);
                r.lines.push_back(log_line{std::string(line.substr(0, cut)), false, line_kind::piece, offset});
                r.ends.push_back(offset + cut);
                offset += cut;
                line.remove_prefix(cut);
            }
            r.lines.push_back(log_line{std::string(line), newline, line_kind::piece, offset});
            r.ends.push_back(end);
        }
        start = end;
    }
    return r;
}

std::string lines_of(std::size_t count, std::size_t width) {
    std::string log;
    for (std::size_t i = 0; i < count; ++i) {
        std::string line = "line " + std::to_string(i) + ' ';
        line.resize(width - 1, 'x');
        log += line + '\n';
    }
    return log;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(log_lines_tests)

BOOST_AUTO_TEST_CASE(sample_log_is_cut_into_its_lines) {
    const result r = feed_whole(unlimited(), sample_log);
    BOOST_TEST(r.status == feed_status::ok);
    const std::string expected =
        "0 W+nl [plain ascii line]\n"
        "17 W+nl []\n"
        "18 W+nl [caf\\xC3\\xA9 \\xE2\\x82\\xAC euro \\xF0\\x9F\\x98\\x80 grin]\n"
        "43 W+nl [windows line\\x0D]\n"
        "57 W+nl []\n"
        "58 W+nl []\n"
        "59 W+nl [x\\xE4\\xB8\\xAD\\xE6\\x96\\x87 wide \\xC3\\xB1\\xC3\\xB1\\xC3\\xB1]\n"
        "79 W+nl [\\xF0\\x9F\\x8E\\x89\\xF0\\x9F\\x8E\\x89\\xF0\\x9F\\x8E\\x89]\n"
        "92 W    [last line without newline \\xF0\\x9F\\x8E\\x89]\n";
    BOOST_TEST(dump(r.lines) == expected);
    for (const log_line& line : r.lines) BOOST_TEST(sample_log.substr(line.offset, line.text.size()) == line.text);
}

BOOST_AUTO_TEST_CASE(reference_matches_the_sample_for_every_config) {
    for (const stream_limits& limits : framing_configs())
        BOOST_TEST(dump(feed_whole(limits, sample_log).lines) == dump(reference(limits, sample_log).lines));
}

BOOST_AUTO_TEST_CASE(two_frames_at_every_position_and_bytes_match_whole) {
    for (const stream_limits& limits : framing_configs()) {
        const std::string whole = dump(feed_whole(limits, sample_log).lines);
        for (std::size_t i = 0; i <= sample_log.size(); ++i) {
            const result r = feed_cut(limits, sample_log, {i});
            BOOST_TEST(r.status == feed_status::ok);
            BOOST_TEST(dump(r.lines) == whole, "split at " << i << ", max " << limits.max_message_size);
        }
        BOOST_TEST(dump(feed_bytes(limits, sample_log).lines) == whole);
    }
}

BOOST_AUTO_TEST_CASE(three_frames_at_many_positions_match_whole) {
    for (const stream_limits& limits : framing_configs()) {
        const std::string whole = dump(feed_whole(limits, sample_log).lines);
        for (std::size_t i = 0; i <= sample_log.size(); i += 2) {
            for (std::size_t j = i; j <= sample_log.size(); j += 3) {
                const result r = feed_cut(limits, sample_log, {i, j});
                BOOST_TEST(dump(r.lines) == whole, "split at " << i << ", " << j);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(replay_from_zero_after_reconnect_is_exactly_once) {
    for (const stream_limits& limits : framing_configs()) {
        const std::string whole = dump(feed_whole(limits, sample_log).lines);
        for (std::size_t i = 0; i <= sample_log.size(); ++i) {
            for (std::size_t j : {std::size_t{0}, i / 2, i, (i + sample_log.size()) / 2}) {
                line_assembler assembler(limits);
                std::vector<log_line> out;
                // First connection delivers [0, i), then drops.
                BOOST_TEST(assembler.feed(0, std::string_view(sample_log).substr(0, i), out) == feed_status::ok);
                BOOST_TEST(assembler.consumed_offset() == i);
                // The second connection replays from 0, in two frames split at j.
                BOOST_TEST(assembler.feed(0, std::string_view(sample_log).substr(0, j), out) == feed_status::ok);
                BOOST_TEST(assembler.feed(j, std::string_view(sample_log).substr(j), out) == feed_status::ok);
                BOOST_TEST(assembler.finish(out) == feed_status::ok);
                BOOST_TEST(dump(out) == whole, "reconnect after " << i << ", replay split at " << j);
                // Replayed bytes never count as a message.
                const std::uint64_t expected_messages =
                    (i > 0 ? 1 : 0) + (j > i ? 1 : 0) + (std::max(i, j) < sample_log.size() ? 1 : 0);
                BOOST_TEST(assembler.messages() == expected_messages);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(static_log_completion_matches_whole) {
    for (const stream_limits& limits : framing_configs()) {
        const std::string whole = dump(feed_whole(limits, sample_log).lines);
        for (std::size_t i = 0; i <= sample_log.size(); ++i) {
            line_assembler assembler(limits);
            std::vector<log_line> out;
            // The tail delivered [0, i) in single bytes, then the job ended.
            for (std::size_t k = 0; k < i; ++k)
                BOOST_TEST(assembler.feed(k, std::string_view(sample_log).substr(k, 1), out) == feed_status::ok);
            BOOST_TEST(assembler.feed(0, sample_log, out, false) == feed_status::ok);
            BOOST_TEST(assembler.finish(out) == feed_status::ok);
            BOOST_TEST(assembler.messages() == i);
            BOOST_TEST(assembler.consumed_offset() == sample_log.size());
            BOOST_TEST(dump(out) == whole, "static completion after " << i);
        }
    }
}

BOOST_AUTO_TEST_CASE(split_policy_pieces) {
    const stream_limits limits = make_limits(oversize_policy::split, 8);
    const std::string log = std::string(8, 'a') + '\n' + std::string(9, 'b') + '\n' + std::string(25, 'c') + '\n';
    const result r = feed_whole(limits, log);
    BOOST_TEST(r.status == feed_status::ok);
    BOOST_TEST(dump(r.lines) ==
               "0 W+nl [aaaaaaaa]\n"
               "9 P    [bbbbbbbb]\n"
               "17 P+nl [b]\n"
               "19 P    [cccccccc]\n"
               "27 P    [cccccccc]\n"
               "35 P    [cccccccc]\n"
               "43 P+nl [c]\n");
    BOOST_TEST(dump(feed_bytes(limits, log).lines) == dump(r.lines));
    line_assembler assembler(limits);
    std::vector<log_line> out;
    assembler.feed(0, log, out);
    BOOST_TEST(assembler.oversize_lines() == 2u);
    BOOST_TEST(assembler.lines() == 7u);
}

BOOST_AUTO_TEST_CASE(split_never_cuts_a_valid_sequence) {
    const stream_limits limits = make_limits(oversize_policy::split, 8);
    // A 3-byte euro sign at bytes 6..8 straddles the cut at 8: back off to 6.
    // A 4-byte emoji at 7..10 straddles it too: back off to 7.
    const std::string log = "abcdef\xE2\x82\xACgh\nabcdefg\xF0\x9F\x98\x80hi\n";
    const result r = feed_whole(limits, log);
    BOOST_TEST(dump(r.lines) ==
               "0 P    [abcdef]\n"
               "6 P+nl [\\xE2\\x82\\xACgh]\n"
               "12 P    [abcdefg]\n"
               "19 P+nl [\\xF0\\x9F\\x98\\x80hi]\n");
    for (std::size_t i = 0; i <= log.size(); ++i) BOOST_TEST(dump(feed_cut(limits, log, {i}).lines) == dump(r.lines));
}

BOOST_AUTO_TEST_CASE(split_cuts_invalid_bytes_at_the_limit) {
    const stream_limits limits = make_limits(oversize_policy::split, 8);
    // A lead byte whose sequence is broken by 'Z', a stray continuation byte, an overlong form
    // and a surrogate: none is a valid sequence, so the cut stays at 8.
    for (std::string bad : {std::string("\xE2\x82Z"), std::string("\x82\x82\x82"), std::string("\xE0\x80\x80"),
                            std::string("\xED\xA0\x80")}) {
        const std::string log = "abcdefg" + bad + "tail\n";
        const result r = feed_whole(limits, log);
        BOOST_TEST_REQUIRE(r.lines.size() == 2u);
        BOOST_TEST(r.lines[0].text == log.substr(0, 8));
        BOOST_TEST(r.lines[1].text == log.substr(8, log.size() - 9));
        BOOST_TEST(r.lines[1].offset == 8u);
        BOOST_TEST(dump(feed_bytes(limits, log).lines) == dump(r.lines));
    }
}

BOOST_AUTO_TEST_CASE(split_below_four_bytes_makes_progress) {
    for (std::size_t max : {1u, 2u, 3u}) {
        const stream_limits limits = make_limits(oversize_policy::split, max);
        const std::string log = "\xF0\x9F\x98\x80\xE2\x82\xAC\n";
        const result r = feed_bytes(limits, log);
        BOOST_TEST(r.status == feed_status::ok);
        std::string joined;
        for (const log_line& line : r.lines) {
            BOOST_TEST(line.text.size() <= max);
            BOOST_TEST(!line.text.empty());
            BOOST_TEST(log.substr(line.offset, line.text.size()) == line.text);
            joined += line.text;
        }
        BOOST_TEST(joined + '\n' == log);
        BOOST_TEST(r.lines.back().newline);
        BOOST_TEST(dump(r.lines) == dump(reference(limits, log).lines));
    }
    // max_message_size 0 under split behaves as 1.
    const result r = feed_whole(make_limits(oversize_policy::split, 0), "ab\n");
    BOOST_TEST(dump(r.lines) == "0 P    [a]\n1 P+nl [b]\n");
}

BOOST_AUTO_TEST_CASE(truncate_policy) {
    const stream_limits limits = make_limits(oversize_policy::truncate, 8);
    const std::string log = std::string(8, 'a') + '\n' + std::string(9, 'b') + '\n' + std::string(25, 'c') + '\n' +
                            "abcdef\xE2\x82\xACgh\n" + "after\n";
    const result r = feed_whole(limits, log);
    BOOST_TEST(r.status == feed_status::ok);
    BOOST_TEST(dump(r.lines) ==
               "0 W+nl [aaaaaaaa]\n"
               "9 T+nl [bbbbbbbb [raycl: 1 bytes truncated]]\n"
               "19 T+nl [cccccccc [raycl: 17 bytes truncated]]\n"
               "45 T+nl [abcdef [raycl: 5 bytes truncated]]\n"
               "57 W+nl [after]\n");
    for (std::size_t i = 0; i <= log.size(); ++i) BOOST_TEST(dump(feed_cut(limits, log, {i}).lines) == dump(r.lines));
    BOOST_TEST(dump(feed_bytes(limits, log).lines) == dump(r.lines));
}

BOOST_AUTO_TEST_CASE(truncate_finish_mid_oversize_line) {
    const stream_limits limits = make_limits(oversize_policy::truncate, 8);
    line_assembler assembler(limits);
    std::vector<log_line> out;
    BOOST_TEST(assembler.feed(0, "ok\n" + std::string(30, 'z'), out) == feed_status::ok);
    BOOST_TEST(out.size() == 1u);
    BOOST_TEST(assembler.pending_bytes() <= 8u);
    BOOST_TEST(assembler.finish(out) == feed_status::ok);
    BOOST_TEST(dump(out) == "0 W+nl [ok]\n3 T    [zzzzzzzz [raycl: 22 bytes truncated]]\n");
    BOOST_TEST(assembler.oversize_lines() == 1u);
    BOOST_TEST(assembler.finish(out) == feed_status::ok);  // nothing pending any more
    BOOST_TEST(out.size() == 2u);
    // max_message_size 0 keeps nothing of an oversize line but still reports it at finish.
    line_assembler none(make_limits(oversize_policy::truncate, 0));
    std::vector<log_line> marker_only;
    BOOST_TEST(none.feed(0, "\nabcdef", marker_only) == feed_status::ok);
    BOOST_TEST(none.pending_bytes() == 0u);
    BOOST_TEST(none.finish(marker_only) == feed_status::ok);
    BOOST_TEST(dump(marker_only) == "0 W+nl []\n1 T    [ [raycl: 6 bytes truncated]]\n");
}

BOOST_AUTO_TEST_CASE(fail_policy_stops_after_the_lines_before) {
    const stream_limits limits = make_limits(oversize_policy::fail, 8);
    const std::string log = "one\n" + std::string(8, 'a') + '\n' + std::string(9, 'b') + "\nnever\n";
    for (std::size_t i = 0; i <= log.size(); ++i) {
        const result r = feed_cut(limits, log, {i});
        BOOST_TEST(r.status == feed_status::oversize_line);
        BOOST_TEST(dump(r.lines) == "0 W+nl [one]\n4 W+nl [aaaaaaaa]\n");
    }
    line_assembler assembler(limits);
    std::vector<log_line> out;
    BOOST_TEST(assembler.feed(0, log, out) == feed_status::oversize_line);
    BOOST_TEST(assembler.consumed_offset() == 13u);  // end of what was delivered
    BOOST_TEST(assembler.pending_bytes() == 0u);
    BOOST_TEST(assembler.feed(13, "x\n", out) == feed_status::oversize_line);
    BOOST_TEST(assembler.finish(out) == feed_status::oversize_line);
    BOOST_TEST(out.size() == 2u);
    // A line of exactly max_message_size at the end of the log is fine.
    BOOST_TEST(feed_whole(limits, std::string(8, 'q')).status == feed_status::ok);
    BOOST_TEST(feed_whole(limits, std::string(9, 'q')).status == feed_status::oversize_line);
}

BOOST_AUTO_TEST_CASE(max_messages_delivers_the_allowed_frames) {
    stream_limits limits = unlimited();
    limits.max_messages = 3;
    line_assembler assembler(limits);
    std::vector<log_line> out;
    BOOST_TEST(assembler.feed(0, "a\nb", out) == feed_status::ok);
    BOOST_TEST(assembler.feed(0, "a\nb", out) == feed_status::ok);          // replay: not a message
    BOOST_TEST(assembler.feed(3, "", out) == feed_status::ok);              // nothing new: not a message
    BOOST_TEST(assembler.feed(3, "\nc\n", out, false) == feed_status::ok);  // not a message
    BOOST_TEST(assembler.feed(6, "d\n", out) == feed_status::ok);
    BOOST_TEST(assembler.feed(0, "a\nb\nc\nd\ne", out) == feed_status::ok);
    BOOST_TEST(assembler.messages() == 3u);
    BOOST_TEST(assembler.feed(9, "\nf\n", out) == feed_status::max_messages);
    BOOST_TEST(dump(out) == "0 W+nl [a]\n2 W+nl [b]\n4 W+nl [c]\n6 W+nl [d]\n");
    BOOST_TEST(assembler.consumed_offset() == 8u);
    BOOST_TEST(assembler.feed(9, "\nf\n", out) == feed_status::max_messages);
    BOOST_TEST(assembler.finish(out) == feed_status::max_messages);
    BOOST_TEST(out.size() == 4u);
}

BOOST_AUTO_TEST_CASE(max_lines_delivers_exactly_the_allowed_lines) {
    const std::string log = lines_of(10, 12);
    for (std::size_t max_lines = 0; max_lines <= 11; ++max_lines) {
        stream_limits limits = unlimited();
        limits.max_lines = max_lines;
        const reference_result expected = reference(limits, log);
        for (const result& r : {feed_whole(limits, log), feed_bytes(limits, log)}) {
            BOOST_TEST(r.status == (max_lines < 10 ? feed_status::max_lines : feed_status::ok));
            const std::size_t n = std::min<std::size_t>(max_lines, 10);
            BOOST_TEST(dump(r.lines) ==
                       dump(std::vector<log_line>(expected.lines.begin(), expected.lines.begin() + n)));
        }
    }
    // Pieces count as lines.
    stream_limits limits = make_limits(oversize_policy::split, 4);
    limits.max_lines = 3;
    const result r = feed_bytes(limits, "abcdefghijkl\nz\n");
    BOOST_TEST(r.status == feed_status::max_lines);
    BOOST_TEST(dump(r.lines) == "0 P    [abcd]\n4 P    [efgh]\n8 P+nl [ijkl]\n");
    // A partial last line counts at finish.
    limits.max_lines = 1;
    line_assembler assembler(limits);
    std::vector<log_line> out;
    BOOST_TEST(assembler.feed(0, "ab\ncd", out) == feed_status::ok);
    BOOST_TEST(assembler.finish(out) == feed_status::max_lines);
    BOOST_TEST(out.size() == 1u);
}

BOOST_AUTO_TEST_CASE(max_bytes_delivers_lines_inside_the_limit) {
    for (const stream_limits& base : {unlimited(), make_limits(oversize_policy::truncate, 5)}) {
        const reference_result expected = reference(base, sample_log);
        for (std::size_t max_bytes = 0; max_bytes <= sample_log.size() + 1; ++max_bytes) {
            stream_limits limits = base;
            limits.max_bytes = max_bytes;
            std::vector<log_line> inside;
            for (std::size_t k = 0; k < expected.lines.size(); ++k)
                if (expected.ends[k] <= max_bytes) inside.push_back(expected.lines[k]);
            // The unterminated last line is only delivered by finish(), which needs no more bytes.
            for (const result& r :
                 {feed_whole(limits, sample_log), feed_bytes(limits, sample_log),
                  feed_cut(limits, sample_log, {max_bytes / 2, std::min(max_bytes, sample_log.size())})}) {
                BOOST_TEST(r.status == (max_bytes < sample_log.size() ? feed_status::max_bytes : feed_status::ok));
                BOOST_TEST(dump(r.lines) == dump(inside), "max_bytes " << max_bytes);
            }
        }
    }
    // Split pieces: a prefix of the full output, everything that can be decided inside the limit.
    const stream_limits split = make_limits(oversize_policy::split, 5);
    const reference_result expected = reference(split, sample_log);
    for (std::size_t max_bytes = 0; max_bytes < sample_log.size(); ++max_bytes) {
        stream_limits limits = split;
        limits.max_bytes = max_bytes;
        const result r = feed_bytes(limits, sample_log);
        BOOST_TEST(r.status == feed_status::max_bytes);
        BOOST_TEST_REQUIRE(r.lines.size() <= expected.lines.size());
        for (std::size_t k = 0; k < expected.lines.size(); ++k) {
            if (k < r.lines.size()) {
                BOOST_TEST(dump({r.lines[k]}) == dump({expected.lines[k]}));
                BOOST_TEST(expected.ends[k] <= max_bytes);
            } else {
                // Undecided: fewer than max_message_size + 3 bytes of it inside the limit.
                BOOST_TEST(expected.ends[k] + 6 > max_bytes, "piece " << k << " missing at " << max_bytes);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(max_bytes_counts_consumed_bytes_across_frames) {
    stream_limits limits = unlimited();
    limits.max_bytes = 6;
    line_assembler assembler(limits);
    std::vector<log_line> out;
    BOOST_TEST(assembler.feed(0, "ab\n", out) == feed_status::ok);
    BOOST_TEST(assembler.feed(0, "ab\ncd\n", out) == feed_status::ok);  // exactly 6 bytes
    BOOST_TEST(assembler.consumed_offset() == 6u);
    BOOST_TEST(assembler.feed(6, "e", out) == feed_status::max_bytes);
    BOOST_TEST(dump(out) == "0 W+nl [ab]\n3 W+nl [cd]\n");
    BOOST_TEST(assembler.finish(out) == feed_status::max_bytes);
    BOOST_TEST(out.size() == 2u);
}

BOOST_AUTO_TEST_CASE(gap_consumes_nothing_and_sticks) {
    line_assembler assembler(unlimited());
    std::vector<log_line> out;
    BOOST_TEST(assembler.feed(0, "abc\nde", out) == feed_status::ok);
    BOOST_TEST(assembler.feed(7, "f\n", out) == feed_status::gap);
    BOOST_TEST(out.size() == 1u);
    BOOST_TEST(assembler.consumed_offset() == 6u);
    BOOST_TEST(assembler.pending_bytes() == 2u);
    BOOST_TEST(assembler.feed(6, "f\n", out) == feed_status::gap);
    BOOST_TEST(assembler.finish(out) == feed_status::gap);
    BOOST_TEST(out.size() == 1u);
    BOOST_TEST(assembler.messages() == 1u);
}

BOOST_AUTO_TEST_CASE(finish_with_nothing_pending_emits_nothing) {
    for (const stream_limits& limits : framing_configs()) {
        line_assembler assembler(limits);
        std::vector<log_line> out;
        BOOST_TEST(assembler.finish(out) == feed_status::ok);
        BOOST_TEST(out.empty());
        BOOST_TEST(assembler.feed(0, "done\n", out) == feed_status::ok);
        const std::size_t n = out.size();
        BOOST_TEST(assembler.finish(out) == feed_status::ok);
        BOOST_TEST(out.size() == n);
    }
}

BOOST_AUTO_TEST_CASE(pending_memory_is_bounded_on_a_huge_line) {
    // 1 MiB of mixed-width characters, then a newline, in 1 KiB frames.
    std::string line;
    const std::string unit = "ab\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";  // 1+1+2+3+4 = 11 bytes
    while (line.size() + unit.size() <= (std::size_t{1} << 20)) line += unit;
    line.resize(std::size_t{1} << 20, 'z');
    const std::string log = line + "\nnext\n";
    for (oversize_policy policy : {oversize_policy::split, oversize_policy::truncate}) {
        stream_limits limits = make_limits(policy, 10 * 1024);
        line_assembler assembler(limits);
        std::vector<log_line> out;
        std::size_t peak = 0;
        for (std::size_t at = 0; at < log.size(); at += 1024) {
            BOOST_TEST_REQUIRE(assembler.feed(at, std::string_view(log).substr(at, 1024), out) == feed_status::ok);
            peak = std::max(peak, assembler.pending_bytes());
        }
        BOOST_TEST(assembler.finish(out) == feed_status::ok);
        BOOST_TEST(peak <= limits.max_message_size + 4);
        BOOST_TEST(assembler.oversize_lines() == 1u);
        BOOST_TEST(out.back().text == "next");
        BOOST_TEST(out.back().offset == line.size() + 1);
        if (policy == oversize_policy::split) {
            std::string joined;
            for (std::size_t k = 0; k + 1 < out.size(); ++k) {
                BOOST_TEST_REQUIRE((out[k].kind == line_kind::piece));
                BOOST_TEST_REQUIRE(out[k].text.size() <= limits.max_message_size);
                BOOST_TEST_REQUIRE(out[k].offset == joined.size());
                BOOST_TEST_REQUIRE(out[k].newline == (k + 2 == out.size()));
                joined += out[k].text;
            }
            BOOST_TEST((joined == line));
            for (std::size_t k = 0; k + 2 < out.size(); ++k)  // cuts back off at most 3 bytes
                BOOST_TEST_REQUIRE(out[k].text.size() + 3 >= limits.max_message_size);
        } else {
            BOOST_TEST_REQUIRE(out.size() == 2u);
            BOOST_TEST((out[0].kind == line_kind::truncated));
            BOOST_TEST(out[0].newline);
            const std::size_t kept = out[0].text.find(" [raycl: ");
            BOOST_TEST_REQUIRE(kept != std::string::npos);
            BOOST_TEST(kept <= limits.max_message_size);
            BOOST_TEST(kept + 3 >= limits.max_message_size);
            BOOST_TEST((out[0].text.substr(0, kept) == line.substr(0, kept)));
            BOOST_TEST(out[0].text.substr(kept) ==
                       " [raycl: " + std::to_string(line.size() - kept) + " bytes truncated]");
        }
    }
}

BOOST_AUTO_TEST_CASE(offsets_point_at_the_text_in_the_log) {
    for (const stream_limits& limits : framing_configs()) {
        const result r = feed_bytes(limits, sample_log);
        std::uint64_t expected = 0;
        for (const log_line& line : r.lines) {
            BOOST_TEST(line.offset == expected);
            if (line.kind == line_kind::truncated) {
                const std::size_t kept = line.text.find(" [raycl: ");
                BOOST_TEST(sample_log.substr(line.offset, kept) == line.text.substr(0, kept));
                expected = sample_log.find('\n', line.offset) + 1;
            } else {
                BOOST_TEST(sample_log.substr(line.offset, line.text.size()) == line.text);
                expected = line.offset + line.text.size() + (line.newline ? 1 : 0);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(random_frames_and_reconnects_match_the_reference) {
    std::mt19937 random(20240611u);
    const std::vector<std::string> alphabet = {"a",
                                               "b",
                                               "Z",
                                               " ",
                                               "\r",
                                               "\n",
                                               "\n",
                                               "\xC3\xA9",
                                               "\xE2\x82\xAC",
                                               "\xF0\x9F\x98\x80",
                                               "\x80",
                                               "\xE2\x82",
                                               "\xF0\x9F",
                                               "\xED\xA0\x80",
                                               "\xC0\xAF",
                                               "\xFF"};
    auto pick = [&](std::size_t bound) { return static_cast<std::size_t>(random() % bound); };
    for (int round = 0; round < 1500; ++round) {
        std::string log;
        const std::size_t tokens = pick(120);
        const bool long_lines = pick(3) == 0;
        for (std::size_t t = 0; t < tokens; ++t) {
            const std::string& token = alphabet[pick(alphabet.size())];
            if (long_lines && token == "\n" && pick(4) != 0) continue;
            log += token;
        }
        const oversize_policy policy = pick(2) == 0 ? oversize_policy::split : oversize_policy::truncate;
        const stream_limits limits = make_limits(policy, 1 + pick(pick(2) == 0 ? 6 : 40));
        const std::string expected = dump(reference(limits, log).lines);

        line_assembler assembler(limits);
        std::vector<log_line> out;
        std::size_t at = 0;  // position of the current connection
        while (assembler.consumed_offset() < log.size()) {
            if (pick(6) == 0) at = pick(static_cast<std::size_t>(assembler.consumed_offset()) + 1);  // reconnect
            const std::size_t length = std::min(log.size() - at, 1 + pick(pick(4) == 0 ? 64 : 8));
            BOOST_TEST_REQUIRE(assembler.feed(at, std::string_view(log).substr(at, length), out) == feed_status::ok);
            BOOST_TEST_REQUIRE(assembler.pending_bytes() <= limits.max_message_size + 4);
            at += length;
        }
        BOOST_TEST_REQUIRE(assembler.finish(out) == feed_status::ok);
        BOOST_TEST_REQUIRE(dump(out) == expected, "round " << round);
    }
}

BOOST_AUTO_TEST_CASE(describe_names_the_limit) {
    const stream_limits limits;
    BOOST_TEST(describe(feed_status::max_lines, limits) == "the stream exceeded max_lines (50000)");
    BOOST_TEST(describe(feed_status::max_messages, limits) == "the stream exceeded max_messages (10000)");
    BOOST_TEST(describe(feed_status::max_bytes, limits) == "the stream exceeded max_bytes (52428800)");
    BOOST_TEST(describe(feed_status::oversize_line, limits).find("max_message_size (10240 bytes)") !=
               std::string::npos);
    BOOST_TEST(describe(feed_status::gap, limits).find("offset") != std::string::npos);
    BOOST_TEST(!describe(feed_status::ok, limits).empty());
}

BOOST_AUTO_TEST_SUITE_END()
