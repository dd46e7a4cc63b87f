// Component tests of the logs of anything against the scripted fake dashboard: list_logs,
// get_log and follow_log for every kind of target, how Ray's failures map to statuses, and when
// a followed stream ends (the stream-end rule of each target kind).
#include "component/tail_harness.hpp"

#include <boost/json.hpp>

#include <atomic>
#include <memory>

namespace raycl::test {

using namespace tail_harness;

namespace {

namespace json = boost::json;

const std::string head = std::string(56, 'a');
const std::string other_node = std::string(56, 'b');
const std::string task = std::string(40, 'c') + "02000000";
const std::string actor = std::string(24, 'd') + "02000000";

std::string envelope(const std::string& rows) {
    return R"({"result": true, "msg": "", "data": {"result": {"total": 1, "num_after_truncation": 1,
      "num_filtered": 1, "result": [)" +
           rows + R"(], "partial_failure_warning": "", "warnings": null}}})";
}

const std::string no_rows = R"({"result": true, "msg": "", "data": {"result": {"total": 0, "num_after_truncation": 0,
  "num_filtered": 0, "result": []}}})";

const std::string head_lookup = "/api/v0/nodes?filter_keys=is_head_node&filter_predicates=%3D&filter_values=true";
const std::string head_rows = envelope(R"({"node_id": ")" + head + R"(", "node_ip": "127.0.0.1", "is_head_node": true,
  "state": "ALIVE"})");

const std::string task_lookup =
    "/api/v0/tasks?detail=true&filter_keys=task_id&filter_predicates=%3D&filter_values=" + task;
const std::string task_stream = "/api/v0/logs/stream?task_id=" + task + "&attempt_number=0&suffix=out&lines=-1";
const std::string task_file = "/api/v0/logs/file?task_id=" + task + "&attempt_number=0&suffix=out&lines=-1";

/// A task row: its state, and its byte range when known (start only while running).
std::string task_row(const std::string& state, std::optional<int> start, std::optional<int> end,
                     const std::string& type = "NORMAL_TASK") {
    std::string info = "null";
    if (start) {
        info = R"({"stdout_file": "/tmp/w.out", "stderr_file": "/tmp/w.err", "stdout_start": )" +
               std::to_string(*start) + (end ? R"(, "stdout_end": )" + std::to_string(*end) : std::string()) + "}";
    }
    return R"({"task_id": ")" + task + R"(", "attempt_number": 0, "name": "slow", "state": ")" + state +
           R"(", "job_id": "02000000", "type": ")" + type + R"(", "func_or_class_name": "slow", "actor_id": ")" +
           actor + R"(", "node_id": ")" + head + R"(", "worker_pid": 41, "task_log_info": )" + info + "}";
}

const std::string actor_lookup =
    "/api/v0/actors?detail=true&filter_keys=actor_id&filter_predicates=%3D&filter_values=" + actor;
const std::string actor_stream = "/api/v0/logs/stream?actor_id=" + actor + "&suffix=out&lines=-1";
const std::string actor_file = "/api/v0/logs/file?actor_id=" + actor + "&suffix=out&lines=-1";

std::string actor_row(const std::string& state) {
    return R"({"actor_id": ")" + actor + R"(", "class_name": "Printer", "state": ")" + state +
           R"(", "job_id": "02000000", "node_id": ")" + head + R"(", "pid": 41})";
}

/// A state route that answers `first` for the first `count` requests, then `later`.
void state_route(fake_dashboard& dashboard, const std::string& target, std::string first, int count,
                 std::string later) {
    auto asked = std::make_shared<std::atomic<int>>(0);
    dashboard.route("GET", target, [=](const recorded_request&) {
        return reply::json(200, asked->fetch_add(1) < count ? first : later);
    });
}

asio::awaitable<std::string> follow_all(client& ray, log_target target, log_options options = {},
                                        tail_options tail = {}) {
    auto stream = co_await ray.follow_log(std::move(target), options, tail);
    auto text = co_await read_all(stream);
    co_return text;
}

