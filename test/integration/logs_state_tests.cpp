// Integration tests of the logs of anything, the cluster status and the state API's breadth
// against a real Ray head + worker. One job (python/logs_state_job.py) runs tasks that print to
// stdout and stderr, a task that is retried, an actor that prints and holds objects, and a
// placement group; every new call must find them, every log must hold exactly what was printed,
// and following the actor must end when the test has it killed. The test cases run in order:
// the last one kills the actor and ends the job.
#include "integration/harness.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <vector>
#include <sstream>
#include <thread>

namespace raycl::test {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

/// The job of this suite and what it made, found once.
struct logs_job {
    std::string tag;
    fs::path control;
    std::string submission_id;
    std::string entrypoint;
    job_details job;
    std::map<std::string, task_info> tasks;  ///< by name; `flaky` is its last attempt
    actor_info actor;
    std::string head_id;

    /// Creates a file the job's driver obeys (say-<n>, kill, finish).
    void command(const std::string& name, const std::string& content = {}) const {
        const fs::path partial = control / ("." + name);
        std::ofstream(partial) << content << "\n";
        fs::rename(partial, control / name);  // the driver sees it whole
    }
};

/// The driver log's own lines (after the job supervisor's two), polled until `line` is there.
std::string wait_for_driver_line(client& ray, const logs_job& job, const std::string& line) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(3);
    for (;;) {
        const auto logs = run_sync(ray.list_job_logs(job.submission_id));
        if (logs.find(line) != std::string::npos) return logs;
        const auto state = run_sync(ray.get_job(job.submission_id));
        BOOST_TEST_REQUIRE(!state.is_terminal(), "job ended " << state.status_text << ":\n" << logs);
        BOOST_TEST_REQUIRE((std::chrono::steady_clock::now() < deadline), "no '" << line << "' in:\n" << logs);
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
}

logs_job& the_job() {
    static logs_job job = [] {
        logs_job made;
        client ray(cluster_options());
        made.tag = "t" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 1000000007);
        made.control = fs::path("/tmp") / ("raycl-logs-it-" + made.tag);
        fs::create_directories(made.control);
        made.entrypoint = python_entrypoint("logs_state_job.py", made.control.string() + " " + made.tag);
        made.submission_id = "raycl-logs-" + made.tag;
        auto env = json::object{{"env_vars", json::object{{"RAYCL_TAG", made.tag}}}};
        run_sync(ray.submit_job(job_submission(made.entrypoint)
                                    .with_submission_id(made.submission_id)
                                    .with_runtime_env(env)
                                    .with_num_cpus(0.1)));
        wait_for_driver_line(ray, made, "raycl job " + made.tag + " ready");
        made.job = run_sync(ray.get_job(made.submission_id));
        // Workers report task events to the GCS in batches: wait until every attempt is there.
        const std::set<std::string> wanted{"to_stdout/0/FINISHED", "to_stderr/0/FINISHED", "flaky/0/FAILED",
                                           "flaky/1/FINISHED", "Printer.hold/0/FINISHED"};
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(1);
        for (;;) {
            const auto tasks = run_sync(ray.list_tasks(list_options().where("job_id", made.job.job_id.value())));
            std::set<std::string> seen;
            made.tasks.clear();
            for (const auto& task : tasks.items) {
                seen.insert(task.func_or_class_name + "/" + std::to_string(task.attempt_number) + "/" + task.state);
                auto& slot = made.tasks[task.func_or_class_name];
                if (slot.task_id.empty() || task.attempt_number > slot.attempt_number) slot = task;
            }
            if (std::includes(seen.begin(), seen.end(), wanted.begin(), wanted.end())) break;
            BOOST_TEST_REQUIRE((std::chrono::steady_clock::now() < deadline), "tasks seen: " << seen.size());
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
        }
        const auto actors = run_sync(
            ray.list_actors(list_options().where("job_id", made.job.job_id.value()).where("class_name", "Printer")));
        BOOST_TEST_REQUIRE(actors.items.size() == 1u);
        made.actor = actors.items.front();
        made.head_id = run_sync(ray.list_nodes(list_options().where("is_head_node", "true"))).items.at(0).node_id;
        return made;
    }();
    return job;
}

/// Every line of the stream, text + "\n" where it had one.
asio::awaitable<std::string> read_all(log_stream& stream) {
    std::string text;
    while (auto line = co_await stream.next()) text += line->text + (line->newline ? "\n" : "");
    co_return text;
}

