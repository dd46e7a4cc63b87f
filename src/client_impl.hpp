// The client's shared state: owned io_context, the five strand slots, options, retries.
// Internal to src/: client.cpp (operations) and log_tail.cpp (log streams) build on it.
#pragma once

#include <raycl/client.hpp>
#include <raycl/version.hpp>

#include "core/environment.hpp"
#include "core/requests.hpp"
#include "core/responses.hpp"
#include "core/retry.hpp"
#include "core/sanitize.hpp"
#include "core/validation.hpp"
#include "transport/http_session.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <list>
#include <memory>
#include <mutex>
#include <random>
#include <thread>

namespace raycl {

namespace asio = boost::asio;
namespace json = boost::json;

namespace detail {

/// The design card's pool size.
inline constexpr std::size_t strand_count = 5;

/// True for header names whose values must be redacted from messages.
inline bool is_sensitive_header(std::string_view name) {
    std::string lower(name);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    for (std::string_view word : {"auth", "token", "cookie", "secret", "key", "password", "session"}) {
        if (lower.find(word) != std::string::npos) return true;
    }
    return false;
}

/// An io_context owned by a client, with the one thread that runs it. Shared by the client
/// (through owned_loop) and its client_impl: the io_context must outlive every strand, socket,
/// timer and channel made on it, and log streams keep the impl (and so the loop) alive after
/// the client is gone.
class loop_thread : public std::enable_shared_from_this<loop_thread> {
public:
    loop_thread() : work_(asio::make_work_guard(context_)) {
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

    asio::any_io_executor executor() { return context_.get_executor(); }

    /// Lets the thread finish once the remaining (cancelled) work is done, stopping the
    /// io_context if that takes longer than `grace`. Returns false when called from the loop's
    /// own thread: the thread then holds the loop until its current handler has returned, so
    /// the io_context is never destroyed inside its own run().
    bool finish(std::chrono::milliseconds grace) {
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
        {
            std::unique_lock lock(mutex_);
            if (!finished_changed_.wait_for(lock, grace, [this] { return finished_; })) context_.stop();
        }
        thread_.join();
        return true;
    }

    ~loop_thread() {
        if (thread_.joinable()) {
            work_.reset();
            context_.stop();
            thread_.join();
        }
    }

private:
    asio::io_context context_{1};
    asio::executor_work_guard<asio::io_context::executor_type> work_;
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
    asio::any_io_executor executor() { return loop_->executor(); }
    /// See loop_thread::finish().
    bool finish(std::chrono::milliseconds grace) { return loop_->finish(grace); }

private:
    std::shared_ptr<loop_thread> loop_;
};

/// Something the client closes when it shuts down (its log streams).
class closable {
public:
    virtual ~closable() = default;
    /// Closes at once; thread-safe and idempotent.
    virtual void close() noexcept = 0;
};

/// One of the five strands with its connections and back-off timers.
struct strand_slot {
    strand_slot(transport::strand_type strand, std::shared_ptr<const transport::session_settings> settings,
                std::atomic<std::uint64_t>& connections_opened)
        : session(strand, std::move(settings), &connections_opened), random(std::random_device{}()) {}

    transport::strand_session session;
    std::list<asio::steady_timer*> sleeping;  ///< back-off timers in use, cancelled on shutdown
    std::minstd_rand random;
    std::size_t static_logs = 0;                        ///< tails downloading their static log now
    std::list<asio::steady_timer*> static_log_waiters;  ///< tails waiting for their turn (log_tail.cpp)
};

/// Result of a request after retries: the final response and whether it was repeated.
struct request_result {
    transport::http_response response;
    bool repeated = false;
};

class client_impl : public std::enable_shared_from_this<client_impl> {
public:
    /// `loop`: the client's own io_context (null when embedded), kept until the impl is gone.
    client_impl(asio::any_io_executor executor, const client_options& options,
                std::shared_ptr<loop_thread> loop = nullptr)
        : loop_(std::move(loop)), executor_(std::move(executor)), options_(options) {
        auto env = core::environment_view::system();
        auto settings = std::make_shared<transport::session_settings>();
        options_.address = core::discover_address(options, env);
        options_.token = core::discover_token(options, env);
        core::validate_client_options(options_);
        settings->endpoint = core::parse_address(options_.address);
        settings->max_response_bytes = options_.max_response_bytes;
        settings->max_idle_connections = options_.max_idle_connections_per_strand;
        settings->headers.emplace_back("User-Agent", std::string("raycl/") + RAYCL_VERSION_STRING);
        settings->headers.emplace_back("Accept", "application/json, text/plain, */*");
        if (!options_.token.empty()) {
            secrets_.push_back(options_.token);
            settings->headers.emplace_back(
                options_.token_header == token_header::authorization ? "Authorization" : "X-Ray-Authorization",
                "Bearer " + options_.token);
        }
        std::string cookie;
        for (const auto& [name, value] : options_.cookies) {
            if (!cookie.empty()) cookie += "; ";
            cookie += name + "=" + value;
            if (!value.empty()) secrets_.push_back(value);
        }
        if (!cookie.empty()) settings->headers.emplace_back("Cookie", cookie);
        for (const auto& [name, value] : options_.headers) {
            settings->headers.emplace_back(name, value);
            if (is_sensitive_header(name) && !value.empty()) {
                secrets_.push_back(value);
                // "Bearer <token>": servers echo the credential without its scheme.
                if (auto space = value.find(' '); space != std::string::npos && space + 1 < value.size())
                    secrets_.push_back(value.substr(space + 1));
            }
        }
        if (settings->endpoint.tls) settings->tls = transport::make_tls_context(options_.tls);
        settings_ = settings;
        address_ = settings->endpoint.display;
        base_path_ = settings->endpoint.base_path;
        for (std::size_t i = 0; i < strand_count; ++i) {
            slots_.push_back(
                std::make_unique<strand_slot>(asio::make_strand(executor_), settings, connections_opened_));
        }
    }

