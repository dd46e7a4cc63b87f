// Beast HTTP/1.1 client connections, TLS, and the per-strand keep-alive pool.
#include "transport/http_session.hpp"
#include "transport/beast_streams.hpp"

#include "core/sanitize.hpp"

#include <raycl/error.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <chrono>
#include <optional>

namespace raycl::transport {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using core::transport_failure;

namespace {

constexpr auto as_tuple_awaitable = asio::as_tuple(asio::use_awaitable);

http::verb to_verb(core::http_method method) {
    switch (method) {
        case core::http_method::get:
            return http::verb::get;
        case core::http_method::post:
            return http::verb::post;
        case core::http_method::put:
            return http::verb::put;
        case core::http_method::delete_:
            return http::verb::delete_;
    }
    return http::verb::get;
}

bool is_ip_literal(const std::string& host) {
    boost::system::error_code ec;
    asio::ip::make_address(host, ec);
    return !ec;
}

}  // namespace

std::chrono::steady_clock::duration to_steady(seconds value) {
    return std::chrono::duration_cast<std::chrono::steady_clock::duration>(value);
}

std::string host_header(const core::endpoint& endpoint) {
    const bool ipv6 = endpoint.host.find(':') != std::string::npos;
    std::string host = ipv6 ? "[" + endpoint.host + "]" : endpoint.host;
    const bool default_port = (endpoint.tls && endpoint.port == "443") || (!endpoint.tls && endpoint.port == "80");
    return default_port ? host : host + ":" + endpoint.port;
}

tls_context::tls_context(const tls_options& options) : context_(ssl::context::tls_client) {
    context_.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                         ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    boost::system::error_code ec;
    context_.set_default_verify_paths(ec);  // missing system CAs only matter if used
    if (!options.ca_file.empty()) {
        context_.load_verify_file(options.ca_file, ec);
        if (ec) {
            throw client_error(error_kind::invalid_argument,
                               "cannot load the CA file " + core::sanitize(options.ca_file) + ": " + ec.message());
        }
    }
    verify_peer_ = options.verify_peer;
    context_.set_verify_mode(verify_peer_ ? ssl::verify_peer : ssl::verify_none);
}

asio::awaitable<void> connect_tcp(beast::tcp_stream& stream, tcp::resolver& resolver, const session_settings& settings,
                                  std::chrono::steady_clock::time_point deadline) {
    const auto& endpoint = settings.endpoint;
    // The resolver has no timeout of its own; the deadline is checked right after it
    // (loopback names and IP literals resolve without a lookup).
    auto [resolve_ec, results] = co_await resolver.async_resolve(endpoint.host, endpoint.port, as_tuple_awaitable);
    if (resolve_ec) {
        if (resolve_ec == asio::error::operation_aborted)
            throw attempt_error(transport_failure::cancelled, "cancelled while resolving");
        throw attempt_error(transport_failure::resolve_failed,
                            "cannot resolve " + endpoint.host + ": " + resolve_ec.message());
    }
    const auto remaining = deadline - std::chrono::steady_clock::now();
    if (remaining <= std::chrono::steady_clock::duration::zero())
        throw attempt_error(transport_failure::connect_timeout, "connect timed out while resolving");
    stream.expires_after(remaining);
    auto [connect_ec, connected] = co_await stream.async_connect(results, as_tuple_awaitable);
    (void)connected;
    if (connect_ec) {
        if (connect_ec == beast::error::timeout)
            throw attempt_error(transport_failure::connect_timeout, "connect to " + endpoint.display + " timed out");
        if (connect_ec == asio::error::operation_aborted)
            throw attempt_error(transport_failure::cancelled, "cancelled while connecting");
        throw attempt_error(transport_failure::connect_refused,
                            "cannot connect to " + endpoint.display + ": " + connect_ec.message());
    }
    stream.socket().set_option(tcp::no_delay(true));
    stream.expires_never();
}

asio::awaitable<void> handshake_tls(beast::ssl_stream<beast::tcp_stream>& stream, const session_settings& settings,
                                    std::chrono::steady_clock::time_point deadline) {
    const auto& host = settings.endpoint.host;
    if (!is_ip_literal(host) && !SSL_set_tlsext_host_name(stream.native_handle(), host.c_str()))
        throw attempt_error(transport_failure::tls_failed, "cannot set TLS SNI host name");
    if (settings.tls->verify_peer()) stream.set_verify_callback(ssl::host_name_verification(host));
    beast::get_lowest_layer(stream).expires_at(deadline);
    auto [ec] = co_await stream.async_handshake(ssl::stream_base::client, as_tuple_awaitable);
    if (ec) {
        if (ec == beast::error::timeout)
            throw attempt_error(transport_failure::connect_timeout, "TLS handshake timed out");
        if (ec == asio::error::operation_aborted)
            throw attempt_error(transport_failure::cancelled, "cancelled during TLS handshake");
        std::string reason = ec.message();
        if (ec.category() == asio::error::get_ssl_category()) {
            char text[256];
            ERR_error_string_n(static_cast<unsigned long>(ec.value()), text, sizeof text);
            reason = text;
        }
        throw attempt_error(transport_failure::tls_failed,
                            "TLS handshake with " + settings.endpoint.display + " failed: " + reason);
    }
    beast::get_lowest_layer(stream).expires_never();
}

std::shared_ptr<tls_context> make_tls_context(const tls_options& options) {
    return std::make_shared<tls_context>(options);
}

/// One HTTP/1.1 connection, plain or TLS, used by one request at a time on one strand.
class connection {
public:
    connection(const strand_type& strand, const session_settings& settings) : resolver_(strand), plain_(strand) {
        if (settings.tls) {
            tls_.emplace(beast::tcp_stream(strand), settings.tls->native());
        }
    }

