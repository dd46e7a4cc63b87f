// Spreading file work over the machine's cores: hashing and deflating are CPU-bound, and the
// files of a package are independent.
#pragma once

#include <cstddef>
#include <functional>

namespace raycl::packaging {

/// Threads worth using for file work: the cores the system reports, at least 1, at most 4.
std::size_t worker_threads() noexcept;

/// Runs `work(i)` for every i in [0, n) on `threads` threads (the calling one among them),
/// each claiming the next index in order. The first exception stops the claiming and is
/// rethrown here once every thread has returned.
void parallel_for(std::size_t n, std::size_t threads, const std::function<void(std::size_t)>& work);

}  // namespace raycl::packaging
