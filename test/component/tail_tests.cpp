// Component tests of live log tails against the scripted fake dashboard: reassembly, exactly
// once across reconnects and protocol switches, completion from the static log, limits,
// timeouts, declined upgrades, cancellation, concurrency and back-pressure.
#include "component/tail_harness.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <atomic>
#include <charconv>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>
#include <utility>

namespace raycl::test {

using namespace tail_harness;

namespace {

std::size_t resident_kib() {
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);) {
        if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6));
    }
    return 0;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(component_tail)

BOOST_AUTO_TEST_CASE(frames_with_several_lines_and_partial_lines) {
    fake_dashboard dashboard;
    const std::string log = "a\nb\ncd\ne\xC3\xA9\nlast";
    scripted_job job;
    job.install(dashboard, 0, log);
    // TEXT frames are valid UTF-8 each (RFC 6455; Ray sends Python strings); lines are not.
    dashboard.websocket_route(tail_target, [](const recorded_request&) {
        return websocket_script{}
            .send_text("a\nb\nc")
            .send_text("d\ne")
            .send_text("\xC3\xA9")
            .send_text("\nla")
            .send_text("st")
            .close(1000);
    });
    client ray(options_for(dashboard));
    std::vector<log_line> lines;
    stream_stats stats;
    BOOST_TEST(run_sync(tail_all(ray, websocket_options(), &stats, &lines)) == log);
    BOOST_TEST_REQUIRE(lines.size() == 5u);
    BOOST_TEST(lines[2].text == "cd");
    BOOST_TEST(lines[3].text == "e\xC3\xA9");
    BOOST_TEST(lines[4].text == "last");
    BOOST_TEST(!lines[4].newline);
    BOOST_TEST(lines[4].offset == log.size() - 4);
    BOOST_TEST(stats.frames == 5u);
    BOOST_TEST(stats.reconnects == 0u);
    BOOST_TEST(stats.static_log_bytes == 0u);
}

BOOST_AUTO_TEST_CASE(http_chunks_split_inside_utf8_sequences) {
    fake_dashboard dashboard;
    const std::string log = "h\xC3\xA9llo\n\xE2\x9C\x93 ok\n\xF0\x9F\x98\x80";
    scripted_job job;
    job.install(dashboard, 0, log);
    dashboard.expect("GET", stream_target)
        .reply_with(reply::chunked_text(200, {"h\xC3", "\xA9llo\n\xE2", "\x9C", "\x93 ok\n\xF0\x9F", "\x98\x80"}));
    client ray(options_for(dashboard));
    std::vector<log_line> lines;
    BOOST_TEST(run_sync(tail_all(ray, tail_options{}, nullptr, &lines)) == log);
    BOOST_TEST_REQUIRE(lines.size() == 3u);
    BOOST_TEST(lines[0].text == "h\xC3\xA9llo");
    BOOST_TEST(lines[1].text == "\xE2\x9C\x93 ok");
    BOOST_TEST(lines[2].text == "\xF0\x9F\x98\x80");
}

BOOST_AUTO_TEST_CASE(drop_mid_stream_then_replay_from_start_is_exactly_once) {
    fake_dashboard dashboard;
    scripted_job job;
    job.install(dashboard, 0, generated_log(0, 300));  // terminal when asked after the close
    auto connections = std::make_shared<std::atomic<int>>(0);
    dashboard.websocket_route(tail_target, [connections](const recorded_request&) {
        if (connections->fetch_add(1) == 0) return websocket_script{}.send_lines(0, 137, 10, 700).drop();
        return websocket_script{}.send_lines(0, 300).close(1000);
    });
    client ray(options_for(dashboard));
    stream_stats stats;
    BOOST_TEST(run_sync(tail_all(ray, websocket_options(), &stats)) == generated_log(0, 300));
    BOOST_TEST(stats.reconnects == 1u);
    BOOST_TEST(connections->load() == 2);
}

BOOST_AUTO_TEST_CASE(normal_close_while_running_reconnects) {
    fake_dashboard dashboard;
    scripted_job job;
    job.install(dashboard, 1, generated_log(0, 120));  // RUNNING at the first close (ray#60665)
    auto connections = std::make_shared<std::atomic<int>>(0);
    dashboard.websocket_route(tail_target, [connections](const recorded_request&) {
        if (connections->fetch_add(1) == 0) return websocket_script{}.send_lines(0, 50).close(1000);
        return websocket_script{}.send_lines(0, 120).close(1000);
    });
    client ray(options_for(dashboard));
    stream_stats stats;
    BOOST_TEST(run_sync(tail_all(ray, websocket_options(), &stats)) == generated_log(0, 120));
    BOOST_TEST(stats.reconnects == 1u);
}

BOOST_AUTO_TEST_CASE(reconnect_budget_renews_after_new_data) {
    // Five cuts, each after new lines, with max_reconnects 2: every connection made progress, so
    // the tail survives them all (the soak's random disconnects broke long tails before).
    fake_dashboard dashboard;
    scripted_job job;
    job.install(dashboard, 0, generated_log(0, 120));
    auto connections = std::make_shared<std::atomic<int>>(0);
    dashboard.websocket_route(tail_target, [connections](const recorded_request&) {
        const int n = connections->fetch_add(1);
        if (n < 5) return websocket_script{}.send_lines(0, 20 * static_cast<std::uint64_t>(n + 1)).drop();
        return websocket_script{}.send_lines(0, 120).close(1000);
    });
    client ray(options_for(dashboard));
    auto options = websocket_options();
    options.max_reconnects = 2;
    stream_stats stats;
    BOOST_TEST(run_sync(tail_all(ray, options, &stats)) == generated_log(0, 120));
    BOOST_TEST(stats.reconnects == 5u);
    BOOST_TEST(connections->load() == 6);
}

