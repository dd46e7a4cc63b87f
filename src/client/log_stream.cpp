// Live log tails, the consumer's side: `raycl::log_stream` (an async generator of lines), the
// start of a tail (start_tail, start_tail_once_open) and `client::tail_job_logs` (a job's
// follow_log, log_operations.cpp). The reader is the tail driver (tail_driver.cpp) on one of the
// client's strands; lines come through the bounded log_channel.
#include "client/log_channel.hpp"
#include "client/tail_driver.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <iterator>
#include <utility>

namespace raycl {

namespace asio = boost::asio;

namespace detail {

/// What a `log_stream` holds: the reader (for close and stats) and the consumer's end of the
/// channel, with the batch being handed out line by line.
class log_stream_state {
public:
    log_stream_state(std::shared_ptr<tail_driver> driver, std::shared_ptr<log_channel> channel)
        : driver_(std::move(driver)), channel_(std::move(channel)) {}

    /// The next line of the batch being handed out, if any (no suspension).
    std::optional<log_line> take_pending() {
        if (next_pending_ >= pending_.size()) return std::nullopt;
        check_open();
        channel_->handed_out(1);
        return std::move(pending_[next_pending_++]);
    }

    asio::awaitable<std::optional<log_line>> next() {
        if (auto line = take_pending()) co_return line;
        if (!co_await receive()) co_return std::nullopt;
        co_return take_pending();
    }

    asio::awaitable<std::vector<log_line>> next_batch() {
        std::vector<log_line> lines;
        if (next_pending_ >= pending_.size() && !co_await receive()) co_return lines;
        check_open();
        if (next_pending_ == 0) {
            lines = std::move(pending_);
        } else {
            lines.assign(std::make_move_iterator(pending_.begin() + static_cast<std::ptrdiff_t>(next_pending_)),
                         std::make_move_iterator(pending_.end()));
        }
        pending_.clear();
        next_pending_ = 0;
        // Every batch already queued, without waiting; the end of the log (or its error) is
        // kept for the next call, after these lines.
        while (!end_seen_ && channel_->try_receive([this, &lines](log_batch batch) {
            if (batch.lines.empty()) {
                end_seen_ = true;
                end_error_ = std::move(batch.error);
                return;
            }
            lines.insert(lines.end(), std::make_move_iterator(batch.lines.begin()),
                         std::make_move_iterator(batch.lines.end()));
        })) {}
        channel_->handed_out(lines.size());
        co_return lines;
    }

    /// For a tail whose driver announces its first connection: waits for that news (consumed
    /// here) or for what came instead: the tail's error is thrown, an end without error (the
    /// target finished with nothing to follow) is kept for the first next().
    asio::awaitable<void> wait_opened() {
        auto received = co_await channel_->async_receive(asio::as_tuple(asio::use_awaitable));
        const boost::system::error_code ec = std::get<0>(received);
        log_batch& batch = std::get<1>(received);
        if (ec) {
            driver_->close();
            throw client_error(error_kind::cancelled, "log stream cancelled before it opened");
        }
        if (batch.opened) co_return;
        if (batch.error) {
            finished_ = true;
            std::rethrow_exception(batch.error);
        }
        if (batch.lines.empty()) {
            end_seen_ = true;
            co_return;
        }
        pending_ = std::move(batch.lines);  // lines of the static log, before any connection
        next_pending_ = 0;
    }

    void close() noexcept { driver_->close(); }
    stream_stats stats() const { return driver_->stats(); }

private:
    void check_open() const {
        // After close() (also by the client's shutdown) the channel may belong to a stopped
        // io_context: never touch it again.
        if (driver_->closing()) throw client_error(error_kind::cancelled, "log stream closed");
    }

    /// Waits for the next batch into pending_; false at the end of the log. Throws the
    /// stream's error.
    asio::awaitable<bool> receive() {
        if (finished_) co_return false;
        check_open();
        if (end_seen_) {
            finished_ = true;
            if (end_error_) std::rethrow_exception(std::exchange(end_error_, nullptr));
            co_return false;
        }
        auto received = co_await channel_->async_receive(asio::as_tuple(asio::use_awaitable));
        const boost::system::error_code ec = std::get<0>(received);
        log_batch& batch = std::get<1>(received);
        if (ec) {
            driver_->close();
            throw client_error(error_kind::cancelled,
                               ec == asio::error::operation_aborted ? "log stream cancelled" : "log stream closed");
        }
        if (batch.error) {
            finished_ = true;
            std::rethrow_exception(batch.error);
        }
        if (batch.lines.empty()) {
            finished_ = true;
            co_return false;
        }
        pending_ = std::move(batch.lines);
        next_pending_ = 0;
        co_return true;
    }

