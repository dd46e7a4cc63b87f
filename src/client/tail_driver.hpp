// The reader of a live tail: a coroutine on one of the client's strands that performs what
// core::tail_machine decides (connect, read, ask about the target, sleep, fetch the static
// log, deliver) and feeds back how each step ended. It has no policy of its own. While its
// HTTP stream is quiet, a tail of a job asks the client's job_watcher (shared by all tails of
// the client) instead of the dashboard.
#pragma once

#include "client/client_impl.hpp"
#include "client/log_channel.hpp"
#include "core/log_targets.hpp"
#include "core/tail_machine.hpp"
#include "transport/log_source.hpp"

#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>

namespace raycl::detail {

class tail_driver : public closable, public std::enable_shared_from_this<tail_driver> {
public:
    /// Largest WebSocket message accepted: Ray sends at most ~20,000 characters per frame.
    static constexpr std::size_t max_websocket_message = 8u << 20;

    /// A tail of `target` on `slot`'s strand, delivering into `channel`; `initial` is what the
    /// facade already knows of the target. Call start() once.
    tail_driver(std::shared_ptr<client_impl> impl, strand_slot& slot, std::unique_ptr<core::log_target> target,
                const core::tail_settings& settings, core::target_state initial, std::shared_ptr<log_channel> channel);

    /// Before start(): the first connection that opens is announced in the channel
    /// (log_batch::opened, ahead of every line), for a facade that returns only then.
    void announce_open() noexcept { announce_open_ = true; }

    /// Starts the reader on the strand.
    void start();

    /// Stops the tail at once: closes its connection, ends its waits and the channel. Any
    /// thread; idempotent.
    void close() noexcept override;

    /// True once close() was called (any thread).
    bool closing() const noexcept { return closing_.load(); }

    /// A snapshot of the counters (any thread).
    stream_stats stats() const;

private:
    using action = core::tail_machine::action;
    using step = core::tail_machine::step;

    asio::awaitable<void> run();
    asio::awaitable<action> connect(tail_protocol protocol);
    asio::awaitable<action> refresh_target();
    asio::awaitable<action> fetch_static_log();
    asio::awaitable<core::target_state> fetch_target_state();
    asio::awaitable<void> ask_target();
    asio::awaitable<core::target_state> learn_target_state(std::chrono::milliseconds patience);
    asio::awaitable<void> pause(std::chrono::milliseconds delay);
    action on_transport_failure(const transport::failure& failure);
    void handle_side(core::tail_machine::side_step side);
    void sync_quiet_timer();
    void arm_quiet_timer(std::chrono::steady_clock::time_point deadline);
    void on_quiet_timer(std::uint64_t generation);
    std::chrono::milliseconds quiet_now() const;
    core::request_spec describe(tail_protocol protocol) const;
    void publish_stats();
    void check_open() const;

    std::shared_ptr<client_impl> impl_;
    strand_slot& slot_;
    std::unique_ptr<core::log_target> target_;
    core::tail_machine machine_;
    std::shared_ptr<log_channel> channel_;
    const call_options default_call_{};

    // On the strand.
    std::unique_ptr<transport::log_source> source_;  ///< the open connection
    std::vector<log_line> lines_;                    ///< lines being delivered (capacity reused)
    tail_protocol source_protocol_ = tail_protocol::stream;
    asio::steady_timer pause_timer_;           ///< back-off and locate waits
    asio::steady_timer quiet_timer_;           ///< one per stream: reports quiet periods
    asio::steady_timer* turn_wait_ = nullptr;  ///< waiting for a static-log turn
    std::chrono::steady_clock::time_point last_data_{};
    std::chrono::steady_clock::time_point quiet_deadline_{};
    std::uint64_t quiet_generation_ = 0;
    bool quiet_armed_ = false;
    bool delivering_ = false;  ///< waiting for the consumer to take lines (back-pressure)
    bool closed_ = false;
    bool announce_open_ = false;  ///< announce_open() was called and nothing opened yet

    std::atomic<bool> closing_{false};
    mutable std::mutex stats_mutex_;
    stream_stats stats_;
};

/// The tail's settings from the caller's options; 400 when invalid.
core::tail_settings tail_settings_for(const tail_options& options, const client_options& client);

/// Starts a tail of `target` on the client's next strand (what the facade already knows of the
/// target in `initial`) and returns its stream.
log_stream start_tail(const std::shared_ptr<client_impl>& impl, std::unique_ptr<core::log_target> target,
                      const core::tail_settings& settings, core::target_state initial);

/// start_tail, returning once the tail's first connection opened: the connection's answer is the
/// check of the target (a refusal, e.g. Ray's 404 for an unknown job, is thrown here, as is any
/// error that ends the tail first; reconnects within the budget are waited for).
asio::awaitable<log_stream> start_tail_once_open(const std::shared_ptr<client_impl>& impl,
                                                 std::unique_ptr<core::log_target> target,
                                                 const core::tail_settings& settings, core::target_state initial);

}  // namespace raycl::detail
