// The chaos TCP proxy of the soak test (see chaos_proxy.hpp).
#include "soak/chaos_proxy.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <chrono>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>

namespace raycl::soak {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
constexpr std::chrono::milliseconds tick{100};
constexpr std::size_t buffer_size = 16 * 1024;

/// What a drawn request fault does to the answer of its request.
enum class answer_fault { none, cut_before, cut_mid };

std::string lowercase(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

/// The Content-Length of a lowercased request header (0 when absent or malformed).
std::uint64_t content_length(const std::string& header) {
    const auto at = header.find("\r\ncontent-length:");
    if (at == std::string::npos) return 0;
    std::uint64_t value = 0;
    for (auto i = header.find_first_not_of(' ', at + 17);
         i < header.size() && std::isdigit(static_cast<unsigned char>(header[i])); ++i)
        value = value * 10 + static_cast<std::uint64_t>(header[i] - '0');
    return value;
}

/// Whether a lowercased request header asks to upgrade the connection to a WebSocket.
bool upgrades_to_websocket(const std::string& header) {
    return header.find("\r\nupgrade: websocket") != std::string::npos ||
           header.find("\r\nupgrade:websocket") != std::string::npos;
}

/// Hands the method and target of the request line at the start of `header` to `observer`.
void observe(const request_observer& observer, std::string_view header) {
    const auto line = header.substr(0, header.find("\r\n"));
    const auto space = line.find(' ');
    if (space == std::string_view::npos) {
        observer(line, {});
        return;
    }
    const auto target = line.substr(space + 1);
    observer(line.substr(0, space), target.substr(0, target.find(' ')));
}
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
    /// Follows the client's requests through `n` bytes it sent; false when a fault cut the
    /// connection before them (nothing is forwarded then).
    bool follow_requests(const char* data, std::size_t n);
    /// How many of the `n` answer bytes just read go to the client before a cut; n: no cut.
    std::size_t answer_bytes_to_forward(std::size_t n);
    void finish();

    chaos_proxy::impl& owner_;
    tcp::socket client_;
    tcp::socket upstream_;
    std::array<char, buffer_size> up_buffer_{};    // client -> upstream
    std::array<char, buffer_size> down_buffer_{};  // upstream -> client
    std::uint64_t id_;
    bool closed_ = false;
    // Request following (only with request faults or an observer).
    bool upgraded_ = false;    // a WebSocket upgrade went up: no more requests on this connection
    bool in_request_ = false;  // bytes of a request seen, not all of it yet
    bool in_body_ = false;     // its header is complete
    std::string head_;         // its header so far
    std::uint64_t body_left_ = 0;
    answer_fault planned_ = answer_fault::none;  // for the request being sent
    answer_fault pending_ = answer_fault::none;  // for the answer to the last complete request
    bool planned_put_ = false;                   // the request being sent is a PUT
    bool pending_put_ = false;                   // the last complete request was a PUT
    bool cut_after_write_ = false;               // the write under way is the last before a cut
};

struct chaos_proxy::impl {
    asio::io_context ioc{1};
    tcp::acceptor acceptor{ioc};
    asio::steady_timer timer{ioc};
    unsigned short upstream_port = 0;
    unsigned short port = 0;
    double cut_probability = 0;  // per tick
    request_faults faults;
    request_observer observer;
    std::mt19937_64 random;
    std::unordered_map<std::uint64_t, std::weak_ptr<proxy_connection>> live;  // on the thread
    std::uint64_t next_id = 1;
    std::atomic<std::uint64_t> accepted{0}, cuts_fin{0}, cuts_rst{0}, open{0}, bytes{0};
    std::atomic<std::uint64_t> requests{0}, cuts_before_request{0}, cuts_after_request{0}, cuts_mid_response{0};
    std::atomic<std::uint64_t> put_requests{0}, put_cuts_before_request{0}, put_cuts_after_request{0},
        put_cuts_mid_response{0};
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
            for (auto& victim : victims) cut_at_random(*victim);
            chaos();
        });
    }

    bool follows_requests() const { return faults.any() || observer != nullptr; }

    double uniform01() { return std::uniform_real_distribution<double>(0.0, 1.0)(random); }

    /// Cuts `connection`, FIN or RST at random, and counts it.
    void cut_at_random(proxy_connection& connection) {
        const bool reset = uniform01() < 0.5;
        ++(reset ? cuts_rst : cuts_fin);
        connection.cut(reset);
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
        if (self->owner_.follows_requests()) {
            if (&from == &self->client_) {
                if (!self->follow_requests(buffer.data(), n)) return;
            } else {
                const auto forward = self->answer_bytes_to_forward(n);
                if (forward == 0 && n > 0) {
                    self->owner_.cut_at_random(*self);
                    return;
                }
                self->cut_after_write_ = forward < n;
                n = forward;
            }
        }
        self->owner_.bytes += n;
        asio::async_write(to, asio::buffer(buffer.data(), n),
                          [self, &from, &to, &buffer](boost::system::error_code write_ec, std::size_t) {
                              if (self->closed_) return;
                              if (write_ec) {
                                  self->cut(false);
                                  return;
                              }
                              if (self->cut_after_write_ && &to == &self->client_) {
                                  self->owner_.cut_at_random(*self);
                                  return;
                              }
                              self->pump(from, to, buffer);
                          });
    });
}

