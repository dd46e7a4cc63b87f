// The bounded channel between a tail's reader (on its strand) and the stream's consumer.
//
// Lines travel in batches: one channel operation per line cost more than the rest of the tail
// together (callgrind: ~18,000 instructions per line, mostly channel and strand hand-offs), and
// still ~100 per line in batches of 10; so the lines of one read (up to 64 KiB: ~580 of Ray's
// lines) go through in batches of a quarter of the queue (at most 1,024 lines). The channel
// holds queue_size / batch - 1 batches, so the channel plus the consumer's current batch hold at
// most `stream_limits::queue_size` lines: when it is full the reader waits, stops reading the
// socket, and TCP pushes back on the server.
#pragma once

#include "transport/http_session.hpp"

#include <raycl/error.hpp>
#include <raycl/log_stream.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <atomic>
#include <exception>
#include <iterator>
#include <mutex>
#include <vector>

namespace raycl::detail {

/// What travels through the channel: a batch of lines, or the end of the stream (no line) with
/// its error (none when the log is complete), or, first of all for a tail started by
/// start_tail_once_open, the news that its first connection opened (`opened`, no line). The end
/// is in-band: a 1.81 channel's close() drops the messages still queued.
struct log_batch {
    std::vector<log_line> lines;
    std::exception_ptr error;
    bool opened = false;
};

class log_channel {
public:
    using channel_type = boost::asio::experimental::concurrent_channel<void(boost::system::error_code, log_batch)>;

    log_channel(const transport::strand_type& strand, std::size_t queue_size)
        : batch_(std::clamp<std::size_t>(queue_size / 4, 1, 1024)),
          queue_size_(queue_size),
          channel_(strand, std::max<std::size_t>(1, queue_size / batch_ - 1)) {}

    /// Reader side: moves `lines` into the channel in batches, suspending while it is full.
    /// Throws client_error `cancelled` once the channel was closed.
    boost::asio::awaitable<void> send_lines(std::vector<log_line>& lines) {
        for (std::size_t first = 0; first < lines.size(); first += batch_) {
            const std::size_t count = std::min(batch_, lines.size() - first);
            log_batch batch{{}, nullptr};
            batch.lines.reserve(count);
            std::move(lines.begin() + static_cast<std::ptrdiff_t>(first),
                      lines.begin() + static_cast<std::ptrdiff_t>(first + count), std::back_inserter(batch.lines));
            co_await send(batch);
        }
        lines.clear();
    }

    /// Reader side: the first connection opened (before any line).
    boost::asio::awaitable<void> send_opened() {
        log_batch opened{{}, nullptr, true};
        co_await send(opened);
    }

    /// Reader side: the end of the stream, with its error (null: the log is complete).
    boost::asio::awaitable<void> send_end(std::exception_ptr error) {
        log_batch last{{}, std::move(error)};
        co_await send(last);
    }

    /// Consumer side (any thread): the next batch. Inline and templated: a 1.81 channel does
    /// not take an any_completion_handler.
    template <class Token>
    auto async_receive(Token&& token) {
        return channel_.async_receive(std::forward<Token>(token));
    }

    /// Consumer side (any thread): the next batch if one is queued, without waiting: calls
    /// `handler(batch)` at once and returns true; false when none is queued or the channel was
    /// closed (the next async_receive reports that).
    template <class Handler>
    bool try_receive(Handler&& handler) {
        bool got = false;
        channel_.try_receive([&](boost::system::error_code ec, log_batch batch) {
            if (ec) return;
            got = true;
            handler(std::move(batch));
        });
        return got;
    }

    /// Consumer side: `count` lines of a received batch were handed out.
    void handed_out(std::size_t count) noexcept { waiting_.fetch_sub(count, std::memory_order_relaxed); }

    /// Ends both sides at once (on the strand): a reader blocked in a send and a consumer in a
    /// receive complete with an error, queued lines are dropped (the consumer is gone).
    void close() {
        // cancel() completes a reader blocked in async_send (close() alone does not, on 1.81).
        channel_.cancel();
        channel_.close();
    }

    /// The most lines ever waiting for the consumer.
    std::size_t queue_peak() const noexcept { return peak_.load(std::memory_order_relaxed); }

private:
    boost::asio::awaitable<void> send(log_batch& batch) {
        const auto count = batch.lines.size();
        const auto queued = waiting_.fetch_add(count, std::memory_order_relaxed) + count;
        if (queued > peak_.load(std::memory_order_relaxed))
            peak_.store(std::min(queued, queue_size_), std::memory_order_relaxed);
        if (channel_.try_send(boost::system::error_code{}, std::move(batch))) co_return;
        auto [ec] = co_await channel_.async_send(boost::system::error_code{}, std::move(batch),
                                                 boost::asio::as_tuple(boost::asio::use_awaitable));
        if (ec) {
            waiting_.fetch_sub(count, std::memory_order_relaxed);
            throw client_error(error_kind::cancelled, "log stream closed");
        }
    }

    std::size_t batch_;
    std::size_t queue_size_;
    channel_type channel_;
    std::atomic<std::size_t> waiting_{0};  ///< lines sent and not yet handed out
    std::atomic<std::size_t> peak_{0};
};

}  // namespace raycl::detail
