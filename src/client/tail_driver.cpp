#include "client/tail_driver.hpp"

#include "client/job_watcher.hpp"

#include "core/responses.hpp"
#include "core/sanitize.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/redirect_error.hpp>

namespace raycl::detail {

namespace {

using clock = std::chrono::steady_clock;

std::chrono::milliseconds to_milliseconds(clock::duration value) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(value);
}

}  // namespace

tail_driver::tail_driver(std::shared_ptr<client_impl> impl, strand_slot& slot, std::unique_ptr<core::log_target> target,
                         const core::tail_settings& settings, core::target_state initial,
                         std::shared_ptr<log_channel> channel)
    : impl_(std::move(impl)),
      slot_(slot),
      target_(std::move(target)),
      machine_(target_->traits(), settings, initial),
      channel_(std::move(channel)),
      pause_timer_(slot.strand()),
      quiet_timer_(slot.strand()) {
    stats_.protocol = machine_.protocol();
}

void tail_driver::start() {
    asio::co_spawn(
        slot_.strand(), [self = shared_from_this()] { return self->run(); }, asio::detached);
}

void tail_driver::close() noexcept {
    if (closing_.exchange(true)) return;
    asio::dispatch(slot_.strand(), [self = shared_from_this()] {
        self->closed_ = true;
        if (self->source_) self->source_->close();
        self->pause_timer_.cancel();
        self->quiet_timer_.cancel();
        if (self->turn_wait_) self->turn_wait_->cancel();
        self->channel_->close();
    });
}

stream_stats tail_driver::stats() const {
    std::lock_guard lock(stats_mutex_);
    auto result = stats_;
    result.queue_peak = channel_->queue_peak();
    return result;
}

void tail_driver::check_open() const {
    if (closed_ || impl_->stopping()) throw client_error(error_kind::cancelled, "log stream closed");
}

asio::awaitable<void> tail_driver::run() {
    std::exception_ptr error;
    try {
        auto action = machine_.start();
        while (action.next != step::done) {
            check_open();
            switch (action.next) {
                case step::connect: {
                    auto open = connect(action.protocol);
                    action = co_await std::move(open);
                    break;
                }
                case step::read: {
                    // Inline, not a coroutine of its own: this runs once per frame or chunk.
                    std::optional<std::span<const transport::log_piece>> pieces;
                    try {
                        pieces = co_await source_->read();
                    } catch (const transport::failure& failure) {
                        action = on_transport_failure(failure);
                        break;
                    }
                    if (!pieces) {
                        source_.reset();
                        action = machine_.on_ended();
                        break;
                    }
                    last_data_ = clock::now();
                    action = machine_.on_chunks(*pieces);
                    break;
                }
                case step::report_in_band_error: {
                    source_.reset();
                    action = machine_.on_in_band_error(
                        core::in_band_log_error(describe(source_protocol_), action.text, impl_->secrets()),
                        slot_.random01());
                    break;
                }
                case step::refresh_target: {
                    auto refresh = refresh_target();
                    action = co_await std::move(refresh);
                    break;
                }
                case step::sleep: {
                    auto wait = pause(action.delay);
                    co_await std::move(wait);
                    action = machine_.on_slept();
                    break;
                }
                case step::fetch_static_log: {
                    auto fetch = fetch_static_log();
                    action = co_await std::move(fetch);
                    break;
                }
                case step::deliver: {
                    publish_stats();
                    machine_.take_lines(lines_);
                    // Waiting for a slow consumer is not a quiet stream: the socket is not read
                    // meanwhile, so the quiet clock restarts when the lines were taken.
                    delivering_ = true;
                    co_await channel_->send_lines(lines_);
                    delivering_ = false;
                    last_data_ = clock::now();
                    action = machine_.on_delivered();
                    break;
                }
                case step::done:
                    break;
            }
            sync_quiet_timer();
        }
        publish_stats();
        if (action.error) error = std::make_exception_ptr(std::move(*action.error));
    } catch (const client_error&) {
        error = std::current_exception();
    } catch (const boost::system::system_error&) {  // a co_await after close()
        error = std::make_exception_ptr(client_error(error_kind::cancelled, "log stream closed"));
    } catch (const std::exception& e) {
        error =
            std::make_exception_ptr(client_error(error_kind::server_error, core::sanitize(e.what(), impl_->secrets())));
    }
    source_.reset();
    quiet_armed_ = false;
    quiet_timer_.cancel();
    if (closed_) co_return;
    try {
        co_await channel_->send_end(error);
    } catch (const client_error&) {
        // closed meanwhile: nobody is listening any more
    }
}