    const asio::any_io_executor& executor() const noexcept { return executor_; }
    const std::string& address() const noexcept { return address_; }
    const std::vector<std::string>& secrets() const noexcept { return secrets_; }
    const client_options& options() const noexcept { return options_; }

    client_stats stats() const noexcept {
        client_stats result;
        result.requests_sent = requests_sent_.load();
        result.retries = retries_.load();
        result.connections_opened = connections_opened_.load();
        result.operations_active = operations_active_.load();
        return result;
    }

    /// Validates call options, then runs `request` on one strand with retries, and hands the
    /// final response to `handle` (also on the strand). Completes on the caller's executor.
    /// Not a coroutine itself: its arguments go straight into the spawned operation, so no
    /// temporary lives across a suspension (g++ 12 mishandles those in co_await expressions).
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
            } catch (const boost::system::system_error& error) {
                // A cancelled coroutine throws from its next co_await.
                throw self->cancelled_error(request, error.code().message());
            }
            co_return handle(request, result);
        };
        return asio::co_spawn(slot.session.strand(), std::move(operation), asio::use_awaitable);
    }

    /// Throws the client_error of a non-2xx response (nothing for 2xx).
    void throw_if_failed(const core::request_spec& request, const transport::http_response& response) const {
        if (auto error = core::classify_status(request, response.status, response.body, secrets_)) throw *error;
    }

    json::value parse(const core::request_spec& request, const transport::http_response& response) const {
        throw_if_failed(request, response);
        return core::parse_json_body(request, response.body, secrets_);
    }

    /// Cancels everything: closes connections, wakes back-off timers, refuses new work.
    void shutdown() {
        stopping_ = true;
        {
            std::lock_guard lock(streams_mutex_);
            for (auto& weak : streams_) {
                if (auto stream = weak.lock()) stream->close();
            }
            streams_.clear();
        }
        auto self = shared_from_this();
        for (auto& slot : slots_) {
            asio::dispatch(slot->session.strand(), [self, slot = slot.get()] {
                slot->session.shutdown();
                for (auto* timer : slot->sleeping) timer->cancel();
            });
        }
    }

    std::string prefixed(std::string target) const { return base_path_ + target; }

    /// Counts an operation in `operations_active` for its lifetime.
    struct active_operation {
        explicit active_operation(client_impl& impl) : impl_(impl) { ++impl_.operations_active_; }
        ~active_operation() { --impl_.operations_active_; }
        active_operation(const active_operation&) = delete;
        active_operation& operator=(const active_operation&) = delete;
        client_impl& impl_;
    };

    /// Sends `request` with the retry policy; returns the first response that is not a
    /// retryable failure (which may still be a 4xx/5xx for the caller to map). Runs on `slot`.
    asio::awaitable<request_result> perform(strand_slot& slot, const core::request_spec& request,
                                            const call_options& call);

    /// Sleeps on the slot's strand; the timer is cancelled by shutdown().
    asio::awaitable<void> sleep(strand_slot& slot, std::chrono::milliseconds delay, const core::request_spec& request);

    /// The next strand, round robin.
    strand_slot& next_slot() noexcept {
        return *slots_[next_strand_.fetch_add(1, std::memory_order_relaxed) % slots_.size()];
    }

    /// Transport settings shared by every connection of the client.
    const std::shared_ptr<const transport::session_settings>& settings() const noexcept { return settings_; }

    /// Registers a log stream so that shutdown() closes it.
    void track(std::weak_ptr<closable> stream) {
        std::lock_guard lock(streams_mutex_);
        streams_.remove_if([](const std::weak_ptr<closable>& s) { return s.expired(); });
        streams_.push_back(std::move(stream));
    }

    client_error cancelled_error(const core::request_spec& request, std::string_view detail) const {
        return core::transport_error(request, core::transport_failure::cancelled,
                                     stopping_ ? "the client was destroyed" : detail, secrets_);
    }

    bool stopping() const noexcept { return stopping_; }

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
    std::atomic<std::uint64_t> requests_sent_{0};
    std::atomic<std::uint64_t> retries_{0};
    std::atomic<std::uint64_t> connections_opened_{0};
    std::atomic<std::uint64_t> operations_active_{0};
};

}  // namespace detail

}  // namespace raycl