bool proxy_connection::follow_requests(const char* data, std::size_t n) {
    std::size_t i = 0;
    for (;;) {
        if (upgraded_) return true;
        if (!in_request_) {
            if (i == n) return true;
            // The first byte of a new request: draw its fault.
            in_request_ = true;
            in_body_ = false;
            head_.clear();
            ++owner_.requests;
            // The method is in the first read of a request (raycl writes its header at once).
            planned_put_ = std::string_view(data + i, std::min<std::size_t>(4, n - i)) == "PUT ";
            if (planned_put_) ++owner_.put_requests;
            const auto& f = owner_.faults;
            const double u = owner_.uniform01();
            planned_ = answer_fault::none;
            if (u < f.before_request) {
                ++owner_.cuts_before_request;
                if (planned_put_) ++owner_.put_cuts_before_request;
                owner_.cut_at_random(*this);
                return false;
            }
            if (u < f.before_request + f.after_request)
                planned_ = answer_fault::cut_before;
            else if (u < f.before_request + f.after_request + f.mid_response)
                planned_ = answer_fault::cut_mid;
        }
        if (!in_body_) {
            const auto old = head_.size();
            head_.append(data + i, n - i);
            const auto end = head_.find("\r\n\r\n", old >= 3 ? old - 3 : 0);
            if (end == std::string::npos) return true;  // the header goes on in the next read
            const auto header_size = end + 4;
            i += header_size - old;
            head_.resize(header_size);
            if (owner_.observer) observe(owner_.observer, head_);
            const auto lower = lowercase(head_);
            body_left_ = content_length(lower);
            upgraded_ = upgrades_to_websocket(lower);
            in_body_ = true;
        }
        const auto body = static_cast<std::size_t>(std::min<std::uint64_t>(body_left_, n - i));
        body_left_ -= body;
        i += body;
        if (body_left_ > 0) return true;
        in_request_ = false;  // complete: its answer gets the drawn fault
        pending_ = planned_;
        pending_put_ = planned_put_;
    }
}

std::size_t proxy_connection::answer_bytes_to_forward(std::size_t n) {
    const auto fault = std::exchange(pending_, answer_fault::none);
    if (fault == answer_fault::none || n == 0) return n;
    if (fault == answer_fault::cut_mid && n > 1) {
        ++owner_.cuts_mid_response;
        if (pending_put_) ++owner_.put_cuts_mid_response;
        return 1 + static_cast<std::size_t>(owner_.random() % (n - 1));
    }
    ++owner_.cuts_after_request;  // cut_before, or an answer read one byte at a time
    if (pending_put_) ++owner_.put_cuts_after_request;
    return 0;
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

chaos_proxy::chaos_proxy(unsigned short upstream_port, double rate, std::uint64_t seed, request_faults faults,
                         request_observer observer)
    : impl_(std::make_shared<impl>()) {
    impl_->upstream_port = upstream_port;
    impl_->faults = faults;
    impl_->observer = std::move(observer);
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
    c.requests = impl_->requests;
    c.cuts_before_request = impl_->cuts_before_request;
    c.cuts_after_request = impl_->cuts_after_request;
    c.cuts_mid_response = impl_->cuts_mid_response;
    c.put_requests = impl_->put_requests;
    c.put_cuts_before_request = impl_->put_cuts_before_request;
    c.put_cuts_after_request = impl_->put_cuts_after_request;
    c.put_cuts_mid_response = impl_->put_cuts_mid_response;
    return c;
}

void chaos_proxy::stop() {
    if (impl_->stopped.exchange(true)) return;
    asio::post(impl_->ioc, [state = impl_] { state->close_all(); });
    // Pending handlers end once the sockets are closed; the io_context then runs out of work.
    if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace raycl::soak
