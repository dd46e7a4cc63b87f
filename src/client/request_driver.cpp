// The request driver: performs what core::request_attempts decides (send, back off, deliver,
// fail) on one strand, with the transport's keep-alive pool.
#include "client/client_impl.hpp"

#include "core/error_mapping.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>

namespace raycl::detail {

asio::awaitable<request_result> client_impl::perform(strand_slot& slot, const core::request_spec& request,
                                                     const call_options& call) {
    const seconds connect_timeout = call.connect_timeout.value_or(options_.timeout.connect);
    const seconds read_timeout = call.read_timeout.value_or(options_.timeout.read);
    const transport::http_request wire{request.method,    prefixed(request.target), request.body,
                                       request.json_body, request.body_file,        request.framed_log_body};
    core::request_attempts attempts(call.retry.value_or(options_.retry), request.idempotent);

    request_result result;
    std::optional<client_error> failure;
    for (auto action = attempts.start();;) {
        switch (action.next) {
            case core::request_attempts::step::deliver:
                result.repeated = attempts.repeated();
                co_return result;
            case core::request_attempts::step::fail:
                // A stale connection that may not be repeated is, for the caller, a lost one.
                throw *failure;
            case core::request_attempts::step::send:
                if (failure) ++retries_;
                if (action.delay.count() > 0) co_await sleep(slot, action.delay, request);
                if (stopping_) throw cancelled_error(request, "the client was destroyed");
                break;
        }
        try {
            ++requests_sent_;
            result.response = co_await slot.session.send(wire, connect_timeout, read_timeout);
            const auto outcome = core::map_status(result.response.status).outcome;
            if (outcome != core::attempt_outcome::retryable_status) {
                result.repeated = attempts.repeated();
                co_return result;
            }
            failure = core::classify_status(request, result.response.status, result.response.body, secrets_);
            action = attempts.on_answer(outcome, slot.random01());
        } catch (const transport::failure& error) {
            if (error.reason() == core::transport_failure::cancelled) throw cancelled_error(request, error.detail());
            failure = core::transport_error(request, error.reason(), error.detail(), secrets_);
            action = attempts.on_failure(core::map_failure(error.reason()).outcome, slot.random01());
        }
    }
}

asio::awaitable<void> client_impl::sleep(strand_slot& slot, std::chrono::milliseconds delay,
                                         const core::request_spec& request) {
    asio::steady_timer timer(slot.strand(), delay);
    slot.sleeping.push_back(&timer);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    slot.sleeping.remove(&timer);
    if (ec) throw cancelled_error(request, "cancelled during back-off");
}

}  // namespace raycl::detail
