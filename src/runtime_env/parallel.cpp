#include "runtime_env/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

namespace raycl::packaging {

std::size_t worker_threads() noexcept {
    return std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 4);
}

void parallel_for(std::size_t n, std::size_t threads, const std::function<void(std::size_t)>& work) {
    std::atomic<std::size_t> next{0};
    std::atomic<bool> failed{false};
    std::mutex mutex;
    std::exception_ptr failure;
    const auto run = [&] {
        for (std::size_t i; !failed && (i = next.fetch_add(1)) < n;) {
            try {
                work(i);
            } catch (...) {
                std::lock_guard lock(mutex);
                if (!failure) failure = std::current_exception();
                failed = true;
            }
        }
    };
    std::vector<std::thread> helpers;
    const std::size_t extra = std::min(threads, n) > 1 ? std::min(threads, n) - 1 : 0;
    try {
        for (std::size_t t = 0; t < extra; ++t) helpers.emplace_back(run);
    } catch (const std::system_error&) {
        // No thread to spare: the threads started so far and this one do the work.
    }
    run();
    for (auto& helper : helpers) helper.join();
    if (failure) std::rethrow_exception(failure);
}

}  // namespace raycl::packaging
