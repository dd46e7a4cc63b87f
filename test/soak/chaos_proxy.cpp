// The chaos TCP proxy of the soak test (see chaos_proxy.hpp).
#include "soak/chaos_proxy.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <random>
#include <thread>
#include <unordered_map>

namespace raycl::soak {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
constexpr std::chrono::milliseconds tick{100};
constexpr std::size_t buffer_size = 16 * 1024;
}  // namespace

/// One proxied connection: the client's socket and the upstream socket, pumped both ways.
class proxy_connection : public std::enable_shared_from_this<proxy_connection> {
public:
    proxy_connection(chaos_proxy::impl& owner, tcp::socket client, std::uint64_t id);
    void start(unsigned short upstream_port);
    /// Closes both sockets; `reset` sends RST to the client instead of FIN.
    void cut(bool reset);
    std::uint64_t id() const { return id_; }

private:
    void pump(tcp::socket& from, tcp::socket& to, std::array<char, buffer_size>& buffer);
    void finish();

    chaos_proxy::impl& owner_;
    tcp::socket client_;
    tcp::socket upstream_;
    std::array<char, buffer_size> up_buffer_{};    // client -> upstream
    std::array<char, buffer_size> down_buffer_{};  // upstream -> client
    std::uint64_t id_;
    bool closed_ = false;
};

struct chaos_proxy::impl {
    asio::io_context ioc{1};
    tcp::acceptor acceptor{ioc};
    asio::steady_timer timer{ioc};
    unsigned short upstream_port = 0;
    unsigned short port = 0;
    double cut_probability = 0;  // per tick
    std::mt19937_64 random;
    std::unordered_map<std::uint64_t, std::weak_ptr<proxy_connection>> live;  // on the thread
    std::uint64_t next_id = 1;
    std::atomic<std::uint64_t> accepted{0}, cuts_fin{0}, cuts_rst{0}, open{0}, bytes{0};
    std::thread thread;
    std::atomic<bool> stopped{false};

    void accept() {
        acceptor.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
            if (ec) {
                if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
                accept();  // e.g. EMFILE: keep serving
                return;
            }
            ++accepted;
            ++open;
            const auto id = next_id++;
            auto connection = std::make_shared<proxy_connection>(*this, std::move(socket), id);
            live.emplace(id, connection);
            connection->start(upstream_port);
            accept();
        });
    }

    void chaos() {
        if (cut_probability <= 0) return;
        timer.expires_after(tick);
        timer.async_wait([this](boost::system::error_code ec) {
            if (ec) return;
            std::uniform_real_distribution<double> uniform(0.0, 1.0);
            std::vector<std::shared_ptr<proxy_connection>> victims;
            for (auto& [id, weak] : live) {
                if (uniform(random) >= cut_probability) continue;
                if (auto connection = weak.lock()) victims.push_back(std::move(connection));
            }
            for (auto& victim : victims) {
                const bool reset = uniform(random) < 0.5;
                ++(reset ? cuts_rst : cuts_fin);
                victim->cut(reset);
            }
            chaos();
        });
    }

    void forget(std::uint64_t id) {
        if (live.erase(id)) --open;
    }

    void close_all() {
        boost::system::error_code ignored;
        acceptor.close(ignored);
        timer.cancel();
        std::vector<std::shared_ptr<proxy_connection>> all;
        for (auto& [id, weak] : live)
            if (auto connection = weak.lock()) all.push_back(std::move(connection));
        for (auto& connection : all) connection->cut(false);
    }
};

proxy_connection::proxy_connection(chaos_proxy::impl& owner, tcp::socket client, std::uint64_t id)
    : owner_(owner), client_(std::move(client)), upstream_(owner.ioc), id_(id) {}

void proxy_connection::start(unsigned short upstream_port) {
    const tcp::endpoint upstream(asio::ip::address_v4::loopback(), upstream_port);
    upstream_.async_connect(upstream, [self = shared_from_this()](boost::system::error_code ec) {
        if (ec || self->closed_) {
            self->cut(true);
            return;
        }
        boost::system::error_code ignored;
        self->client_.set_option(tcp::no_delay(true), ignored);
        self->upstream_.set_option(tcp::no_delay(true), ignored);
        self->pump(self->client_, self->upstream_, self->up_buffer_);
        self->pump(self->upstream_, self->client_, self->down_buffer_);
    });
}

void proxy_connection::pump(tcp::socket& from, tcp::socket& to, std::array<char, buffer_size>& buffer) {
    from.async_read_some(asio::buffer(buffer), [self = shared_from_this(), &from, &to, &buffer](
                                                   boost::system::error_code ec, std::size_t n) {
        if (self->closed_) return;
        if (ec) {
            // EOF (FIN) from one side: pass it on as FIN, then close both once the other side is done.
            // A simple proxy: any end of one direction ends the connection (FIN to both).
            self->cut(false);
            return;
        }
        self->owner_.bytes += n;
        asio::async_write(to, asio::buffer(buffer.data(), n),
                          [self, &from, &to, &buffer](boost::system::error_code write_ec, std::size_t) {
                              if (self->closed_) return;
                              if (write_ec) {
                                  self->cut(false);
                                  return;
                              }
                              self->pump(from, to, buffer);
                          });
    });
}

void proxy_connection::cut(bool reset) {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ignored;
    if (reset) {
        client_.set_option(asio::socket_base::linger(true, 0), ignored);
    } else {
        client_.shutdown(tcp::socket::shutdown_both, ignored);
    }
    client_.close(ignored);
    upstream_.shutdown(tcp::socket::shutdown_both, ignored);
    upstream_.close(ignored);
    finish();
}

void proxy_connection::finish() {
    owner_.forget(id_);
}

chaos_proxy::chaos_proxy(unsigned short upstream_port, double rate, std::uint64_t seed)
    : impl_(std::make_shared<impl>()) {
    impl_->upstream_port = upstream_port;
    impl_->cut_probability = rate * std::chrono::duration<double>(tick).count();
    impl_->random.seed(seed);
    const tcp::endpoint endpoint(asio::ip::address_v4::loopback(), 0);
    impl_->acceptor.open(endpoint.protocol());
    impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
    impl_->acceptor.bind(endpoint);
    impl_->acceptor.listen(asio::socket_base::max_listen_connections);
    impl_->port = impl_->acceptor.local_endpoint().port();
    impl_->accept();
    impl_->chaos();
    impl_->thread = std::thread([state = impl_] { state->ioc.run(); });
}

chaos_proxy::~chaos_proxy() {
    stop();
}

unsigned short chaos_proxy::port() const {
    return impl_->port;
}

chaos_counters chaos_proxy::counters() const {
    chaos_counters c;
    c.accepted = impl_->accepted;
    c.cuts_fin = impl_->cuts_fin;
    c.cuts_rst = impl_->cuts_rst;
    c.open = impl_->open;
    c.bytes = impl_->bytes;
    return c;
}

void chaos_proxy::stop() {
    if (impl_->stopped.exchange(true)) return;
    asio::post(impl_->ioc, [state = impl_] { state->close_all(); });
    // Pending handlers end once the sockets are closed; the io_context then runs out of work.
    if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace raycl::soak