tail_options quick_tail() {
    tail_options tail;
    tail.stream_timeout = seconds(5.0);
    return tail;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(component_logs)

BOOST_AUTO_TEST_CASE(list_logs_of_a_node_by_id_by_ip_and_the_head) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/v0/logs?node_id=" + head + "&glob=raylet%2A")
        .reply_with(reply::json(200, ray_fixture("logs_list_glob.json")));
    dashboard.expect("GET", head_lookup).reply_with(reply::json(200, head_rows));
    dashboard.expect("GET", "/api/v0/logs?node_id=" + head + "&glob=%2A")
        .reply_with(reply::json(200, ray_fixture("logs_list_head.json")));
    dashboard.expect("GET", "/api/v0/logs?node_ip=127.0.0.1&glob=gcs%2A")
        .reply_with(reply::json(200, ray_fixture("logs_list_node_ip.json")));
    client ray(options_for(dashboard));
    const auto raylet = run_sync(ray.list_logs(node_selector::by_id(head), "raylet*"));
    BOOST_TEST(raylet.node_id == head);
    BOOST_TEST(raylet.categories.at("raylet").size() == 4u);
    const auto all = run_sync(ray.list_logs());  // the head, as `ray logs cluster`
    BOOST_TEST(all.node_id == head);
    BOOST_TEST(all.categories.count("worker_out") == 1u);
    const auto by_ip = run_sync(ray.list_logs(node_selector::by_ip("127.0.0.1"), "gcs*"));
    BOOST_TEST(by_ip.node_ip == "127.0.0.1");
    BOOST_TEST((by_ip.files() == std::vector<std::string>{"gcs_server.err", "gcs_server.out"}));
    BOOST_TEST(dashboard.unmatched().empty());
}

BOOST_AUTO_TEST_CASE(list_logs_failures) {
    fake_dashboard dashboard;
    // Ray's own 404 for an unknown IP (the state envelope), its bare 500 for an unknown id.
    dashboard.expect("GET", "/api/v0/logs?node_ip=10.9.9.9&glob=%2A")
        .reply_with(reply::json(404, ray_fixture("error_logs_list_unknown_ip.json")));
    dashboard.expect("GET", "/api/v0/logs?node_id=" + other_node + "&glob=%2A")
        .reply_with(reply::text(500, ray_fixture("error_logs_list_unknown_node.txt")));
    dashboard
        .expect("GET",
                "/api/v0/nodes?detail=true&filter_keys=node_id&filter_predicates=%3D&filter_values=" + other_node)
        .reply_with(reply::json(200, no_rows));
    dashboard.expect("GET", "/api/v0/logs?node_id=" + head + "&glob=%2A")
        .reply_with(reply::text(500, ray_fixture("error_logs_list_unknown_node.txt")));
    dashboard.expect("GET", "/api/v0/nodes?detail=true&filter_keys=node_id&filter_predicates=%3D&filter_values=" + head)
        .reply_with(reply::json(200, head_rows));
    client ray(options_for(dashboard));
    const auto unknown_ip = expect_error(ray.list_logs(node_selector::by_ip("10.9.9.9")));
    BOOST_TEST(unknown_ip.status() == 404);
    BOOST_TEST(unknown_ip.message().find("Cannot find matching node_id") != std::string::npos);
    const auto unknown_id = expect_error(ray.list_logs(node_selector::by_id(other_node)));
    BOOST_TEST(unknown_id.status() == 404);
    BOOST_TEST(unknown_id.message() == "node " + other_node + " not found");
    BOOST_TEST(expect_error(ray.list_logs(node_selector::by_id(head))).status() == 500);  // the node exists
    const auto before = dashboard.request_count();
    BOOST_TEST(expect_error(ray.list_logs(node_selector::by_id(head), "../*")).status() == 400);
    BOOST_TEST(expect_error(ray.list_logs(node_selector::by_id("xyz"))).status() == 400);
    BOOST_TEST(dashboard.request_count() == before);  // checked before any I/O
}