BOOST_AUTO_TEST_CASE(reconnects_without_new_data_end_with_503) {
    // Every connection replays the same 30 lines and drops: after the first, none brings new
    // data, so max_reconnects 2 allows three connections, then 503 after the 30 lines.
    fake_dashboard dashboard;
    scripted_job job;
    job.install(dashboard, 1000, generated_log(0, 30));
    auto connections = std::make_shared<std::atomic<int>>(0);
    dashboard.websocket_route(tail_target, [connections](const recorded_request&) {
        connections->fetch_add(1);
        return websocket_script{}.send_lines(0, 30).drop();
    });
    client ray(options_for(dashboard));
    auto options = websocket_options();
    options.max_reconnects = 2;
    std::optional<client_error> error;
    BOOST_TEST(run_sync(generated_lines_until_error(ray, options, error)) == 30);
    BOOST_TEST_REQUIRE(error.has_value());
    BOOST_TEST(error->status() == 503);
    BOOST_TEST(connections->load() == 3);
}

BOOST_AUTO_TEST_CASE(lines_the_tail_missed_come_from_the_static_log) {
    fake_dashboard dashboard;
    const std::string log = generated_log(0, 52) + "final words";
    scripted_job job;
    job.install(dashboard, 0, log);
    dashboard.websocket_route(tail_target, [](const recorded_request&) {
        return websocket_script{}.send_lines(0, 50).close(1000);  // ray#46413: last lines missing
    });
    client ray(options_for(dashboard));
    stream_stats stats;
    std::vector<log_line> lines;
    BOOST_TEST(run_sync(tail_all(ray, websocket_options(), &stats, &lines)) == log);
    BOOST_TEST(stats.static_log_bytes == log.size() - generated_log(0, 50).size());
    BOOST_TEST(!lines.back().newline);
}

BOOST_AUTO_TEST_CASE(idle_timeout_is_408_after_the_lines_before_it) {
    fake_dashboard dashboard;
    scripted_job job;
    job.install(dashboard, 1000, "");
    dashboard.websocket_route(tail_target,
                              [](const recorded_request&) { return websocket_script{}.send_lines(0, 3).stall(); });
    client ray(options_for(dashboard));
    auto options = websocket_options();
    options.stream_timeout = seconds(0.3);
    auto consume = [&]() -> asio::awaitable<int> {
        auto stream = co_await ray.tail_job_logs(job_id, options);
        int received = 0;
        try {
            while (co_await stream.next()) ++received;
        } catch (const client_error& error) {
            BOOST_TEST(error.status() == 408);
            co_return received;
        }
        co_return -1;
    };
    BOOST_TEST(run_sync(consume()) == 3);
}

BOOST_AUTO_TEST_CASE(limits_end_the_stream_with_429_after_everything_before) {
    fake_dashboard dashboard;
    scripted_job job;
    job.install(dashboard, 0, generated_log(0, 100));
    dashboard.websocket_route(
        tail_target, [](const recorded_request&) { return websocket_script{}.send_lines(0, 100).close(1000); });
    client ray(options_for(dashboard));
    auto options = websocket_options();
    stream_limits limits;
    limits.max_lines = 25;
    options.limits = limits;
    std::optional<client_error> error;
    BOOST_TEST(run_sync(generated_lines_until_error(ray, options, error)) == 25);
    BOOST_TEST_REQUIRE(error.has_value());
    BOOST_TEST(error->status() == 429);
    BOOST_TEST(error->message().find("max_lines") != std::string::npos, error->message());
}

namespace {

/// Every line of the stream through next_batch(), checked against the generated log; the
/// number of batches in `batches`.
asio::awaitable<std::uint64_t> generated_lines_by_batch(log_stream& stream, std::uint64_t& batches) {
    std::uint64_t received = 0;
    for (auto lines = co_await stream.next_batch(); !lines.empty(); lines = co_await stream.next_batch()) {
        ++batches;
        for (const auto& line : lines) {
            if (line.text != generated_log_line(received) || !line.newline)
                BOOST_FAIL("line " << received << " differs");
            ++received;
        }
    }
    co_return received;
}

}  // namespace

BOOST_AUTO_TEST_CASE(next_batch_hands_out_every_line_once_in_order_over_both_protocols) {
    const std::uint64_t total = 5'000;
    for (const auto protocol : {tail_protocol::websocket, tail_protocol::stream}) {
        fake_dashboard dashboard;
        scripted_job job;
        job.install(dashboard, 0, generated_log(0, total));
        dashboard.websocket_route(tail_target, [total](const recorded_request&) {
            return websocket_script{}.send_lines(0, total).close(1000);
        });
        dashboard.expect("GET", stream_target).reply_with(reply::stream(generated_chunks(0, total)));
        client ray(options_for(dashboard));
        auto options = websocket_options();
        options.protocol = protocol;
        std::uint64_t batches = 0;
        stream_stats stats;
        auto consume = [&]() -> asio::awaitable<std::uint64_t> {
            auto stream = co_await ray.tail_job_logs(job_id, options);
            const auto received = co_await generated_lines_by_batch(stream, batches);
            const auto after_end = co_await stream.next_batch();  // the end stays the end
            BOOST_TEST(after_end.empty());
            const auto line_after_end = co_await stream.next();
            BOOST_TEST(!line_after_end.has_value());
            stats = stream.stats();
            co_return received;
        };
        BOOST_TEST(run_sync(consume()) == total);
        BOOST_TEST((stats.protocol == protocol));
        BOOST_TEST(stats.static_log_bytes == 0u);  // every line came from the tail, none twice
        // Frames and chunks hold 10 lines each, and a batch holds at least one whole read.
        BOOST_TEST(batches <= total / 10, batches << " batches");
    }
}

