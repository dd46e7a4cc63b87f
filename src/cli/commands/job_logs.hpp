// `raycl job logs` (see job_logs.cpp), and following one job's log for `job submit`.
#pragma once

#include "session.hpp"

#include <raycl/log_stream.hpp>

#include <boost/asio/awaitable.hpp>

#include <string>

namespace raycl::cli {

/// Runs `raycl job logs`.
boost::asio::awaitable<int> run_job_logs(session& s);

/// Prints the log of `id` live, exactly as logged, until the job ends (Ctrl-C stops).
boost::asio::awaitable<void> follow_job_log(session& s, const std::string& id, tail_options options);

}  // namespace raycl::cli