    beast::tcp_stream& tcp() noexcept { return tls_ ? beast::get_lowest_layer(*tls_) : plain_; }

    /// Resolves, connects and (for https) handshakes within `timeout`.
    asio::awaitable<void> open(const session_settings& settings, seconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + to_steady(timeout);
        co_await connect_tcp(tcp(), resolver_, settings, deadline);
        if (tls_) co_await handshake_tls(*tls_, settings, deadline);
    }

    /// Writes the request and reads the whole response (bounded by `read_timeout`).
    asio::awaitable<http_response> exchange(const session_settings& settings, const http_request& request,
                                            seconds read_timeout, bool& keep_alive) {
        http::request<http::string_body> message{to_verb(request.method), request.target, 11};
        message.set(http::field::host, host_header(settings.endpoint));
        for (const auto& [name, value] : settings.headers) message.set(name, value);
        if (request.json_body) message.set(http::field::content_type, "application/json");
        if (!request.body.empty() || request.method == core::http_method::post ||
            request.method == core::http_method::put) {
            message.body() = request.body;
            message.prepare_payload();
        }
        message.keep_alive(true);

        http::response_parser<http::string_body> parser;
        parser.body_limit(settings.max_response_bytes);
        parser.header_limit(64 * 1024);

        tcp().expires_after(to_steady(read_timeout));
        boost::system::error_code ec;
        if (tls_) {
            std::tie(ec, std::ignore) = co_await http::async_write(*tls_, message, as_tuple_awaitable);
            if (!ec) std::tie(ec, std::ignore) = co_await http::async_read(*tls_, buffer_, parser, as_tuple_awaitable);
        } else {
            std::tie(ec, std::ignore) = co_await http::async_write(plain_, message, as_tuple_awaitable);
            if (!ec) std::tie(ec, std::ignore) = co_await http::async_read(plain_, buffer_, parser, as_tuple_awaitable);
        }
        if (ec) fail_exchange(ec, parser.got_some());
        tcp().expires_never();
        ++responses_;
        auto& response = parser.get();
        keep_alive = response.keep_alive() && !parser.need_eof();
        http_response result;
        result.status = static_cast<int>(response.result_int());
        result.content_type = std::string(response[http::field::content_type]);
        result.body = std::move(response.body());
        co_return result;
    }