/// Ray's own CLI from the cluster's venv, with the test token when auth is on; its stdout.
std::string ray_cli(const std::string& arguments) {
    if (cluster().token_auth()) {
        ::setenv("RAY_AUTH_MODE", "token", 1);
        ::setenv("RAY_AUTH_TOKEN", cluster().token.c_str(), 1);
    }
    return command_output("cd /tmp && RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 timeout 120 " + cluster().venv + "/bin/ray " +
                          arguments + " 2>/dev/null");
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(real_ray_logs_state)

BOOST_AUTO_TEST_CASE(every_new_call_returns_what_the_job_made) {
    const auto& job = the_job();
    client ray(cluster_options());
    const std::string job_hex = job.job.job_id.value();
    const auto pid = std::to_string(job.actor.pid.value());

    // Objects held by the live actor: three references of its own.
    const auto objects = run_sync(ray.list_objects(list_options().where("pid", pid)));
    BOOST_TEST(std::count_if(objects.items.begin(), objects.items.end(), [](const object_info& o) {
                   return o.reference_type == "LOCAL_REFERENCE" && o.object_size > 1000;
               }) == 3);
    const auto held = run_sync(ray.get_object(objects.items.front().object_id));
    BOOST_TEST(!held.empty());

    const auto groups = run_sync(ray.list_placement_groups(list_options().where("name", "raycl_logs_pg_" + job.tag)));
    BOOST_TEST_REQUIRE(groups.items.size() == 1u);
    BOOST_TEST(groups.items[0].state == "CREATED");
    BOOST_TEST(groups.items[0].creator_job_id == job_hex);
    BOOST_TEST(run_sync(ray.get_placement_group(groups.items[0].placement_group_id)).bundle_count == 1u);

    const auto workers = run_sync(ray.list_workers(list_options().where("pid", pid)));
    BOOST_TEST_REQUIRE(!workers.items.empty());
    BOOST_TEST(workers.items[0].is_alive);
    BOOST_TEST(run_sync(ray.get_worker(workers.items[0].worker_id)).pid == job.actor.pid);

    const auto envs = run_sync(ray.list_runtime_envs(list_options().with_detail()));
    BOOST_TEST(std::any_of(envs.items.begin(), envs.items.end(), [&](const runtime_env_info& env) {
        const auto* vars = env.runtime_env.if_contains("env_vars");
        const auto* tag = vars && vars->is_object() ? vars->get_object().if_contains("RAYCL_TAG") : nullptr;
        return env.success && tag && tag->is_string() && tag->get_string() == job.tag;
    }));

    // Ray sorts the cluster's events by `timestamp`, a number from some sources and a string from
    // others (the same code on every release from 2.9.3 to 2.60; seen on 2.9.3 and on 2.60 once
    // the CLI suites had run): from then on every list fails with Ray's TypeError. raycl must
    // report Ray's 500: with the TypeError as its reason up to 2.44 (the traceback is in the
    // body), as a bare 500 from 2.45 (the traceback is only in the dashboard's log).
    // Python names the two types in the order it met them: 'int' and 'str', or 'str' and 'int'.
    const std::vector<std::string> sort_errors = {"TypeError: '<' not supported between instances of 'int' and 'str'",
                                                  "TypeError: '<' not supported between instances of 'str' and 'int'"};
    std::optional<list_result<cluster_event_info>> events;
    try {
        events = run_sync(ray.list_cluster_events(list_options().where("source_type", "JOBS").with_limit(10000)));
    } catch (const client_error& error) {
        BOOST_TEST(error.status() == 500);
        const bool reason_given = std::any_of(sort_errors.begin(), sort_errors.end(), [&](const std::string& text) {
            return error.message().find(text) != std::string::npos;
        });
        const bool logged = std::any_of(sort_errors.begin(), sort_errors.end(), dashboard_logs_contain);
        BOOST_TEST_REQUIRE((reason_given || (error.message().find("without a reason") != std::string::npos && logged)),
                           error.what());
        BOOST_TEST_MESSAGE("Ray could not list its cluster events: " << error.what());
    }
    if (events) {
        const auto started = std::find_if(events->items.begin(), events->items.end(), [&](const cluster_event_info& e) {
            return e.message == "Started a ray job " + job.submission_id + ".";
        });
        BOOST_TEST_REQUIRE((started != events->items.end()));
        BOOST_TEST(run_sync(ray.get_cluster_event(started->event_id)).message == started->message);
    }

    const auto jobs = run_sync(ray.list_state_jobs(list_options().where("submission_id", job.submission_id)));
    BOOST_TEST_REQUIRE(jobs.items.size() == 1u);
    BOOST_TEST(jobs.items[0].status == job_status::running);
    BOOST_TEST(run_sync(ray.get_state_job(job.submission_id)).job_id == job.job.job_id);

    // The drivers' own pseudo-tasks are left out unless asked for.
    const auto with_driver =
        run_sync(ray.list_tasks(list_options().where("job_id", job_hex).with_exclude_driver(false)));
    const auto without = run_sync(ray.list_tasks(list_options().where("job_id", job_hex)));
    BOOST_TEST(with_driver.items.size() == without.items.size() + 1);

    // Summaries of this job.
    const auto by_name =
        run_sync(ray.summarize_tasks(task_summary_by::func_name, summary_options().where("job_id", job_hex)));
    const auto flaky = std::find_if(by_name.groups.begin(), by_name.groups.end(),
                                    [](const task_summary_group& g) { return g.key == "flaky"; });
    BOOST_TEST_REQUIRE((flaky != by_name.groups.end()));
    BOOST_TEST(flaky->state_counts.at("FAILED") == 1);
    BOOST_TEST(flaky->state_counts.at("FINISHED") == 1);
    // total_tasks counts normal-task attempts: to_stdout, to_stderr, flaky twice, and on older
    // releases (2.9.3) Ray's own bundle_reservation_check_func, which placement_group.ready() runs.
    std::size_t normal_attempts = 0, ray_own = 0;
    for (const auto& task : without.items) {
        if (task.type != "NORMAL_TASK") continue;
        ++normal_attempts;
        if (task.func_or_class_name == "bundle_reservation_check_func") ++ray_own;
    }
    BOOST_TEST(normal_attempts - ray_own == 4u);
    BOOST_TEST(ray_own <= 1u);
    BOOST_TEST(by_name.total_tasks == normal_attempts);
    const auto lineage =
        run_sync(ray.summarize_tasks(task_summary_by::lineage, summary_options().where("job_id", job_hex)));
    BOOST_TEST(std::any_of(lineage.lineage.begin(), lineage.lineage.end(), [&](const task_lineage_node& n) {
        return n.type == "ACTOR" && n.link_id == job.actor.actor_id;
    }));
    const auto actors = run_sync(ray.summarize_actors(summary_options().where("job_id", job_hex)));
    BOOST_TEST_REQUIRE(actors.groups.size() == 1u);
    BOOST_TEST(actors.groups[0].class_name == "Printer");
    BOOST_TEST(actors.groups[0].state_counts.at("ALIVE") == 1);
    const auto object_summary = run_sync(ray.summarize_objects());
    BOOST_TEST(object_summary.total_objects >= 3);

    // The cluster status and the head's log files.
    const auto status = run_sync(ray.get_cluster_status());
    BOOST_TEST(status.text.starts_with("======== Autoscaler status: "));
    BOOST_TEST_REQUIRE(status.report.has_value());  // these clusters run the v1 autoscaler
    BOOST_TEST(status.report->usage.at("CPU").total == 3.0);
    BOOST_TEST(status.report->active_nodes.count("node_" + job.head_id) == 1u);
    const auto files = run_sync(ray.list_logs());
    const auto names = files.files();
    BOOST_TEST(std::count(names.begin(), names.end(), "job-driver-" + job.submission_id + ".log") == 1);
    BOOST_TEST(files.node_id == job.head_id);
    const auto by_ip = run_sync(ray.list_logs(node_selector::by_ip("127.0.0.1"), "raylet*"));
    BOOST_TEST(by_ip.categories.count("raylet") == 1u);
    BOOST_TEST(expect_error(ray.list_logs(node_selector::by_ip("10.9.9.9"))).status() == 404);
    BOOST_TEST(expect_error(ray.list_logs(node_selector::by_id(std::string(56, 'f')))).status() == 404);
}

BOOST_AUTO_TEST_CASE(task_actor_worker_and_driver_logs_hold_exactly_the_printed_lines) {
    const auto& job = the_job();
    client ray(cluster_options());
    const std::string& tag = job.tag;
    const auto task = [&](const std::string& name) { return job.tasks.at(name).task_id; };
    log_options err;
    err.suffix = log_suffix::err;
    BOOST_TEST(run_sync(ray.get_log(log_target::task(task("to_stdout")))) == "raycl stdout " + tag + "\n");
    BOOST_TEST(run_sync(ray.get_log(log_target::task(task("to_stdout")), err)) == "");
    BOOST_TEST(run_sync(ray.get_log(log_target::task(task("to_stderr")), err)) == "raycl stderr " + tag + "\n");
    BOOST_TEST(run_sync(ray.get_log(log_target::task(task("to_stderr")))) == "");
    BOOST_TEST(run_sync(ray.get_log(log_target::task(task("flaky"), 0))) == "raycl flaky " + tag + " attempt 0\n");
    BOOST_TEST(run_sync(ray.get_log(log_target::task(task("flaky"), 1))) == "raycl flaky " + tag + " attempt 1\n");
    BOOST_TEST(expect_error(ray.get_log(log_target::task(task("flaky"), 2))).status() == 404);

    // The actor's log: Ray's two marker lines (the worker's job and actor), then what it printed.
    const std::string actor_log =
        ":job_id:" + job.job.job_id.value() + "\n:actor_name:Printer\nraycl actor " + tag + " init\n";
    BOOST_TEST(run_sync(ray.get_log(log_target::actor(job.actor.actor_id))) == actor_log);
    const auto actor_node = node_selector::by_id(job.actor.node_id.value());
    BOOST_TEST(run_sync(ray.get_log(log_target::worker(job.actor.pid.value(), actor_node))) == actor_log);
    BOOST_TEST(run_sync(ray.get_log(log_target::worker(job.actor.pid.value(), node_selector::by_ip("127.0.0.1")))) ==
               actor_log);
    log_options last;
    last.lines = 1;
    BOOST_TEST(run_sync(ray.get_log(log_target::actor(job.actor.actor_id), last)) == "raycl actor " + tag + " init\n");

    // The driver's log: the supervisor's two lines, then exactly the script's.
    const auto driver = run_sync(ray.get_log(log_target::job(job.submission_id)));
    BOOST_TEST(driver == run_sync(ray.list_job_logs(job.submission_id)));
    BOOST_TEST(entrypoint_output(driver, job.submission_id, job.entrypoint) ==
               "raycl job " + tag + " ready [1, 2, 3] 3\n");
    const auto driver_node = node_selector::by_id(job.job.driver_node_id.value());
    BOOST_TEST(run_sync(ray.get_log(log_target::node_file("job-driver-" + job.submission_id + ".log", driver_node))) ==
               driver);

    // An actor task has no log of its own: a 400 that points to the actor.
    const auto actor_task = expect_error(ray.get_log(log_target::task(task("Printer.hold"))));
    BOOST_TEST(actor_task.status() == 400);
    BOOST_TEST(actor_task.message().find("read the log of its actor " + job.actor.actor_id + " instead") !=
               std::string::npos);
    BOOST_TEST(expect_error(ray.follow_log(log_target::task(task("Printer.hold")))).status() == 400);
    // Logs Ray cannot find: 404 (Ray says 500).
    BOOST_TEST(expect_error(ray.get_log(log_target::task(std::string(40, 'f') + job.job.job_id.value()))).status() ==
               404);
    BOOST_TEST(expect_error(ray.get_log(log_target::actor(std::string(24, 'f') + job.job.job_id.value()))).status() ==
               404);
    BOOST_TEST(expect_error(ray.get_log(log_target::node_file("raycl-no-such.log"))).status() == 404);
    BOOST_TEST(expect_error(ray.get_log(log_target::worker(1))).status() == 404);
    BOOST_TEST(
        expect_error(ray.get_log(log_target::node_file("raylet.out", node_selector::by_ip("10.9.9.9")))).status() ==
        404);

    // Following a finished task: exactly its attempt, although Ray's stream goes on with the
    // worker's next tasks.
    auto follow_task = [&]() -> asio::awaitable<std::string> {
        auto stream = co_await ray.follow_log(log_target::task(task("flaky"), 0));
        auto text = co_await read_all(stream);
        co_return text;
    };
    BOOST_TEST(run_sync(follow_task()) == "raycl flaky " + tag + " attempt 0\n");
}

BOOST_AUTO_TEST_CASE(ray_status_and_ray_list_agree_with_raycl) {
    const auto& job = the_job();
    client ray(cluster_options());
    // `ray status` needs the GCS; raycl only the dashboard. The autoscaler rewrites the status
    // every few seconds (and Ray lists the nodes in no fixed order): compare the texts of the
    // same report, which the header's timestamp names, line for line, timestamps included.
    std::string ray_status, same_report;
    for (int attempt = 0; attempt < 5 && same_report.empty(); ++attempt) {
        const auto before = run_sync(ray.get_cluster_status()).text;
        ray_status = ray_cli("status --address " + cluster().gcs_address);
        const auto after = run_sync(ray.get_cluster_status()).text;
        BOOST_TEST_REQUIRE(!ray_status.empty(), "ray status printed nothing");
        const auto header = lines_of(ray_status).front();
        for (const auto& ours : {before, after})
            if (lines_of(ours).front() == header) same_report = ours;
    }
    BOOST_TEST_REQUIRE(!same_report.empty(), "no raycl status of the report `ray status` printed:\n" << ray_status);
    BOOST_TEST(lines_of(same_report).front().starts_with("======== Autoscaler status: "));
    BOOST_TEST(lines_of(same_report) == lines_of(ray_status), "raycl:\n"
                                                                  << same_report << "\nray status:\n"
                                                                  << ray_status);

    // `ray list tasks --filter state=FINISHED` against the same filter through raycl.
    // FINISHED is final, but the set may grow between the calls (Ray 2.9.3's job supervisors
    // finish a `JobSupervisor.ping` task every second): raycl's list before `ray list` is within
    // Ray's, and Ray's within raycl's list after it.
    using task_set = std::set<std::pair<std::string, std::int64_t>>;
    const auto finished_tasks = [&] {
        task_set rows;
        for (const auto& task :
             run_sync(ray.list_tasks(list_options().where("state", "FINISHED").with_limit(10000))).items)
            rows.emplace(task.task_id, task.attempt_number);
        return rows;
    };
    const auto ours_before = finished_tasks();
    const auto ray_rows =
        json::parse(ray_cli("list tasks --filter state=FINISHED --limit 10000 --format json "
                            "--address " +
                            cluster().address));
    const auto ours_after = finished_tasks();
    task_set theirs_tasks;
    for (const auto& row : ray_rows.as_array())
        theirs_tasks.emplace(row.at("task_id").as_string(), row.at("attempt_number").to_number<std::int64_t>());
    BOOST_TEST(!ours_before.empty());
    BOOST_TEST(std::includes(theirs_tasks.begin(), theirs_tasks.end(), ours_before.begin(), ours_before.end()));
    BOOST_TEST(std::includes(ours_after.begin(), ours_after.end(), theirs_tasks.begin(), theirs_tasks.end()));
    BOOST_TEST_MESSAGE("finished tasks: raycl " << ours_before.size() << ", ray list " << theirs_tasks.size()
                                                << ", raycl again " << ours_after.size());
    BOOST_TEST(ours_before.count({job.tasks.at("to_stdout").task_id, 0}) == 1u);
}

BOOST_AUTO_TEST_CASE(following_a_running_actor_delivers_new_lines_and_ends_when_it_is_killed) {
    const auto& job = the_job();
    client ray(cluster_options());
    const std::string first = "raycl after follow " + job.tag + " 1";
    const std::string second = "raycl after follow " + job.tag + " 2";
    auto follow = [&]() -> asio::awaitable<std::string> {
        tail_options tail;
        tail.stream_timeout = seconds(120.0);
        auto stream = co_await ray.follow_log(log_target::actor(job.actor.actor_id), {}, tail);
        std::string text;
        while (auto line = co_await stream.next()) {
            text += line->text + (line->newline ? "\n" : "");
            // Lines printed after the follow started, then the kill.
            if (line->text == "raycl actor " + job.tag + " init") job.command("say-1", first);
            if (line->text == first) job.command("say-2", second);
            if (line->text == second) job.command("kill");
        }
        co_return text;  // ended: the actor is DEAD and the stream drained
    };
    const auto text = run_sync(follow());
    const auto actor = run_sync(ray.get_actor(job.actor.actor_id));
    BOOST_TEST(actor.state == "DEAD");
    const std::string expected = ":job_id:" + job.job.job_id.value() + "\n:actor_name:Printer\nraycl actor " + job.tag +
                                 " init\n" + first + "\n" + second + "\n";
    BOOST_TEST(text == expected);
    BOOST_TEST(run_sync(ray.get_log(log_target::actor(job.actor.actor_id))) == expected);

    // The job ends as told; its driver log holds exactly what it printed.
    job.command("finish");
    wait_options wait;
    wait.deadline = std::chrono::minutes(2);
    const auto done = run_sync(ray.wait_for_job(job.submission_id, wait));
    BOOST_TEST(done.status == job_status::succeeded);
    BOOST_TEST(entrypoint_output(run_sync(ray.get_log(log_target::job(job.submission_id))), job.submission_id,
                                 job.entrypoint) == "raycl job " + job.tag + " ready [1, 2, 3] 3\nraycl job " +
                                                        job.tag + " actor killed\nraycl job " + job.tag + " done\n");
    fs::remove_all(job.control);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace raycl::test
