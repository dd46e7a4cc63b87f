// The plain-or-TLS stream: connecting, the TLS handshake, the TLS context.
#include "transport/tcp_or_tls_stream.hpp"

#include "core/sanitize.hpp"

#include <raycl/error.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <array>
#include <filesystem>
#include <memory>

namespace raycl::transport {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using core::transport_failure;

namespace {

constexpr auto as_tuple_awaitable = asio::as_tuple(asio::use_awaitable);

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
        // A directory is OpenSSL's hashed layout (`openssl rehash`), as Python's requests takes it.
        std::error_code is_dir_error;
        const bool directory = std::filesystem::is_directory(options.ca_file, is_dir_error);
        if (directory)
            context_.add_verify_path(options.ca_file, ec);
        else
            context_.load_verify_file(options.ca_file, ec);
        if (ec) {
            throw client_error(error_kind::invalid_argument, std::string("cannot load the CA ") +
                                                                 (directory ? "directory " : "file ") +
                                                                 core::sanitize(options.ca_file) + ": " + ec.message());
        }
    }
    verify_peer_ = options.verify_peer;
    context_.set_verify_mode(verify_peer_ ? ssl::verify_peer : ssl::verify_none);
}

std::shared_ptr<tls_context> make_tls_context(const tls_options& options) {
    return std::make_shared<tls_context>(options);
}

tcp_or_tls_stream::tcp_or_tls_stream(const strand_type& strand, const session_settings& settings)
    : resolver_(strand), stream_(std::in_place_index<0>, strand) {
    if (settings.tls) stream_.emplace<tls_stream>(beast::tcp_stream(strand), settings.tls->native());
}

beast::tcp_stream& tcp_or_tls_stream::tcp() noexcept {
    if (auto* tls = std::get_if<tls_stream>(&stream_)) return beast::get_lowest_layer(*tls);
    return std::get<beast::tcp_stream>(stream_);
}

namespace {

/// Read buffers given back on this thread, for the next bursts of any stream running here. Two
/// per thread: enough for the bursts in flight at once, and a bounded amount resident.
struct spare_read_buffers {
    std::array<std::unique_ptr<char[]>, 2> buffers;
    std::size_t count = 0;
};
thread_local spare_read_buffers spares;

}  // namespace

std::unique_ptr<char[]> tcp_or_tls_stream::take_read_buffer() {
    if (spares.count > 0) return std::move(spares.buffers[--spares.count]);
    return std::make_unique_for_overwrite<char[]>(read_buffer_size);
}

void tcp_or_tls_stream::give_back_read_buffer() noexcept {
    if (!read_buffer_) return;
    if (spares.count < spares.buffers.size())
        spares.buffers[spares.count++] = std::move(read_buffer_);
    else
        read_buffer_.reset();
}

void tcp_or_tls_stream::close_now() noexcept {
    boost::system::error_code ignored;
    resolver_.cancel();
    auto& socket = tcp().socket();
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
    read_begin_ = read_end_ = 0;  // a read after close fails like the socket's
}

asio::awaitable<void> tcp_or_tls_stream::open(const session_settings& settings,
                                              std::chrono::steady_clock::time_point deadline) {
    const auto& endpoint = settings.endpoint;
    // The resolver has no timeout of its own; the deadline is checked right after it
    // (loopback names and IP literals resolve without a lookup).
    auto [resolve_ec, results] = co_await resolver_.async_resolve(endpoint.host, endpoint.port, as_tuple_awaitable);
    if (resolve_ec) {
        if (resolve_ec == asio::error::operation_aborted)
            throw failure(transport_failure::cancelled, "cancelled while resolving");
        throw failure(transport_failure::resolve_failed,
                      "cannot resolve " + endpoint.host + ": " + resolve_ec.message());
    }
    const auto remaining = deadline - std::chrono::steady_clock::now();
    if (remaining <= std::chrono::steady_clock::duration::zero())
        throw failure(transport_failure::connect_timeout, "connect timed out while resolving");
    auto& lowest = tcp();
    lowest.expires_after(remaining);
    auto [connect_ec, connected] = co_await lowest.async_connect(results, as_tuple_awaitable);
    (void)connected;
    if (connect_ec) {
        if (connect_ec == beast::error::timeout)
            throw failure(transport_failure::connect_timeout, "connect to " + endpoint.display + " timed out");
        if (connect_ec == asio::error::operation_aborted)
            throw failure(transport_failure::cancelled, "cancelled while connecting");
        throw failure(transport_failure::connect_refused,
                      "cannot connect to " + endpoint.display + ": " + connect_ec.message());
    }
    lowest.socket().set_option(tcp::no_delay(true));
    lowest.expires_never();
    auto* tls = std::get_if<tls_stream>(&stream_);
    if (!tls) co_return;

    const auto& host = endpoint.host;
    if (!is_ip_literal(host) && !SSL_set_tlsext_host_name(tls->native_handle(), host.c_str()))
        throw failure(transport_failure::tls_failed, "cannot set TLS SNI host name");
    if (settings.tls->verify_peer()) tls->set_verify_callback(ssl::host_name_verification(host));
    lowest.expires_at(deadline);
    auto [ec] = co_await tls->async_handshake(ssl::stream_base::client, as_tuple_awaitable);
    if (ec) {
        if (ec == beast::error::timeout) throw failure(transport_failure::connect_timeout, "TLS handshake timed out");
        if (ec == asio::error::operation_aborted)
            throw failure(transport_failure::cancelled, "cancelled during TLS handshake");
        std::string reason = ec.message();
        if (ec.category() == asio::error::get_ssl_category()) {
            char text[256];
            ERR_error_string_n(static_cast<unsigned long>(ec.value()), text, sizeof text);
            reason = text;
        }
        throw failure(transport_failure::tls_failed, "TLS handshake with " + endpoint.display + " failed: " + reason);
    }
    lowest.expires_never();
}

}  // namespace raycl::transport
