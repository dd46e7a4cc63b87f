// Real-Ray faults (docs/fault-matrix.md, "Real Ray"): the dashboard stopped and started again
// during a tail, the worker node that runs a job's driver killed, and a tail of a job whose
// driver node is gone. They run against a cluster of their own (ctest fixture ray_faults):
// they kill parts of it. Each test records what Ray reported and what raycl did
// (BOOST_TEST_MESSAGE, visible with --log_level=message).
#include "integration/harness.hpp"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <optional>

namespace raycl::test {
namespace {

using steady = std::chrono::steady_clock;

/// scripts/ray-cluster.sh <command> for this suite's cluster.
void cluster_script(const std::string& command) {
    const char* name = std::getenv("RAYCL_TEST_CLUSTER_NAME");
    BOOST_TEST_REQUIRE(name != nullptr, "RAYCL_TEST_CLUSTER_NAME is not set: run through ctest");
    const std::string line = std::string("bash '") + RAYCL_CLUSTER_SCRIPT + "' " + command + " --name '" + name + "'";
    const auto start = steady::now();
    const int status = std::system(line.c_str());
    BOOST_TEST_MESSAGE(command << ": exit " << status << " after "
                               << std::chrono::duration<double>(steady::now() - start).count() << " s");
    BOOST_TEST_REQUIRE(status == 0, line);
}

/// A tail read on its own thread while the test breaks the cluster.
class live_tail {
public:
    live_tail(client& ray, std::string id, tail_options options) {
        thread_ = std::thread([this, &ray, id = std::move(id), options] {
            asio::io_context context;
            auto done = asio::co_spawn(context, read(ray, id, options), asio::use_future);
            context.run();
            done.get();
        });
    }
    ~live_tail() {
        if (thread_.joinable()) thread_.join();
    }
    live_tail(const live_tail&) = delete;
    live_tail& operator=(const live_tail&) = delete;

