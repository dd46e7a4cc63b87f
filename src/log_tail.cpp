// Live log tails: a reader coroutine on one of the client's strands feeds a bounded channel
// (back-pressure by queue size); reconnects and protocol switches resume after the bytes
// already consumed; the static log completes what the tail missed.
#include "client_impl.hpp"

#include "core/log_lines.hpp"
#include "core/models_json.hpp"
#include "transport/log_source.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/redirect_error.hpp>

#include <algorithm>
#include <iterator>

namespace raycl {

namespace detail {

namespace {

/// What travels through the channel: a batch of lines, the end (no line, no error), or an
/// error. Lines travel in batches: one channel operation per line cost more than the rest of
/// the tail together (callgrind: ~18,000 instructions per line, mostly channel and strand
/// hand-offs), so a frame's lines go through in batches of at most batch_lines().
struct log_item {
    std::vector<log_line> lines;
    std::exception_ptr error;
};

/// Lines per channel item: a hundredth of the queue (10 for the default 1,000: one Ray frame),
/// at most 64, at least 1. A batch never waits for more lines: it carries what one read gave.
std::size_t batch_lines(std::size_t queue_size) {
    return std::clamp<std::size_t>(queue_size / 100, 1, 64);
}

/// Channel capacity in batches, so that the channel plus the consumer's current batch hold at
/// most queue_size lines.
std::size_t channel_batches(std::size_t queue_size) {
    return std::max<std::size_t>(1, queue_size / batch_lines(queue_size) - 1);
}

using item_channel = asio::experimental::concurrent_channel<void(boost::system::error_code, log_item)>;

/// How often the HTTP stream's watcher asks whether the job has ended (Ray's stream never ends).
constexpr std::chrono::milliseconds status_poll_interval{1000};

/// Once the job is terminal, how long the HTTP stream must stay quiet to count as drained.
constexpr std::chrono::milliseconds drain_check_interval{300};

/// Tails of one strand downloading their static log at once (five strands per client). Tails
/// that end together (many jobs ending at once) otherwise download every full log at the same
/// time: the client's memory holds them all, and the shared bandwidth makes them time out.
constexpr std::size_t static_logs_per_strand = 2;

/// Largest WebSocket message accepted: Ray sends at most ~20,000 characters per frame.
constexpr std::size_t max_websocket_message = 8u << 20;

bool is_final_status(int http_status) {
    return http_status == 400 || http_status == 401 || http_status == 403 || http_status == 404;
}

}  // namespace

class log_stream_state : public closable, public std::enable_shared_from_this<log_stream_state> {
public:
    log_stream_state(std::shared_ptr<client_impl> impl, strand_slot& slot, job_details job, tail_options options,
                     stream_limits limits)
        : impl_(std::move(impl)),
          slot_(slot),
          job_(std::move(job)),
          id_(job_.submission_id.value_or("")),
          options_(std::move(options)),
          limits_(limits),
          assembler_(limits),
          batch_(batch_lines(limits.queue_size)),
          channel_(slot.session.strand(), channel_batches(limits.queue_size)) {
        stats_.protocol = options_.protocol == tail_protocol::stream ? tail_protocol::stream : tail_protocol::websocket;
    }

    void start() {
        asio::co_spawn(
            slot_.session.strand(), [self = shared_from_this()] { return self->run(); }, asio::detached);
    }

    void close() noexcept override {
        if (closing_.exchange(true)) return;
        asio::dispatch(slot_.session.strand(), [self = shared_from_this()] {
            self->closed_ = true;
            if (self->source_) self->source_->close();
            if (self->timer_) self->timer_->cancel();
            // cancel() completes a reader blocked in async_send (close() alone does not, on 1.81);
            // close() then refuses further sends and drops queued lines: the consumer is gone.
            self->channel_.cancel();
            self->channel_.close();
        });
    }