BOOST_AUTO_TEST_CASE(next_and_next_batch_mixed_keep_the_order) {
    const std::uint64_t total = 2'000;
    fake_dashboard dashboard;
    scripted_job job;
    job.install(dashboard, 0, generated_log(0, total));
    dashboard.websocket_route(
        tail_target, [total](const recorded_request&) { return websocket_script{}.send_lines(0, total).close(1000); });
    client ray(options_for(dashboard));
    auto consume = [&]() -> asio::awaitable<std::uint64_t> {
        auto stream = co_await ray.tail_job_logs(job_id, websocket_options());
        std::uint64_t received = 0;
        for (bool by_line = true;; by_line = !by_line) {
            if (by_line) {
                for (int i = 0; i < 3; ++i) {
                    auto line = co_await stream.next();
                    if (!line) co_return received;
                    if (line->text != generated_log_line(received)) BOOST_FAIL("line " << received << " differs");
                    ++received;
                }
            } else {
                auto lines = co_await stream.next_batch();
                if (lines.empty()) co_return received;
                for (const auto& line : lines) {
                    if (line.text != generated_log_line(received)) BOOST_FAIL("line " << received << " differs");
                    ++received;
                }
            }
        }
    };
    BOOST_TEST(run_sync(consume()) == total);
}

BOOST_AUTO_TEST_CASE(next_batch_throws_the_error_only_after_the_lines_before_it) {
    fake_dashboard dashboard;
    scripted_job job;
    job.install(dashboard, 0, generated_log(0, 100));
    dashboard.websocket_route(
        tail_target, [](const recorded_request&) { return websocket_script{}.send_lines(0, 100).close(1000); });
    client ray(options_for(dashboard));
    auto options = websocket_options();
    stream_limits limits;
    limits.max_lines = 25;
    options.limits = limits;
    std::optional<client_error> error;
    std::uint64_t received = 0;
    auto consume = [&]() -> asio::awaitable<void> {
        auto stream = co_await ray.tail_job_logs(job_id, options);
        try {
            for (auto lines = co_await stream.next_batch(); !lines.empty(); lines = co_await stream.next_batch()) {
                for (const auto& line : lines) {
                    if (line.text != generated_log_line(received)) BOOST_FAIL("line " << received << " differs");
                    ++received;
                }
            }
        } catch (const client_error& e) {
            error = e;
        }
    };
    run_sync(consume());
    BOOST_TEST(received == 25u);
    BOOST_TEST_REQUIRE(error.has_value());
    BOOST_TEST(error->status() == 429);
    BOOST_TEST(error->message().find("max_lines") != std::string::npos, error->message());
}

BOOST_AUTO_TEST_CASE(oversize_lines_are_split_not_dropped) {
    fake_dashboard dashboard;
    const std::string long_line(25 * 1024, 'x');
    const std::string log = "short\n" + long_line + "\nend\n";
    scripted_job job;
    job.install(dashboard, 0, log);
    dashboard.websocket_route(tail_target, [log](const recorded_request&) {
        return websocket_script{}.send_text(log.substr(0, 9000)).send_text(log.substr(9000)).close(1000);
    });
    client ray(options_for(dashboard));
    std::vector<log_line> lines;
    stream_stats stats;
    BOOST_TEST(run_sync(tail_all(ray, websocket_options(), &stats, &lines)) == log);
    BOOST_TEST(lines.size() == 5u);  // short, 3 pieces (10+10+5 KiB), end
    BOOST_TEST(lines[1].kind == line_kind::piece);
    BOOST_TEST(!lines[1].newline);
    BOOST_TEST(lines[3].newline);
    BOOST_TEST(stats.oversize_lines == 1u);
}

BOOST_AUTO_TEST_CASE(declined_upgrades_map_to_their_status) {
    for (const auto& [status, expected] :
         std::vector<std::pair<int, int>>{{404, 404}, {400, 400}, {401, 401}, {403, 403}}) {
        fake_dashboard dashboard;
        scripted_job job;
        job.install(dashboard, 10, "");
        dashboard.websocket_route(tail_target, [status = status](const recorded_request&) {
            return websocket_script::decline(reply::text(status, "declined for a reason"));
        });
        client ray(options_for(dashboard));
        auto consume = [&]() -> asio::awaitable<void> {
            auto stream = co_await ray.tail_job_logs(job_id, websocket_options());
            while (co_await stream.next()) {}
        };
        const auto error = expect_error(consume());
        BOOST_TEST(error.status() == expected);
        // Final statuses are not retried: one upgrade attempt only.
        std::size_t upgrades = 0;
        for (const auto& request : dashboard.requests()) upgrades += request.target == tail_target;
        BOOST_TEST(upgrades == 1u);
    }
}

