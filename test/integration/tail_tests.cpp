// Integration tests of live log tails against a real Ray head + worker, over each protocol.
#include "integration/harness.hpp"
#include "integration/known_output.hpp"

namespace raycl::test {
namespace {

/// Reads the whole stream: every line, plus "\n" where the line had one.
asio::awaitable<std::string> read_all(log_stream& stream) {
    std::string text;
    while (auto line = co_await stream.next()) {
        text += line->text;
        if (line->newline) text += '\n';
    }
    co_return text;
}

asio::awaitable<std::string> tail_to_end(client& ray, std::string id, tail_protocol protocol) {
    tail_options options;
    options.protocol = protocol;
    options.stream_timeout = seconds(60.0);
    auto stream = co_await ray.tail_job_logs(id, options);
    auto text = co_await read_all(stream);
    co_return text;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(real_ray_tail)

BOOST_AUTO_TEST_CASE(each_protocol_delivers_the_log_byte_for_byte) {
    client ray(cluster_options());
    for (const auto protocol : {tail_protocol::stream, tail_protocol::websocket, tail_protocol::automatic}) {
        BOOST_TEST_CONTEXT("protocol " << to_string(protocol)) {
            const auto entrypoint = python_entrypoint("known_output_job.py");
            const auto id = run_sync(ray.submit_job(job_submission(entrypoint).with_num_cpus(0.1)));
            const auto tailed = run_sync(tail_to_end(ray, id, protocol));
            const auto job = run_sync(ray.get_job(id));
            BOOST_TEST(job.status == job_status::succeeded);
            const auto logs = run_sync(ray.list_job_logs(id));
            BOOST_TEST(tailed == logs);  // long line, UTF-8 and the unterminated last line included
            BOOST_TEST(entrypoint_output(tailed, id, entrypoint) == known_output());
        }
    }
}

BOOST_AUTO_TEST_CASE(the_websocket_upgrade_is_the_job_check) {
    // The WebSocket opens at once (no GET of the job first): Ray's own answer to the upgrade,
    // 404 for an unknown job, is thrown by the call, as the GET's was.
    client ray(cluster_options());
    for (const auto protocol : {tail_protocol::websocket, tail_protocol::automatic}) {
        BOOST_TEST_CONTEXT("protocol " << to_string(protocol)) {
            tail_options options;
            options.protocol = protocol;
            const auto error = expect_error(ray.tail_job_logs("raysubmit_raycl_no_such_job", options));
            BOOST_TEST(error.status() == 404, error.what());
            BOOST_TEST(error.kind() == error_kind::not_found);
            const auto followed =
                expect_error(ray.follow_log(log_target::job("raysubmit_raycl_no_such_job"), {}, options));
            BOOST_TEST(followed.status() == 404, followed.what());
        }
    }
}

BOOST_AUTO_TEST_CASE(a_slowly_printing_job_is_followed_live) {
    client ray(cluster_options());
    for (const auto protocol : {tail_protocol::websocket, tail_protocol::stream}) {
        BOOST_TEST_CONTEXT("protocol " << to_string(protocol)) {
            const auto id = run_sync(
                ray.submit_job(job_submission(python_entrypoint("slow_printer_job.py", "12 0.5")).with_num_cpus(0.1)));
            auto follow = [&]() -> asio::awaitable<std::string> {
                tail_options options;
                options.protocol = protocol;
                options.stream_timeout = seconds(60.0);
                auto stream = co_await ray.tail_job_logs(id, options);
                std::string text;
                bool checked_live = false;
                while (auto line = co_await stream.next()) {
                    if (line->text == "tick 0" && !checked_live) {
                        // The first tick arrives while the job is still printing.
                        const auto job = co_await ray.get_job(id);
                        BOOST_TEST(job.status == job_status::running);
                        checked_live = true;
                    }
                    text += line->text + (line->newline ? "\n" : "");
                }
                BOOST_TEST(checked_live);
                co_return text;
            };
            const auto text = run_sync(follow());
            BOOST_TEST(text == run_sync(ray.list_job_logs(id)));
            BOOST_TEST(text.find("tick 11\ndone\n") != std::string::npos);
        }
    }
}

BOOST_AUTO_TEST_CASE(stopping_a_job_ends_its_tail) {
    client ray(cluster_options());
    const auto id = run_sync(
        ray.submit_job(job_submission(python_entrypoint("slow_printer_job.py", "1000 0.2")).with_num_cpus(0.1)));
    auto follow_and_stop = [&]() -> asio::awaitable<std::string> {
        tail_options options;
        options.protocol = tail_protocol::websocket;
        options.stream_timeout = seconds(60.0);
        auto stream = co_await ray.tail_job_logs(id, options);
        std::string text;
        bool stopped = false;
        while (auto line = co_await stream.next()) {
            text += line->text + (line->newline ? "\n" : "");
            if (!stopped && line->text == "tick 3") {
                stopped = co_await ray.stop_job(id);
            }
        }
        BOOST_TEST(stopped);
        co_return text;
    };
    const auto text = run_sync(follow_and_stop());
    BOOST_TEST(run_sync(ray.get_job(id)).status == job_status::stopped);
    BOOST_TEST(text == run_sync(ray.list_job_logs(id)));
    BOOST_TEST(text.find("tick 3\n") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace raycl::test