BOOST_AUTO_TEST_CASE(get_log_of_every_kind_of_target) {
    fake_dashboard dashboard;
    dashboard.expect("GET", task_file).reply_with(reply::text(200, ray_fixture("logs_file_task_stdout.txt")));
    dashboard.expect("GET", "/api/v0/logs/file?actor_id=" + actor + "&suffix=err&lines=1")
        .reply_with(reply::text(200, "last\n"));
    dashboard.expect("GET", head_lookup).reply_with(reply::json(200, head_rows));
    dashboard.expect("GET", "/api/v0/logs/file?pid=41&node_id=" + head + "&suffix=out&lines=-1")
        .reply_with(reply::text(200, ray_fixture("logs_file_worker_pid.txt")));
    dashboard.expect("GET", "/api/v0/logs/file?node_ip=127.0.0.1&filename=raylet.out&lines=3&timeout=5")
        .reply_with(reply::text(200, ray_fixture("logs_file_node_raylet_lines3.txt")));
    dashboard.expect("GET", "/api/jobs/" + job_id).reply_with(reply::json(200, job_json("RUNNING")));
    dashboard
        .expect("GET", "/api/v0/logs/file?submission_id=" + job_id + "&node_id=node1&lines=-1&filter_ansi_code=true")
        .reply_with(reply::text(200, "driver\n"));
    client ray(options_for(dashboard));
    BOOST_TEST(run_sync(ray.get_log(log_target::task(task))) == "raycl stdout p1\n");
    log_options last_err;
    last_err.lines = 1;
    last_err.suffix = log_suffix::err;
    BOOST_TEST(run_sync(ray.get_log(log_target::actor(actor), last_err)) == "last\n");
    BOOST_TEST(run_sync(ray.get_log(log_target::worker(41))) == ray_fixture("logs_file_worker_pid.txt"));
    log_options three;
    three.lines = 3;
    three.server_timeout = seconds(5.0);
    BOOST_TEST(run_sync(ray.get_log(log_target::node_file("raylet.out", node_selector::by_ip("127.0.0.1")), three)) ==
               ray_fixture("logs_file_node_raylet_lines3.txt"));
    log_options ansi;
    ansi.filter_ansi_code = true;
    BOOST_TEST(run_sync(ray.get_log(log_target::job(job_id), ansi)) == "driver\n");
    BOOST_TEST(dashboard.unmatched().empty());
    BOOST_TEST(dashboard.unmet_expectations().empty());
}

BOOST_AUTO_TEST_CASE(get_log_maps_ray_failures) {
    fake_dashboard dashboard;
    dashboard.expect("GET", task_file).reply_with(reply::text(500, ray_fixture("error_logs_file_unknown_task.txt")));
    dashboard.expect("GET", task_file).reply_with(reply::text(500, ray_fixture("error_logs_file_actor_task.txt")));
    dashboard.expect("GET", actor_file).reply_with(reply::text(500, ray_fixture("error_logs_file_unknown_actor.txt")));
    dashboard.expect("GET", "/api/v0/logs/file?node_id=" + head + "&filename=nope.log&lines=-1")
        .reply_with(reply::text(500, ray_fixture("error_logs_file_unknown_filename.txt")));
    dashboard.expect("GET", "/api/v0/logs/file?node_id=" + other_node + "&filename=raylet.out&lines=-1")
        .reply_with(reply::text(500, "Agent for node id: " + other_node + " doesn't exist."));
    dashboard.expect("GET", "/api/jobs/" + job_id)
        .reply_with(reply::json(200, R"({"type": "SUBMISSION", "submission_id": ")" + job_id +
                                         R"(", "status": "PENDING", "entrypoint": "x", "driver_node_id": null})"));
    dashboard.expect("GET", "/api/jobs/raysubmit_nope")
        .reply_with(reply::text(404, "Job raysubmit_nope does not exist"));
    dashboard.expect("GET", "/api/jobs/02000000")
        .reply_with(
            reply::json(200, R"({"type": "DRIVER", "job_id": "02000000", "status": "RUNNING", "entrypoint": "x"})"));
    client ray(options_for(dashboard));
    const auto unknown_task = expect_error(ray.get_log(log_target::task(task)));
    BOOST_TEST(unknown_task.status() == 404);
    BOOST_TEST(unknown_task.http_status() == 500);  // what Ray said
    const auto actor_task = expect_error(ray.get_log(log_target::task(task)));
    BOOST_TEST(actor_task.status() == 400);
    BOOST_TEST(actor_task.message().find("read the log of its actor 678da072c43134ba5f9debd102000000 instead") !=
               std::string::npos);
    BOOST_TEST(expect_error(ray.get_log(log_target::actor(actor))).status() == 404);
    BOOST_TEST(expect_error(ray.get_log(log_target::node_file("nope.log", node_selector::by_id(head)))).status() ==
               404);
    BOOST_TEST(
        expect_error(ray.get_log(log_target::node_file("raylet.out", node_selector::by_id(other_node)))).status() ==
        404);
    const auto pending = expect_error(ray.get_log(log_target::job(job_id)));
    BOOST_TEST(pending.status() == 404);
    BOOST_TEST(pending.message().find("has not started yet") != std::string::npos);
    BOOST_TEST(expect_error(ray.get_log(log_target::job("raysubmit_nope"))).status() == 404);
    BOOST_TEST(expect_error(ray.get_log(log_target::job("02000000"))).status() == 400);  // a DRIVER job
    BOOST_TEST(dashboard.unmet_expectations().empty());
    // Invalid targets and options: 400, nothing sent.
    const auto before = dashboard.request_count();
    BOOST_TEST(expect_error(ray.get_log(log_target::task("abc"))).status() == 400);
    log_options zero;
    zero.lines = 0;
    BOOST_TEST(expect_error(ray.get_log(log_target::actor(actor), zero)).status() == 400);
    log_options err;
    err.suffix = log_suffix::err;
    BOOST_TEST(expect_error(ray.get_log(log_target::job(job_id), err)).status() == 400);
    BOOST_TEST(dashboard.request_count() == before);
}