BOOST_AUTO_TEST_CASE(unknown_job_is_404_before_any_tail) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/jobs/nope").reply_with(reply::text(404, "Job nope does not exist"));
    client ray(options_for(dashboard));
    BOOST_TEST(expect_error(ray.tail_job_logs("nope")).status() == 404);
    BOOST_TEST(expect_error(ray.tail_job_logs("bad/id")).status() == 400);
    tail_options bad;
    bad.stream_timeout = seconds(0.0);
    BOOST_TEST(expect_error(ray.tail_job_logs(job_id, bad)).status() == 400);
    BOOST_TEST(dashboard.requests().size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_job_websocket_opens_before_any_job_request) {
    // The first line (#15): the WebSocket's upgrade is the job's check (Ray answers it 404 or
    // 400), so the tail connects at once instead of after a GET of the job. The job is asked
    // about only once the log ended (is it terminal?), never before the upgrade.
    for (const auto protocol : {tail_protocol::websocket, tail_protocol::automatic}) {
        for (const bool through_follow_log : {false, true}) {
            fake_dashboard dashboard;
            scripted_job job;
            job.install(dashboard, 0, generated_log(0, 40));
            dashboard.websocket_route(
                tail_target, [](const recorded_request&) { return websocket_script{}.send_lines(0, 40).close(1000); });
            client ray(options_for(dashboard));
            auto options = websocket_options();
            options.protocol = protocol;
            auto consume = [&]() -> asio::awaitable<std::string> {
                // (No co_await inside ?: here: with GCC 12 the stream came out already closed.)
                log_stream stream;
                if (through_follow_log)
                    stream = co_await ray.follow_log(log_target::job(job_id), {}, options);
                else
                    stream = co_await ray.tail_job_logs(job_id, options);
                co_return co_await read_all(stream);
            };
            BOOST_TEST(run_sync(consume()) == generated_log(0, 40));
            std::optional<std::size_t> upgrade, job_get;
            const auto requests = dashboard.requests();
            for (std::size_t i = 0; i < requests.size(); ++i) {
                if (requests[i].target == tail_target && !upgrade) upgrade = i;
                if (requests[i].target == "/api/jobs/" + job_id && !job_get) job_get = i;
            }
            BOOST_TEST_INFO("protocol " << to_string(protocol) << (through_follow_log ? ", follow_log" : ""));
            BOOST_TEST_REQUIRE(upgrade.has_value());
            BOOST_TEST((!job_get || *job_get > *upgrade));
            for (std::size_t i = 0; i < *upgrade; ++i) BOOST_TEST(requests[i].target == "/api/version");
        }
    }
}

BOOST_AUTO_TEST_CASE(a_declined_job_websocket_is_the_calls_error) {
    // Ray's own answers to the upgrade (job_head.py tail_job_logs, 2.9 to 2.60) are thrown by the
    // call itself, as the GET check's were: 404 unknown, 400 a driver job (said as such).
    fake_dashboard dashboard;
    dashboard.websocket_route("/api/jobs/nope/logs/tail", [](const recorded_request&) {
        return websocket_script::decline(reply::text(404, "Job nope does not exist"));
    });
    dashboard.websocket_route("/api/jobs/02000000/logs/tail", [](const recorded_request&) {
        return websocket_script::decline(reply::text(400, "Can only get logs of submission type jobs"));
    });
    client ray(options_for(dashboard));
    const auto unknown = expect_error(ray.tail_job_logs("nope", websocket_options()));
    BOOST_TEST(unknown.status() == 404);
    BOOST_TEST(unknown.kind() == error_kind::not_found);
    const auto driver = expect_error(ray.follow_log(log_target::job("02000000"), {}, websocket_options()));
    BOOST_TEST(driver.status() == 400);
    BOOST_TEST(std::string(driver.what()).find("is a driver job") != std::string::npos);
    BOOST_TEST(expect_error(ray.tail_job_logs("bad/id", websocket_options())).status() == 400);
    // One upgrade each (final answers are not retried), and nothing else.
    BOOST_TEST(dashboard.requests().size() == 2u);
    for (const auto& request : dashboard.requests()) BOOST_TEST(request.target.ends_with("/logs/tail"));
}

BOOST_AUTO_TEST_CASE(http_stream_that_never_ends_stops_when_the_job_ends) {
    fake_dashboard dashboard;
    scripted_job job;
    job.install(dashboard, 1, generated_log(0, 200));
    dashboard.expect("GET", stream_target).reply_with(reply::stream(generated_chunks(0, 200)).never_ending());
    client ray(options_for(dashboard));
    tail_options options;  // the seed's default protocol: the HTTP stream
    stream_stats stats;
    BOOST_TEST(run_sync(tail_all(ray, options, &stats)) == generated_log(0, 200));
    BOOST_TEST(stats.protocol == tail_protocol::stream);
    BOOST_TEST(dashboard.unmatched().empty());
}

BOOST_AUTO_TEST_CASE(http_stream_header_late_is_a_failed_attempt_not_408) {
    // The first stream request is answered after the connect timeout (2 s), as by a loaded
    // server: a failed connection attempt, retried, not the idle timeout of a running job (the
    // soak saw 11 of 1,000 stream tails end with 408 this way).
    fake_dashboard dashboard;
    scripted_job job;
    job.install(dashboard, 4, generated_log(0, 60));
    dashboard.expect("GET", stream_target)
        .reply_with(reply::stream(generated_chunks(0, 60)).never_ending().after(2500ms));
    dashboard.expect("GET", stream_target).reply_with(reply::stream(generated_chunks(0, 60)).never_ending());
    client ray(options_for(dashboard));
    tail_options options;  // the HTTP stream, stream_timeout 10 s
    stream_stats stats;
    BOOST_TEST(run_sync(tail_all(ray, options, &stats)) == generated_log(0, 60));
    BOOST_TEST(stats.reconnects == 1u);
}

