// One of a client's five strands, with what belongs to it: its connections, its back-off
// timers (cancelled on shutdown), its random numbers for jitter, and its static-log turns.
#pragma once

#include "transport/http_session.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <random>

namespace raycl::detail {

/// Counts holders of a limited resource on one strand; waiters queue in order. Everything runs
/// on the strand; no locking.
class strand_turns {
public:
    explicit strand_turns(std::size_t limit) : limit_(limit) {}

    /// Waits for a turn; `stop_waiting` (a timer pointer the caller may cancel to end the wait,
    /// e.g. on close) is set while waiting. Returns false when the wait was ended that way.
    boost::asio::awaitable<bool> acquire(const transport::strand_type& strand,
                                         boost::asio::steady_timer*& stop_waiting);
    /// Gives the turn back and wakes the longest waiter.
    void release() noexcept;

private:
    std::size_t limit_;
    std::size_t held_ = 0;
    std::list<boost::asio::steady_timer*> waiters_;
};

/// One of the five strands with its connections and back-off timers.
struct strand_slot {
    /// Tails of one strand downloading their static log at once. Tails that end together (many
    /// jobs ending at once) otherwise download every full log at the same time: the client's
    /// memory holds them all, and the shared bandwidth makes them time out.
    static constexpr std::size_t static_logs_at_once = 2;

    strand_slot(transport::strand_type strand, std::shared_ptr<const transport::session_settings> settings,
                std::atomic<std::uint64_t>& connections_opened)
        : session(strand, std::move(settings), &connections_opened), random(std::random_device{}()) {}

    const transport::strand_type& strand() const noexcept { return session.strand(); }
    /// A number in [0, 1) for jitter.
    double random01() { return std::uniform_real_distribution<double>(0.0, 1.0)(random); }

    transport::strand_session session;
    std::list<boost::asio::steady_timer*> sleeping;  ///< back-off timers in use, cancelled on shutdown
    std::minstd_rand random;
    strand_turns static_logs{static_logs_at_once};
};

}  // namespace raycl::detail
