// The log targets beyond a job's driver (task attempt, actor, worker, node file), driven through
// core::tail_machine directly with what Ray 2.60 sent (test/fixtures/ray/): their routes, how
// their state reads, and when their tail ends. No socket, no clock.
#include "core/log_targets.hpp"
#include "core/models_json.hpp"
#include "core/state_json.hpp"
#include "unit/ray_fixtures.hpp"
#include "unit/tail_machine_helpers.hpp"
#include "unit/unit_helpers.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

using namespace raycl;
using namespace raycl::core;
using raycl::test::contains;
using raycl::test::deliver_all;
using raycl::test::feed;
using raycl::test::ray_fixture;
using raycl::test::ray_fixture_json;
using std::chrono::milliseconds;
using step = tail_machine::step;
using side = tail_machine::side_step;

namespace {

const std::string head = "4fa3bd9464ae86d67b132fe9266657b7fea722bd95996b3cc6eae017";
const std::string to_stdout_id = "67a2e8cfa5a06db3ffffffffffffffffffffffff02000000";
const std::string flaky_id = "e5cbd90b7f1fb776ffffffffffffffffffffffff02000000";
const std::string actor_id = "678da072c43134ba5f9debd102000000";

tail_settings stream_settings() {
    tail_settings settings;
    settings.protocol = tail_protocol::stream;
    settings.idle_timeout = milliseconds(10'000);
    settings.backoff.jitter = false;
    return settings;
}

std::vector<task_info> task_rows(const std::string& fixture) {
    return decode_state_list(ray_fixture_json(fixture), &decode_task).items;
}

/// Connects and reads `chunks` one after the other while the machine reads; returns its last action.
tail_machine::action read_chunks(tail_machine& machine, const std::vector<std::string_view>& chunks,
                                 std::string& delivered) {
    auto action = machine.start();
    BOOST_TEST_REQUIRE((action.next == step::connect));
    action = machine.on_connected();
    for (std::string_view chunk : chunks) {
        if (action.next != step::read) break;
        action = feed(machine, chunk, delivered);
    }
    return action;
}

/// `text` cut into pieces of `size` bytes.
std::vector<std::string_view> pieces(std::string_view text, std::size_t size) {
    std::vector<std::string_view> out;
    for (std::size_t at = 0; at < text.size(); at += size) out.push_back(text.substr(at, size));
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(log_targets)

BOOST_AUTO_TEST_CASE(routes_of_each_target) {
    task_log_target task(raycl::log_target::task(flaky_id, 1), log_suffix::err);
    BOOST_TEST(task.stream_target() ==
               "/api/v0/logs/stream?task_id=" + flaky_id + "&attempt_number=1&suffix=err&lines=-1");
    BOOST_TEST(task.static_log_request().target ==
               "/api/v0/logs/file?task_id=" + flaky_id + "&attempt_number=1&suffix=err&lines=-1");
    BOOST_TEST(task.state_request().target ==
               "/api/v0/tasks?detail=true&filter_keys=task_id&filter_predicates=%3D"
               "&filter_values=" +
                   flaky_id);
    BOOST_TEST(task.describe() == "task " + flaky_id + " attempt 1");
    BOOST_TEST(task.traits().next_log_marker == ":task_name:");

    actor_log_target actor(raycl::log_target::actor(actor_id), log_suffix::out);
    BOOST_TEST(actor.stream_target() == "/api/v0/logs/stream?actor_id=" + actor_id + "&suffix=out&lines=-1");
    BOOST_TEST(actor.state_request().target ==
               "/api/v0/actors?detail=true&filter_keys=actor_id&filter_predicates=%3D&filter_values=" + actor_id);

    worker_log_target worker(raycl::log_target::worker(25481, node_selector::by_ip("127.0.0.1")), log_suffix::out);
    BOOST_TEST(worker.stream_target() == "/api/v0/logs/stream?pid=25481&node_ip=127.0.0.1&suffix=out&lines=-1");
    BOOST_TEST(worker.state_request().target ==
               "/api/v0/workers?filter_keys=pid&filter_predicates=%3D&filter_values=25481"
               "&filter_keys=ip&filter_predicates=%3D&filter_values=127.0.0.1");

    node_file_log_target file(raycl::log_target::node_file("raylet.out", node_selector::by_id(head)));
    BOOST_TEST(file.stream_target() == "/api/v0/logs/stream?node_id=" + head + "&filename=raylet.out&lines=-1");
    BOOST_TEST(!file.traits().can_finish);
    BOOST_TEST(!file.traits().has_static_log);

    // Their refusals read Ray's 500 sentences.
    const auto refused =
        file.classify_refusal(file.static_log_request(), 500, ray_fixture("error_logs_file_unknown_filename.txt"), {});
    BOOST_TEST(refused->status() == 404);
}

BOOST_AUTO_TEST_CASE(a_task_attempt_reads_its_byte_range_from_task_log_info) {
    task_log_target first(raycl::log_target::task(flaky_id, 0), log_suffix::out);
    const auto rows = task_rows("state_tasks_detail_flaky.json");
    const target_state failed = first.state_of(rows);
    BOOST_TEST(failed.finished);  // FAILED ends an attempt
    BOOST_TEST(failed.located);
    BOOST_TEST(failed.log_end == 25u);  // stdout 92..117: "raycl flaky p1 attempt 0\n"
    task_log_target err(raycl::log_target::task(flaky_id, 1), log_suffix::err);
    BOOST_TEST(err.state_of(rows).log_end == 0u);  // nothing on stderr
    // An attempt that never comes, after the last one FINISHED: finished with an empty log.
    task_log_target third(raycl::log_target::task(flaky_id, 2), log_suffix::out);
    BOOST_TEST(third.state_of(rows).finished);
    BOOST_TEST(third.state_of(rows).log_end == 0u);
    // A retry not scheduled yet: not located.
    std::vector<task_info> only_failed;
    for (const auto& row : rows)
        if (row.attempt_number == 0) only_failed.push_back(row);
    BOOST_TEST(!third.state_of(only_failed).located);
    BOOST_TEST(!third.state_of(only_failed).finished);
    // An actor task has no task_log_info: finished with nothing of its own.
    task_log_target actor_task(raycl::log_target::task("ce868e48e2fa9a94678da072c43134ba5f9debd102000000"),
                               log_suffix::out);
    BOOST_TEST(actor_task.state_of(task_rows("state_tasks_detail_actor_task.json")).log_end == 0u);
}

BOOST_AUTO_TEST_CASE(a_finished_task_stops_at_its_end_although_the_stream_goes_on) {
    // Ray's stream of task to_stdout went on with the worker's next tasks (recorded).
    const std::string stream = ray_fixture("logs_stream_task_finished.txt");
    task_log_target task(raycl::log_target::task(to_stdout_id), log_suffix::out);
    const target_state state = task.state_of(task_rows("state_tasks_detail_to_stdout.json"));
    BOOST_TEST_REQUIRE(state.log_end == 16u);
    for (std::size_t size : {1u, 3u, 16u, 17u, 1000u}) {
        BOOST_TEST_CONTEXT("chunks of " << size) {
            tail_machine machine(task.traits(), stream_settings(), state);
            std::string delivered;
            const auto action = read_chunks(machine, pieces(stream, size), delivered);
            BOOST_TEST((action.next == step::done));
            BOOST_TEST(!action.error.has_value());
            BOOST_TEST(delivered == "raycl stdout p1\n");  // Ray's /file answer for the attempt
            BOOST_TEST(delivered == ray_fixture("logs_file_task_stdout.txt"));
        }
    }
}

BOOST_AUTO_TEST_CASE(a_running_task_ends_where_its_worker_starts_the_next_task) {
    // Recorded: task `slow` followed from tick 17; its worker then ran task `after`.
    const std::string stream = ray_fixture("logs_stream_task_running.txt");
    const auto marker = stream.find(":task_name:after\n");
    BOOST_TEST_REQUIRE(marker != std::string::npos);
    task_log_target task(raycl::log_target::task("fa31b89f94899135ffffffffffffffffffffffff03000000"), log_suffix::out);
    for (std::size_t size : {1u, 5u, 11u, 12u, 13u, 64u, 100000u}) {  // the marker split everywhere
        BOOST_TEST_CONTEXT("chunks of " << size) {
            tail_machine machine(task.traits(), stream_settings(), {false, true, {}});
            std::string delivered;
            const auto action = read_chunks(machine, pieces(stream, size), delivered);
            BOOST_TEST((action.next == step::done));  // no static log: Ray may not know the end yet
            BOOST_TEST(delivered == stream.substr(0, marker));
            BOOST_TEST(delivered.ends_with("slow tick 29\n"));
        }
    }
}

BOOST_AUTO_TEST_CASE(a_marker_prefix_at_the_end_of_a_chunk_is_held_until_decided) {
    task_log_target task(raycl::log_target::task(to_stdout_id), log_suffix::out);
    tail_machine machine(task.traits(), stream_settings(), {false, true, {}});
    std::string delivered;
    auto action = read_chunks(machine, {"one\n:task_"}, delivered);
    BOOST_TEST(delivered == "one\n");
    action = feed(machine, "namely not a marker\ntwo\n", delivered);  // it was not one
    BOOST_TEST((action.next == step::read));
    BOOST_TEST(delivered == "one\n:task_namely not a marker\ntwo\n");
    // A marker inside a line is no marker.
    action = feed(machine, "x :task_name:y\n", delivered);
    BOOST_TEST((action.next == step::read));
    // A reconnect replays from byte 0: the held bytes come again.
    action = feed(machine, ":task", delivered);
    action = machine.on_failed(transport_failure::connection_lost, client_error(error_kind::unavailable, "lost"), 0.5);
    BOOST_TEST_REQUIRE((action.next == step::sleep));
    BOOST_TEST((machine.on_slept().next == step::connect));
    machine.on_connected();
    action = feed(machine, "one\n:task_namely not a marker\ntwo\nx :task_name:y\n:task_name:next\nz\n", delivered);
    BOOST_TEST((action.next == step::done));
    BOOST_TEST(delivered == "one\n:task_namely not a marker\ntwo\nx :task_name:y\n");
}

BOOST_AUTO_TEST_CASE(a_task_seen_finished_while_quiet_ends_at_its_byte_range) {
    task_log_target task(raycl::log_target::task(to_stdout_id), log_suffix::out);
    tail_machine machine(task.traits(), stream_settings(), {false, true, {}});
    std::string delivered;
    read_chunks(machine, {"a\nb\n"}, delivered);
    BOOST_TEST((machine.on_quiet(milliseconds(1000)) == side::ask_target));
    // Finished, and everything up to its end was read: close at once, no drain, no static log.
    BOOST_TEST((machine.on_target_seen({true, true, 4}, milliseconds(1000)) == side::close));
    const auto action = machine.on_failed(transport_failure::cancelled, client_error(error_kind::cancelled, "c"), 0.5);
    BOOST_TEST((deliver_all(machine, action, delivered).next == step::done));
    BOOST_TEST(delivered == "a\nb\n");
}

BOOST_AUTO_TEST_CASE(a_pending_task_is_asked_until_it_has_a_log) {
    task_log_target task(raycl::log_target::task(to_stdout_id), log_suffix::out);
    tail_machine machine(task.traits(), stream_settings(), {false, false, {}});
    auto action = machine.start();
    BOOST_TEST_REQUIRE((action.next == step::sleep));
    BOOST_TEST((machine.on_slept().next == step::refresh_target));
    action = machine.on_target(task.state_of(task_rows("state_tasks_detail_to_stdout.json")));
    BOOST_TEST((action.next == step::connect));
}

BOOST_AUTO_TEST_CASE(an_actor_ends_once_dead_and_drained_then_completes_from_its_static_log) {
    const auto alive = decode_state_list(ray_fixture_json("state_actors_filter_id.json"), &decode_actor).items;
    BOOST_TEST_REQUIRE(alive.size() == 1u);
    const target_state running = actor_log_target::state_of(alive);
    BOOST_TEST(!running.finished);
    BOOST_TEST(running.located);
    auto dead_rows = alive;
    dead_rows[0].state = "DEAD";
    BOOST_TEST(actor_log_target::state_of(dead_rows).finished);
    auto pending = alive;
    pending[0].state = "PENDING_CREATION";
    pending[0].pid = 0;
    BOOST_TEST(!actor_log_target::state_of(pending).located);
    BOOST_TEST(actor_log_target::state_of({}).finished);

    actor_log_target actor(raycl::log_target::actor(actor_id), log_suffix::out);
    const std::string log = ray_fixture("logs_file_actor.txt");
    tail_machine machine(actor.traits(), stream_settings(), running);
    std::string delivered;
    read_chunks(machine, {log.substr(0, 20)}, delivered);
    BOOST_TEST((machine.on_quiet(milliseconds(1000)) == side::ask_target));
    BOOST_TEST((machine.on_target_seen(actor_log_target::state_of(dead_rows), milliseconds(1000)) == side::none));
    BOOST_TEST((machine.on_quiet(milliseconds(1300)) == side::close));  // drained
    auto action = machine.on_failed(transport_failure::cancelled, client_error(error_kind::cancelled, "c"), 0.5);
    BOOST_TEST_REQUIRE((action.next == step::fetch_static_log));
    BOOST_TEST((raycl::test::complete_with(machine, log, delivered).next == step::done));
    BOOST_TEST(delivered == log);  // ":job_id:...", ":actor_name:Printer", then the actor's own lines
}

BOOST_AUTO_TEST_CASE(a_worker_ends_once_no_process_of_its_pid_lives) {
    auto rows = decode_state_list(ray_fixture_json("state_workers_filter_pid.json"), &decode_worker).items;
    BOOST_TEST_REQUIRE(!rows.empty());
    BOOST_TEST(!worker_log_target::state_of(rows).finished);
    for (auto& row : rows) row.is_alive = false;
    BOOST_TEST(worker_log_target::state_of(rows).finished);
    BOOST_TEST(worker_log_target::state_of({}).finished);
}

BOOST_AUTO_TEST_CASE(a_node_file_never_finishes) {
    node_file_log_target file(raycl::log_target::node_file("raylet.out", node_selector::by_id(head)));
    auto settings = stream_settings();
    tail_machine machine(file.traits(), settings, {false, true, {}});
    std::string delivered;
    read_chunks(machine, {"x\n"}, delivered);
    BOOST_TEST((machine.on_quiet(milliseconds(5000)) == side::none));     // never asks
    BOOST_TEST((machine.on_quiet(milliseconds(10'000)) == side::close));  // only the idle timeout ends it
    auto action = machine.on_failed(transport_failure::cancelled, client_error(error_kind::cancelled, "c"), 0.5);
    BOOST_TEST_REQUIRE((action.next == step::refresh_target));
    const request_spec state = file.state_request();
    action = machine.on_target(file.read_state(state, R"({"result": true, "data": {"result": {"result": []}}})", {}));
    BOOST_TEST_REQUIRE((action.next == step::done));
    BOOST_TEST(action.error->status() == 408);
    // Without an idle timeout it is followed until closed; a normal close reconnects.
    settings.idle_timeout.reset();
    tail_machine forever(file.traits(), settings, {false, true, {}});
    read_chunks(forever, {"x\n"}, delivered);
    BOOST_TEST(!forever.quiet_threshold().has_value());
    BOOST_TEST((forever.on_ended().next == step::refresh_target));
    BOOST_TEST((forever.on_target({false, true, {}}).next == step::connect));
}

BOOST_AUTO_TEST_CASE(a_tail_of_the_last_lines_starts_there_and_stays_exact_across_reconnects) {
    const std::string log = "l1\nl2\nl3\nl4\n";
    auto settings = stream_settings();
    settings.start_offset = start_of_last_lines(log, 2);
    actor_log_target actor(raycl::log_target::actor(actor_id), log_suffix::out);
    tail_machine machine(actor.traits(), settings, {false, true, {}});
    std::string delivered;
    read_chunks(machine, {log, "l5\n"}, delivered);
    BOOST_TEST(delivered == "l3\nl4\nl5\n");
    auto action =
        machine.on_failed(transport_failure::connection_lost, client_error(error_kind::unavailable, "l"), 0.5);
    machine.on_slept();
    machine.on_connected();
    action = feed(machine, log + "l5\nl6\n", delivered);  // the new connection replays from byte 0
    BOOST_TEST(delivered == "l3\nl4\nl5\nl6\n");
    BOOST_TEST(machine.assembler().lines() == 4u);
}

BOOST_AUTO_TEST_CASE(ansi_codes_are_filtered_per_line_and_offsets_stay_the_log_s) {
    auto settings = stream_settings();
    settings.filter_ansi_codes = true;
    actor_log_target actor(raycl::log_target::actor(actor_id), log_suffix::out);
    tail_machine machine(actor.traits(), settings, {false, true, {}});
    machine.start();
    machine.on_connected();
    BOOST_TEST_REQUIRE((machine.on_chunk("\x1b[33m(raylet)\x1b[0m x\nplain\n").next == step::deliver));
    std::vector<log_line> lines;
    machine.take_lines(lines);
    BOOST_TEST_REQUIRE(lines.size() == 2u);
    BOOST_TEST(lines[0].text == "(raylet) x");
    BOOST_TEST(lines[1].text == "plain");
    BOOST_TEST(lines[1].offset == 20u);  // in the log as Ray has it
}

BOOST_AUTO_TEST_SUITE_END()