BOOST_AUTO_TEST_CASE(automatic_falls_back_to_the_stream_without_duplicates) {
    fake_dashboard dashboard;
    scripted_job job;
    job.install(dashboard, 1, generated_log(0, 80));
    auto connections = std::make_shared<std::atomic<int>>(0);
    dashboard.websocket_route(tail_target, [connections](const recorded_request&) {
        if (connections->fetch_add(1) == 0) return websocket_script{}.send_lines(0, 33).drop();
        return websocket_script::decline(reply::text(503, "proxy refuses upgrades"));
    });
    dashboard.expect("GET", stream_target).reply_with(reply::stream(generated_chunks(0, 80)).never_ending());
    client ray(options_for(dashboard));
    auto options = websocket_options();
    options.protocol = tail_protocol::automatic;
    stream_stats stats;
    BOOST_TEST(run_sync(tail_all(ray, options, &stats)) == generated_log(0, 80));
    BOOST_TEST(stats.protocol == tail_protocol::stream);
    BOOST_TEST(stats.reconnects >= 1u);
}

BOOST_AUTO_TEST_CASE(cancelling_next_closes_the_socket) {
    using namespace boost::asio::experimental::awaitable_operators;
    fake_dashboard dashboard;
    scripted_job job;
    job.install(dashboard, 1000, "");
    dashboard.websocket_route(tail_target,
                              [](const recorded_request&) { return websocket_script{}.send_lines(0, 2).stall(); });
    auto options = options_for(dashboard);
    options.max_idle_connections_per_strand = 0;  // only the tail's connection stays open
    client ray(options);
    auto race = [&]() -> asio::awaitable<int> {
        auto stream = co_await ray.tail_job_logs(job_id, websocket_options());
        BOOST_TEST((co_await stream.next()).has_value());
        BOOST_TEST((co_await stream.next()).has_value());
        asio::steady_timer timer(co_await asio::this_coro::executor, 50ms);
        auto winner = co_await (stream.next() || timer.async_wait(asio::use_awaitable));
        co_return static_cast<int>(winner.index());
    };
    BOOST_TEST(run_sync(race()) == 1);
    BOOST_TEST(dashboard.wait_for_open_connections(0, 5s));
}

BOOST_AUTO_TEST_CASE(dropping_the_stream_and_destroying_the_client_close_everything) {
    fake_dashboard dashboard;
    scripted_job job;
    job.install(dashboard, 1000, "");
    dashboard.websocket_route(tail_target,
                              [](const recorded_request&) { return websocket_script{}.send_lines(0, 5000).stall(); });
    auto options = options_for(dashboard);
    options.max_idle_connections_per_strand = 0;
    log_stream keep;  // outlives the client below
    {
        client ray(options);
        auto first_line = [&]() -> asio::awaitable<std::string> {
            auto stream = co_await ray.tail_job_logs(job_id, websocket_options());
            co_return (co_await stream.next())->text;  // then the stream is dropped
        };
        BOOST_TEST(run_sync(first_line()) == generated_log_line(0));
        BOOST_TEST(dashboard.wait_for_open_connections(0, 5s));
        // A stream still open when the client goes away is closed by the client.
        keep = run_sync(ray.tail_job_logs(job_id, websocket_options()));
        BOOST_TEST(run_sync(keep.next()).has_value());
        BOOST_TEST(dashboard.wait_for_open_connections(1, 5s));
    }
    BOOST_TEST(dashboard.wait_for_open_connections(0, 5s));
}

BOOST_AUTO_TEST_CASE(two_hundred_concurrent_tails) {
    fake_dashboard dashboard;
    scripted_job job;
    job.install(dashboard, 0, generated_log(0, 100));
    dashboard.websocket_route(
        tail_target, [](const recorded_request&) { return websocket_script{}.send_lines(0, 100).close(1000); });
    asio::io_context context;
    client ray(context.get_executor(), options_for(dashboard));
    std::atomic<int> complete{0};
    std::mutex failure_mutex;
    std::string first_failure;  // reported when a tail fails
    const std::string expected = generated_log(0, 100);
    for (int i = 0; i < 200; ++i) {
        asio::co_spawn(context, tail_all(ray, websocket_options()), [&](std::exception_ptr error, std::string text) {
            if (!error && text == expected) {
                ++complete;
                return;
            }
            std::string failure = "wrong text (" + std::to_string(text.size()) + " bytes)";
            try {
                if (error) std::rethrow_exception(error);
            } catch (const std::exception& e) {
                failure = e.what();
            }
            std::lock_guard lock(failure_mutex);
            if (first_failure.empty()) first_failure = failure;
        });
    }
    std::vector<std::thread> threads;
    for (int i = 0; i < 2; ++i) threads.emplace_back([&] { context.run(); });
    for (auto& thread : threads) thread.join();
    BOOST_TEST(complete.load() == 200, "first failure: " << first_failure);
}

