// Fuzzes core::line_assembler: a log (the input after 8 control bytes) is delivered in frames
// whose sizes, replays (reconnects replay from an earlier offset), static-log fill-ins
// (is_message = false) and gaps are drawn from a PRNG seeded by the control bytes, under every
// oversize policy and small limits. Checked against log_lines.hpp:
//  - the lines are the log split on '\n' under the oversize policy (fuzz_support.hpp oracle);
//  - the output does not depend on the frame splits or replays: it equals one feed of the whole
//    log with the same limits, unless max_messages or a gap stopped the framed run early, in
//    which case it is a prefix of it;
//  - consumed_offset() never goes back while running and, after a limit, is the end of the
//    last delivered line; a gap changes nothing but the status; a stopped assembler keeps
//    returning its status and emits nothing more;
//  - counters (lines, messages, oversize lines) and held memory (pending_bytes) stay in bounds.
// Control bytes: policy|gap flag, max_message_size, max_lines, max_bytes, max_messages,
// seed (2), frame size scale.
#include "fuzz_support.hpp"

#include <limits>

using raycl::fuzz::check_lines;
using raycl::fuzz::input_view;
using raycl::fuzz::prng;
using namespace raycl;
using raycl::core::feed_status;
using raycl::core::line_assembler;

namespace {

constexpr std::size_t unlimited = std::numeric_limits<std::size_t>::max();
constexpr std::size_t lookahead = 3;  // log_lines.cpp: bytes past max needed before a cut

struct run_result {
    std::vector<log_line> lines;
    feed_status status = feed_status::ok;
    std::uint64_t consumed = 0;
    std::uint64_t line_count = 0;
    std::uint64_t oversize_lines = 0;
};

/// Feeds the whole log at once, then finishes.
run_result single_feed(std::string_view log, const stream_limits& limits) {
    line_assembler assembler(limits);
    run_result r;
    r.status = assembler.feed(0, log, r.lines);
    if (r.status == feed_status::ok) r.status = assembler.finish(r.lines);
    r.consumed = assembler.consumed_offset();
    r.line_count = assembler.lines();
    r.oversize_lines = assembler.oversize_lines();
    RAYCL_FUZZ_CHECK(assembler.messages() == (log.empty() ? 0 : 1));
    return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    input_view in(data, size);
    const std::uint8_t policy_byte = in.byte();
    const std::uint8_t max_size_byte = in.byte();
    const std::uint8_t lines_byte = in.byte();
    const std::uint8_t bytes_byte = in.byte();
    const std::uint8_t messages_byte = in.byte();
    const std::uint64_t seed = in.byte() | (std::uint64_t{in.byte()} << 8);
    const std::size_t max_frame = 1 + in.byte();
    const std::string_view log = in.rest();

    stream_limits limits;
    limits.oversize = static_cast<oversize_policy>(policy_byte % 3);
    const bool gaps = (policy_byte & 0x80U) != 0;
    limits.max_message_size = max_size_byte < 128 ? max_size_byte % 40 : (max_size_byte - 128U) * 16U;
    limits.max_lines = lines_byte == 255 ? unlimited : lines_byte;
    limits.max_bytes = bytes_byte == 255 ? unlimited : bytes_byte * 17U;
    limits.max_messages = messages_byte == 255 ? unlimited : messages_byte;
    std::size_t max = limits.max_message_size;
    if (limits.oversize == oversize_policy::split && max == 0) max = 1;

    // The reference: one frame with the same limits but no message cap.
    stream_limits reference_limits = limits;
    reference_limits.max_messages = unlimited;
    const run_result reference = single_feed(log, reference_limits);
    const auto replayed = check_lines(log, reference.lines, limits);
    RAYCL_FUZZ_CHECK(reference.line_count == reference.lines.size());
    RAYCL_FUZZ_CHECK(reference.lines.size() <= limits.max_lines);
    switch (reference.status) {
        case feed_status::ok:
            RAYCL_FUZZ_CHECK(replayed.end == log.size() && reference.consumed == log.size());
            RAYCL_FUZZ_CHECK(reference.oversize_lines == replayed.oversize_lines);
            RAYCL_FUZZ_CHECK(log.size() <= limits.max_bytes);
            break;
        case feed_status::max_lines:
            RAYCL_FUZZ_CHECK(reference.lines.size() == limits.max_lines);
            RAYCL_FUZZ_CHECK(reference.consumed == replayed.end);
            break;
        case feed_status::max_bytes: {
            RAYCL_FUZZ_CHECK(log.size() > limits.max_bytes);
            RAYCL_FUZZ_CHECK(reference.consumed == replayed.end && replayed.end <= limits.max_bytes);
            // Every line that ended within max_bytes was delivered; what is left was not decidable.
            const std::string_view left = log.substr(replayed.end, limits.max_bytes - replayed.end);
            RAYCL_FUZZ_CHECK(left.find('\n') == std::string_view::npos);
            if (limits.oversize != oversize_policy::truncate) RAYCL_FUZZ_CHECK(left.size() < max + lookahead);
            break;
        }
        case feed_status::oversize_line:
            RAYCL_FUZZ_CHECK(limits.oversize == oversize_policy::fail);
            RAYCL_FUZZ_CHECK(reference.consumed == replayed.end && !replayed.in_line);
            RAYCL_FUZZ_CHECK(raycl::fuzz::line_end(log, replayed.end) - replayed.end > max);
            break;
        case feed_status::max_messages:
        case feed_status::gap:
            RAYCL_FUZZ_CHECK(false);  // impossible for one feed without a message cap
    }

    // The framed run.
    prng random(seed);
    line_assembler assembler(limits);
    std::vector<log_line> lines;
    feed_status status = feed_status::ok;
    std::uint64_t cursor = 0;  // this connection's bytes delivered so far (Ray replays from 0)
    std::uint64_t last_consumed = 0;
    std::uint64_t new_data_messages = 0;
    bool gapped = false;
    for (int frames = 0; frames < 4096; ++frames) {
        const std::uint64_t consumed_before = assembler.consumed_offset();
        if (consumed_before >= log.size()) break;
        const std::uint64_t event = random.below(64);
        std::uint64_t offset = cursor;
        std::size_t length = 1 + random.below(max_frame);
        bool is_message = true;
        if (event == 0) {  // reconnect: the new connection replays the log from its first byte
            cursor = offset = 0;
        } else if (event == 1) {  // a replay from somewhere below the consumed offset
            cursor = offset = random.below(consumed_before + 1);
        } else if (event == 2) {  // the static log fills in from 0, not a message
            offset = 0;
            length = log.size();
            is_message = false;
        } else if (event == 3 && gaps) {  // bytes past the consumed offset: a hole
            offset = consumed_before + 1 + random.below(4);
        }
        if (offset > log.size()) offset = log.size();
        length = std::min<std::size_t>(length, log.size() - offset);
        const std::string_view frame = log.substr(offset, length);
        const std::size_t lines_before = lines.size();
        const feed_status result = assembler.feed(offset, frame, lines, is_message);
        if (offset > consumed_before) {
            RAYCL_FUZZ_CHECK(result == (status == feed_status::ok ? feed_status::gap : status));
            RAYCL_FUZZ_CHECK(lines.size() == lines_before && assembler.consumed_offset() == consumed_before);
            gapped = status == feed_status::ok;
            status = result;
            break;
        }
        if (status != feed_status::ok) {  // stopped: same status, nothing more
            RAYCL_FUZZ_CHECK(result == status && lines.size() == lines_before);
            break;
        }
        if (is_message && offset + frame.size() > consumed_before) ++new_data_messages;
        if (is_message) cursor = offset + frame.size();
        status = result;
        if (status == feed_status::ok) {
            RAYCL_FUZZ_CHECK(assembler.consumed_offset() ==
                             std::max<std::uint64_t>(consumed_before, offset + frame.size()));
            RAYCL_FUZZ_CHECK(assembler.consumed_offset() >= last_consumed);
        }
        last_consumed = assembler.consumed_offset();
        RAYCL_FUZZ_CHECK(assembler.pending_bytes() < max + lookahead);
        RAYCL_FUZZ_CHECK(assembler.messages() <= limits.max_messages);
        if (status != feed_status::ok) break;
    }
    if (status == feed_status::ok && assembler.consumed_offset() < log.size()) {
        // Ran out of frame budget: deliver the rest in one frame.
        const std::uint64_t at = assembler.consumed_offset();
        status = assembler.feed(at, log.substr(at), lines);
        if (!log.substr(at).empty()) ++new_data_messages;
    }
    const std::size_t lines_before_finish = lines.size();
    const feed_status finished = assembler.finish(lines);
    if (status != feed_status::ok) {
        RAYCL_FUZZ_CHECK(finished == status && lines.size() == lines_before_finish);
    }
    status = finished;
    RAYCL_FUZZ_CHECK(assembler.finish(lines) == status);  // finish twice changes nothing
    RAYCL_FUZZ_CHECK(assembler.lines() == lines.size());
    RAYCL_FUZZ_CHECK(assembler.messages() <= new_data_messages);
    if (status == feed_status::ok) RAYCL_FUZZ_CHECK(assembler.messages() == new_data_messages);

    if (status != feed_status::max_messages && !gapped) {
        RAYCL_FUZZ_CHECK(status == reference.status);
        RAYCL_FUZZ_CHECK(lines.size() == reference.lines.size());
        for (std::size_t i = 0; i < lines.size(); ++i) {
            RAYCL_FUZZ_CHECK(lines[i].text == reference.lines[i].text);
            RAYCL_FUZZ_CHECK(lines[i].newline == reference.lines[i].newline);
            RAYCL_FUZZ_CHECK(lines[i].kind == reference.lines[i].kind);
            RAYCL_FUZZ_CHECK(lines[i].offset == reference.lines[i].offset);
        }
        RAYCL_FUZZ_CHECK(assembler.consumed_offset() == reference.consumed);
        RAYCL_FUZZ_CHECK(assembler.oversize_lines() == reference.oversize_lines);
    } else {
        // Stopped early: what was delivered is a prefix of the reference.
        RAYCL_FUZZ_CHECK(lines.size() <= reference.lines.size());
        const auto framed = check_lines(log, lines, limits);
        for (std::size_t i = 0; i < lines.size(); ++i) {
            RAYCL_FUZZ_CHECK(lines[i].text == reference.lines[i].text);
            RAYCL_FUZZ_CHECK(lines[i].newline == reference.lines[i].newline);
            RAYCL_FUZZ_CHECK(lines[i].kind == reference.lines[i].kind);
            RAYCL_FUZZ_CHECK(lines[i].offset == reference.lines[i].offset);
        }
        if (status == feed_status::max_messages) {
            RAYCL_FUZZ_CHECK(assembler.messages() == limits.max_messages);
            RAYCL_FUZZ_CHECK(assembler.consumed_offset() == framed.end);
        } else {
            RAYCL_FUZZ_CHECK(assembler.consumed_offset() >= framed.end);
        }
    }
    return 0;
}
