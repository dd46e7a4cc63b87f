// The client against the fake dashboard playing each recorded Ray release
// (test/fixtures/ray/<version>/): the fake reports that release on /api/version and answers
// with that release's recorded bodies, HTTP chunks and statuses. Tails, errors and Serve
// must come out the same on every release (docs/ray-versions.md lists what differs on the wire).
#include "component/harness.hpp"
#include "core/ray_version.hpp"
#include "support/ray_fixtures.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/json.hpp>

namespace raycl::test {
namespace {

namespace json = boost::json;

const std::string job_id = "raycl-known";

/// The recorded answer, replayed with its status, content type and chunks.
reply replay(const recorded_response& answer) {
    reply r = answer.chunk_sizes.empty() ? reply::text(answer.status, answer.body)
                                         : reply::chunked_text(answer.status, answer.chunks());
    r.content_type = answer.content_type.empty() ? "text/plain" : answer.content_type;
    return r;
}

core::server_version server_of(const std::string& version) {
    return core::server_version::exactly(*core::parse_ray_release(version));
}

/// A finished job whose log is the release's recorded known output: the job itself, its
/// static log, and the HTTP stream `stream_file` (a recorded /api/v0/logs/stream answer).
void install_known_job(fake_dashboard& dashboard, const recorded_release& recorded, const std::string& stream_file) {
    auto job = json::parse(recorded.get("jobs_get_succeeded.json").body).as_object();
    job["submission_id"] = job_id;
    dashboard.route("GET", "/api/jobs/" + job_id,
                    [body = json::serialize(job)](const recorded_request&) { return reply::json(200, body); });
    dashboard.route("GET", "/api/jobs/" + job_id + "/logs",
                    [body = recorded.get("jobs_logs_known_output.json").body](const recorded_request&) {
                        return reply::json(200, body);
                    });
    dashboard.route("GET", "/api/v0/logs/stream*",
                    [answer = recorded.get(stream_file)](const recorded_request&) { return replay(answer); });
}

std::string known_log(const recorded_release& recorded) {
    return std::string(json::parse(recorded.get("jobs_logs_known_output.json").body).at("logs").as_string());
}

asio::awaitable<std::string> tail_text(client& ray, tail_options options, stream_stats* stats = nullptr) {
    auto stream = co_await ray.tail_job_logs(job_id, options);
    std::string text;
    while (auto line = co_await stream.next()) text += line->text + (line->newline ? "\n" : "");
    if (stats) *stats = stream.stats();
    co_return text;
}

std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::size_t at = 0;
    while (at < text.size()) {
        const auto end = std::min(text.find('\n', at), text.size());
        if (end > at) lines.push_back(text.substr(at, end - at));
        at = end + 1;
    }
    return lines;
}

tail_options stream_tail() {
    tail_options options;
    options.protocol = tail_protocol::stream;
    options.stream_timeout = seconds(10.0);
    options.complete_from_static_log = false;  // what the stream itself delivered
    return options;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(component_releases)

BOOST_AUTO_TEST_CASE(the_http_stream_delivers_the_static_log_byte_for_byte_on_every_release) {
    for (const auto& version : recorded_ray_versions()) {
        BOOST_TEST_CONTEXT("Ray " << version) {
            const recorded_release recorded(version);
            fake_dashboard dashboard(fake_dashboard::options{}.as_ray(version));
            install_known_job(dashboard, recorded, "logs_stream_job.txt");
            client ray(options_for(dashboard));
            stream_stats stats;
            const auto text = run_sync(tail_text(ray, stream_tail(), &stats));
            BOOST_TEST(text == known_log(recorded));  // no status byte, long line, UTF-8, no final newline
            BOOST_TEST(stats.static_log_bytes == 0u);
            BOOST_TEST(dashboard.request_count("GET", "/api/version") == 1u);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_running_jobs_stream_of_many_chunks_loses_no_byte_to_the_status_bytes) {
    for (const auto& version : recorded_ray_versions()) {
        BOOST_TEST_CONTEXT("Ray " << version) {
            const recorded_release recorded(version);
            const auto answer = recorded.get("logs_stream_running_job.txt");
            // The oracle: Ray's own client (ray.util.state.get_log) drops the first byte of
            // every chunk before 2.45.
            const bool framed = core::check(server_of(version), core::capability::raw_log_bodies) == core::support::no;
            std::string expected;
            for (const auto& chunk : answer.chunks()) expected += framed ? chunk.substr(1) : chunk;
            BOOST_TEST_REQUIRE(expected.find("tick 5\n") != std::string::npos);
            fake_dashboard dashboard(fake_dashboard::options{}.as_ray(version));
            install_known_job(dashboard, recorded, "logs_stream_running_job.txt");
            client ray(options_for(dashboard));
            BOOST_TEST(run_sync(tail_text(ray, stream_tail())) == expected);
        }
    }
}

BOOST_AUTO_TEST_CASE(automatic_and_websocket_tails_match_the_static_log_on_every_release) {
    for (const auto& version : recorded_ray_versions()) {
        BOOST_TEST_CONTEXT("Ray " << version) {
            const recorded_release recorded(version);
            fake_dashboard dashboard(fake_dashboard::options{}.as_ray(version));
            install_known_job(dashboard, recorded, "logs_stream_job.txt");
            std::vector<std::string> frames;
            for (const auto& line : split_lines(recorded.get("ws_tail_known_output.jsonl").body)) {
                const auto frame = json::parse(line).as_object();
                // The recording ends with a {"closed": true, "close_code": ...} entry, not a frame.
                const auto* type = frame.if_contains("type");
                if (type && type->is_string() && type->get_string() == "TEXT")
                    frames.push_back(std::string(frame.at("data").as_string()));
            }
            dashboard.websocket_route("/api/jobs/" + job_id + "/logs/tail", [frames](const recorded_request&) {
                websocket_script script;
                for (const auto& frame : frames) script.send_text(frame);
                return script.close(1000);
            });
            client ray(options_for(dashboard));
            auto options = stream_tail();
            options.protocol = tail_protocol::websocket;
            // The frames' bytes exactly (the 2.52.1 and 2.60.0 WebSocket recordings come from
            // another run of the job than their static log: other timestamps and job id).
            std::string framed_text;
            for (const auto& frame : frames) framed_text += frame;
            BOOST_TEST(run_sync(tail_text(ray, options)) == framed_text);
            // automatic: the WebSocket is declined (a proxy without upgrades), the stream takes over.
            fake_dashboard declining(fake_dashboard::options{}.as_ray(version));
            install_known_job(declining, recorded, "logs_stream_job.txt");
            declining.websocket_route("/api/jobs/" + job_id + "/logs/tail",
                                      [](const recorded_request&) { return websocket_script{}.drop(); });
            client other(options_for(declining));
            options.protocol = tail_protocol::automatic;
            stream_stats stats;
            BOOST_TEST(run_sync(tail_text(other, options, &stats)) == known_log(recorded));
            BOOST_TEST(stats.protocol == tail_protocol::stream);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_reconnect_inside_a_framed_stream_loses_and_repeats_nothing) {
    for (const auto& version : recorded_ray_versions()) {
        BOOST_TEST_CONTEXT("Ray " << version) {
            const recorded_release recorded(version);
            fake_dashboard dashboard(fake_dashboard::options{}.as_ray(version));
            install_known_job(dashboard, recorded, "logs_stream_job.txt");
            // The first connection breaks inside the long line; the second replays from byte 0.
            auto first = replay(recorded.get("logs_stream_job.txt"));
            first.with_fault(fault::close_mid_body, 5000);
            dashboard.expect("GET", "/api/v0/logs/stream*").reply_with(first);
            client ray(options_for(dashboard));
            stream_stats stats;
            BOOST_TEST(run_sync(tail_text(ray, stream_tail(), &stats)) == known_log(recorded));
            BOOST_TEST(stats.reconnects == 1u);
        }
    }
}

BOOST_AUTO_TEST_CASE(ray_s_log_errors_are_errors_never_log_text_on_every_release) {
    for (const auto& version : recorded_ray_versions()) {
        BOOST_TEST_CONTEXT("Ray " << version) {
            const recorded_release recorded(version);
            fake_dashboard dashboard(fake_dashboard::options{}.as_ray(version));
            // <= 2.44: 200 and a chunk "0Closing HTTP stream ...\n<reason>"; 2.45+: 500 "<reason>".
            install_known_job(dashboard, recorded, "error_logs_stream_unknown_submission.txt");
            client ray(options_for(dashboard));
            auto options = stream_tail();
            options.max_reconnects = 1;
            std::string text;
            auto read = [&]() -> asio::awaitable<void> {
                auto stream = co_await ray.tail_job_logs(job_id, options);
                while (auto line = co_await stream.next()) text += line->text + "\n";
            };
            const auto error = expect_error(read());
            BOOST_TEST(text.empty(), text);
            BOOST_TEST(error.status() == 500);
            BOOST_TEST(error.message().find("Could not find a log file") != std::string::npos, error.message());
            BOOST_TEST(error.message().find("Closing HTTP stream") == std::string::npos, error.message());
            BOOST_TEST(dashboard.request_count("GET", "/api/v0/logs/stream*") == 2u);  // one reconnect, as for a 500
        }
    }
}

BOOST_AUTO_TEST_CASE(state_query_refusals_on_every_release) {
    for (const auto& version : recorded_ray_versions()) {
        BOOST_TEST_CONTEXT("Ray " << version) {
            const recorded_release recorded(version);
            const auto answer = recorded.get("error_state_tasks_unknown_filter_key.json");
            fake_dashboard dashboard(fake_dashboard::options{}.as_ray(version));
            client ray(options_for(dashboard));
            // The client checks filter columns itself (Ray 2.60's list) before any I/O ...
            const auto local = expect_error(ray.list_tasks(list_options().where("bogus_col", "x")));
            BOOST_TEST(local.status() == 400);
            BOOST_TEST(dashboard.request_count("GET", "/api/v0/tasks*") == 0u);
            // ... so the release's recorded refusal is replayed for a request the client does send.
            dashboard.expect("GET", "/api/v0/tasks?filter_keys=name&filter_predicates=%3D&filter_values=x")
                .reply_with(replay(answer));
            const auto error = expect_error(ray.list_tasks(list_options().where("name", "x")));
            const auto server = server_of(version);
            if (core::check(server, core::capability::state_api_bad_request) == core::support::yes ||
                answer.body.starts_with("{")) {
                BOOST_TEST(error.status() == 400);  // 2.52+ says so; <= 2.44's 500 holds the ValueError
                BOOST_TEST(error.message().find("bogus_col is not supported") != std::string::npos, error.message());
            } else {
                BOOST_TEST(error.status() == 500);  // 2.45 - 2.51: a bare 500, nothing to tell
                BOOST_TEST(error.message().find("without a reason") != std::string::npos, error.message());
            }
            BOOST_TEST(dashboard.unmatched().empty());
        }
    }
}

BOOST_AUTO_TEST_CASE(a_one_second_state_timeout_is_sent_as_two_before_2_52) {
    for (const auto& version : recorded_ray_versions()) {
        BOOST_TEST_CONTEXT("Ray " << version) {
            const recorded_release recorded(version);
            const bool takes_one =
                core::check(server_of(version), core::capability::state_timeout_one_second) == core::support::yes;
            fake_dashboard dashboard(fake_dashboard::options{}.as_ray(version));
            dashboard.expect("GET", takes_one ? "/api/v0/nodes?timeout=1" : "/api/v0/nodes?timeout=2")
                .reply_with(reply::json(200, recorded.get("state_nodes.json").body));
            client ray(options_for(dashboard));
            list_options options;
            options.server_timeout_seconds = 1.0;
            BOOST_TEST(run_sync(ray.list_nodes(options)).items.size() == 2u);
            BOOST_TEST(dashboard.unmatched().empty());
        }
    }
}

BOOST_AUTO_TEST_CASE(serve_api_type_filters_on_every_release) {
    for (const auto& version : recorded_ray_versions()) {
        BOOST_TEST_CONTEXT("Ray " << version) {
            const recorded_release recorded(version);
            const bool server_filters =
                core::check(server_of(version), core::capability::serve_api_type_filter) == core::support::yes;
            fake_dashboard dashboard(fake_dashboard::options{}.as_ray(version));
            // Before 2.50 Ray ignores ?api_type=, so raycl does not send it and filters itself.
            const std::string route = "/api/serve/applications/";
            dashboard.expect("GET", server_filters ? route + "?api_type=imperative" : route)
                .reply_with(reply::json(200, recorded.get("serve_get_api_type_imperative.json").body));
            dashboard.expect("GET", server_filters ? route + "?api_type=declarative" : route)
                .reply_with(reply::json(200, recorded.get("serve_get_api_type_declarative.json").body));
            client ray(options_for(dashboard));
            const auto imperative = run_sync(ray.list_serve_applications(serve_api_type::imperative));
            BOOST_TEST(imperative.applications.empty());  // both recorded apps came from a PUT
            BOOST_TEST(!imperative.raw->at("applications").as_object().contains("echo"));
            const auto declarative = run_sync(ray.list_serve_applications(serve_api_type::declarative));
            BOOST_TEST(declarative.applications.size() == 2u);
            for (const auto& app : declarative.applications) BOOST_TEST(app.source == "declarative");
            BOOST_TEST(dashboard.unmatched().empty());
        }
    }
}

BOOST_AUTO_TEST_CASE(deleting_one_serve_application_keeps_the_other_on_every_release) {
    for (const auto& version : recorded_ray_versions()) {
        BOOST_TEST_CONTEXT("Ray " << version) {
            const recorded_release recorded(version);
            fake_dashboard dashboard(fake_dashboard::options{}.as_ray(version));
            dashboard.expect("GET", "/api/serve/applications/")
                .reply_with(reply::json(200, recorded.get("serve_get_running.json").body));
            dashboard.expect("PUT", "/api/serve/applications/")
                .reply_with(replay(recorded.get("serve_put_one_app.txt")));
            client ray(options_for(dashboard));
            run_sync(ray.delete_serve_application("echo"));  // before 2.39 there is no source to go by
            const auto put = dashboard.requests().back();
            BOOST_TEST_REQUIRE(put.method == "PUT");
            const auto apps = json::parse(put.body).at("applications").as_array();
            BOOST_TEST_REQUIRE(apps.size() == 1u);
            BOOST_TEST(apps[0].at("name").as_string() == "hello");
            // Nothing needed the release: a declarative delete of declarative apps works everywhere.
            BOOST_TEST(dashboard.request_count("GET", "/api/version") == 0u);
        }
    }
}

BOOST_AUTO_TEST_CASE(before_2_11_a_delete_next_to_an_imperative_app_is_refused_before_the_put) {
    // Ray 2.10 and older delete every application a declarative PUT leaves out, imperative ones too.
    auto mixed = json::parse(ray_fixture("serve_get_mixed.json")).as_object();
    for (auto& [name, app] : mixed.at("applications").as_object()) app.as_object().erase("source");  // pre-2.39 shape
    for (const std::string version : {"2.10.0", "2.11.0"}) {
        BOOST_TEST_CONTEXT("Ray " << version) {
            fake_dashboard dashboard(fake_dashboard::options{}.as_ray(version));
            dashboard.expect("GET", "/api/serve/applications/")
                .reply_with(reply::json(200, json::serialize(mixed)))
                .repeatedly();
            dashboard.expect("PUT", "/api/serve/applications/").reply_with(reply::text(200, ""));
            client ray(options_for(dashboard));
            BOOST_TEST(run_sync(ray.get_serve_application("imperative_hello")).source == "imperative");
            if (version == "2.10.0") {
                const auto error = expect_error(ray.delete_serve_application("echo"));
                BOOST_TEST(error.status() == 501);
                BOOST_TEST(
                    error.message().find("needs Ray 2.11.0 or later; the cluster runs Ray 2.10.0") != std::string::npos,
                    error.message());
                BOOST_TEST(dashboard.request_count("PUT", "/api/serve/applications/") == 0u);
            } else {
                run_sync(ray.delete_serve_application("echo"));
                BOOST_TEST(dashboard.request_count("PUT", "/api/serve/applications/") == 1u);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(get_log_gives_the_log_and_a_404_for_a_missing_one_on_every_release) {
    const std::string task_id = std::string(48, 'a');
    for (const auto& version : recorded_ray_versions()) {
        BOOST_TEST_CONTEXT("Ray " << version) {
            const recorded_release recorded(version);
            fake_dashboard dashboard(fake_dashboard::options{}.as_ray(version));
            install_known_job(dashboard, recorded, "logs_stream_job.txt");
            // <= 2.44: status bytes per chunk, a missing log as a `0` chunk inside a 200; 2.45+:
            // raw bytes and a 500.
            dashboard.route("GET", "/api/v0/logs/file*",
                            [whole = recorded.get("logs_file_job_all.txt"),
                             missing = recorded.get("error_logs_file_unknown_task.txt")](const recorded_request& r) {
                                return replay(r.target.find("task_id=") != std::string::npos ? missing : whole);
                            });
            client ray(options_for(dashboard));
            BOOST_TEST(run_sync(ray.get_log(log_target::job(job_id))) == known_log(recorded));
            const auto error = expect_error(ray.get_log(log_target::task(task_id)));
            BOOST_TEST(error.status() == 404, error.message());
            BOOST_TEST(error.message().find("Could not find log file for task") != std::string::npos, error.message());
            BOOST_TEST(error.message().find("Closing HTTP stream") == std::string::npos, error.message());
            BOOST_TEST(dashboard.request_count("GET", "/api/version") == 1u);  // learned once, for both reads
        }
    }
}

BOOST_AUTO_TEST_CASE(an_empty_answer_for_a_node_file_is_checked_against_the_file_list) {
    // Ray answers a missing file by name now with its error, now with an empty 200 (seen on 2.9.3
    // by hand and on 2.60 in a CI run), which is also how it sends an empty file.
    const std::string node(56, 'b');
    const std::string listed = R"({"result": true, "msg": "", "data": {"result": {"raylet": ["raylet.out"]}}})";
    const std::string none = R"({"result": true, "msg": "", "data": {"result": {}}})";
    for (const std::string version : {"2.9.3", "2.60.0"}) {
        BOOST_TEST_CONTEXT("Ray " << version) {
            fake_dashboard dashboard(fake_dashboard::options{}.as_ray(version));
            dashboard.route("GET", "/api/v0/logs/file*", [](const recorded_request&) {
                return reply::chunked_text(200, std::vector<std::string>{});
            });
            dashboard.route("GET", "/api/v0/logs?*", [&](const recorded_request& r) {
                return reply::json(200, r.target.find("glob=raylet.out") != std::string::npos ? listed : none);
            });
            client ray(options_for(dashboard));
            const auto by_id = node_selector::by_id(node);
            BOOST_TEST(run_sync(ray.get_log(log_target::node_file("raylet.out", by_id))) == "");
            const auto error = expect_error(ray.get_log(log_target::node_file("raycl-no-such.log", by_id)));
            BOOST_TEST(error.status() == 404);
            BOOST_TEST(error.message() == "A file is not found: raycl-no-such.log on node " + node, error.message());
            BOOST_TEST(dashboard.request_count("GET", "/api/v0/logs?*") == 2u);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_label_selector_is_refused_before_sending_before_2_54) {
    for (const std::string version : {"2.9.3", "2.53.0", "2.54.0"}) {
        BOOST_TEST_CONTEXT("Ray " << version) {
            fake_dashboard dashboard(fake_dashboard::options{}.as_ray(version));
            dashboard.route("POST", "/api/jobs/", [](const recorded_request&) {
                return reply::json(200, R"({"job_id": "j", "submission_id": "raysubmit_1"})");
            });
            client ray(options_for(dashboard));
            auto submission = job_submission("python main.py").with_label_selector({{"region", "us-west"}});
            if (version == "2.54.0") {
                BOOST_TEST(run_sync(ray.submit_job(std::move(submission))) == "raysubmit_1");
                BOOST_TEST(dashboard.request_count("POST", "/api/jobs/") == 1u);
                continue;
            }
            const auto error = expect_error(ray.submit_job(std::move(submission)));
            BOOST_TEST(error.status() == 501);
            BOOST_TEST(error.kind() == error_kind::unsupported);
            BOOST_TEST(error.message() ==
                           "entrypoint_label_selector on a job submission needs Ray 2.54.0 or later; "
                           "the cluster runs Ray " +
                               version,
                       error.message());
            BOOST_TEST(dashboard.request_count("POST", "/api/jobs/") == 0u);
        }
    }
}

BOOST_AUTO_TEST_CASE(the_release_is_asked_once_per_client_and_a_token_wall_only_bounds_it) {
    fake_dashboard dashboard(fake_dashboard::options{}.as_ray("2.44.1"));
    const recorded_release recorded("2.44.1");
    install_known_job(dashboard, recorded, "logs_stream_job.txt");
    dashboard.route("GET", "/api/serve/applications/",
                    [body = recorded.get("serve_get_not_running.json").body](const recorded_request&) {
                        return reply::json(200, body);
                    });
    client ray(options_for(dashboard));
    // Several tails started at once share the one question.
    auto three = [&]() -> asio::awaitable<void> {
        using namespace boost::asio::experimental::awaitable_operators;
        auto s1 = tail_text(ray, stream_tail());
        auto s2 = tail_text(ray, stream_tail());
        auto s3 = tail_text(ray, stream_tail());
        auto [t1, t2, t3] = co_await (std::move(s1) && std::move(s2) && std::move(s3));
        BOOST_TEST(t1 == known_log(recorded));
        BOOST_TEST(t2 == t1);
        BOOST_TEST(t3 == t1);
    };
    run_sync(three());
    BOOST_TEST(run_sync(ray.list_serve_applications(serve_api_type::declarative)).applications.empty());
    BOOST_TEST(dashboard.request_count("GET", "/api/version") == 1u);

    // Token auth without a token: /api/version answers 401, which says "2.52 or later" and no more.
    fake_dashboard locked(fake_dashboard::options{}.require_token("tok_right_1234567890"));
    client anonymous(options_for(locked));
    const auto error = expect_error(anonymous.list_serve_applications(serve_api_type::imperative));
    BOOST_TEST(error.status() == 401);  // the list itself, sent with ?api_type= (2.52 has it)
    BOOST_TEST(locked.request_count("GET", "/api/version") == 1u);
    BOOST_TEST(locked.request_count("GET", "/api/serve/applications/?api_type=imperative") == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace raycl::test