BOOST_AUTO_TEST_CASE(get_log_of_a_finished_task_whose_empty_log_ray_answers_with_a_bare_500) {
    // Ray 2.45.0 answers the read of a finished task's empty log with a plain 500 (2.60: an empty
    // 200). The task's record tells an empty log (its byte range is empty) from a real failure.
    const std::string bare_500 = "500 Internal Server Error\n\nServer got itself in trouble";
    fake_dashboard dashboard;
    dashboard.expect("GET", task_file).reply_with(reply::text(500, bare_500));
    dashboard.expect("GET", task_lookup).reply_with(reply::json(200, envelope(task_row("FINISHED", 120, 120))));
    dashboard.expect("GET", task_file).reply_with(reply::text(500, bare_500));
    dashboard.expect("GET", task_lookup).reply_with(reply::json(200, envelope(task_row("FINISHED", 120, 180))));
    dashboard.expect("GET", task_file).reply_with(reply::text(500, bare_500));
    dashboard.expect("GET", task_lookup).reply_with(reply::json(200, envelope(task_row("RUNNING", 120, 120))));
    client ray(options_for(dashboard));
    BOOST_TEST(run_sync(ray.get_log(log_target::task(task))) == "");
    const auto written = expect_error(ray.get_log(log_target::task(task)));  // 60 bytes Ray did not send
    BOOST_TEST(written.status() == 500);
    BOOST_TEST(written.http_status() == 500);
    BOOST_TEST(expect_error(ray.get_log(log_target::task(task))).status() == 500);  // not finished
    BOOST_TEST(dashboard.unmet_expectations().empty());
}

BOOST_AUTO_TEST_CASE(follow_a_job_ends_when_the_job_ends) {
    fake_dashboard dashboard;
    scripted_job job;
    job.install(dashboard, 1, generated_log(0, 50));
    dashboard.expect("GET", stream_target).reply_with(reply::stream(generated_chunks(0, 50)).never_ending());
    client ray(options_for(dashboard));
    BOOST_TEST(run_sync(follow_all(ray, log_target::job(job_id), {}, quick_tail())) == generated_log(0, 50));
    BOOST_TEST(dashboard.unmatched().empty());
}

BOOST_AUTO_TEST_CASE(follow_a_running_task_ends_where_its_worker_starts_the_next_task) {
    fake_dashboard dashboard;
    // Not scheduled yet, then running with its log's start known.
    state_route(dashboard, task_lookup, envelope(task_row("PENDING_NODE_ASSIGNMENT", {}, {})), 2,
                envelope(task_row("RUNNING", 38, {})));
    dashboard.expect("GET", task_stream)
        .reply_with(reply::chunked_text(200, {"tick 0\ntick 1\n", "tick 2\n:task_na", "me:after\nafter 0\n"},
                                        std::chrono::milliseconds(20))
                        .never_ending());
    client ray(options_for(dashboard));
    BOOST_TEST(run_sync(follow_all(ray, log_target::task(task), {}, quick_tail())) == "tick 0\ntick 1\ntick 2\n");
    BOOST_TEST(dashboard.request_count("GET", task_file) == 0u);  // the stream had it all
    BOOST_TEST(dashboard.request_count("GET", task_lookup) >= 3u);
}