BOOST_AUTO_TEST_CASE(tails_ending_together_take_turns_for_the_static_log) {
    // Twelve tails end at once and each completes from the static log, answered after 300 ms:
    // at most two downloads per strand (ten per client) run at once, so the eleventh request
    // can only arrive once a first answer came back. (The soak's 1,000 tails ending together
    // downloaded every full log at once: 385 MB RSS and read timeouts.)
    fake_dashboard dashboard;
    scripted_job job;
    job.install(dashboard, 0, generated_log(0, 50));
    dashboard.websocket_route(tail_target,
                              [](const recorded_request&) { return websocket_script{}.send_lines(0, 40).close(1000); });
    auto arrivals = std::make_shared<std::vector<std::chrono::steady_clock::time_point>>();
    auto arrivals_mutex = std::make_shared<std::mutex>();
    dashboard.expect("GET", "/api/jobs/" + job_id + "/logs")
        .matching([arrivals, arrivals_mutex](const recorded_request&) {
            std::lock_guard lock(*arrivals_mutex);
            arrivals->push_back(std::chrono::steady_clock::now());
            return true;
        })
        .reply_with(reply::json(200, json::serialize(json::object{{"logs", generated_log(0, 50)}})), after(300ms))
        .repeatedly();
    asio::io_context context;
    client ray(context.get_executor(), options_for(dashboard));
    std::atomic<int> complete{0};
    const std::string expected = generated_log(0, 50);
    for (int i = 0; i < 12; ++i) {
        asio::co_spawn(context, tail_all(ray, websocket_options()), [&](std::exception_ptr error, std::string text) {
            if (!error && text == expected) ++complete;
        });
    }
    context.run();
    BOOST_TEST(complete.load() == 12);
    std::lock_guard lock(*arrivals_mutex);
    BOOST_TEST_REQUIRE(arrivals->size() == 12u);
    std::sort(arrivals->begin(), arrivals->end());
    const auto eleventh_after_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>((*arrivals)[10] - (*arrivals)[0]).count();
    BOOST_TEST(eleventh_after_ms >= 300);
}

// 250 MiB through ThreadSanitizer takes longer than the suite's timeout; the test has one client
// thread and is covered by the plain and ASan runs. Under TSan it is reported as skipped.
boost::test_tools::assertion_result not_under_thread_sanitizer(boost::unit_test::test_unit_id) {
#if defined(__SANITIZE_THREAD__)
    boost::test_tools::assertion_result result(false);
    result.message() << "250 MiB are too slow under ThreadSanitizer";
    return result;
#else
    return true;
#endif
}

BOOST_AUTO_TEST_CASE(slow_consumer_back_pressure_keeps_memory_bounded,
                     *boost::unit_test::precondition(not_under_thread_sanitizer)) {
    // 2.5 million generated lines (about 250 MiB) offered as fast as the fake can write them;
    // the consumer takes one line and stops reading for a while.
    const std::uint64_t total_lines = 2'500'000;
    const std::uint64_t total_bytes = generated_log_size(0, total_lines);
    fake_dashboard dashboard;
    scripted_job job;
    job.install(dashboard, 0, "");
    dashboard.websocket_route(tail_target, [total_lines](const recorded_request&) {
        return websocket_script{}.send_lines(0, total_lines).close(1000);
    });
    asio::io_context context;
    client ray(context.get_executor(), options_for(dashboard));
    auto options = websocket_options();
    stream_limits limits;
    limits.max_lines = limits.max_messages = std::numeric_limits<std::size_t>::max();
    limits.max_bytes = std::numeric_limits<std::size_t>::max();
    limits.queue_size = 1000;
    options.limits = limits;
    options.complete_from_static_log = false;
    const auto rss_before = resident_kib();
    std::uint64_t sent_while_paused = 0;
    std::size_t rss_while_paused = 0;
    std::size_t peak = 0;
    std::uint64_t received = 0;
    auto consume = [&]() -> asio::awaitable<void> {
        auto stream = co_await ray.tail_job_logs(job_id, options);
        BOOST_TEST((co_await stream.next())->text == generated_log_line(0));
        received = 1;
        // Event-driven pause: the reader fills the channel and then stops reading the socket;
        // wait (bounded) until the server's writes have stalled on TCP back-pressure.
        std::uint64_t last = 0;
        int stable = 0;
        for (int i = 0; i < 400 && stable < 5; ++i) {
            asio::steady_timer timer(co_await asio::this_coro::executor, 20ms);
            co_await timer.async_wait(asio::use_awaitable);
            const auto now = dashboard.websocket_bytes_sent();
            stable = now == last && stream.stats().queue_peak >= limits.queue_size ? stable + 1 : 0;
            last = now;
        }
        sent_while_paused = dashboard.websocket_bytes_sent();
        rss_while_paused = resident_kib();
        peak = stream.stats().queue_peak;
        while (auto line = co_await stream.next()) {
            if (line->text != generated_log_line(received)) {
                BOOST_FAIL("line " << received << " differs");
            }
            ++received;
        }
    };
    // Spawned before the loop thread starts: an io_context with no work yet would let run()
    // return at once, and done.get() would wait forever.
    auto done = asio::co_spawn(context, consume(), asio::use_future);
    std::thread loop([&] { context.run(); });
    done.get();
    loop.join();
    BOOST_TEST(received == total_lines);
    BOOST_TEST(peak <= limits.queue_size);
    BOOST_TEST(sent_while_paused < total_bytes / 4, "server sent " << sent_while_paused << " of " << total_bytes);
    BOOST_TEST(rss_while_paused < rss_before + 64 * 1024,
               "RSS grew from " << rss_before << " to " << rss_while_paused << " KiB");
    BOOST_TEST_MESSAGE("back-pressure: sent " << sent_while_paused << " bytes of " << total_bytes
                                              << " while paused; RSS " << rss_before << " -> " << rss_while_paused
                                              << " KiB");
}

