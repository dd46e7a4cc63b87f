// A TCP proxy on 127.0.0.1 that forwards every connection to an upstream port and cuts random
// connections, as a flaky network would: for the soak test (test/soak/main.cpp).
//
// Each accepted connection gets its own upstream connection; bytes are pumped both ways. Every
// `tick` each live connection is cut with probability rate * tick (rate = cuts per second per
// connection): half of the cuts close both sides with FIN, half reset the client side (RST,
// SO_LINGER 0) and close the upstream side. Runs its own io_context on its own thread.
#pragma once

#include <cstdint>
#include <memory>

namespace raycl::soak {

/// Counters of a chaos_proxy (a snapshot).
struct chaos_counters {
    std::uint64_t accepted = 0;  ///< client connections accepted
    std::uint64_t cuts_fin = 0;  ///< connections cut with FIN
    std::uint64_t cuts_rst = 0;  ///< connections cut with RST
    std::uint64_t open = 0;      ///< connections open now
    std::uint64_t bytes = 0;     ///< bytes forwarded, both directions
};

/// The proxy. Thread-safe: counters() and stop() may be called from any thread.
class chaos_proxy {
public:
    /// Listens on an ephemeral port of 127.0.0.1 at once and forwards to 127.0.0.1:upstream_port.
    /// `rate` in [0, 1]: probability per second that a given connection is cut (0: none).
    chaos_proxy(unsigned short upstream_port, double rate, std::uint64_t seed);
    /// stop().
    ~chaos_proxy();
    chaos_proxy(const chaos_proxy&) = delete;
    chaos_proxy& operator=(const chaos_proxy&) = delete;

    /// The port clients connect to.
    unsigned short port() const;
    /// The counters so far.
    chaos_counters counters() const;
    /// Closes every connection and joins the thread. Idempotent.
    void stop();

    struct impl;  ///< The state on the proxy's thread (chaos_proxy.cpp).

private:
    std::shared_ptr<impl> impl_;
};

}  // namespace raycl::soak
