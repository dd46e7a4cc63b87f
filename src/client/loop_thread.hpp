// The io_context a client owns, with the one thread that runs it (used by `raycl::client`'s
// owning constructor; an embedded client uses the caller's executor instead).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

namespace raycl::detail {

/// An io_context that can drop the handlers a forced stop left queued.
class owned_context : public boost::asio::io_context {
public:
    using boost::asio::io_context::io_context;
    /// Destroys every handler still queued and every service's pending work (what the
    /// destructor does first), releasing what they hold; the context is unusable afterwards.
    void destroy_queued_handlers() { shutdown(); }
};

/// An io_context owned by a client, with the one thread that runs it. Shared by the client
/// (through owned_loop) and its client_impl: the io_context must outlive every strand, socket,
/// timer and channel made on it, and log streams keep the impl (and so the loop) alive after
/// the client is gone.
class loop_thread : public std::enable_shared_from_this<loop_thread> {
public:
    loop_thread();
    ~loop_thread();
    loop_thread(const loop_thread&) = delete;
    loop_thread& operator=(const loop_thread&) = delete;

    boost::asio::any_io_executor executor() { return context_.get_executor(); }

    /// Lets the thread finish once the remaining (cancelled) work is done. If that takes longer
    /// than `grace`, stops the io_context and, once the thread has ended, destroys the handlers
    /// still queued: they hold the client's internals (which hold this loop), so they would
    /// otherwise never be freed. Returns false when called from the loop's own thread: the
    /// thread then holds the loop until its current handler has returned, so the io_context is
    /// never destroyed inside its own run().
    bool finish(std::chrono::milliseconds grace);

private:
    owned_context context_{1};
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
    std::mutex mutex_;
    std::condition_variable finished_changed_;
    bool finished_ = false;
    std::shared_ptr<loop_thread> self_;  ///< set by finish() from the loop's own thread
    std::thread thread_;
};

/// The client's handle on its own loop_thread (declared in the public header).
class owned_loop {
public:
    owned_loop() : loop_(std::make_shared<loop_thread>()) {}
    const std::shared_ptr<loop_thread>& shared() const noexcept { return loop_; }
    boost::asio::any_io_executor executor() { return loop_->executor(); }
    /// See loop_thread::finish().
    bool finish(std::chrono::milliseconds grace) { return loop_->finish(grace); }

private:
    std::shared_ptr<loop_thread> loop_;
};

}  // namespace raycl::detail