BOOST_AUTO_TEST_CASE(stream_tails_of_many_jobs_share_one_status_request_per_interval) {
    // Issue 15: N quiet HTTP-stream tails of N distinct running jobs on one client. Each tail
    // asks about its job about once per second; the client's watcher answers them all with one
    // `GET /api/jobs/` per interval. Counted by the watcher's own rhythm, not by sleeps: the
    // per-job requests between the 2nd and the 5th list (three intervals) stay at most one per
    // interval, where tails polling alone would send about N per interval. The jobs finish when
    // the 6th list is asked (for the lists and the per-job requests alike: a tail whose question
    // missed that list is answered on its own), and every tail ends with its whole log.
    constexpr int jobs = 16;
    constexpr int running_lists = 5;
    fake_dashboard dashboard;
    auto job_of = [](int j) { return "raysubmit_w" + std::to_string(j); };
    auto job_object = [&](int j, const std::string& status) {
        return json::object{{"type", "SUBMISSION"}, {"job_id", "0" + std::to_string(j)}, {"submission_id", job_of(j)},
                            {"status", status},     {"entrypoint", "python job.py"},     {"driver_node_id", "node1"}};
    };
    auto static_log = [](int j) { return generated_log(static_cast<std::uint64_t>(j) * 1000, 1) + "the end\n"; };
    auto count = std::make_shared<status_request_counts>();
    dashboard.route("GET", "/api/jobs/", [count, job_object](const recorded_request&) {
        std::lock_guard lock(count->mutex);
        const bool finished = count->count_list() > running_lists;
        json::array all;
        all.push_back(json::object{{"type", "DRIVER"},
                                   {"job_id", "01000000"},
                                   {"submission_id", nullptr},
                                   {"status", "SUCCEEDED"},
                                   {"entrypoint", ""}});  // a driver job, as Ray lists them too
        for (int j = 0; j < jobs; ++j) all.push_back(job_object(j, finished ? "SUCCEEDED" : "RUNNING"));
        return reply::json(200, json::serialize(all));
    });
    route_numbered_jobs(
        dashboard, "raysubmit_w", jobs, count,
        [count, job_object](int j) { return job_object(j, count->lists > running_lists ? "SUCCEEDED" : "RUNNING"); },
        static_log);
    dashboard.route("GET", "/api/v0/logs/stream*", [job_of](const recorded_request& request) {
        for (int j = 0; j < jobs; ++j) {
            if (request.target.find("submission_id=" + job_of(j) + "&") == std::string::npos) continue;
            // One line, then quiet for good: the tail asks about its job while it waits.
            auto sent = std::make_shared<bool>(false);
            return reply::stream([sent, j]() -> std::optional<std::string> {
                       if (std::exchange(*sent, true)) return std::nullopt;
                       return generated_log(static_cast<std::uint64_t>(j) * 1000, 1);
                   })
                .never_ending();
        }
        return reply::text(404, "no such log");
    });
    client ray(options_for(dashboard));
    tail_options options;
    options.protocol = tail_protocol::stream;
    options.stream_timeout = seconds(30.0);  // far beyond the test: no tail ends by its idle timeout
    const auto [texts, failure] = tail_every_job(ray, jobs, job_of, options);
    std::lock_guard lock(count->mutex);
    BOOST_TEST_MESSAGE("watcher: " << count->lists << " lists, " << count->gets - jobs
                                   << " per-job requests besides the " << jobs
                                   << " opens; gets at each list:" << count->gets_at_each_list());
    BOOST_TEST_REQUIRE(failure.empty(), failure);
    BOOST_REQUIRE(texts.size() == static_cast<std::size_t>(jobs));
    for (int j = 0; j < jobs; ++j) BOOST_TEST(texts[static_cast<std::size_t>(j)] == static_log(j));
    BOOST_REQUIRE(count->lists > running_lists);
    BOOST_TEST(count->gets_at_list.front() >= jobs);  // the opens came first
    const int gets_in_three_intervals = count->gets_at_list[4] - count->gets_at_list[1];
    BOOST_TEST(gets_in_three_intervals <= 3, "per-job requests between lists 2 and 5: " << gets_in_three_intervals);
    BOOST_TEST(dashboard.unmatched().empty());
    BOOST_TEST(dashboard.server_errors().empty());
}