    /// Served at least one response, so a failure before any byte may mean "closed while idle".
    bool reused() const noexcept { return responses_ > 0; }

    /// Closes at once; pending operations complete with operation_aborted.
    void close() noexcept {
        boost::system::error_code ignored;
        resolver_.cancel();
        tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
        tcp().socket().close(ignored);
    }

    bool is_open() noexcept { return tcp().socket().is_open(); }

private:
    [[noreturn]] void fail_exchange(boost::system::error_code ec, bool got_response_bytes) {
        if (ec == beast::error::timeout)
            throw attempt_error(transport_failure::read_timeout, "no complete response within the read timeout");
        if (ec == asio::error::operation_aborted) throw attempt_error(transport_failure::cancelled, "cancelled");
        if (ec == http::error::body_limit)
            throw attempt_error(transport_failure::body_too_large, "response body exceeds the configured cap");
        const bool closed = ec == http::error::end_of_stream || ec == asio::error::eof ||
                            ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
                            ec == http::error::partial_message || ec == ssl::error::stream_truncated ||
                            ec == asio::error::connection_aborted;
        if (closed && !got_response_bytes && reused())
            throw attempt_error(transport_failure::stale_connection, "keep-alive connection closed by the server");
        if (closed) throw attempt_error(transport_failure::connection_lost, "connection lost: " + ec.message());
        if (ec.category() == boost::system::error_code(http::error::end_of_stream).category() ||
            ec == http::error::header_limit)
            throw attempt_error(transport_failure::malformed_response, ec.message());
        throw attempt_error(transport_failure::connection_lost, "connection failed: " + ec.message());
    }

    tcp::resolver resolver_;
    beast::tcp_stream plain_;
    std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
    beast::flat_buffer buffer_;
    std::size_t responses_ = 0;
};

strand_session::strand_session(strand_type strand, std::shared_ptr<const session_settings> settings,
                               std::atomic<std::uint64_t>* opened_counter)
    : strand_(std::move(strand)), settings_(std::move(settings)), opened_counter_(opened_counter) {}

strand_session::~strand_session() = default;

asio::awaitable<std::unique_ptr<connection>> strand_session::acquire(seconds connect_timeout, bool& reused) {
    while (!idle_.empty()) {
        auto conn = std::move(idle_.front());
        idle_.pop_front();
        if (conn->is_open()) {
            reused = true;
            co_return conn;
        }
    }
    reused = false;
    auto conn = std::make_unique<connection>(strand_, *settings_);
    if (opened_counter_) ++*opened_counter_;
    in_use_.push_back(conn.get());
    auto unregister = [this, raw = conn.get()] { in_use_.remove(raw); };
    try {
        co_await conn->open(*settings_, connect_timeout);
    } catch (...) {
        unregister();
        throw;
    }
    unregister();
    co_return conn;
}

void strand_session::release(std::unique_ptr<connection> conn) {
    if (shut_down_ || idle_.size() >= settings_->max_idle_connections) {
        conn->close();
        return;
    }
    idle_.push_front(std::move(conn));  // most recently used first: least likely to be stale
}

asio::awaitable<http_response> strand_session::send(const http_request& request, seconds connect_timeout,
                                                    seconds read_timeout) {
    if (shut_down_) throw attempt_error(transport_failure::cancelled, "client is shut down");
    bool reused = false;
    auto conn = co_await acquire(connect_timeout, reused);
    if (shut_down_) throw attempt_error(transport_failure::cancelled, "client is shut down");
    in_use_.push_back(conn.get());
    bool keep_alive = false;
    http_response response;
    try {
        response = co_await conn->exchange(*settings_, request, read_timeout, keep_alive);
    } catch (...) {
        in_use_.remove(conn.get());
        conn->close();
        throw;
    }
    in_use_.remove(conn.get());
    if (keep_alive)
        release(std::move(conn));
    else
        conn->close();
    co_return response;
}

void strand_session::shutdown() {
    shut_down_ = true;
    for (auto* conn : in_use_) conn->close();
    for (auto& conn : idle_) conn->close();
    idle_.clear();
}

}  // namespace raycl::transport