asio::awaitable<tail_driver::action> tail_driver::connect(tail_protocol protocol) {
    source_protocol_ = protocol;
    {
        std::lock_guard lock(stats_mutex_);
        stats_.protocol = protocol;
        stats_.reconnects = machine_.reconnects();
    }
    if (protocol == tail_protocol::websocket) {
        source_ = transport::make_websocket_source(slot_.strand(), impl_->settings(),
                                                   impl_->prefixed(target_->websocket_target()), max_websocket_message);
    } else {
        source_ = transport::make_http_stream_source(slot_.strand(), impl_->settings(),
                                                     impl_->prefixed(target_->stream_target()));
    }
    std::optional<transport::refusal> refused;
    std::optional<transport::failure> failed;
    try {
        refused = co_await source_->open(impl_->options().timeout.connect);
    } catch (const transport::failure& failure) {
        failed = failure;
    }
    if (failed) co_return on_transport_failure(*failed);
    if (refused) {
        source_.reset();
        auto error = target_->classify_refusal(describe(protocol), refused->status, refused->body, impl_->secrets());
        if (!error) error = client_error(error_kind::server_error, "unexpected answer to the log tail");
        co_return machine_.on_refused(std::move(*error), slot_.random01());
    }
    if (announce_open_) {
        announce_open_ = false;
        co_await channel_->send_opened();  // nothing is queued yet: never waits
    }
    last_data_ = clock::now();
    co_return machine_.on_connected();
}

tail_driver::action tail_driver::on_transport_failure(const transport::failure& failure) {
    source_.reset();
    return machine_.on_failed(
        failure.reason(),
        core::transport_error(describe(source_protocol_), failure.reason(), failure.detail(), impl_->secrets()),
        slot_.random01());
}

asio::awaitable<core::target_state> tail_driver::fetch_target_state() {
    const auto request = target_->state_request();
    auto result = co_await impl_->perform(slot_, request, default_call_);
    impl_->throw_if_failed(request, result.response);
    co_return target_->read_state(request, result.response.body, impl_->secrets());
}

asio::awaitable<tail_driver::action> tail_driver::refresh_target() {
    std::optional<client_error> failure;
    core::target_state state;
    try {
        auto learn = learn_target_state(machine_.refresh_patience());
        state = co_await std::move(learn);
    } catch (const client_error& error) {
        failure = error;
    }
    if (failure) co_return machine_.on_target_failed(std::move(*failure));
    co_return machine_.on_target(state);
}

asio::awaitable<tail_driver::action> tail_driver::fetch_static_log() {
    const bool turn = co_await slot_.static_logs.acquire(slot_.strand(), turn_wait_);
    if (!turn) throw client_error(error_kind::cancelled, "log stream closed");  // close() ended the wait
    struct turn_release {
        strand_turns& turns;
        ~turn_release() { turns.release(); }
    } release{slot_.static_logs};
    std::optional<client_error> failure;
    std::string text;
    try {
        const auto request = target_->static_log_request();
        auto result = co_await impl_->perform(slot_, request, default_call_);
        impl_->throw_if_failed(request, result.response);
        text = target_->static_log_text(request, result.response.body, result.response.chunk_starts, impl_->secrets());
    } catch (const client_error& error) {
        failure = error;
    }
    if (failure) co_return machine_.on_static_log_failed(std::move(*failure));
    auto next = machine_.on_static_log(text);
    {
        std::lock_guard lock(stats_mutex_);
        stats_.static_log_bytes = machine_.static_log_bytes();
    }
    co_return next;
}

asio::awaitable<void> tail_driver::pause(std::chrono::milliseconds delay) {
    pause_timer_.expires_after(delay);
    boost::system::error_code ec;
    co_await pause_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    check_open();
}

// ---- side events: the quiet timer and questions asked while a read is pending --------------

std::chrono::milliseconds tail_driver::quiet_now() const {
    return to_milliseconds(clock::now() - last_data_);
}