    /// Waits until `needle` was delivered as a line; false after `limit`.
    bool wait_for_line(const std::string& needle, std::chrono::seconds limit) {
        const auto end = steady::now() + limit;
        while (steady::now() < end) {
            {
                std::lock_guard lock(mutex_);
                if (text_.find("\n" + needle + "\n") != std::string::npos) return true;
                if (finished_) return false;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return false;
    }
    /// Waits for the end of the tail; false when it is still running after `limit`.
    bool wait_for_end(std::chrono::seconds limit) {
        const auto end = steady::now() + limit;
        while (steady::now() < end) {
            {
                std::lock_guard lock(mutex_);
                if (finished_) break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        std::lock_guard lock(mutex_);
        return finished_;
    }
    void join() { thread_.join(); }

    std::string text() {
        std::lock_guard lock(mutex_);
        return text_;
    }
    std::optional<client_error> error() {
        std::lock_guard lock(mutex_);
        return error_;
    }
    stream_stats stats() {
        std::lock_guard lock(mutex_);
        return stats_;
    }
    double seconds_taken() {
        std::lock_guard lock(mutex_);
        return std::chrono::duration<double>(elapsed_).count();
    }

private:
    asio::awaitable<void> read(client& ray, std::string id, tail_options options) {
        const auto start = steady::now();
        std::optional<client_error> failure;
        stream_stats stats;
        try {
            auto stream = co_await ray.tail_job_logs(id, options);
            try {
                while (auto line = co_await stream.next()) {
                    std::lock_guard lock(mutex_);
                    text_ += line->text;
                    if (line->newline) text_ += '\n';
                }
            } catch (const client_error& error) {
                failure = error;
            }
            stats = stream.stats();
        } catch (const client_error& error) {
            failure = error;
        }
        std::lock_guard lock(mutex_);
        error_ = failure;
        stats_ = stats;
        elapsed_ = steady::now() - start;
        finished_ = true;
    }

    std::mutex mutex_;
    std::string text_;
    std::optional<client_error> error_;
    stream_stats stats_;
    steady::duration elapsed_{};
    bool finished_ = false;
    std::thread thread_;
};

/// "tick 0\n" .. "tick <count-1>\n" "done\n": what slow_printer_job.py prints.
std::string ticks(int count, bool done = true) {
    std::string text;
    for (int i = 0; i < count; ++i) text += "tick " + std::to_string(i) + "\n";
    if (done) text += "done\n";
    return text;
}

/// Tail options that ride through a dashboard restart: refused connections for 2-7 s up to
/// Ray 2.44 and 34-35 s on 2.45 (its head modules start as processes of their own): 100
/// reconnects with back-offs up to 1 s.
tail_options patient(tail_protocol protocol) {
    tail_options options;
    options.protocol = protocol;
    options.stream_timeout = seconds(60.0);
    options.max_reconnects = 100;
    return options;
}

client_options patient_client() {
    auto options = cluster_options();
    options.retry.max_backoff = std::chrono::milliseconds(1000);
    return options;
}

void restart_dashboard_during_a_tail(tail_protocol protocol) {
    client ray(patient_client());
    const auto entrypoint = python_entrypoint("slow_printer_job.py", "80 0.25");
    const auto id = run_sync(ray.submit_job(job_submission(entrypoint).with_num_cpus(0.1)));
    live_tail tail(ray, id, patient(protocol));
    BOOST_TEST_REQUIRE(tail.wait_for_line("tick 3", std::chrono::seconds(60)), "no tick 3: " << tail.text());
    cluster_script("stop-dashboard");
    const auto stopped_at = tail.text().size();
    cluster_script("start-dashboard");
    BOOST_TEST_REQUIRE(tail.wait_for_end(std::chrono::seconds(180)), "the tail did not end");
    tail.join();
    const auto job = run_sync(ray.get_job(id));
    const auto text = tail.text();
    const auto stats = tail.stats();
    BOOST_TEST(job.status == job_status::succeeded);
    BOOST_TEST(!tail.error().has_value(), (tail.error() ? tail.error()->what() : ""));
    BOOST_TEST(entrypoint_output(text, id, entrypoint) == ticks(80));  // no line lost or repeated
    BOOST_TEST(text == run_sync(ray.list_job_logs(id)));
    BOOST_TEST(stats.reconnects >= 1u);
    BOOST_TEST_MESSAGE("dashboard restart, " << to_string(protocol) << ": Ray job " << to_string(job.status)
                                             << "; raycl delivered " << text.size() << " bytes (" << stopped_at
                                             << " before the stop), reconnects " << stats.reconnects
                                             << ", static-log bytes " << stats.static_log_bytes << ", tail took "
                                             << tail.seconds_taken() << " s");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(real_ray_faults)

BOOST_AUTO_TEST_CASE(dashboard_restart_during_a_websocket_tail) {
    restart_dashboard_during_a_tail(tail_protocol::websocket);
}

BOOST_AUTO_TEST_CASE(dashboard_restart_during_an_http_stream_tail) {
    restart_dashboard_during_a_tail(tail_protocol::stream);
}

// Kills the worker node (last: the cluster has one node less afterwards).
BOOST_AUTO_TEST_CASE(worker_node_killed_under_a_running_job_then_its_log_is_tailed) {
    client ray(cluster_options());
    const auto entrypoint = python_entrypoint("slow_printer_job.py", "2000 0.25");
    job_submission submission(entrypoint);
    submission.with_resources({{"raycl_worker_1", 1.0}});
    const auto id = run_sync(ray.submit_job(submission));
    const auto running = wait_for_status(ray, id, job_status::running);
    BOOST_TEST_REQUIRE(running.status == job_status::running);
    const auto worker_node = running.driver_node_id.value_or("");

    tail_options options;  // the defaults, but for the protocol
    options.protocol = tail_protocol::websocket;
    live_tail tail(ray, id, options);
    BOOST_TEST_REQUIRE(tail.wait_for_line("tick 5", std::chrono::seconds(60)), "no tick 5: " << tail.text());
    const auto killed_at = steady::now();
    cluster_script("kill-worker --worker 1");

    // raycl: the tail ends, with every line it delivered in order and once; no hang.
    BOOST_TEST_REQUIRE(tail.wait_for_end(std::chrono::seconds(180)), "the tail did not end");
    tail.join();
    const auto text = tail.text();
    const auto printed = entrypoint_output(text, id, entrypoint);
    int delivered = 0;
    while (printed.find("tick " + std::to_string(delivered) + "\n") != std::string::npos) ++delivered;
    BOOST_TEST(printed == ticks(delivered, false));
    const auto error = tail.error();
    BOOST_TEST_REQUIRE(error.has_value(), "the tail of a job whose node died ended without an error");
    BOOST_TEST_MESSAGE("worker killed: raycl tail ended after "
                       << std::chrono::duration<double>(steady::now() - killed_at).count() << " s with "
                       << error->status() << " (" << to_string(error->kind()) << "): " << error->what()
                       << "; ticks delivered " << delivered << ", reconnects " << tail.stats().reconnects);

    // Ray: the job fails once the GCS declares the node dead (missed heartbeats); from 2.50 with
    // error_type JOB_SUPERVISOR_ACTOR_DIED. Ray 2.9.3 kept such a job RUNNING for minutes
    // (docs/ray-versions.md): there only what raycl does is checked.
    const bool fails_the_job = cluster().at_least(2, 32);
    const auto failed = wait_for_status(ray, id, job_status::failed,
                                        fails_the_job ? std::chrono::seconds(120) : std::chrono::seconds(20));
    if (fails_the_job) {
        BOOST_TEST(failed.status == job_status::failed);
        if (cluster().has(core::capability::job_supervisor_died_error)) {
            BOOST_TEST(failed.error_type.value_or("") == "JOB_SUPERVISOR_ACTOR_DIED");
            BOOST_TEST(failed.message.value_or("").find("node has died") != std::string::npos,
                       failed.message.value_or(""));
        }
    }
    BOOST_TEST_MESSAGE("worker killed: Ray job " << to_string(failed.status) << " after "
                                                 << std::chrono::duration<double>(steady::now() - killed_at).count()
                                                 << " s, error_type " << failed.error_type.value_or("-")
                                                 << ", message: " << failed.message.value_or("-"));

    // A job whose driver node is gone: its log cannot be read any more.
    const auto logs_error = expect_error(ray.list_job_logs(id));
    BOOST_TEST_MESSAGE("driver node gone: list_job_logs " << logs_error.status() << ": " << logs_error.what());
    BOOST_TEST(logs_error.status() == 500);
    for (const auto protocol : {tail_protocol::websocket, tail_protocol::stream}) {
        tail_options again;
        again.protocol = protocol;
        const auto start = steady::now();
        live_tail late(ray, id, again);
        BOOST_TEST_REQUIRE(late.wait_for_end(std::chrono::seconds(120)), "the tail did not end");
        late.join();
        const auto late_error = late.error();
        BOOST_TEST_REQUIRE(late_error.has_value(), "a tail of a lost log ended without an error");
        // Ray <= 2.44 relays the agent's WebSocket and ends it with a close frame Beast rejects
        // ("control frame was fragmented", docs/ray-versions.md): a lost connection, 503.
        const bool relayed_close = protocol == tail_protocol::websocket && !cluster().at_least(2, 45);
        BOOST_TEST(late_error->status() == (relayed_close ? 503 : 500), late_error->what());
        BOOST_TEST(late.text().empty());
        BOOST_TEST_MESSAGE("driver node gone, " << to_string(protocol) << " tail: " << late_error->status() << " after "
                                                << std::chrono::duration<double>(steady::now() - start).count()
                                                << " s, reconnects " << late.stats().reconnects << ": "
                                                << late_error->what());
    }
    BOOST_TEST(!worker_node.empty());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace raycl::test