    asio::awaitable<std::optional<log_line>> next() {
        if (finished_) co_return std::nullopt;
        // After close() (also by the client's shutdown) the channel may belong to a stopped
        // io_context: never touch it again.
        if (closing_) throw client_error(error_kind::cancelled, "log stream closed");
        if (next_pending_ < pending_.size()) {
            waiting_.fetch_sub(1, std::memory_order_relaxed);
            std::optional<log_line> line = std::move(pending_[next_pending_++]);
            co_return line;
        }
        auto received = co_await channel_.async_receive(asio::as_tuple(asio::use_awaitable));
        const boost::system::error_code ec = std::get<0>(received);
        log_item& item = std::get<1>(received);
        if (ec) {
            close();
            throw client_error(error_kind::cancelled,
                               ec == asio::error::operation_aborted ? "log stream cancelled" : "log stream closed");
        }
        if (item.error) {
            finished_ = true;
            std::rethrow_exception(item.error);
        }
        if (item.lines.empty()) {
            finished_ = true;
            co_return std::nullopt;
        }
        waiting_.fetch_sub(1, std::memory_order_relaxed);
        pending_ = std::move(item.lines);
        next_pending_ = 1;
        std::optional<log_line> line = std::move(pending_.front());
        co_return line;
    }

    stream_stats stats() const {
        std::lock_guard lock(stats_mutex_);
        return stats_;
    }

private:
    /// The reader: tails, then ends the stream in-band (a 1.81 channel's close() would drop
    /// the lines still queued).
    asio::awaitable<void> run() {
        std::exception_ptr error;
        try {
            co_await tail();
        } catch (const client_error&) {
            error = std::current_exception();
        } catch (const boost::system::system_error&) {  // a co_await after close()
            error = std::make_exception_ptr(client_error(error_kind::cancelled, "log stream closed"));
        } catch (const std::exception& e) {
            error = std::make_exception_ptr(
                client_error(error_kind::server_error, core::sanitize(e.what(), impl_->secrets())));
        }
        source_ = nullptr;
        // g++ 12 destroys temporaries in a co_await expression twice: only named objects here.
        log_item last{{}, error};
        if (!closed_) co_await send(last);
    }

    asio::awaitable<void> tail() {
        tail_protocol protocol = stats_.protocol;
        int reconnects_left = options_.max_reconnects;
        int failures_in_a_row = 0;
        const auto idle = options_.stream_timeout;
        for (;;) {
            check_open();
            if (protocol == tail_protocol::stream && !job_.driver_node_id) {
                // Ray's stream needs the driver's node, known once the driver started.
                if (job_.is_terminal()) break;
                co_await wait_for_driver();
                continue;
            }
            auto source = make_source(protocol);
            source_ = source.get();
            std::uint64_t connection_offset = 0;
            bool ended_normally = false;
            bool timed_out = false;
            std::optional<client_error> failure;
            auto watcher = protocol == tail_protocol::stream ? start_watcher() : nullptr;
            try {
                co_await source->open(impl_->options().timeout.connect);
                for (;;) {
                    auto chunk = co_await source->read(idle);
                    if (!chunk) {
                        ended_normally = true;
                        break;
                    }
                    const auto before = assembler_.consumed_offset();
                    const auto status = assembler_.feed(connection_offset, *chunk, lines_);
                    connection_offset += chunk->size();
                    bytes_received_ += chunk->size();
                    if (assembler_.consumed_offset() > before) {
                        // Progress: the reconnect budget bounds closes in a row without new
                        // data, not over the tail's whole life (a long tail survives blips).
                        failures_in_a_row = 0;
                        reconnects_left = options_.max_reconnects;
                    }
                    co_await deliver();
                    check_feed(status);
                }
            } catch (const transport::http_status_error& declined) {
                auto error =
                    core::classify_status(describe(protocol), declined.status(), declined.body(), impl_->secrets());
                if (!error || is_final_status(declined.status())) {
                    stop_watcher(watcher);
                    throw error.value_or(client_error(error_kind::server_error, "unexpected answer to the log tail"));
                }
                failure = std::move(error);
            } catch (const transport::attempt_error& broken) {
                using core::transport_failure;
                if (broken.failure() == transport_failure::cancelled && !(watcher && watcher->job_ended)) {
                    stop_watcher(watcher);
                    check_open();
                    throw client_error(error_kind::cancelled, "log stream closed");
                }
                if (broken.failure() == transport_failure::body_too_large) {
                    stop_watcher(watcher);
                    throw client_error(error_kind::limit_exceeded, "a log frame exceeded the frame size cap");
                }
                timed_out = broken.failure() == transport_failure::read_timeout;
                if (broken.failure() != transport_failure::cancelled)
                    failure =
                        core::transport_error(describe(protocol), broken.failure(), broken.detail(), impl_->secrets());
            }
            source_ = nullptr;
            const bool watcher_saw_end = watcher && watcher->job_ended;
            stop_watcher(watcher);
            check_open();
            if (watcher_saw_end) break;
            if (ended_normally || timed_out) {
                // A normal close (or silence) while the job still runs is not the end (ray#60665).
                job_ = co_await fetch_job();
                if (job_.is_terminal()) break;
                if (timed_out) throw *failure;  // quiet for longer than stream_timeout: 408
            }
            if (!ended_normally && options_.protocol == tail_protocol::automatic &&
                protocol == tail_protocol::websocket) {
                protocol = tail_protocol::stream;  // connection-level failure: fall back
                std::lock_guard lock(stats_mutex_);
                stats_.protocol = protocol;
            }
            if (reconnects_left-- <= 0) {
                if (failure) throw *failure;
                throw client_error(error_kind::unavailable,
                                   "the log tail kept closing while job " + id_ + " was still running");
            }
            {
                std::lock_guard lock(stats_mutex_);
                ++stats_.reconnects;
            }
            if (!ended_normally) {
                co_await pause(core::backoff_delay(impl_->options().retry, ++failures_in_a_row,
                                                   std::uniform_real_distribution<double>(0.0, 1.0)(slot_.random)));
            }
        }
        co_await complete();
    }

