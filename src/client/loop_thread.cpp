#include "client/loop_thread.hpp"

namespace raycl::detail {

loop_thread::loop_thread() : work_(boost::asio::make_work_guard(context_)) {
    thread_ = std::thread([this] {
        context_.run();
        std::shared_ptr<loop_thread> self;  // after finish() from this thread: its last hold
        {
            std::lock_guard lock(mutex_);
            finished_ = true;
            finished_changed_.notify_all();
            self = std::move(self_);
        }
    });
}

bool loop_thread::finish(std::chrono::milliseconds grace) {
    if (std::this_thread::get_id() == thread_.get_id()) {
        {
            std::lock_guard lock(mutex_);
            self_ = shared_from_this();
        }
        thread_.detach();
        work_.reset();
        context_.stop();
        return false;
    }
    work_.reset();
    bool stopped = false;
    {
        std::unique_lock lock(mutex_);
        if (!finished_changed_.wait_for(lock, grace, [this] { return finished_; })) {
            context_.stop();
            stopped = true;
        }
    }
    thread_.join();
    if (stopped) context_.destroy_queued_handlers();
    return true;
}

loop_thread::~loop_thread() {
    if (thread_.joinable()) {
        work_.reset();
        context_.stop();
        thread_.join();
    }
}

}  // namespace raycl::detail
