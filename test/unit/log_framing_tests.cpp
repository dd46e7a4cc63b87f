// The decoder of `/api/v0/logs/*` bodies: Ray <= 2.44's status byte per HTTP chunk, fed byte by
// byte and split at every position, and every recorded release's bodies.
#include "core/log_framing.hpp"
#include "core/log_requests.hpp"
#include "core/models_json.hpp"
#include "core/responses.hpp"
#include "support/ray_fixtures.hpp"
#include "unit/unit_helpers.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using namespace raycl;
using namespace raycl::core;
using raycl::test::contains;
using raycl::test::expect_client_error;
using state = log_body_decoder::state;

namespace {

const std::string closing = "Closing HTTP stream due to internal server error.\n";

/// Feeds `chunks` as the transport would hand them out, each chunk cut into pieces of at most
/// `piece` bytes (0: whole chunks); returns the log bytes.
std::string decode(log_body_decoder& decoder, const std::vector<std::string>& chunks, std::size_t piece = 0) {
    std::string log;
    for (const auto& chunk : chunks) {
        const std::size_t step = piece == 0 ? std::max<std::size_t>(chunk.size(), 1) : piece;
        for (std::size_t at = 0; at < chunk.size() || (at == 0 && chunk.empty()); at += step) {
            log.append(decoder.feed(std::string_view(chunk).substr(at, step), at == 0));
            if (chunk.empty()) break;
        }
    }
    decoder.finish();
    return log;
}

/// Every way of cutting one chunk in two (the rest whole): the decoder must not care.
void check_every_split(const std::vector<std::string>& chunks, const std::string& expected_log, state expected_state,
                       const std::string& expected_error = {}) {
    for (std::size_t which = 0; which < chunks.size(); ++which) {
        for (std::size_t cut = 1; cut < chunks[which].size(); ++cut) {
            log_body_decoder decoder(log_framing::leading_byte);
            std::string log;
            for (std::size_t i = 0; i < chunks.size(); ++i) {
                const std::string_view chunk = chunks[i];
                if (i != which) {
                    log.append(decoder.feed(chunk, true));
                    continue;
                }
                log.append(decoder.feed(chunk.substr(0, cut), true));
                log.append(decoder.feed(chunk.substr(cut), false));
            }
            decoder.finish();
            BOOST_TEST_CONTEXT("chunk " << which << " cut at " << cut) {
                BOOST_TEST(log == expected_log);
                BOOST_TEST((decoder.status() == expected_state));
                BOOST_TEST(decoder.error_text() == expected_error);
            }
        }
    }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(log_framing_tests)

BOOST_AUTO_TEST_CASE(raw_bodies_are_log_bytes_whatever_their_first_byte) {
    log_body_decoder decoder(log_framing::raw);
    BOOST_TEST(decode(decoder, {"1tick 0\n", "0not an error\n", "2"}) == "1tick 0\n0not an error\n2");
    BOOST_TEST((decoder.status() == state::log));
}

BOOST_AUTO_TEST_CASE(the_status_byte_of_every_chunk_is_removed) {
    const std::vector<std::string> chunks = {"1first line\nsecond", "1 half\n", "1tick 0\n", "1",
                                             "1\xC3\xA9t\xC3\xA9\n"};
    const std::string expected = "first line\nsecond half\ntick 0\n\xC3\xA9t\xC3\xA9\n";
    for (std::size_t piece : {0, 1, 2, 3, 7, 100}) {
        log_body_decoder decoder(log_framing::leading_byte);
        BOOST_TEST(decode(decoder, chunks, piece) == expected, "pieces of " << piece);
        BOOST_TEST((decoder.status() == state::log));
    }
    check_every_split(chunks, expected, state::log);
}

BOOST_AUTO_TEST_CASE(a_1_inside_a_chunk_is_log_text) {
    // Only the first byte of a chunk is a status byte: "1" and "0" elsewhere are data.
    log_body_decoder decoder(log_framing::leading_byte);
    BOOST_TEST(decode(decoder, {"110 items\n0 left\n1"}, 1) == "10 items\n0 left\n1");
    BOOST_TEST((decoder.status() == state::log));
}

BOOST_AUTO_TEST_CASE(the_zero_marker_turns_the_rest_into_the_servers_error) {
    const std::string reason =
        "Could not find a log file. Please make sure the given option exists in the cluster.\n"
        "\tnode_id: None\n";
    const std::vector<std::string> chunks = {"1a\n", "1b", "0" + closing + reason};
    for (std::size_t piece : {0, 1, 5}) {
        log_body_decoder decoder(log_framing::leading_byte);
        BOOST_TEST(decode(decoder, chunks, piece) == "a\nb");  // the log before the error is kept
        BOOST_TEST((decoder.status() == state::server_error));
        BOOST_TEST(decoder.error_text() == reason);
    }
    check_every_split(chunks, "a\nb", state::server_error, reason);
}

BOOST_AUTO_TEST_CASE(an_error_is_complete_at_the_end_of_its_chunk_and_nothing_after_it_is_log) {
    log_body_decoder decoder(log_framing::leading_byte);
    BOOST_TEST(decoder.feed("0" + closing + "boom", true).empty());
    BOOST_TEST((decoder.status() == state::error_incoming));  // more of the text may follow
    BOOST_TEST(decoder.feed(" and more", false).empty());
    BOOST_TEST(decoder.feed("1later\n", true).empty());
    BOOST_TEST((decoder.status() == state::server_error));
    BOOST_TEST(decoder.error_text() == "boom and more");
    BOOST_TEST(decoder.feed("1even later\n", true).empty());
    // Without Ray's closing line the text is kept whole.
    decoder.reset(log_framing::leading_byte);
    BOOST_TEST(decode(decoder, {"0A file is not found at: /tmp/x.log"}) == "");
    BOOST_TEST(decoder.error_text() == "A file is not found at: /tmp/x.log");
}

BOOST_AUTO_TEST_CASE(the_error_text_is_bounded) {
    log_body_decoder decoder(log_framing::leading_byte);
    decode(decoder, {"0" + std::string(10'000, 'x')}, 333);
    BOOST_TEST(decoder.error_text().size() == log_body_decoder::max_error_text);
}

BOOST_AUTO_TEST_CASE(a_chunk_without_a_status_byte_is_malformed_not_log) {
    // A proxy that re-chunked the body: a chunk starting inside the log.
    for (const std::vector<std::string>& chunks : {std::vector<std::string>{"2026-12-01 INFO\n"},
                                                   std::vector<std::string>{"1tick 0\n", "tick 1\n", "1tick 2\n"}}) {
        log_body_decoder decoder(log_framing::leading_byte);
        const auto log = decode(decoder, chunks);
        BOOST_TEST((decoder.status() == state::malformed));
        BOOST_TEST(log.find("tick 1") == std::string::npos);
        BOOST_TEST(log.find("tick 2") == std::string::npos);
    }
    expect_client_error(error_kind::protocol_error, [] {
        const std::vector<std::size_t> starts{0, 8};
        decode_log_body(log_framing::leading_byte, get_job_request("x"), "1tick 0\ntick 1\n", starts, {});
    });
}

BOOST_AUTO_TEST_CASE(an_empty_piece_at_a_chunk_start_leaves_the_marker_to_the_next_bytes) {
    log_body_decoder decoder(log_framing::leading_byte);
    BOOST_TEST(decoder.feed("", true).empty());
    BOOST_TEST(decoder.feed("1x", false) == "x");
    BOOST_TEST(decoder.feed("1y", false) == "1y");
}

BOOST_AUTO_TEST_CASE(the_first_bytes_of_a_body_always_start_a_chunk) {
    // A body that is not chunked (Content-Length, or read to EOF) is one chunk.
    log_body_decoder decoder(log_framing::leading_byte);
    BOOST_TEST(decoder.feed("1whole body\n", false) == "whole body\n");
    BOOST_TEST(decode_log_body(log_framing::leading_byte, get_job_request("x"), "1whole\n", {}, {}) == "whole\n");
}

BOOST_AUTO_TEST_CASE(a_reset_starts_a_new_body) {
    log_body_decoder decoder(log_framing::leading_byte);
    decode(decoder, {"0" + closing + "gone"});
    decoder.reset(log_framing::leading_byte);
    BOOST_TEST((decoder.status() == state::log));
    BOOST_TEST(decoder.error_text().empty());
    BOOST_TEST(decoder.feed("1again", true) == "again");
    decoder.reset(log_framing::raw);
    BOOST_TEST(decoder.feed("1raw", true) == "1raw");
}

BOOST_AUTO_TEST_CASE(the_in_band_error_names_the_request_and_ray_s_reason) {
    const auto request = get_job_request("raysubmit_1");
    const auto error = in_band_log_error(request, "Job raysubmit_1 has no driver node id info.\nmore", {"s3cr3t"});
    BOOST_TEST((error.kind() == error_kind::server_error));
    BOOST_TEST(error.http_status() == 200);
    BOOST_TEST(error.message() ==
                   "GET /api/jobs/raysubmit_1 failed: Ray reported an error inside the log body (HTTP 200): Job "
                   "raysubmit_1 has no driver node id info.",
               error.message());
    const auto whole = [&] {
        const std::vector<std::size_t> starts{0, 3};
        decode_log_body(log_framing::leading_byte, request, "1a\n0" + closing + "Actor ID x not found.", starts, {});
    };
    BOOST_TEST(contains(expect_client_error(error_kind::server_error, whole).message(), "Actor ID x not found."));
}

BOOST_AUTO_TEST_CASE(the_framing_follows_the_release) {
    BOOST_TEST((log_framing_of(server_version::exactly({2, 44, 1})) == log_framing::leading_byte));
    BOOST_TEST((log_framing_of(server_version::exactly({2, 9, 3})) == log_framing::leading_byte));
    BOOST_TEST((log_framing_of(server_version::exactly({2, 45, 0})) == log_framing::raw));
    BOOST_TEST((log_framing_of(server_version::token_protected()) == log_framing::raw));
}

// Every recorded release: the job's log over /api/v0/logs/{file,stream}, cut at the chunks Ray
// wrote, decodes to the job's static log (GET /api/jobs/{id}/logs) byte for byte; Ray's errors
// are errors, never log text.
BOOST_AUTO_TEST_CASE(every_recorded_release_decodes_to_the_static_log) {
    for (const auto& version : raycl::test::recorded_ray_versions()) {
        BOOST_TEST_CONTEXT("Ray " << version) {
            const raycl::test::recorded_release recorded(version);
            const auto framing = log_framing_of(server_version::exactly(*parse_ray_release(version)));
            const auto known = decode_job_logs(boost::json::parse(recorded.get("jobs_logs_known_output.json").body));
            BOOST_TEST_REQUIRE(contains(known, "raycl known output v1"));
            for (const std::string file : {"logs_file_job_all.txt", "logs_stream_job.txt", "logs_file_job_node_ip.txt",
                                           "logs_file_job_bogus_node_id.txt"}) {
                BOOST_TEST_CONTEXT(file) {
                    const auto answer = recorded.get(file);
                    BOOST_TEST(answer.status == 200);
                    BOOST_TEST(decode_log_body(framing, get_job_request("x"), answer.body, answer.chunk_starts(), {}) ==
                               known);
                    // And piece by piece, as the tail reads it, 1 and 7 bytes at a time.
                    for (std::size_t piece : {1, 7}) {
                        log_body_decoder decoder(framing);
                        BOOST_TEST(decode(decoder, answer.chunks(), piece) == known);
                        BOOST_TEST((decoder.status() == state::log));
                    }
                }
            }
            // A running job's stream: one chunk per poll, each with its own status byte.
            const auto running = recorded.get("logs_stream_running_job.txt");
            BOOST_TEST(running.chunk_sizes.size() > 5u);
            log_body_decoder decoder(framing);
            const auto ticks = decode(decoder, running.chunks());
            BOOST_TEST(contains(ticks, "tick 0\ntick 1\ntick 2\n"));
            BOOST_TEST(!contains(ticks, "\n1tick"));
            for (const auto& file : recorded.files("error_logs_", ".txt")) {
                const auto answer = recorded.get(file);
                if (answer.status != 200 || file.find("format_text") != std::string::npos) continue;
                BOOST_TEST_CONTEXT(file) {
                    if (answer.body.empty()) continue;  // 2.9.3 once answered a missing file with 200 and no body
                    BOOST_TEST((framing == log_framing::leading_byte));  // 2.45+ answers errors with 500
                    const auto error = expect_client_error(error_kind::server_error, [&] {
                        decode_log_body(framing, get_job_request("x"), answer.body, answer.chunk_starts(), {});
                    });
                    BOOST_TEST(!contains(error.message(), "Closing HTTP stream"), error.message());
                    BOOST_TEST(error.message().size() > 80u, error.message());
                }
            }
        }
    }
}

// Static reads (get_log): on every recorded release a missing log is a 404 whatever the wire
// says (a `0` chunk inside a 200 up to 2.44, a 500 from 2.45), and a found log is its text
// without status bytes.
BOOST_AUTO_TEST_CASE(static_log_reads_mean_the_same_on_every_recorded_release) {
    for (const auto& version : raycl::test::recorded_ray_versions()) {
        BOOST_TEST_CONTEXT("Ray " << version) {
            const raycl::test::recorded_release recorded(version);
            request_spec request;
            request.target = "/api/v0/logs/file?task_id=x";
            request.framed_log_body =
                log_framing_of(server_version::exactly(*parse_ray_release(version))) == log_framing::leading_byte;
            for (const std::string file :
                 {"error_logs_file_missing_file.txt", "error_logs_file_unknown_actor.txt",
                  "error_logs_file_unknown_submission.txt", "error_logs_file_unknown_task.txt"}) {
                BOOST_TEST_CONTEXT(file) {
                    const auto answer = recorded.get(file);
                    if (answer.status == 200 && answer.body.empty()) continue;  // 2.9.3 once: see the test above
                    BOOST_TEST(answer.status == (request.framed_log_body ? 200 : 500));
                    const auto error = expect_client_error(error_kind::not_found, [&] {
                        log_file_text(request, answer.status, answer.body, answer.chunk_starts(), {});
                    });
                    BOOST_TEST(error.status() == 404);
                    BOOST_TEST(!contains(error.message(), "Closing HTTP stream"), error.message());
                }
            }
            const auto known = decode_job_logs(boost::json::parse(recorded.get("jobs_logs_known_output.json").body));
            const auto whole = recorded.get("logs_file_job_all.txt");
            BOOST_TEST(log_file_text(request, whole.status, whole.body, whole.chunk_starts(), {}) == known);
        }
    }
}

BOOST_AUTO_TEST_CASE(an_in_band_error_is_classified_as_the_same_text_in_a_500_is) {
    request_spec request;
    request.target = "/api/v0/logs/file?task_id=x";
    request.framed_log_body = true;
    const std::vector<std::size_t> one_chunk{0};
    const auto actor_task = expect_client_error(error_kind::invalid_argument, [&] {
        log_file_text(request, 200, "0" + closing + "For actor task, please query actor log for actor(abc123).",
                      one_chunk, {});
    });
    BOOST_TEST(contains(actor_task.message(), "read the log of its actor abc123 instead"), actor_task.message());
    // Any other in-band error stays a 500 with Ray's reason, the secret redacted.
    const auto other = expect_client_error(error_kind::server_error, [&] {
        log_file_text(request, 200, "1partial\n0" + closing + "agent s3cr3t went away", std::vector<std::size_t>{0, 9},
                      {"s3cr3t"});
    });
    BOOST_TEST(contains(other.message(), "agent [REDACTED] went away"), other.message());
    BOOST_TEST(!contains(other.message(), "s3cr3t"), other.message());
    // Not framed (Ray 2.45+, or a route without framing): the body as it is.
    request.framed_log_body = false;
    BOOST_TEST(log_file_text(request, 200, "1tick\n", one_chunk, {}) == "1tick\n");
}

BOOST_AUTO_TEST_SUITE_END()
