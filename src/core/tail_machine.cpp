#include "core/tail_machine.hpp"

#include <algorithm>
#include <utility>

namespace raycl::core {
namespace {

/// Ray prefixes a static log it had to cut; its offsets no longer match what the tail read.
constexpr std::string_view truncated_log_prefix = "[LOG TRUNCATED";

}  // namespace

tail_machine::tail_machine(const tail_target_traits& traits, const tail_settings& settings, target_state initial)
    : traits_(traits),
      settings_(settings),
      target_(initial),
      assembler_(settings.limits),
      protocol_(settings.protocol == tail_protocol::stream || !traits.has_websocket ? tail_protocol::stream
                                                                                    : tail_protocol::websocket),
      reconnects_left_(settings.max_reconnects) {
    assembler_.start_at(settings.start_offset);
}

tail_machine::action tail_machine::start() {
    // A finished target whose log ends before the tail's start: nothing to follow.
    if (reached_log_end()) return complete();
    return connect_or_locate();
}

bool tail_machine::reached_log_end() const noexcept {
    return target_.finished && target_.log_end && assembler_.consumed_offset() >= *target_.log_end;
}

void tail_machine::take_lines(std::vector<log_line>& out) noexcept {
    out.swap(lines_);
    if (settings_.filter_ansi_codes)
        for (log_line& line : out) strip_ansi_codes(line.text);
}

tail_machine::action tail_machine::connect_or_locate() {
    if (protocol_ == tail_protocol::stream && traits_.needs_location && !target_.located) {
        // The stream needs the node the target runs on: ask until it is known (a job leaves
        // PENDING), bounded by the idle timeout.
        if (target_.finished) return complete();
        phase_ = phase::locating;
        if (settings_.idle_timeout && located_wait_ >= *settings_.idle_timeout)
            return fail(client_error(error_kind::timeout, "the target did not start within the stream timeout"));
        located_wait_ += settings_.locate_interval;
        return {step::sleep, protocol_, settings_.locate_interval, {}};
    }
    phase_ = phase::connecting;
    connection_offset_ = 0;
    decoder_.reset(protocol_ == tail_protocol::stream ? settings_.stream_framing : log_framing::raw);
    held_.clear();  // the new connection replays them
    closing_ = closing::none;
    asking_ = false;
    quiet_threshold_.reset();
    return {step::connect, protocol_, {}, {}};
}

tail_machine::action tail_machine::on_connected() {
    phase_ = phase::reading;
    reset_quiet_threshold();
    return {step::read};
}

void tail_machine::reset_quiet_threshold() noexcept {
    if (protocol_ == tail_protocol::websocket || !traits_.can_finish) {
        // The WebSocket ends itself once the job ended; a node's file never finishes.
        quiet_threshold_ = settings_.idle_timeout;
        return;
    }
    if (draining_) {
        quiet_threshold_ = settings_.drain_interval;
        return;
    }
    // Ask at least once before the idle timeout decides: the stream never ends by itself, so
    // silence may just mean the target finished.
    quiet_threshold_ = poll_interval();
}

tail_machine::action tail_machine::on_chunk(std::string_view data, bool starts_chunk) {
    const log_piece piece{data, starts_chunk};
    return on_chunks(std::span<const log_piece>(&piece, 1));
}

tail_machine::action tail_machine::on_chunks(std::span<const log_piece> pieces) {
    for (const log_piece& piece : pieces) {
        if (auto next = feed_piece(piece)) return std::move(*next);
    }
    reset_quiet_threshold();
    return after_feed(feed_status::ok, {step::read});
}

std::optional<tail_machine::action> tail_machine::feed_piece(const log_piece& piece) {
    std::string_view data = decoder_.feed(piece.data, piece.starts_chunk);
    switch (decoder_.status()) {
        case log_body_decoder::state::log:
            break;
        case log_body_decoder::state::error_incoming:
            return std::nullopt;  // the rest of the error text comes in the next piece
        case log_body_decoder::state::server_error:
            return deliver_then(report_in_band_error());  // lines of earlier pieces first
        case log_body_decoder::state::malformed:
            return deliver_then(fail(malformed_log_body_error("the log stream")));
    }
    const auto before = assembler_.consumed_offset();
    std::uint64_t offset = connection_offset_;
    connection_offset_ += data.size();
    std::string joined;
    if (!held_.empty()) {
        joined = std::move(held_) + std::string(data);
        held_.clear();
        offset -= joined.size() - data.size();
        data = joined;
    }
    if (target_.finished && target_.log_end) {
        // Past the target's end the bytes are someone else's (a task's stream follows its
        // worker's file).
        const std::uint64_t end = *target_.log_end;
        data = offset >= end
                   ? std::string_view{}
                   : data.substr(0, static_cast<std::size_t>(std::min<std::uint64_t>(data.size(), end - offset)));
    }
    bool marker_seen = false;
    data = before_marker(offset, data, marker_seen);
    const auto status = assembler_.feed(offset, data, lines_);
    if (assembler_.consumed_offset() > before) {
        at_line_start_ = data.back() == '\n';
        // Progress: the reconnect budget bounds closes in a row without new data, not over the
        // tail's whole life, so a long tail survives any number of blips.
        failures_in_a_row_ = 0;
        reconnects_left_ = settings_.max_reconnects;
    }
    if (status == feed_status::ok && marker_seen) {
        // The worker moved on to another task: the log ended, and this stream read all of it
        // (the static log may not know the end yet and would add the next task's lines).
        phase_ = phase::completing;
        return finish();
    }
    if (status == feed_status::ok && reached_log_end()) return complete();
    if (status != feed_status::ok) return after_feed(status, {step::read});
    return std::nullopt;
}

std::string_view tail_machine::before_marker(std::uint64_t offset, std::string_view data, bool& seen) {
    const std::string_view marker = traits_.next_log_marker;
    const std::uint64_t consumed = assembler_.consumed_offset();
    if (marker.empty() || offset > consumed || offset + data.size() <= consumed) return data;  // a gap, or nothing new
    bool line_start = at_line_start_;
    for (auto i = static_cast<std::size_t>(consumed - offset); i < data.size(); ++i) {
        if (line_start) {
            const std::string_view rest = data.substr(i);
            if (rest.starts_with(marker)) {
                seen = true;
                return data.substr(0, i);
            }
            if (marker.starts_with(rest)) {
                // Maybe the marker, cut by the chunk's end: decided with the next bytes.
                held_ = std::string(rest);
                return data.substr(0, i);
            }
        }
        line_start = data[i] == '\n';
    }
    return data;
}

tail_machine::action tail_machine::after_feed(feed_status status, action next) {
    if (status != feed_status::ok) {
        const auto kind = status == feed_status::gap ? error_kind::server_error : error_kind::limit_exceeded;
        phase_ = phase::finished;
        quiet_threshold_.reset();
        next = {step::done, protocol_, {}, client_error(kind, describe(status, settings_.limits))};
    }
    return deliver_then(std::move(next));
}

tail_machine::action tail_machine::deliver_then(action next) {
    if (lines_.empty()) return next;
    after_delivery_ = std::move(next);
    return {step::deliver};
}

tail_machine::action tail_machine::on_delivered() {
    auto next = std::move(after_delivery_).value_or(action{step::read});
    after_delivery_.reset();
    return next;
}

tail_machine::action tail_machine::report_in_band_error() {
    quiet_threshold_.reset();
    phase_ = phase::connecting;
    return {step::report_in_band_error, protocol_, {}, {}, decoder_.error_text()};
}

tail_machine::action tail_machine::on_in_band_error(client_error error, double random01) {
    return reconnect_after_failure(std::move(error), random01);
}

tail_machine::action tail_machine::on_ended() {
    if (decoder_.status() == log_body_decoder::state::error_incoming) {
        decoder_.finish();
        return report_in_band_error();
    }
    if (closing_ == closing::drained) return complete();
    // A normal close while the target still runs is not the end (ray#60665): ask first.
    phase_ = phase::after_end;
    quiet_threshold_.reset();
    return {step::refresh_target};
}

tail_machine::action tail_machine::on_failed(transport_failure reason, client_error error, double random01) {
    quiet_threshold_.reset();
    switch (reason) {
        case transport_failure::cancelled:
            if (closing_ == closing::drained) return complete();
            if (closing_ == closing::idle) {
                last_failure_ = client_error(error_kind::timeout, "no log data within the stream timeout");
                phase_ = phase::after_idle;
                return {step::refresh_target};
            }
            return fail(std::move(error));
        case transport_failure::body_too_large:
            return fail(client_error(error_kind::limit_exceeded, "a log frame exceeded the frame size cap"));
        case transport_failure::read_timeout:
            // Quiet for longer than the idle timeout: fine if the target finished, else 408.
            last_failure_ = std::move(error);
            phase_ = phase::after_idle;
            return {step::refresh_target};
        default:
            if (decoder_.status() == log_body_decoder::state::error_incoming) {
                // The connection broke inside Ray's error text: the text explains more than the break.
                decoder_.finish();
                return report_in_band_error();
            }
            return reconnect_after_failure(std::move(error), random01);
    }
}

tail_machine::action tail_machine::on_refused(client_error error, double random01) {
    quiet_threshold_.reset();
    // 400/401/403/404 can never succeed; anything else is the server's trouble: reconnect. A
    // target may read an answer as another kind (Ray's 500 "no such log" is a 404): that decides.
    const auto as_sent = map_status(error.http_status());
    const bool reconnects =
        as_sent.kind == error.kind() ? as_sent.tail_reconnects : map_status(status_for(error.kind())).tail_reconnects;
    if (!reconnects) return fail(std::move(error));
    return reconnect_after_failure(std::move(error), random01);
}

tail_machine::action tail_machine::reconnect_after_failure(client_error error, double random01) {
    last_failure_ = std::move(error);
    // A connection-level failure of the WebSocket (not a normal close, not silence): the HTTP
    // stream may still work, e.g. behind a proxy that does not pass upgrades.
    if (settings_.protocol == tail_protocol::automatic && protocol_ == tail_protocol::websocket)
        protocol_ = tail_protocol::stream;
    if (reconnects_left_-- <= 0) return fail(*last_failure_);
    ++reconnects_;
    phase_ = phase::backing_off;
    return {step::sleep, protocol_, backoff_delay(settings_.backoff, ++failures_in_a_row_, random01), {}};
}

tail_machine::action tail_machine::reconnect_after_end() {
    if (reconnects_left_-- <= 0) {
        if (last_failure_) return fail(*last_failure_);
        return fail(
            client_error(error_kind::unavailable, "the log tail kept closing while its target was still running"));
    }
    ++reconnects_;
    return connect_or_locate();
}

tail_machine::action tail_machine::on_slept() {
    if (phase_ == phase::locating) return {step::refresh_target};
    return connect_or_locate();
}

tail_machine::action tail_machine::on_target(target_state state) {
    target_ = state;
    switch (phase_) {
        case phase::locating:
            return connect_or_locate();
        case phase::after_end:
            if (state.finished) return complete();
            return reconnect_after_end();
        case phase::after_idle:
            if (state.finished) return complete();
            return fail(*last_failure_);
        default:
            return {step::read};
    }
}

tail_machine::action tail_machine::on_target_failed(client_error error) {
    return fail(std::move(error));
}

tail_machine::action tail_machine::complete() {
    phase_ = phase::completing;
    quiet_threshold_.reset();
    // Nothing is missing when the log's end is known and was reached.
    if (settings_.complete_from_static_log && traits_.has_static_log && !reached_log_end())
        return {step::fetch_static_log};
    return finish();
}

tail_machine::action tail_machine::on_static_log(std::string_view text) {
    if (!text.starts_with(truncated_log_prefix)) {
        // Lines the tail missed (ray#46413): the static log starts at offset 0 like every
        // connection, so only the bytes past what was consumed are new.
        const auto before = assembler_.consumed_offset();
        const auto status = assembler_.feed(0, text, lines_, false);
        static_log_bytes_ += assembler_.consumed_offset() - before;
        if (status != feed_status::ok) return after_feed(status, {});
    }
    return finish();
}

tail_machine::action tail_machine::on_static_log_failed(client_error error) {
    return fail(std::move(error));
}

tail_machine::action tail_machine::finish() {
    // The end of the log: the unterminated last line, if any.
    const auto status = assembler_.finish(lines_);
    phase_ = phase::finished;
    return after_feed(status, {step::done});
}

tail_machine::action tail_machine::fail(client_error error) {
    phase_ = phase::finished;
    quiet_threshold_.reset();
    return {step::done, protocol_, {}, std::move(error)};
}

tail_machine::side_step tail_machine::on_quiet(std::chrono::milliseconds quiet) {
    if (phase_ != phase::reading) return side_step::none;
    if (protocol_ == tail_protocol::stream && draining_) {
        closing_ = closing::drained;
        return side_step::close;
    }
    if (settings_.idle_timeout && quiet >= *settings_.idle_timeout) {
        closing_ = closing::idle;
        return side_step::close;
    }
    if (protocol_ == tail_protocol::websocket || !traits_.can_finish) return side_step::none;
    // The HTTP stream never ends by itself: while it is quiet, ask whether the target finished.
    auto next = quiet + settings_.poll_interval;
    if (settings_.idle_timeout) next = std::min(next, *settings_.idle_timeout);
    quiet_threshold_ = next;
    if (asking_) return side_step::none;
    asking_ = true;
    return side_step::ask_target;
}

tail_machine::side_step tail_machine::on_target_seen(target_state state, std::chrono::milliseconds quiet) {
    asking_ = false;
    if (phase_ != phase::reading) return side_step::none;
    target_ = state;
    if (reached_log_end()) {
        // Everything up to the end the target reports was read: nothing to drain.
        closing_ = closing::drained;
        return side_step::close;
    }
    if (state.finished && !draining_) {
        // Drained once quiet for drain_interval more; new bytes restart that wait.
        draining_ = true;
        quiet_threshold_ = quiet + settings_.drain_interval;
    }
    return side_step::none;
}

tail_machine::side_step tail_machine::on_target_unseen() {
    asking_ = false;
    return side_step::none;
}

}  // namespace raycl::core