    /// The end: lines the tail missed come from the static log; then the unterminated last line.
    asio::awaitable<void> complete() {
        if (options_.complete_from_static_log) {
            co_await wait_for_static_log_turn();
            const static_log_turn turn(slot_);
            const auto request = core::job_logs_request(id_);
            auto result = co_await impl_->perform(slot_, request, default_call_);
            const auto logs = core::decode_job_logs(impl_->parse(request, result.response));
            // Ray caps very large logs and prefixes them: offsets no longer match the tail.
            if (logs.rfind("[LOG TRUNCATED", 0) != 0) {
                const auto before = assembler_.consumed_offset();
                const auto status = assembler_.feed(0, logs, lines_, false);
                {
                    std::lock_guard lock(stats_mutex_);
                    stats_.static_log_bytes += assembler_.consumed_offset() - before;
                }
                co_await deliver();
                check_feed(status);
            }
        }
        const auto status = assembler_.finish(lines_);
        co_await deliver();
        check_feed(status);
    }

    /// A turn to download the static log, on the strand: at most static_logs_per_strand at once.
    class static_log_turn {
    public:
        explicit static_log_turn(strand_slot& slot) : slot_(slot) { ++slot_.static_logs; }
        ~static_log_turn() {
            --slot_.static_logs;
            if (slot_.static_log_waiters.empty()) return;
            auto* next = slot_.static_log_waiters.front();  // wake the longest waiting tail
            slot_.static_log_waiters.pop_front();
            next->cancel();
        }
        static_log_turn(const static_log_turn&) = delete;
        static_log_turn& operator=(const static_log_turn&) = delete;

    private:
        strand_slot& slot_;
    };

    /// Waits until this strand has a free static-log turn (close() ends the wait).
    asio::awaitable<void> wait_for_static_log_turn() {
        while (slot_.static_logs >= static_logs_per_strand) {
            asio::steady_timer timer(slot_.session.strand(), asio::steady_timer::time_point::max());
            slot_.static_log_waiters.push_back(&timer);
            timer_ = &timer;
            boost::system::error_code ec;
            co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            timer_ = nullptr;
            // Woken by a finished turn (which removed us) or by close() (we remove ourselves).
            auto& waiters = slot_.static_log_waiters;
            if (auto it = std::find(waiters.begin(), waiters.end(), &timer); it != waiters.end()) waiters.erase(it);
            check_open();
        }
    }

    /// Sends the lines assembled so far; suspends while the channel is full (back-pressure).
    asio::awaitable<void> deliver() {
        {
            std::lock_guard lock(stats_mutex_);
            stats_.lines = assembler_.lines();
            stats_.frames = assembler_.messages();
            stats_.oversize_lines = assembler_.oversize_lines();
            stats_.bytes = assembler_.consumed_offset();
            stats_.last_offset = assembler_.consumed_offset();
        }
        for (std::size_t first = 0; first < lines_.size(); first += batch_) {
            const std::size_t count = std::min(batch_, lines_.size() - first);
            log_item item{{}, nullptr};
            item.lines.reserve(count);
            std::move(lines_.begin() + static_cast<std::ptrdiff_t>(first),
                      lines_.begin() + static_cast<std::ptrdiff_t>(first + count), std::back_inserter(item.lines));
            co_await send(item);
        }
        lines_.clear();
    }

