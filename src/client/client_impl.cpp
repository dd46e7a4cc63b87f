// The client's shared state: building it from the options, shutting it down.
#include "client/client_impl.hpp"

#include "client/job_watcher.hpp"

#include "core/environment.hpp"
#include "core/sanitize.hpp"

#include <raycl/version.hpp>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <algorithm>

namespace raycl::detail {

namespace {

/// The io_context that `executor` submits to: its own executor, or a strand of one. The
/// client's strands run there. Anything else: 400.
asio::io_context& io_context_of(const asio::any_io_executor& executor) {
    if (const auto* plain = executor.target<asio::io_context::executor_type>()) return plain->context();
    if (const auto* strand = executor.target<asio::strand<asio::io_context::executor_type>>())
        return strand->get_inner_executor().context();
    if (const auto* strand = executor.target<asio::strand<asio::any_io_executor>>())
        return io_context_of(strand->get_inner_executor());
    throw client_error(error_kind::invalid_argument,
                       "the executor must belong to an io_context (its executor, or a strand of one): "
                       "the client's strands run on it");
}

}  // namespace

client_impl::client_impl(asio::any_io_executor executor, const client_options& options,
                         std::shared_ptr<loop_thread> loop)
    : loop_(std::move(loop)), executor_(std::move(executor)), options_(options) {
    auto env = core::environment_view::system();
    options_.address = core::discover_address(options, env);
    options_.token = core::discover_token(options, env);
    core::validate_client_options(options_);
    secrets_ = core::secrets_of(options_);

    auto settings = std::make_shared<transport::session_settings>();
    settings->endpoint = core::parse_address(options_.address);
    settings->max_response_bytes = options_.max_response_bytes;
    settings->max_idle_connections = options_.max_idle_connections_per_strand;
    // Request connections open at once per strand: max_connections_per_strand (20: 100 per
    // client), or the idle bound when a caller raised it above that (it wants that many
    // concurrent calls kept alive).
    settings->max_connections =
        std::max(options_.max_connections_per_strand, options_.max_idle_connections_per_strand);
    settings->headers.emplace_back("User-Agent", std::string("raycl/") + RAYCL_VERSION_STRING);
    settings->headers.emplace_back("Accept", "application/json, text/plain, */*");
    if (!options_.token.empty()) {
        settings->headers.emplace_back(
            options_.token_header == token_header::authorization ? "Authorization" : "X-Ray-Authorization",
            "Bearer " + options_.token);
    }
    std::string cookie;
    for (const auto& [name, value] : options_.cookies) {
        if (!cookie.empty()) cookie += "; ";
        cookie += name + "=" + value;
    }
    if (!cookie.empty()) settings->headers.emplace_back("Cookie", cookie);
    for (const auto& [name, value] : options_.headers) settings->headers.emplace_back(name, value);
    if (settings->endpoint.tls) settings->tls = transport::make_tls_context(options_.tls);
    settings_ = settings;
    address_ = settings->endpoint.display;
    base_path_ = settings->endpoint.base_path;
    auto& io = io_context_of(executor_);
    for (std::size_t i = 0; i < strand_count; ++i) {
        slots_.push_back(std::make_unique<strand_slot>(asio::make_strand(io.get_executor()), settings, connections_opened_));
    }
}

client_stats client_impl::stats() const noexcept {
    client_stats result;
    result.requests_sent = requests_sent_.load();
    result.retries = retries_.load();
    result.connections_opened = connections_opened_.load();
    result.operations_active = operations_active_.load();
    return result;
}

void client_impl::throw_if_failed(const core::request_spec& request, const transport::http_response& response) const {
    if (auto error = core::classify_status(request, response.status, response.body, secrets_)) throw *error;
}

boost::json::value client_impl::parse(const core::request_spec& request,
                                      const transport::http_response& response) const {
    throw_if_failed(request, response);
    return core::parse_json_body(request, response.body, secrets_);
}

std::shared_ptr<const std::string> client_impl::body_text(const core::request_spec& request,
                                                          transport::http_response& response) const {
    throw_if_failed(request, response);
    return std::make_shared<const std::string>(std::move(response.body));
}

client_error client_impl::cancelled_error(const core::request_spec& request, std::string_view detail) const {
    return core::transport_error(request, core::transport_failure::cancelled,
                                 stopping_ ? "the client was destroyed" : detail, secrets_);
}

job_watcher& client_impl::job_status_watcher() {
    std::lock_guard lock(watcher_mutex_);
    if (!watcher_) watcher_ = std::make_shared<job_watcher>(*this, *slots_.front());
    return *watcher_;
}

void client_impl::track(std::weak_ptr<closable> stream) {
    std::lock_guard lock(streams_mutex_);
    streams_.remove_if([](const std::weak_ptr<closable>& s) { return s.expired(); });
    streams_.push_back(std::move(stream));
}

void client_impl::shutdown() {
    stopping_ = true;
    *shutdown_flag_mutable_ = true;
    {
        std::lock_guard lock(streams_mutex_);
        for (auto& weak : streams_) {
            if (auto stream = weak.lock()) stream->close();
        }
        streams_.clear();
    }
    {
        std::lock_guard lock(watcher_mutex_);
        if (watcher_) watcher_->close();
    }
    auto self = shared_from_this();
    for (auto& slot : slots_) {
        asio::dispatch(slot->strand(), [self, slot = slot.get()] {
            slot->session.shutdown();
            for (auto* timer : slot->sleeping) timer->cancel();
        });
    }
}

std::optional<core::server_version> client_impl::known_version() const {
    std::lock_guard lock(version_mutex_);
    return version_;
}

void client_impl::remember_version(const core::server_version& version) {
    std::lock_guard lock(version_mutex_);
    version_ = version;
}

asio::awaitable<core::server_version> client_impl::server_version() {
    if (auto known = known_version()) co_return *known;
    // On the first strand, one at a time: whoever gets the turn first asks, the others find
    // the answer cached when their turn comes.
    auto& slot = *slots_.front();
    auto learn = [self = shared_from_this(), &slot]() -> asio::awaitable<core::server_version> {
        asio::steady_timer* stop_waiting = nullptr;
        const auto request = core::version_request();
        if (!co_await self->version_turn_.acquire(slot.strand(), stop_waiting))
            throw self->cancelled_error(request, "cancelled while waiting for the server's version");
        struct turn_release {
            strand_turns& turns;
            ~turn_release() { turns.release(); }
        } release{self->version_turn_};
        if (auto known = self->known_version()) co_return *known;
        const call_options call{};
        auto result = co_await self->perform(slot, request, call);
        const auto version =
            core::server_version_from(request, result.response.status, result.response.body, self->secrets_);
        self->remember_version(version);
        co_return version;
    };
    auto operation = asio::co_spawn(slot.strand(), std::move(learn), asio::use_awaitable);
    co_return co_await std::move(operation);
}

asio::awaitable<void> client_impl::require(core::capability feature) {
    auto learn = server_version();
    const auto version = co_await std::move(learn);
    core::require(version, feature);
}

asio::thread_pool::executor_type client_impl::file_workers() {
    std::lock_guard lock(file_workers_mutex_);
    if (!file_workers_) file_workers_ = std::make_unique<asio::thread_pool>(file_worker_count);
    return file_workers_->get_executor();
}

asio::awaitable<bool> strand_turns::acquire(const transport::strand_type& strand, asio::steady_timer*& stop_waiting) {
    while (held_ >= limit_) {
        asio::steady_timer timer(strand, asio::steady_timer::time_point::max());
        waiters_.push_back(&timer);
        stop_waiting = &timer;
        boost::system::error_code ec;
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        stop_waiting = nullptr;
        // Woken by release() (which removed us) or by the caller's cancel (we remove ourselves).
        if (auto it = std::find(waiters_.begin(), waiters_.end(), &timer); it != waiters_.end()) {
            waiters_.erase(it);
            co_return false;
        }
    }
    ++held_;
    co_return true;
}

void strand_turns::release() noexcept {
    --held_;
    if (waiters_.empty()) return;
    auto* next = waiters_.front();  // wake the longest waiting holder-to-be
    waiters_.pop_front();
    next->cancel();
}

}  // namespace raycl::detail
