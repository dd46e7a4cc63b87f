// Component tests of multi-job follow (`raycl job logs` with several ids, --all, --selector,
// --status, --new, --no-prefix, --max-concurrency) against scripted jobs on the fake dashboard:
// lines whole, once, in per-job order; the combined exit code.
#include "run_binary.hpp"
#include "scripted_jobs.hpp"

#include <boost/test/unit_test.hpp>

#include <tuple>

namespace raycl::cli::test {
namespace {

using raycl::test::fake_dashboard;

cli_result follow(const fake_dashboard& dashboard, std::vector<std::string> args,
                  std::function<bool(const std::string&)> on_output = {}) {
    args.insert(args.begin(), {"--address", dashboard.address(), "job", "logs"});
    cli_run_options options;
    options.timeout = std::chrono::milliseconds(30000);
    // Never interrupts: lets the test act (open gates, add jobs) as output arrives.
    if (on_output)
        options.interrupt_when = [on_output](const std::string& out) {
            on_output(out);
            return false;
        };
    return run_cli(args, options);
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cli_follow)

BOOST_AUTO_TEST_CASE(several_jobs_whole_lines_in_order_once) {
    fake_dashboard dashboard;
    scripted_jobs jobs(dashboard);
    // a: a line split across two frames; b: fails, with a line of 25,000 bytes (delivered in
    // pieces by the SDK); c: its log ends without a newline.
    auto a = scripted_jobs::printing("job-a", {"a1"}, {"a3"});
    a.frames_before.push_back("a2 start ");
    a.frames_before.push_back("a2 end\n");
    const std::string long_line = "b-long " + std::string(25000, 'x');
    auto b = scripted_jobs::printing("job-b", {"b1"}, {long_line, "b3"}, "FAILED");
    auto c = scripted_jobs::printing("job-c", {"c1"}, {});
    c.frames_after.push_back("c-last-without-newline");
    jobs.add(a);
    jobs.add(b);
    jobs.add(c);
    const auto r = follow(dashboard, {"job-a", "job-b", "job-c", "--follow"}, [&](const std::string& out) {
        // Every job has printed before any of them ends: the lines interleave.
        if (contains(out, "[job-a] a2 start a2 end\n") && contains(out, "[job-b] b1\n") &&
            contains(out, "[job-c] c1\n"))
            jobs.open_all_gates();
        return false;
    });
    BOOST_TEST(r.exit_code == 1, r.err);  // job-b FAILED
    const auto by_job = lines_by_job(r.out);
    BOOST_TEST(!by_job.count(""), r.out.substr(0, 2000));  // every line has its prefix
    BOOST_TEST((by_job.at("job-a") == std::vector<std::string>{"a1", "a2 start a2 end", "a3"}));
    BOOST_TEST((by_job.at("job-b") == std::vector<std::string>{"b1", long_line, "b3"}));
    BOOST_TEST((by_job.at("job-c") == std::vector<std::string>{"c1", "c-last-without-newline"}));
    BOOST_TEST(r.out.back() == '\n');
    BOOST_TEST(r.out.find('\033') == std::string::npos);  // a pipe: no colour
    BOOST_TEST(contains(r.err, "raycl: job job-a SUCCEEDED"), r.err);
    BOOST_TEST(contains(r.err, "raycl: job job-b FAILED: m"), r.err);
    BOOST_TEST(contains(r.err, "raycl: job job-c SUCCEEDED"), r.err);
    BOOST_TEST(!contains(r.err, "following"));  // no progress line on a pipe
}

/// Two running jobs (team ml, tier gold; team web) and an ended one (team ml), whose tails run
/// to the end at once.
struct teams_cluster {
    teams_cluster() {
        auto ml = scripted_jobs::printing("run-ml", {"ml line"}, {});
        ml.metadata = {{"team", "ml"}, {"tier", "gold"}};
        auto web = scripted_jobs::printing("run-web", {"web line"}, {}, "STOPPED");
        web.metadata = {{"team", "web"}};
        auto done = scripted_jobs::printing("done-ml", {"done line"}, {});
        done.metadata = {{"team", "ml"}};
        done.status = "SUCCEEDED";
        for (auto* j : {&ml, &web, &done}) {
            j->gate_open = true;
            jobs.add(*j);
        }
    }
    fake_dashboard dashboard;
    scripted_jobs jobs{dashboard};
};

BOOST_AUTO_TEST_CASE(all_follows_every_job_that_has_not_ended) {
    teams_cluster cluster;
    const auto r = follow(cluster.dashboard, {"--all", "--follow"});
    BOOST_TEST(r.exit_code == 1, r.err);  // run-web STOPPED
    const auto by_job = lines_by_job(r.out);
    BOOST_TEST((by_job.at("run-ml") == std::vector<std::string>{"ml line"}));
    BOOST_TEST((by_job.at("run-web") == std::vector<std::string>{"web line"}));
    BOOST_TEST(!by_job.count("done-ml"));
    BOOST_TEST(cluster.jobs.tails("done-ml") == 0);
}

BOOST_AUTO_TEST_CASE(selectors_and_statuses_choose_jobs) {
    const std::vector<std::tuple<std::vector<std::string>, std::string, std::string>> cases = {
        {{"--selector", "team=ml", "--selector=tier=gold", "--follow"}, "[run-ml] ml line\n", ""},
        {{"--status", "SUCCEEDED", "--selector", "team=ml"}, "[done-ml] done line\n", ""},  // static logs
        {{"--selector", "team=nobody", "--follow"}, "", "raycl: no job matches\n"},
    };
    for (const auto& [args, out, err] : cases) {
        teams_cluster cluster;
        const auto r = follow(cluster.dashboard, args);
        BOOST_TEST(r.exit_code == 0, r.err);
        BOOST_TEST(r.out == out);
        BOOST_TEST(contains(r.err, err), r.err);
        BOOST_TEST(cluster.jobs.tails("run-web") == 0);
    }
}

BOOST_AUTO_TEST_CASE(new_jobs_are_followed_until_all_ended) {
    fake_dashboard dashboard;
    scripted_jobs jobs(dashboard);
    auto first = scripted_jobs::printing("first", {"first 1"}, {"first 2"});
    first.metadata = {{"batch", "7"}};
    jobs.add(first);
    bool added = false;
    const auto r = follow(dashboard, {"--selector", "batch=7", "--follow", "--new", "--interval", "0.2"},
                          [&](const std::string& out) {
                              if (!added && contains(out, "[first] first 1\n")) {
                                  auto later = scripted_jobs::printing("later", {"later 1"}, {"later 2"}, "FAILED");
                                  later.metadata = {{"batch", "7"}};
                                  jobs.add(later);
                                  auto other = scripted_jobs::printing("other-batch", {"x"}, {});
                                  other.metadata = {{"batch", "8"}};
                                  jobs.add(other);
                                  added = true;
                              }
                              if (contains(out, "[later] later 1\n")) jobs.open_all_gates();
                              return false;
                          });
    BOOST_TEST(r.exit_code == 1, r.err);  // `later` FAILED
    const auto by_job = lines_by_job(r.out);
    BOOST_TEST((by_job.at("first") == std::vector<std::string>{"first 1", "first 2"}));
    BOOST_TEST((by_job.at("later") == std::vector<std::string>{"later 1", "later 2"}));
    BOOST_TEST(!by_job.count("other-batch"));
    BOOST_TEST(jobs.tails("later") == 1);
}

BOOST_AUTO_TEST_CASE(max_concurrency_and_no_prefix) {
    fake_dashboard dashboard;
    scripted_jobs jobs(dashboard);
    for (const char* id : {"q1", "q2", "q3"}) {
        auto j = scripted_jobs::printing(id, {std::string(id) + " one"}, {std::string(id) + " two"});
        jobs.add(j);
    }
    int tails_at_first_line = -1;
    const auto r = follow(dashboard, {"q1", "q2", "q3", "--follow", "--max-concurrency", "1", "--no-prefix"},
                          [&](const std::string& out) {
                              if (tails_at_first_line < 0 && contains(out, " one\n"))
                                  tails_at_first_line = jobs.tails_open_in_total();
                              jobs.open_all_gates();
                              return false;
                          });
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(tails_at_first_line == 1);
    // One tail at a time: each job's lines together, in the order the jobs were given.
    BOOST_TEST(r.out == "q1 one\nq1 two\nq2 one\nq2 two\nq3 one\nq3 two\n");
}

BOOST_AUTO_TEST_CASE(an_unknown_job_is_an_error_the_others_still_print) {
    fake_dashboard dashboard;
    scripted_jobs jobs(dashboard);
    auto ok = scripted_jobs::printing("fine", {"fine line"}, {});
    ok.gate_open = true;
    jobs.add(ok);
    dashboard.route("GET", "/api/jobs/gone", [](const raycl::test::recorded_request&) {
        return raycl::test::reply::text(404, "Job gone does not exist");
    });
    const auto r = follow(dashboard, {"fine", "gone", "--follow"});
    BOOST_TEST(r.exit_code == 3, r.err);
    BOOST_TEST(r.out == "[fine] fine line\n");
    BOOST_TEST(contains(r.err, "raycl: error 404: "), r.err);
    BOOST_TEST(contains(r.err, "(job gone)"), r.err);
}

BOOST_AUTO_TEST_CASE(ctrl_c_stops_every_tail) {
    fake_dashboard dashboard;
    scripted_jobs jobs(dashboard);
    jobs.add(scripted_jobs::printing("long-1", {"l1"}, {}));
    jobs.add(scripted_jobs::printing("long-2", {"l2"}, {}));
    cli_run_options options;
    options.interrupt_when = [](const std::string& out) {
        return contains(out, "[long-1] l1\n") && contains(out, "[long-2] l2\n");
    };
    options.timeout = std::chrono::milliseconds(20000);
    const auto r = run_cli({"--address", dashboard.address(), "job", "logs", "--all", "--follow"}, options);
    BOOST_TEST(r.exit_code == 130, r.err);
    BOOST_TEST(contains(r.err, "the jobs keep running"), r.err);
    BOOST_TEST(r.seconds < 15.0);
}

BOOST_AUTO_TEST_CASE(usage_errors) {
    fake_dashboard dashboard;
    for (const auto& args : std::vector<std::vector<std::string>>{{"job", "logs"},
                                                                  {"job", "logs", "a", "--all"},
                                                                  {"job", "logs", "--all", "--new"},
                                                                  {"job", "logs", "a", "b", "--max-concurrency", "0"},
                                                                  {"job", "logs", "--status", "DONE", "--follow"},
                                                                  {"job", "logs", "--selector", "novalue"}}) {
        auto full = args;
        full.insert(full.begin(), {"--address", dashboard.address()});
        const auto r = run_cli(full);
        BOOST_TEST(r.exit_code == 2, r.err);
        BOOST_TEST(contains(r.err, "Try 'raycl job logs --help'."), r.err);
    }
    BOOST_TEST(dashboard.requests().empty());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace raycl::cli::test
