// A TCP proxy on 127.0.0.1 that forwards every connection to an upstream port and cuts random
// connections, as a flaky network would: for the soak tests (test/soak/main.cpp: log tails;
// test/soak/submit_soak.cpp: submits exactly once).
//
// Each accepted connection gets its own upstream connection; bytes are pumped both ways. Two
// kinds of cuts, each closing both sides, half of them with FIN, half resetting the client side
// (RST, SO_LINGER 0):
//  - by time: every `tick` each live connection is cut with probability rate * tick (rate = cuts
//    per second per connection);
//  - by request (request_faults): the proxy follows the HTTP/1.1 requests the client sends on
//    the connection (header up to the blank line, then Content-Length bytes of body; no chunked
//    request bodies, no pipelining) and draws one fault per request: cut before any byte of it
//    reaches the server, cut after the whole request went up but before any byte of the answer
//    comes back, or cut in the middle of the answer (part of its first read goes back, not all).
//    PUT requests (package uploads) are counted apart as well.
// With a request_observer (and no faults, no cuts) it is a counting proxy: the requests are
// followed the same way and each one's method and target are handed to the observer
// (bench/real_tails.cpp: the requests raycl's tails send to a real dashboard). A request that
// upgrades its connection to a WebSocket is the last one followed there: what follows is frames.
// Runs its own io_context on its own thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

namespace raycl::soak {

/// Per-request fault probabilities (each in [0, 1], their sum at most 1).
struct request_faults {
    double before_request = 0;  ///< cut before any byte of the request reaches the server
    double after_request = 0;   ///< the whole request went up; cut before any byte of the answer comes back
    double mid_response = 0;    ///< cut after part of the answer's first read went back (not all of it)

    bool any() const { return before_request > 0 || after_request > 0 || mid_response > 0; }
};

/// Called on the proxy's thread with the method and target of each request the client sends, as
/// soon as its header is complete (views valid for the call only). Must not throw.
using request_observer = std::function<void(std::string_view method, std::string_view target)>;

/// Counters of a chaos_proxy (a snapshot).
struct chaos_counters {
    std::uint64_t accepted = 0;             ///< client connections accepted
    std::uint64_t cuts_fin = 0;             ///< connections cut with FIN (all kinds)
    std::uint64_t cuts_rst = 0;             ///< connections cut with RST (all kinds)
    std::uint64_t open = 0;                 ///< connections open now
    std::uint64_t bytes = 0;                ///< bytes forwarded, both directions
    std::uint64_t requests = 0;             ///< requests seen (with request_faults or an observer only)
    std::uint64_t cuts_before_request = 0;  ///< request faults injected, by kind
    std::uint64_t cuts_after_request = 0;
    std::uint64_t cuts_mid_response = 0;
    /// The same for the PUT requests alone (package uploads): seen, and cut by kind.
    std::uint64_t put_requests = 0;
    std::uint64_t put_cuts_before_request = 0;
    std::uint64_t put_cuts_after_request = 0;
    std::uint64_t put_cuts_mid_response = 0;
};

/// The proxy. Thread-safe: counters() and stop() may be called from any thread.
class chaos_proxy {
public:
    /// Listens on an ephemeral port of 127.0.0.1 at once and forwards to 127.0.0.1:upstream_port.
    /// `rate` in [0, 1]: probability per second that a given connection is cut (0: none);
    /// `faults`: the per-request cuts (none by default); `observer`: told of every request (none
    /// by default; with one, requests are followed even without faults).
    chaos_proxy(unsigned short upstream_port, double rate, std::uint64_t seed, request_faults faults = {},
                request_observer observer = {});
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