    /// Moves `item` into the channel.
    asio::awaitable<void> send(log_item& item) {
        const auto count = item.lines.size();
        const auto queued = waiting_.fetch_add(count, std::memory_order_relaxed) + count;
        if (queued > peak_) {
            peak_ = queued;
            std::lock_guard lock(stats_mutex_);
            stats_.queue_peak = std::min<std::size_t>(queued, limits_.queue_size);
        }
        if (channel_.try_send(boost::system::error_code{}, std::move(item))) co_return;
        auto [ec] = co_await channel_.async_send(boost::system::error_code{}, std::move(item),
                                                 asio::as_tuple(asio::use_awaitable));
        if (ec) {
            waiting_.fetch_sub(count, std::memory_order_relaxed);
            closed_ = true;
            throw client_error(error_kind::cancelled, "log stream closed");
        }
    }

    void check_feed(core::feed_status status) const {
        if (status == core::feed_status::ok) return;
        const auto kind = status == core::feed_status::gap ? error_kind::server_error : error_kind::limit_exceeded;
        throw client_error(kind, core::describe(status, limits_));
    }

    void check_open() const {
        if (closed_ || impl_->stopping()) throw client_error(error_kind::cancelled, "log stream closed");
    }

    core::request_spec describe(tail_protocol protocol) const {
        core::request_spec spec;
        spec.target = protocol == tail_protocol::websocket ? websocket_target() : stream_target();
        return spec;
    }

    std::string websocket_target() const { return impl_->prefixed(core::job_logs_request(id_).target + "/tail"); }

    std::string stream_target() const {
        // Ray 2.60 needs node_id (any value) next to submission_id and lines=-1 for the whole file.
        return impl_->prefixed("/api/v0/logs/stream?submission_id=" + core::percent_encode_query(id_) + "&node_id=" +
                               core::percent_encode_query(job_.driver_node_id.value_or("")) + "&lines=-1");
    }

    std::unique_ptr<transport::log_source> make_source(tail_protocol protocol) const {
        if (protocol == tail_protocol::websocket)
            return transport::make_websocket_source(slot_.session.strand(), impl_->settings(), websocket_target(),
                                                    max_websocket_message);
        return transport::make_http_stream_source(slot_.session.strand(), impl_->settings(), stream_target());
    }

    asio::awaitable<job_details> fetch_job() {
        const auto request = core::get_job_request(id_);
        auto result = co_await impl_->perform(slot_, request, default_call_);
        co_return core::decode_job_details(impl_->parse(request, result.response));
    }

    /// Waits until the job's driver runs (PENDING has no log yet), bounded by stream_timeout.
    asio::awaitable<void> wait_for_driver() {
        const auto start = std::chrono::steady_clock::now();
        while (!job_.driver_node_id && !job_.is_terminal()) {
            if (options_.stream_timeout && std::chrono::steady_clock::now() - start > *options_.stream_timeout)
                throw client_error(error_kind::timeout, "job " + id_ + " did not start within the stream timeout");
            co_await pause(std::chrono::milliseconds(250));
            job_ = co_await fetch_job();
        }
    }

    asio::awaitable<void> pause(std::chrono::milliseconds delay) {
        asio::steady_timer timer(slot_.session.strand(), delay);
        timer_ = &timer;
        boost::system::error_code ec;
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        timer_ = nullptr;
        check_open();
    }

    /// Watches the job while an HTTP stream is open: Ray's stream never ends by itself, so
    /// the watcher closes it once the job is terminal.
    struct watcher_state {
        explicit watcher_state(const transport::strand_type& strand) : timer(strand) {}
        asio::steady_timer timer;
        bool stopped = false;
        bool job_ended = false;
    };

    std::shared_ptr<watcher_state> start_watcher() {
        auto watcher = std::make_shared<watcher_state>(slot_.session.strand());
        asio::co_spawn(
            slot_.session.strand(), [self = shared_from_this(), watcher]() { return self->watch(watcher); },
            asio::detached);
        return watcher;
    }