void tail_driver::sync_quiet_timer() {
    const auto threshold = machine_.quiet_threshold();
    if (!threshold || closed_) {
        if (quiet_armed_) {
            quiet_armed_ = false;
            ++quiet_generation_;
            quiet_timer_.cancel();
        }
        return;
    }
    const auto deadline = last_data_ + *threshold;
    // Armed earlier than needed is fine: when it fires it re-checks and re-arms. So new data
    // costs no timer operation; only a threshold that moves earlier re-arms.
    if (quiet_armed_ && quiet_deadline_ <= deadline) return;
    arm_quiet_timer(deadline);
}

void tail_driver::arm_quiet_timer(clock::time_point deadline) {
    quiet_deadline_ = deadline;
    quiet_armed_ = true;
    const auto generation = ++quiet_generation_;
    quiet_timer_.expires_at(deadline);
    quiet_timer_.async_wait(
        [self = shared_from_this(), generation](boost::system::error_code) { self->on_quiet_timer(generation); });
}

void tail_driver::on_quiet_timer(std::uint64_t generation) {
    if (generation != quiet_generation_ || closed_) return;  // re-armed or cancelled meanwhile
    quiet_armed_ = false;
    const auto threshold = machine_.quiet_threshold();
    if (!threshold) return;
    if (delivering_ || clock::now() < last_data_ + *threshold) {
        // Data arrived since, or the reader waits for the consumer: not quiet yet.
        arm_quiet_timer((delivering_ ? clock::now() : last_data_) + *threshold);
        return;
    }
    handle_side(machine_.on_quiet(quiet_now()));
    sync_quiet_timer();
}

void tail_driver::handle_side(core::tail_machine::side_step side) {
    switch (side) {
        case core::tail_machine::side_step::none:
            break;
        case core::tail_machine::side_step::close:
            if (source_) source_->close();
            break;
        case core::tail_machine::side_step::ask_target:
            asio::co_spawn(
                slot_.strand(), [self = shared_from_this()] { return self->ask_target(); }, asio::detached);
            break;
    }
}

asio::awaitable<core::target_state> tail_driver::learn_target_state(std::chrono::milliseconds patience) {
    if (const std::string_view job = target_->watched_job(); !job.empty()) {
        // One fetch per interval answers every tail of the client (the dashboard's load, #15):
        // the questions while the stream is quiet, and those the tail cannot go on without
        // (where the driver runs, whether the job ended after the stream did).
        auto question = impl_->job_status_watcher().ask(std::string(job), patience);
        auto outcome = co_await std::move(question);
        switch (outcome.result) {
            case job_watch_outcome::kind::seen:
                co_return target_->read_job(*outcome.job);
            case job_watch_outcome::kind::missing:
                break;  // not in the list (deleted meanwhile?): its own request says (a 404)
            case job_watch_outcome::kind::failed:
                throw *outcome.error;
            case job_watch_outcome::kind::cancelled:
                throw client_error(error_kind::cancelled, "log stream closed");
        }
    }
    auto fetch = fetch_target_state();
    co_return co_await std::move(fetch);
}

asio::awaitable<void> tail_driver::ask_target() {
    std::optional<core::target_state> state;
    try {
        auto learn = learn_target_state(machine_.poll_interval());
        state = co_await std::move(learn);
    } catch (const std::exception&) {
        // A failed question is not fatal: the stream itself reports lost connections.
    }
    if (closed_) co_return;
    handle_side(state ? machine_.on_target_seen(*state, quiet_now()) : machine_.on_target_unseen());
    sync_quiet_timer();
}

core::request_spec tail_driver::describe(tail_protocol protocol) const {
    core::request_spec spec;
    spec.target =
        impl_->prefixed(protocol == tail_protocol::websocket ? target_->websocket_target() : target_->stream_target());
    return spec;
}

void tail_driver::publish_stats() {
    const auto& assembler = machine_.assembler();
    std::lock_guard lock(stats_mutex_);
    stats_.lines = assembler.lines();
    stats_.frames = assembler.messages();
    stats_.oversize_lines = assembler.oversize_lines();
    stats_.bytes = assembler.consumed_offset();
    stats_.last_offset = assembler.consumed_offset();
    stats_.reconnects = machine_.reconnects();
    stats_.static_log_bytes = machine_.static_log_bytes();
    stats_.protocol = machine_.protocol();
}

}  // namespace raycl::detail
