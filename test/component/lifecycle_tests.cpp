// The client's own io_context and thread: what its destruction leaves behind.
#include "component/harness.hpp"

#include <boost/asio/execution/context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/query.hpp>

#include <memory>
#include <thread>

using namespace raycl;
using namespace raycl::test;

BOOST_AUTO_TEST_SUITE(component_lifecycle)

BOOST_AUTO_TEST_CASE(a_force_stopped_owned_loop_frees_the_handlers_it_still_queued) {
    // The destructor gives the loop 5 s to finish its cancelled work, then stops it. Handlers
    // still queued then hold the client's internals (which hold the loop): they must be
    // destroyed, not leaked. Here a handler keeps the loop busy until it is stopped, and a
    // second handler, queued behind it, holds a sentinel.
    fake_dashboard dashboard;
    std::weak_ptr<int> sentinel;
    {
        client ray(options_for(dashboard));
        auto held = std::make_shared<int>(42);
        sentinel = held;
        auto& context = static_cast<asio::io_context&>(asio::query(ray.get_executor(), asio::execution::context));
        asio::post(ray.get_executor(), [&context] {
            while (!context.stopped()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        });
        asio::post(ray.get_executor(), [held = std::move(held)] { BOOST_ERROR("a stopped loop ran a handler"); });
        BOOST_TEST(!sentinel.expired());
    }
    BOOST_TEST(sentinel.expired(), "the queued handler (and what it holds) leaked");
}

BOOST_AUTO_TEST_SUITE_END()