BOOST_AUTO_TEST_CASE(stream_tails_waiting_for_their_drivers_share_the_watchers_fetches) {
    // Found on a real cluster (bench/README.md, "Real cluster: 100 tails"): a stream tail cannot
    // open its stream before its job has a driver node, and asked where it runs every 250 ms on
    // its own (100 tails: ~300 requests/s while jobs started). Those questions go through the
    // client's watcher too: N tails of N pending jobs are answered by one list per fetch. The
    // jobs get their driver at the 4th list; until then the per-job requests stay at most one
    // per fetch interval (tails polling alone: about 4 per tail per second).
    constexpr int jobs = 16;
    constexpr int pending_lists = 4;
    fake_dashboard dashboard;
    auto job_of = [](int j) { return "raysubmit_p" + std::to_string(j); };
    auto job_object = [&](int j, bool started) {
        json::object job{{"type", "SUBMISSION"},
                         {"job_id", "0" + std::to_string(j)},
                         {"submission_id", job_of(j)},
                         {"status", started ? "SUCCEEDED" : "PENDING"},
                         {"entrypoint", "python job.py"}};
        job["driver_node_id"] = started ? json::value("node1") : json::value(nullptr);
        return job;
    };
    auto static_log = [](int j) { return generated_log(static_cast<std::uint64_t>(j) * 1000, 3); };
    auto count = std::make_shared<status_request_counts>();
    dashboard.route("GET", "/api/jobs/", [count, job_object](const recorded_request&) {
        std::lock_guard lock(count->mutex);
        const bool started = count->count_list() >= pending_lists;
        json::array all;
        for (int j = 0; j < jobs; ++j) all.push_back(job_object(j, started));
        return reply::json(200, json::serialize(all));
    });
    route_numbered_jobs(
        dashboard, "raysubmit_p", jobs, count,
        [count, job_object](int j) { return job_object(j, count->lists >= pending_lists); }, static_log);
    dashboard.route("GET", "/api/v0/logs/stream*", [job_of, static_log](const recorded_request& request) {
        for (int j = 0; j < jobs; ++j) {
            if (request.target.find("submission_id=" + job_of(j) + "&") == std::string::npos) continue;
            return reply::text(200, static_log(j));  // the whole log; Ray's stream then stays open
        }
        return reply::text(404, "no such log");
    });
    client ray(options_for(dashboard));
    tail_options options;
    options.protocol = tail_protocol::stream;
    options.stream_timeout = seconds(30.0);
    const auto [texts, failure] = tail_every_job(ray, jobs, job_of, options);
    std::lock_guard lock(count->mutex);
    BOOST_TEST_MESSAGE("locating: " << count->lists << " lists, " << count->gets
                                    << " per-job requests; gets at each list:" << count->gets_at_each_list());
    BOOST_TEST_REQUIRE(failure.empty(), failure);
    BOOST_REQUIRE(texts.size() == static_cast<std::size_t>(jobs));
    for (int j = 0; j < jobs; ++j) BOOST_TEST(texts[static_cast<std::size_t>(j)] == static_log(j));
    BOOST_REQUIRE(count->lists >= pending_lists);
    BOOST_TEST(count->gets_at_list.front() >= jobs);  // the opens came first
    // Between two lists the watcher fetches at most once more (a lone question is asked per
    // job): at most three per-job requests in the three intervals from the 1st to the 4th list.
    const int gets_while_pending = count->gets_at_list[pending_lists - 1] - count->gets_at_list[0];
    BOOST_TEST(gets_while_pending <= pending_lists - 1,
               "per-job requests between lists 1 and " << pending_lists << ": " << gets_while_pending);
    BOOST_TEST(dashboard.unmatched().empty());
    BOOST_TEST(dashboard.server_errors().empty());
}

BOOST_AUTO_TEST_CASE(a_job_the_shared_list_lacks_is_asked_on_its_own) {
    // Two quiet stream tails of two jobs: the watcher lists every job, but the list never has
    // the second one (deleted from the list meanwhile, say). Its tail asks on its own
    // (GET /api/jobs/{id}), which reports it finished once a list was answered: the tail ends
    // with its whole log. The first job runs on; destroying the client ends its tail.
    fake_dashboard dashboard;
    const std::string kept = "raysubmit_m0";
    const std::string dropped = "raysubmit_m1";
    auto job_text = [](const std::string& id, const std::string& status) {
        return json::serialize(json::object{{"type", "SUBMISSION"},
                                            {"job_id", "02"},
                                            {"submission_id", id},
                                            {"status", status},
                                            {"entrypoint", "python job.py"},
                                            {"driver_node_id", "node1"}});
    };
    auto lists = std::make_shared<std::atomic<int>>(0);
    dashboard.route("GET", "/api/jobs/", [lists, kept, job_text](const recorded_request&) {
        lists->fetch_add(1);
        return reply::json(200, "[" + job_text(kept, "RUNNING") + "]");
    });
    dashboard.route("GET", "/api/jobs/" + kept,
                    [kept, job_text](const recorded_request&) { return reply::json(200, job_text(kept, "RUNNING")); });
    dashboard.route("GET", "/api/jobs/" + dropped, [lists, dropped, job_text](const recorded_request&) {
        return reply::json(200, job_text(dropped, lists->load() > 0 ? "SUCCEEDED" : "RUNNING"));
    });
    const std::string log = generated_log(0, 1);
    dashboard.route("GET", "/api/jobs/" + dropped + "/logs", [log](const recorded_request&) {
        return reply::json(200, json::serialize(json::object{{"logs", log + "the end\n"}}));
    });
    dashboard.route("GET", "/api/v0/logs/stream*", [log](const recorded_request&) {
        auto sent = std::make_shared<bool>(false);
        return reply::stream([sent, log]() -> std::optional<std::string> {
                   if (std::exchange(*sent, true)) return std::nullopt;
                   return log;
               })
            .never_ending();
    });
    tail_options options;
    options.protocol = tail_protocol::stream;
    options.stream_timeout = seconds(20.0);
    std::string text;
    {
        client ray(options_for(dashboard));
        auto tail_both = [&]() -> asio::awaitable<std::string> {
            auto open_kept = ray.tail_job_logs(kept, options);
            auto kept_stream = co_await std::move(open_kept);
            auto open_dropped = ray.tail_job_logs(dropped, options);
            auto dropped_stream = co_await std::move(open_dropped);
            auto read = read_all(dropped_stream);
            co_return co_await std::move(read);  // the kept stream is dropped still running
        };
        text = run_sync(tail_both());
    }
    BOOST_TEST(text == log + "the end\n");
    BOOST_TEST(lists->load() >= 1);
    BOOST_TEST(dashboard.unmatched().empty());
    BOOST_TEST(dashboard.wait_for_open_connections(0, 5s));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace raycl::test
