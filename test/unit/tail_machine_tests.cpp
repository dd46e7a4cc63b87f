// The tail's decisions, driven directly: events in, actions out. No socket, no clock, no sleep.
#include "core/tail_machine.hpp"
#include "unit/tail_machine_helpers.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using namespace raycl;
using namespace raycl::core;
using std::chrono::milliseconds;
using step = tail_machine::step;
using side = tail_machine::side_step;
using raycl::test::complete_with;
using raycl::test::feed;
using raycl::test::text_of;

namespace {

tail_target_traits job_traits() {
    tail_target_traits traits;
    traits.has_websocket = true;
    traits.needs_location = true;
    return traits;
}

tail_target_traits node_file_traits() {
    tail_target_traits traits;
    traits.can_finish = false;
    traits.has_static_log = false;
    return traits;
}

tail_settings settings_for(tail_protocol protocol) {
    tail_settings settings;
    settings.protocol = protocol;
    settings.idle_timeout = milliseconds(10'000);
    settings.backoff.jitter = false;
    return settings;
}

target_state running() {
    return {false, true};
}
target_state finished() {
    return {true, true};
}

client_error lost() {
    return client_error(error_kind::unavailable, "the connection was lost");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tail_machine_tests)

BOOST_AUTO_TEST_CASE(five_drops_with_progress_and_max_reconnects_two_reconnect_every_time) {
    auto settings = settings_for(tail_protocol::websocket);
    settings.max_reconnects = 2;
    tail_machine machine(job_traits(), settings, running());
    std::string delivered;
    int connects = 0;
    auto action = machine.start();
    std::string log;
    for (int i = 0; i < 5; ++i) {
        BOOST_TEST_REQUIRE((action.next == step::connect));
        ++connects;
        BOOST_TEST((machine.on_connected().next == step::read));
        log += "line " + std::to_string(i) + "\n";
        BOOST_TEST((feed(machine, log, delivered).next == step::read));  // each connection replays the log
        action = machine.on_failed(transport_failure::connection_lost, lost(), 0.5);
        BOOST_TEST_REQUIRE((action.next == step::sleep));
        BOOST_TEST(action.delay == milliseconds(200));  // progress resets the back-off too
        action = machine.on_slept();
    }
    BOOST_TEST_REQUIRE((action.next == step::connect));
    ++connects;
    machine.on_connected();
    feed(machine, log, delivered);
    BOOST_TEST((machine.on_ended().next == step::refresh_target));
    BOOST_TEST((machine.on_target(finished()).next == step::fetch_static_log));
    BOOST_TEST((complete_with(machine, log, delivered).next == step::done));
    BOOST_TEST(connects == 6);
    BOOST_TEST(machine.reconnects() == 5u);
    BOOST_TEST(delivered == log);
}

BOOST_AUTO_TEST_CASE(drops_without_progress_use_up_the_budget_then_end_with_the_last_failure) {
    auto settings = settings_for(tail_protocol::websocket);
    settings.max_reconnects = 2;
    tail_machine machine(job_traits(), settings, running());
    auto action = machine.start();
    std::vector<milliseconds> delays;
    for (int i = 0; i < 3; ++i) {
        BOOST_TEST_REQUIRE((action.next == step::connect));
        machine.on_connected();
        action = machine.on_failed(transport_failure::connection_lost, lost(), 0.5);
        if (action.next != step::sleep) break;
        delays.push_back(action.delay);
        action = machine.on_slept();
    }
    BOOST_TEST_REQUIRE((action.next == step::done));
    BOOST_TEST_REQUIRE(action.error.has_value());
    BOOST_TEST(action.error->status() == 503);
    BOOST_TEST((delays == std::vector<milliseconds>{milliseconds(200), milliseconds(400)}));
    BOOST_TEST(machine.reconnects() == 2u);
}

BOOST_AUTO_TEST_CASE(a_normal_close_while_running_gives_refresh_then_connect) {
    tail_machine machine(job_traits(), settings_for(tail_protocol::websocket), running());
    BOOST_TEST((machine.start().next == step::connect));
    machine.on_connected();
    BOOST_TEST((machine.on_ended().next == step::refresh_target));
    const auto action = machine.on_target(running());
    BOOST_TEST((action.next == step::connect));
    BOOST_TEST((action.protocol == tail_protocol::websocket));
    BOOST_TEST(machine.reconnects() == 1u);
}

BOOST_AUTO_TEST_CASE(a_normal_close_after_the_job_ended_completes_from_the_static_log) {
    tail_machine machine(job_traits(), settings_for(tail_protocol::websocket), running());
    machine.start();
    machine.on_connected();
    std::string delivered;
    feed(machine, "a\nb\n", delivered);
    machine.on_ended();
    BOOST_TEST((machine.on_target(finished()).next == step::fetch_static_log));
    BOOST_TEST((complete_with(machine, "a\nb\nc\nlast", delivered).next == step::done));
    BOOST_TEST(delivered == "a\nb\nc\nlast");  // the lines the tail missed, then the unterminated end
    BOOST_TEST(machine.static_log_bytes() == 6u);
}

BOOST_AUTO_TEST_CASE(automatic_falls_back_to_stream_after_a_connection_level_websocket_failure_only) {
    {
        tail_machine machine(job_traits(), settings_for(tail_protocol::automatic), running());
        BOOST_TEST((machine.start().protocol == tail_protocol::websocket));
        machine.on_connected();
        auto action = machine.on_failed(transport_failure::connection_lost, lost(), 0.5);
        BOOST_TEST_REQUIRE((action.next == step::sleep));
        action = machine.on_slept();
        BOOST_TEST((action.next == step::connect));
        BOOST_TEST((action.protocol == tail_protocol::stream));
        BOOST_TEST((machine.protocol() == tail_protocol::stream));
    }
    {
        tail_machine machine(job_traits(), settings_for(tail_protocol::automatic), running());
        machine.start();
        machine.on_connected();
        machine.on_ended();
        const auto action = machine.on_target(running());
        BOOST_TEST((action.protocol == tail_protocol::websocket));  // a normal close is no reason to switch
    }
    {
        tail_machine machine(job_traits(), settings_for(tail_protocol::websocket), running());
        machine.start();
        machine.on_failed(transport_failure::connect_refused, lost(), 0.5);
        BOOST_TEST((machine.on_slept().protocol == tail_protocol::websocket));  // only `automatic` switches
    }
}

BOOST_AUTO_TEST_CASE(refusals_end_the_tail_for_client_errors_and_reconnect_for_server_trouble) {
    for (int status : {400, 401, 403, 404}) {
        tail_machine machine(job_traits(), settings_for(tail_protocol::websocket), running());
        machine.start();
        const auto action = machine.on_refused(client_error(error_kind::not_found, "refused", "", "", status), 0.5);
        BOOST_TEST_CONTEXT("status " << status) {
            BOOST_TEST((action.next == step::done));
            BOOST_TEST(action.error->http_status() == status);
        }
    }
    for (int status : {500, 502, 503}) {
        tail_machine machine(job_traits(), settings_for(tail_protocol::automatic), running());
        machine.start();
        auto action = machine.on_refused(client_error(error_kind::server_error, "refused", "", "", status), 0.5);
        BOOST_TEST_CONTEXT("status " << status) {
            BOOST_TEST((action.next == step::sleep));
            BOOST_TEST((machine.on_slept().protocol == tail_protocol::stream));
        }
    }
}

BOOST_AUTO_TEST_CASE(the_stream_waits_until_the_job_has_a_driver_node) {
    tail_machine machine(job_traits(), settings_for(tail_protocol::stream), target_state{false, false});
    auto action = machine.start();
    BOOST_TEST_REQUIRE((action.next == step::sleep));
    BOOST_TEST(action.delay == milliseconds(250));
    BOOST_TEST((machine.on_slept().next == step::refresh_target));
    action = machine.on_target(target_state{false, false});
    BOOST_TEST((action.next == step::sleep));
    BOOST_TEST((machine.on_slept().next == step::refresh_target));
    action = machine.on_target(running());
    BOOST_TEST((action.next == step::connect));
    BOOST_TEST((action.protocol == tail_protocol::stream));
}

BOOST_AUTO_TEST_CASE(a_job_that_never_starts_is_408_after_the_idle_timeout) {
    auto settings = settings_for(tail_protocol::stream);
    settings.idle_timeout = milliseconds(1000);
    tail_machine machine(job_traits(), settings, target_state{false, false});
    auto action = machine.start();
    int sleeps = 0;
    while (action.next == step::sleep) {
        ++sleeps;
        BOOST_TEST_REQUIRE((machine.on_slept().next == step::refresh_target));
        action = machine.on_target(target_state{false, false});
    }
    BOOST_TEST((action.next == step::done));
    BOOST_TEST(action.error->status() == 408);
    BOOST_TEST(sleeps == 4);
}

BOOST_AUTO_TEST_CASE(a_job_that_ends_before_it_starts_completes_from_the_static_log) {
    tail_machine machine(job_traits(), settings_for(tail_protocol::stream), target_state{false, false});
    machine.start();
    machine.on_slept();
    BOOST_TEST((machine.on_target(target_state{true, false}).next == step::fetch_static_log));
}

BOOST_AUTO_TEST_CASE(a_quiet_http_stream_asks_whether_the_job_ended_then_drains_and_completes) {
    tail_machine machine(job_traits(), settings_for(tail_protocol::stream), running());
    machine.start();
    machine.on_connected();
    BOOST_TEST((machine.quiet_threshold() == milliseconds(1000)));
    std::string delivered;
    feed(machine, "a\nb\n", delivered);
    BOOST_TEST((machine.on_quiet(milliseconds(1000)) == side::ask_target));
    BOOST_TEST((machine.quiet_threshold() == milliseconds(2000)));
    BOOST_TEST((machine.on_quiet(milliseconds(2000)) == side::none));  // one question at a time
    BOOST_TEST((machine.on_target_seen(running(), milliseconds(2010)) == side::none));
    BOOST_TEST((machine.on_quiet(milliseconds(3000)) == side::ask_target));
    BOOST_TEST((machine.on_target_seen(finished(), milliseconds(3020)) == side::none));
    BOOST_TEST((machine.quiet_threshold() == milliseconds(3320)));  // drained after 300 ms more of quiet
    feed(machine, "c\n", delivered);                                // late bytes restart the drain
    BOOST_TEST((machine.quiet_threshold() == milliseconds(300)));
    BOOST_TEST((machine.on_quiet(milliseconds(300)) == side::close));
    BOOST_TEST((machine.on_failed(transport_failure::cancelled, lost(), 0.5).next == step::fetch_static_log));
    BOOST_TEST((complete_with(machine, "a\nb\nc\n", delivered).next == step::done));
    BOOST_TEST(delivered == "a\nb\nc\n");
}

BOOST_AUTO_TEST_CASE(a_silent_stream_is_408_after_the_idle_timeout_unless_the_job_ended) {
    for (bool job_ended : {false, true}) {
        auto settings = settings_for(tail_protocol::websocket);
        settings.idle_timeout = milliseconds(300);
        tail_machine machine(job_traits(), settings, running());
        machine.start();
        machine.on_connected();
        BOOST_TEST((machine.quiet_threshold() == milliseconds(300)));
        BOOST_TEST((machine.on_quiet(milliseconds(300)) == side::close));
        BOOST_TEST((machine.on_failed(transport_failure::cancelled, lost(), 0.5).next == step::refresh_target));
        const auto action = machine.on_target(job_ended ? finished() : running());
        BOOST_TEST_CONTEXT("job ended " << job_ended) {
            if (job_ended) {
                BOOST_TEST((action.next == step::fetch_static_log));
            } else {
                BOOST_TEST((action.next == step::done));
                BOOST_TEST(action.error->status() == 408);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(the_stream_asks_before_the_idle_timeout_decides) {
    auto settings = settings_for(tail_protocol::stream);
    settings.idle_timeout = milliseconds(1500);
    tail_machine machine(job_traits(), settings, running());
    machine.start();
    machine.on_connected();
    BOOST_TEST((machine.quiet_threshold() == milliseconds(750)));  // half the idle timeout
    BOOST_TEST((machine.on_quiet(milliseconds(750)) == side::ask_target));
    BOOST_TEST((machine.quiet_threshold() == milliseconds(1500)));
    machine.on_target_seen(running(), milliseconds(751));
    BOOST_TEST((machine.on_quiet(milliseconds(1500)) == side::close));
}

BOOST_AUTO_TEST_CASE(no_idle_timeout_means_the_websocket_waits_forever) {
    auto settings = settings_for(tail_protocol::websocket);
    settings.idle_timeout.reset();
    tail_machine machine(job_traits(), settings, running());
    machine.start();
    machine.on_connected();
    BOOST_TEST(!machine.quiet_threshold().has_value());
}

BOOST_AUTO_TEST_CASE(a_limit_ends_the_tail_after_the_lines_before_it) {
    auto settings = settings_for(tail_protocol::websocket);
    settings.limits.max_lines = 3;
    tail_machine machine(job_traits(), settings, running());
    machine.start();
    machine.on_connected();
    auto action = machine.on_chunk("1\n2\n3\n4\n5\n");
    BOOST_TEST_REQUIRE((action.next == step::deliver));
    BOOST_TEST(text_of(machine) == "1\n2\n3\n");
    action = machine.on_delivered();
    BOOST_TEST((action.next == step::done));
    BOOST_TEST(action.error->status() == 429);
    BOOST_TEST(action.error->message().find("max_lines") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(several_messages_of_one_read_count_each_and_deliver_once) {
    auto settings = settings_for(tail_protocol::websocket);
    settings.limits.max_messages = 2;
    tail_machine machine(job_traits(), settings, running());
    machine.start();
    machine.on_connected();
    const std::vector<raycl::core::log_piece> messages{{"1\n2"}, {"\n3\n"}, {"4\n"}};
    auto action = machine.on_chunks(messages);
    BOOST_TEST_REQUIRE((action.next == step::deliver));  // one delivery for the messages before the limit
    BOOST_TEST(text_of(machine) == "1\n2\n3\n");
    action = machine.on_delivered();
    BOOST_TEST_REQUIRE((action.next == step::done));
    BOOST_TEST(action.error->status() == 429);
    BOOST_TEST(action.error->message().find("max_messages") != std::string::npos, action.error->message());
}

BOOST_AUTO_TEST_CASE(a_frame_over_the_cap_is_429) {
    tail_machine machine(job_traits(), settings_for(tail_protocol::websocket), running());
    machine.start();
    machine.on_connected();
    const auto action = machine.on_failed(transport_failure::body_too_large, lost(), 0.5);
    BOOST_TEST((action.next == step::done));
    BOOST_TEST(action.error->status() == 429);
}

BOOST_AUTO_TEST_CASE(a_close_by_the_consumer_ends_with_cancelled) {
    tail_machine machine(job_traits(), settings_for(tail_protocol::websocket), running());
    machine.start();
    machine.on_connected();
    const auto action =
        machine.on_failed(transport_failure::cancelled, client_error(error_kind::cancelled, "log stream closed"), 0.5);
    BOOST_TEST((action.next == step::done));
    BOOST_TEST((action.error->kind() == error_kind::cancelled));
}

BOOST_AUTO_TEST_CASE(a_truncated_static_log_is_not_used_and_the_tail_ends_with_its_own_lines) {
    tail_machine machine(job_traits(), settings_for(tail_protocol::websocket), running());
    machine.start();
    machine.on_connected();
    std::string delivered;
    feed(machine, "a\npartial", delivered);
    machine.on_ended();
    machine.on_target(finished());
    BOOST_TEST((complete_with(machine, "[LOG TRUNCATED]\nz\n", delivered).next == step::done));
    BOOST_TEST(delivered == "a\npartial");
}

BOOST_AUTO_TEST_CASE(without_static_log_completion_the_end_delivers_the_unterminated_last_line) {
    auto settings = settings_for(tail_protocol::websocket);
    settings.complete_from_static_log = false;
    tail_machine machine(job_traits(), settings, running());
    machine.start();
    machine.on_connected();
    std::string delivered;
    feed(machine, "a\nlast", delivered);
    machine.on_ended();
    auto action = machine.on_target(finished());
    BOOST_TEST_REQUIRE((action.next == step::deliver));
    BOOST_TEST(text_of(machine) == "last");
    BOOST_TEST((machine.on_delivered().next == step::done));
}

BOOST_AUTO_TEST_CASE(a_node_file_is_followed_until_closed_and_never_asks_whether_it_finished) {
    auto settings = settings_for(tail_protocol::stream);
    settings.idle_timeout.reset();
    tail_machine machine(node_file_traits(), settings, running());
    BOOST_TEST((machine.start().next == step::connect));
    machine.on_connected();
    BOOST_TEST(!machine.quiet_threshold().has_value());
    BOOST_TEST((machine.on_ended().next == step::refresh_target));
    BOOST_TEST((machine.on_target(running()).next == step::connect));
}

BOOST_AUTO_TEST_CASE(a_target_that_cannot_be_asked_ends_the_tail_with_that_error) {
    tail_machine machine(job_traits(), settings_for(tail_protocol::websocket), running());
    machine.start();
    machine.on_connected();
    machine.on_ended();
    const auto action = machine.on_target_failed(client_error(error_kind::unauthorized, "no token", "", "", 401));
    BOOST_TEST((action.next == step::done));
    BOOST_TEST(action.error->status() == 401);
}

// Ray <= 2.44: a status byte at the start of every chunk of the HTTP stream (log_framing.hpp).
tail_settings leading_byte_stream() {
    auto settings = settings_for(tail_protocol::stream);
    settings.stream_framing = log_framing::leading_byte;
    return settings;
}

/// Feeds one HTTP chunk cut into pieces of `piece` bytes; the action after the last piece.
tail_machine::action feed_chunk(tail_machine& machine, std::string_view chunk, std::size_t piece,
                                std::string& delivered) {
    tail_machine::action action{step::read};
    for (std::size_t at = 0; at < chunk.size(); at += piece) {
        action = machine.on_chunk(chunk.substr(at, piece), at == 0);
        while (action.next == step::deliver) {
            delivered += text_of(machine);
            action = machine.on_delivered();
        }
        if (action.next != step::read) break;
    }
    return action;
}

BOOST_AUTO_TEST_CASE(the_status_byte_of_each_stream_chunk_never_reaches_the_lines) {
    for (std::size_t piece : {1, 2, 3, 100}) {
        tail_machine machine(job_traits(), leading_byte_stream(), running());
        BOOST_TEST((machine.start().next == step::connect));
        machine.on_connected();
        std::string delivered;
        for (const std::string_view chunk : {"1tick 0\n", "1tick 1\n", "1tick", "1 2\n"})
            BOOST_TEST((feed_chunk(machine, chunk, piece, delivered).next == step::read));
        BOOST_TEST(delivered == "tick 0\ntick 1\ntick 2\n", "pieces of " << piece);
        BOOST_TEST(machine.assembler().consumed_offset() == delivered.size());  // offsets count log bytes
    }
}

BOOST_AUTO_TEST_CASE(a_reconnect_resumes_after_the_decoded_bytes_without_a_repeat) {
    tail_machine machine(job_traits(), leading_byte_stream(), running());
    machine.start();
    machine.on_connected();
    std::string delivered;
    feed_chunk(machine, "1a\nb", 100, delivered);
    auto action = machine.on_failed(transport_failure::connection_lost, lost(), 0.5);
    BOOST_TEST_REQUIRE((action.next == step::sleep));
    BOOST_TEST((machine.on_slept().next == step::connect));
    machine.on_connected();
    // The new connection replays from byte 0, in other chunks.
    for (const std::string_view chunk : {"1a", "1\nb\nc\n"}) feed_chunk(machine, chunk, 100, delivered);
    BOOST_TEST(delivered == "a\nb\nc\n");
}

BOOST_AUTO_TEST_CASE(an_in_band_error_is_reported_then_reconnected_like_a_5xx) {
    for (std::size_t piece : {1, 5, 1000}) {
        auto settings = leading_byte_stream();
        settings.max_reconnects = 1;
        tail_machine machine(job_traits(), settings, running());
        machine.start();
        machine.on_connected();
        std::string delivered;
        feed_chunk(machine, "1a\n", piece, delivered);
        auto action =
            feed_chunk(machine, "0Closing HTTP stream due to internal server error.\nFile gone.", piece, delivered);
        BOOST_TEST_REQUIRE((action.next == step::read));  // the error text may go on
        action = machine.on_ended();                      // Ray ends the body after it
        BOOST_TEST_REQUIRE((action.next == step::report_in_band_error));
        BOOST_TEST(action.text == "File gone.");
        action =
            machine.on_in_band_error(client_error(error_kind::server_error, "in band: File gone.", "", "", 200), 0.5);
        BOOST_TEST_REQUIRE((action.next == step::sleep));
        BOOST_TEST((machine.on_slept().next == step::connect));
        machine.on_connected();
        feed_chunk(machine, "0Closing HTTP stream due to internal server error.\nFile gone.", piece, delivered);
        action = machine.on_failed(transport_failure::connection_lost, lost(), 0.5);  // a break inside the text
        BOOST_TEST_REQUIRE((action.next == step::report_in_band_error));
        action =
            machine.on_in_band_error(client_error(error_kind::server_error, "in band: File gone.", "", "", 200), 0.5);
        BOOST_TEST_REQUIRE((action.next == step::done));  // the budget is spent: Ray's reason, not a 503
        BOOST_TEST(action.error->message() == "in band: File gone.");
        BOOST_TEST(delivered == "a\n");  // the error was never log text
    }
}

BOOST_AUTO_TEST_CASE(a_next_chunk_completes_an_in_band_error_at_once) {
    tail_machine machine(job_traits(), leading_byte_stream(), running());
    machine.start();
    machine.on_connected();
    BOOST_TEST((machine.on_chunk("0Closing HTTP stream due to internal server error.\nx", true).next == step::read));
    const auto action = machine.on_chunk("1y\n", true);
    BOOST_TEST((action.next == step::report_in_band_error));
    BOOST_TEST(action.text == "x");
}

BOOST_AUTO_TEST_CASE(a_stream_chunk_without_a_status_byte_fails_as_a_protocol_error) {
    tail_machine machine(job_traits(), leading_byte_stream(), running());
    machine.start();
    machine.on_connected();
    std::string delivered;
    feed_chunk(machine, "1tick 0\n", 100, delivered);
    const auto action = feed_chunk(machine, "tick 1\n", 100, delivered);  // re-chunked by a proxy
    BOOST_TEST_REQUIRE((action.next == step::done));
    BOOST_TEST((action.error->kind() == error_kind::protocol_error));
    BOOST_TEST(delivered == "tick 0\n");
}

BOOST_AUTO_TEST_CASE(websocket_frames_are_raw_even_on_a_leading_byte_server) {
    auto settings = leading_byte_stream();
    settings.protocol = tail_protocol::automatic;
    tail_machine machine(job_traits(), settings, running());
    BOOST_TEST((machine.start().protocol == tail_protocol::websocket));
    machine.on_connected();
    std::string delivered;
    feed_chunk(machine, "1 is a number\n", 100, delivered);
    BOOST_TEST(delivered == "1 is a number\n");
    // After the fall-back to the stream, the same log arrives framed.
    BOOST_TEST((machine.on_failed(transport_failure::connection_lost, lost(), 0.5).next == step::sleep));
    BOOST_TEST((machine.on_slept().protocol == tail_protocol::stream));
    machine.on_connected();
    feed_chunk(machine, "11 is a number\n", 100, delivered);
    feed_chunk(machine, "1more\n", 100, delivered);
    BOOST_TEST(delivered == "1 is a number\nmore\n");
}

BOOST_AUTO_TEST_SUITE_END()
