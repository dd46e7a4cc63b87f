// The client's shared state: options, settings, the five strand slots, counters, and the log
// streams to close on shutdown. Internal to src/client: operations.cpp (operations),
// request_driver.cpp (retries), log_stream.cpp and tail_driver.cpp (log streams) build on it.
#pragma once

#include "client/loop_thread.hpp"
#include "client/strand_slot.hpp"
#include "core/ray_version.hpp"
#include "core/requests.hpp"
#include "core/responses.hpp"
#include "core/validation.hpp"
#include "transport/http_session.hpp"

#include <raycl/client.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/value.hpp>

#include <atomic>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace raycl::detail {

namespace asio = boost::asio;

/// The design card's pool size.
inline constexpr std::size_t strand_count = 5;

/// Something the client closes when it shuts down (its log streams).
class closable {
public:
    virtual ~closable() = default;
    /// Closes at once; thread-safe and idempotent.
    virtual void close() noexcept = 0;
};

class job_watcher;

/// Result of a request after retries: the final response and whether it was repeated.
struct request_result {
    transport::http_response response;
    bool repeated = false;
};

class client_impl : public std::enable_shared_from_this<client_impl> {
public:
    /// Validates the options (400) and builds the strands over `executor`. `loop`: the client's
    /// own io_context (null when embedded), kept until the impl is gone.
    client_impl(asio::any_io_executor executor, const client_options& options,
                std::shared_ptr<loop_thread> loop = nullptr);

    const asio::any_io_executor& executor() const noexcept { return executor_; }
    const std::string& address() const noexcept { return address_; }
    const std::vector<std::string>& secrets() const noexcept { return secrets_; }
    const client_options& options() const noexcept { return options_; }
    /// Transport settings shared by every connection of the client.
    const std::shared_ptr<const transport::session_settings>& settings() const noexcept { return settings_; }
    client_stats stats() const noexcept;
    bool stopping() const noexcept { return stopping_; }

    /// `target` with the address's path prefix (`https://proxy/ray` -> `/ray/api/...`).
    std::string prefixed(std::string_view target) const { return base_path_ + std::string(target); }

    /// The next strand, round robin.
    strand_slot& next_slot() noexcept {
        return *slots_[next_strand_.fetch_add(1, std::memory_order_relaxed) % slots_.size()];
    }

    /// Validates call options, then runs `request` on one strand with retries, and hands the
    /// final response to `handle` (also on the strand). Completes on the caller's executor.
    /// Not a coroutine itself: its arguments go straight into the spawned operation, so no
    /// temporary lives across a suspension (the g++ 12 rule in the README).
    template <class T, class Handler>
    asio::awaitable<T> run(core::request_spec request, call_options call, Handler handle) {
        core::validate_call_options(call);
        auto& slot = next_slot();
        auto operation = [self = shared_from_this(), &slot, request = std::move(request), call = std::move(call),
                          handle = std::move(handle)]() mutable -> asio::awaitable<T> {
            active_operation guard(*self);
            request_result result;
            try {
                result = co_await self->perform(slot, request, call);
            } catch (const client_error&) {
                throw;
            } catch (const boost::system::system_error& error) {
                // A cancelled coroutine throws from its next co_await.
                throw self->cancelled_error(request, error.code().message());
            }
            co_return handle(request, result);
        };
        return asio::co_spawn(slot.strand(), std::move(operation), asio::use_awaitable);
    }

    /// Sends `request` on `slot` with the retry policy (core::request_attempts); returns the
    /// first response that is not a retryable failure (possibly a 4xx/5xx for the caller to
    /// map). Throws client_error: the last failure, or `cancelled` once the client shuts down.
    asio::awaitable<request_result> perform(strand_slot& slot, const core::request_spec& request,
                                            const call_options& call);

    /// Sleeps on the slot's strand; shutdown() ends the sleep with `cancelled`.
    asio::awaitable<void> sleep(strand_slot& slot, std::chrono::milliseconds delay, const core::request_spec& request);