BOOST_AUTO_TEST_CASE(follow_a_finished_task_delivers_its_byte_range_only) {
    fake_dashboard dashboard;
    state_route(dashboard, task_lookup, envelope(task_row("FINISHED", 38, 54)), 1,
                envelope(task_row("FINISHED", 38, 54)));
    // Ray's stream of a finished task goes on with the worker's next tasks (recorded).
    dashboard.expect("GET", task_stream)
        .reply_with(reply::chunked_text(200, {ray_fixture("logs_stream_task_finished.txt")}).never_ending());
    client ray(options_for(dashboard));
    BOOST_TEST(run_sync(follow_all(ray, log_target::task(task), {}, quick_tail())) == "raycl stdout p1\n");
    BOOST_TEST(dashboard.request_count("GET", task_file) == 0u);
}

BOOST_AUTO_TEST_CASE(follow_a_task_that_finishes_while_the_stream_is_quiet) {
    fake_dashboard dashboard;
    state_route(dashboard, task_lookup, envelope(task_row("RUNNING", 0, {})), 2, envelope(task_row("FAILED", 0, 6)));
    dashboard.expect("GET", task_stream).reply_with(reply::chunked_text(200, {"a\nb\nc\n"}).never_ending());
    client ray(options_for(dashboard));
    BOOST_TEST(run_sync(follow_all(ray, log_target::task(task), {}, quick_tail())) == "a\nb\nc\n");
}

BOOST_AUTO_TEST_CASE(follow_an_actor_ends_once_dead_and_completes_from_its_static_log) {
    fake_dashboard dashboard;
    state_route(dashboard, actor_lookup, envelope(actor_row("ALIVE")), 2, envelope(actor_row("DEAD")));
    dashboard.expect("GET", actor_stream).reply_with(reply::chunked_text(200, {"init\nsay 1\n"}).never_ending());
    dashboard.expect("GET", actor_file).reply_with(reply::text(200, "init\nsay 1\nsay 2\n"));
    client ray(options_for(dashboard));
    BOOST_TEST(run_sync(follow_all(ray, log_target::actor(actor), {}, quick_tail())) == "init\nsay 1\nsay 2\n");
    BOOST_TEST(dashboard.unmet_expectations().empty());
}

BOOST_AUTO_TEST_CASE(follow_a_worker_ends_once_its_process_is_gone) {
    fake_dashboard dashboard;
    dashboard.expect("GET", head_lookup).reply_with(reply::json(200, head_rows));
    const std::string workers =
        "/api/v0/workers?filter_keys=pid&filter_predicates=%3D&filter_values=41"
        "&filter_keys=node_id&filter_predicates=%3D&filter_values=" +
        head;
    const auto row = [](bool alive) {
        return envelope(R"({"worker_id": "w1", "is_alive": )" + std::string(alive ? "true" : "false") +
                        R"(, "worker_type": "WORKER", "node_id": "n", "ip": "127.0.0.1", "pid": 41})");
    };
    state_route(dashboard, workers, row(true), 2, row(false));
    const std::string stream = "/api/v0/logs/stream?pid=41&node_id=" + head + "&suffix=err&lines=-1";
    dashboard.expect("GET", stream).reply_with(reply::chunked_text(200, {"e1\n"}).never_ending());
    dashboard.expect("GET", "/api/v0/logs/file?pid=41&node_id=" + head + "&suffix=err&lines=-1")
        .reply_with(reply::text(200, "e1\n"));
    client ray(options_for(dashboard));
    log_options err;
    err.suffix = log_suffix::err;
    BOOST_TEST(run_sync(follow_all(ray, log_target::worker(41), err, quick_tail())) == "e1\n");
    BOOST_TEST(dashboard.unmatched().empty());
}