    asio::awaitable<void> watch(std::shared_ptr<watcher_state> watcher) {
        bool terminal = false;
        std::uint64_t seen = bytes_received_;
        for (;;) {
            watcher->timer.expires_after(terminal ? drain_check_interval : status_poll_interval);
            boost::system::error_code ec;
            co_await watcher->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            if (watcher->stopped || closed_) co_return;
            if (terminal) {
                // The job has ended: close once the stream has gone quiet (it is drained).
                if (bytes_received_ == seen) {
                    watcher->job_ended = true;
                    if (source_) source_->close();
                    co_return;
                }
                seen = bytes_received_;
                continue;
            }
            try {
                auto job = co_await fetch_job();
                if (watcher->stopped) co_return;
                if (job.is_terminal()) {
                    terminal = true;
                    seen = bytes_received_;
                    job_ = std::move(job);
                }
            } catch (const std::exception&) {
                // A failed status poll is not fatal: the stream itself reports lost connections.
            }
        }
    }

    static void stop_watcher(const std::shared_ptr<watcher_state>& watcher) {
        if (!watcher) return;
        watcher->stopped = true;
        watcher->timer.cancel();
    }

    std::shared_ptr<client_impl> impl_;
    strand_slot& slot_;
    const call_options default_call_{};
    job_details job_;
    std::string id_;
    tail_options options_;
    stream_limits limits_;
    core::line_assembler assembler_;
    std::vector<log_line> lines_;
    std::size_t batch_;  ///< lines per channel item
    item_channel channel_;
    std::vector<log_line> pending_;  ///< consumer side: the batch being handed out
    std::size_t next_pending_ = 0;
    transport::log_source* source_ = nullptr;  ///< the open connection, for close()
    asio::steady_timer* timer_ = nullptr;      ///< the back-off/wait timer, for close()
    bool closed_ = false;                      ///< on the strand
    std::atomic<bool> closing_{false};
    bool finished_ = false;                ///< consumer side: end or error seen
    std::atomic<std::size_t> waiting_{0};  ///< lines sent and not yet handed out
    std::size_t peak_ = 0;
    std::uint64_t bytes_received_ = 0;  ///< bytes read from every connection (on the strand)
    mutable std::mutex stats_mutex_;
    stream_stats stats_;
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
    std::optional<log_line> line = co_await state->next();
    co_return line;
}

void log_stream::close() noexcept {
    if (state_) state_->close();
}

stream_stats log_stream::stats() const {
    return state_ ? state_->stats() : stream_stats{};
}

namespace {

tail_options tail_options_for(tail_protocol protocol, std::optional<seconds> stream_timeout) {
    tail_options options;
    options.protocol = protocol;
    options.stream_timeout = stream_timeout;
    return options;
}

void validate_tail(const tail_options& options, const stream_limits& limits) {
    if (options.stream_timeout) core::validate_timeout("stream_timeout", *options.stream_timeout);
    if (options.max_reconnects < 0 || options.max_reconnects > 100)
        throw client_error(error_kind::invalid_argument, "max_reconnects must be in [0, 100]");
    if (limits.queue_size == 0 || limits.max_message_size == 0 || limits.max_lines == 0 || limits.max_messages == 0 ||
        limits.max_bytes == 0)
        throw client_error(error_kind::invalid_argument, "stream limits must be positive");
}

}  // namespace

asio::awaitable<log_stream> client::tail_job_logs(std::string id, tail_options options) {
    core::validate_resource_id("job", id);
    const stream_limits limits = options.limits.value_or(impl_->options().stream_limits);
    validate_tail(options, limits);
    auto impl = impl_;
    // The job must exist (404) and be a submission (Ray tails only those: 400) before a tail starts.
    auto job = co_await get_job(id);
    if (job.type == job_type::driver || !job.submission_id) {
        throw client_error(error_kind::invalid_argument, "job " + core::sanitize(id, impl->secrets(), 128) +
                                                             " is a driver job: Ray tails only submitted jobs");
    }
    auto state =
        std::make_shared<detail::log_stream_state>(impl, impl->next_slot(), std::move(job), std::move(options), limits);
    impl->track(state);
    state->start();
    co_return log_stream(std::move(state));
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