    /// Throws the client_error of a non-2xx response (nothing for 2xx).
    void throw_if_failed(const core::request_spec& request, const transport::http_response& response) const;
    /// throw_if_failed, then the parsed JSON body (500 when malformed).
    boost::json::value parse(const core::request_spec& request, const transport::http_response& response) const;
    /// throw_if_failed, then the body moved (not copied) into a shared text, for the decoders
    /// that read the text themselves (core/record_decoder.hpp: malformed JSON is their 500).
    std::shared_ptr<const std::string> body_text(const core::request_spec& request,
                                                 transport::http_response& response) const;
    /// The client_error of a cancelled operation.
    client_error cancelled_error(const core::request_spec& request, std::string_view detail) const;

    /// The server's Ray release, learned once per client: `GET /api/version` on the first call
    /// that needs it (concurrent first callers share one request, on the first strand), then
    /// cached. A 401/403 there (token auth without a valid token) is cached as "2.52 or later";
    /// any other failure is not cached (the next call asks again). Throws client_error: that
    /// failure, or `cancelled` once the client shuts down.
    asio::awaitable<core::server_version> server_version();
    /// Throws client_error `unsupported` (501) when the server lacks `feature`
    /// (core::require); asks server_version() first. Call it after validating the input and
    /// before sending anything that needs the feature.
    asio::awaitable<void> require(core::capability feature);
    /// Caches a release already read (client::get_version).
    void remember_version(const core::server_version& version);
    /// The cached release, if known.
    std::optional<core::server_version> known_version() const;

    /// The job-status watcher shared by the client's log tails (created on first use, on the
    /// first strand; closed by shutdown()). Any thread.
    job_watcher& job_status_watcher();

    /// Registers a log stream so that shutdown() closes it.
    void track(std::weak_ptr<closable> stream);

    /// Cancels everything: closes streams and connections, wakes back-off timers, refuses new work.
    void shutdown();

    /// The executor of the client's file workers (hashing, zipping, for packaging): a pool of
    /// `file_worker_count` threads started on first use, joined when the impl is destroyed.
    /// Work posted there must not own the impl (a pool thread must never destroy it).
    asio::thread_pool::executor_type file_workers();
    /// Set by shutdown(); shared with file work, which polls it.
    const std::shared_ptr<const std::atomic<bool>>& shutdown_flag() const noexcept { return shutdown_flag_; }
    static constexpr std::size_t file_worker_count = 2;

    /// Counts an operation in `operations_active` for its lifetime.
    struct active_operation {
        explicit active_operation(client_impl& impl) : impl_(impl) { ++impl_.operations_active_; }
        ~active_operation() { --impl_.operations_active_; }
        active_operation(const active_operation&) = delete;
        active_operation& operator=(const active_operation&) = delete;
        client_impl& impl_;
    };

private:
    // First member, so destroyed last: everything below may hold I/O objects of its io_context.
    std::shared_ptr<loop_thread> loop_;
    asio::any_io_executor executor_;
    std::shared_ptr<const transport::session_settings> settings_;
    std::mutex streams_mutex_;
    std::list<std::weak_ptr<closable>> streams_;
    client_options options_;
    std::string address_;
    std::string base_path_;
    std::vector<std::string> secrets_;
    std::vector<std::unique_ptr<strand_slot>> slots_;
    std::atomic<std::size_t> next_strand_{0};
    std::atomic<bool> stopping_{false};
    std::atomic<std::uint64_t> connections_opened_{0};
    std::atomic<std::uint64_t> operations_active_{0};
    std::shared_ptr<std::atomic<bool>> shutdown_flag_mutable_ = std::make_shared<std::atomic<bool>>(false);
    std::shared_ptr<const std::atomic<bool>> shutdown_flag_ = shutdown_flag_mutable_;
    std::mutex file_workers_mutex_;
    std::unique_ptr<asio::thread_pool> file_workers_;  // destroyed (joined) before loop_
    mutable std::mutex version_mutex_;
    std::optional<core::server_version> version_;  ///< guarded by version_mutex_
    strand_turns version_turn_{1};                 ///< on the first strand: one `GET /api/version` at a time
    std::mutex watcher_mutex_;
    std::shared_ptr<job_watcher> watcher_;  ///< guarded by watcher_mutex_

public:
    // Counters the request driver updates.
    std::atomic<std::uint64_t> requests_sent_{0};
    std::atomic<std::uint64_t> retries_{0};
};

}  // namespace raycl::detail