BOOST_AUTO_TEST_CASE(follow_a_node_file_never_ends_by_itself) {
    fake_dashboard dashboard;
    const std::string stream = "/api/v0/logs/stream?node_id=" + head + "&filename=raylet.out&lines=-1";
    dashboard.expect("GET", stream).reply_with(reply::chunked_text(200, {"r1\nr2\n"}).never_ending());
    const std::string node = "/api/v0/nodes?filter_keys=node_id&filter_predicates=%3D&filter_values=" + head;
    dashboard.expect("GET", node).reply_with(reply::json(200, head_rows)).repeatedly();
    client ray(options_for(dashboard));
    tail_options tail;
    tail.stream_timeout = seconds(1.0);
    auto follow = [&]() -> asio::awaitable<std::pair<std::string, std::optional<client_error>>> {
        auto logs = co_await ray.follow_log(log_target::node_file("raylet.out", node_selector::by_id(head)), {}, tail);
        std::string text;
        try {
            while (auto line = co_await logs.next()) text += line->text + "\n";
        } catch (const client_error& error) {
            co_return std::pair{text, std::optional<client_error>(error)};
        }
        co_return std::pair{text, std::optional<client_error>()};
    };
    const auto [text, error] = run_sync(follow());
    BOOST_TEST(text == "r1\nr2\n");
    BOOST_TEST_REQUIRE(error.has_value());
    BOOST_TEST(error->status() == 408);                      // only the idle timeout ends it
    BOOST_TEST(dashboard.request_count("GET", node) == 1u);  // asked once, after the timeout, never while quiet
}

BOOST_AUTO_TEST_CASE(follow_checks_its_target_first) {
    fake_dashboard dashboard;
    dashboard.expect("GET", task_lookup)
        .reply_with(reply::json(200, envelope(task_row("FINISHED", {}, {}, "ACTOR_TASK"))));
    dashboard.expect("GET", task_lookup).reply_with(reply::json(200, no_rows));
    dashboard.expect("GET", actor_lookup).reply_with(reply::json(200, no_rows));
    const std::string stream = "/api/v0/logs/stream?node_id=" + head + "&filename=nope.log&lines=-1";
    dashboard.expect("GET", stream).reply_with(reply::text(500, ray_fixture("error_logs_file_unknown_filename.txt")));
    client ray(options_for(dashboard));
    const auto actor_task = expect_error(ray.follow_log(log_target::task(task)));
    BOOST_TEST(actor_task.status() == 400);
    BOOST_TEST(actor_task.message().find("read the log of its actor " + actor + " instead") != std::string::npos);
    BOOST_TEST(expect_error(ray.follow_log(log_target::task(task))).status() == 404);
    BOOST_TEST(expect_error(ray.follow_log(log_target::actor(actor))).status() == 404);
    // A file Ray cannot find: the stream's refusal, a 404 from next() and no reconnect.
    const auto missing = expect_error(follow_all(ray, log_target::node_file("nope.log", node_selector::by_id(head))));
    BOOST_TEST(missing.status() == 404);
    BOOST_TEST(dashboard.request_count("GET", stream) == 1u);
    tail_options websocket;
    websocket.protocol = tail_protocol::websocket;
    const auto before = dashboard.request_count();
    BOOST_TEST(expect_error(ray.follow_log(log_target::actor(actor), {}, websocket)).status() == 400);
    BOOST_TEST(dashboard.request_count() == before);
}

BOOST_AUTO_TEST_CASE(follow_the_last_lines_with_ansi_codes_removed) {
    fake_dashboard dashboard;
    state_route(dashboard, actor_lookup, envelope(actor_row("ALIVE")), 1, envelope(actor_row("DEAD")));
    const std::string log = "l1\nl2\n\x1b[32ml3\x1b[0m\n";
    dashboard.expect("GET", actor_file).reply_with(reply::text(200, log));  // to find where the last 2 start
    dashboard.expect("GET", actor_stream).reply_with(reply::chunked_text(200, {log, "l4\n"}).never_ending());
    dashboard.expect("GET", actor_file).reply_with(reply::text(200, log + "l4\n"));
    client ray(options_for(dashboard));
    log_options options;
    options.lines = 2;
    options.filter_ansi_code = true;
    BOOST_TEST(run_sync(follow_all(ray, log_target::actor(actor), options, quick_tail())) == "l2\nl3\nl4\n");
    BOOST_TEST(dashboard.unmet_expectations().empty());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace raycl::test