    std::shared_ptr<tail_driver> driver_;
    std::shared_ptr<log_channel> channel_;
    std::vector<log_line> pending_;  ///< the batch being handed out
    std::size_t next_pending_ = 0;
    bool end_seen_ = false;  ///< next_batch() took the end marker; reported by the next call
    std::exception_ptr end_error_;
    bool finished_ = false;  ///< end or error reported
};

}  // namespace detail

const char* to_string(tail_protocol protocol) noexcept {
    switch (protocol) {
        case tail_protocol::stream:
            return "stream";
        case tail_protocol::websocket:
            return "websocket";
        case tail_protocol::automatic:
            return "auto";
    }
    return "stream";
}

log_stream::log_stream(std::shared_ptr<detail::log_stream_state> state) noexcept : state_(std::move(state)) {}

log_stream& log_stream::operator=(log_stream&& other) noexcept {
    if (this != &other) {
        close();
        state_ = std::move(other.state_);
    }
    return *this;
}

log_stream::~log_stream() {
    close();
}

asio::awaitable<std::optional<log_line>> log_stream::next() {
    if (!state_) co_return std::nullopt;
    auto state = state_;
    // Most calls take a line of the batch at hand, without a second coroutine frame.
    if (auto line = state->take_pending()) co_return line;
    auto receive = state->next();
    co_return co_await std::move(receive);
}

asio::awaitable<std::vector<log_line>> log_stream::next_batch() {
    if (!state_) co_return std::vector<log_line>{};
    auto state = state_;
    auto receive = state->next_batch();
    co_return co_await std::move(receive);
}

void log_stream::close() noexcept {
    if (state_) state_->close();
}

stream_stats log_stream::stats() const {
    return state_ ? state_->stats() : stream_stats{};
}

namespace detail {

core::tail_settings tail_settings_for(const tail_options& options, const client_options& client) {
    const stream_limits limits = options.limits.value_or(client.stream_limits);
    if (options.stream_timeout) core::validate_timeout("stream_timeout", *options.stream_timeout);
    if (options.max_reconnects < 0 || options.max_reconnects > 100)
        throw client_error(error_kind::invalid_argument, "max_reconnects must be in [0, 100]");
    if (limits.queue_size == 0 || limits.max_message_size == 0 || limits.max_lines == 0 || limits.max_messages == 0 ||
        limits.max_bytes == 0)
        throw client_error(error_kind::invalid_argument, "stream limits must be positive");
    core::tail_settings settings;
    settings.protocol = options.protocol;
    if (options.stream_timeout)
        settings.idle_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(*options.stream_timeout);
    settings.max_reconnects = options.max_reconnects;
    settings.complete_from_static_log = options.complete_from_static_log;
    settings.backoff = client.retry;
    settings.limits = limits;
    return settings;
}

namespace {

std::shared_ptr<log_stream_state> launch_tail(const std::shared_ptr<client_impl>& impl,
                                              std::unique_ptr<core::log_target> target,
                                              const core::tail_settings& settings, core::target_state initial,
                                              bool announce_open) {
    auto& slot = impl->next_slot();
    auto channel = std::make_shared<log_channel>(slot.strand(), settings.limits.queue_size);
    auto driver = std::make_shared<tail_driver>(impl, slot, std::move(target), settings, initial, channel);
    if (announce_open) driver->announce_open();
    impl->track(driver);
    driver->start();
    return std::make_shared<log_stream_state>(std::move(driver), std::move(channel));
}

}  // namespace

log_stream start_tail(const std::shared_ptr<client_impl>& impl, std::unique_ptr<core::log_target> target,
                      const core::tail_settings& settings, core::target_state initial) {
    return log_stream(launch_tail(impl, std::move(target), settings, initial, false));
}

asio::awaitable<log_stream> start_tail_once_open(const std::shared_ptr<client_impl>& impl,
                                                 std::unique_ptr<core::log_target> target,
                                                 const core::tail_settings& settings, core::target_state initial) {
    auto state = launch_tail(impl, std::move(target), settings, initial, true);
    try {
        co_await state->wait_opened();
    } catch (...) {
        state->close();
        throw;
    }
    co_return log_stream(std::move(state));
}

}  // namespace detail

namespace {

tail_options tail_options_for(tail_protocol protocol, std::optional<seconds> stream_timeout) {
    tail_options options;
    options.protocol = protocol;
    options.stream_timeout = stream_timeout;
    return options;
}

}  // namespace

asio::awaitable<log_stream> client::tail_job_logs(std::string id, tail_options options) {
    // A job's driver log is one of follow_log's targets: the same checks, protocols and start.
    auto follow = follow_log(log_target::job(std::move(id)), {}, std::move(options));
    co_return co_await std::move(follow);
}

asio::awaitable<log_stream> client::websocket_tail_job_logs(std::string id, std::optional<seconds> stream_timeout) {
    auto operation = tail_job_logs(std::move(id), tail_options_for(tail_protocol::websocket, stream_timeout));
    co_return co_await std::move(operation);
}

asio::awaitable<log_stream> client::stream_tail_job_logs(std::string id, std::optional<seconds> stream_timeout) {
    auto operation = tail_job_logs(std::move(id), tail_options_for(tail_protocol::stream, stream_timeout));
    co_return co_await std::move(operation);
}

}  // namespace raycl
