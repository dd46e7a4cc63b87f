// Terminal behaviour in a real terminal: tmux runs raycl in a pane and `capture-pane` reads the
// screen. Coloured job prefixes (none with NO_COLOR), the progress lines of a multi-job follow
// and of `job wait` (the spinner), the in-place redraw of --watch; and none of that when stdout
// is a pipe. Every check polls the screen for the expected content with a bound.
#include "scripted_jobs.hpp"
#include "tmux_terminal.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <atomic>
#include <cctype>
#include <set>
#include <string_view>
#include <thread>

namespace raycl::cli::test {
namespace {

namespace json = boost::json;
using raycl::test::fake_dashboard;
using raycl::test::recorded_request;
using raycl::test::reply;

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

std::size_t count_of(const std::string& text, const std::string& part) {
    std::size_t n = 0;
    for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
    return n;
}

/// Two jobs that print one line each and wait for the test.
struct two_jobs {
    two_jobs() : jobs(dashboard) {
        jobs.add(scripted_jobs::printing("job-one", {"first line of one"}, {"last line of one"}));
        jobs.add(scripted_jobs::printing("job-two", {"first line of two"}, {"last line of two"}));
    }
    std::vector<std::string> follow_args() const {
        return {"--address", dashboard.address(), "job", "logs", "job-one", "job-two", "--follow"};
    }
    fake_dashboard dashboard;
    scripted_jobs jobs;
};

/// The SGR colour sequence right before `text` on a captured screen, or "".
std::string colour_before(const std::string& screen, const std::string& text) {
    for (auto at = screen.find(text); at != std::string::npos; at = screen.find(text, at + 1)) {
        if (at == 0 || screen[at - 1] != 'm') continue;
        auto start = at - 1;
        while (start > 0 && (std::isdigit(static_cast<unsigned char>(screen[start - 1])) || screen[start - 1] == ';'))
            --start;
        if (start >= 2 && screen[start - 1] == '[' && screen[start - 2] == '\x1b')
            return screen.substr(start, at - 1 - start);
    }
    return "";
}

/// The spinner frames of every "<frame> waiting for <id>  <n>s  <status>" line on a screen.
std::set<std::string> spinner_frames(const std::string& screen, const std::string& id, const std::string& status) {
    std::set<std::string> frames;
    const std::string marker = " waiting for " + id + "  ";
    for (auto at = screen.find(marker); at != std::string::npos; at = screen.find(marker, at + 1)) {
        if (at == 0 || std::string_view("|/\\-").find(screen[at - 1]) == std::string_view::npos) continue;
        auto rest = at + marker.size();
        const auto digits = rest;
        while (rest < screen.size() && std::isdigit(static_cast<unsigned char>(screen[rest]))) ++rest;
        if (rest == digits || screen.compare(rest, 3 + status.size(), "s  " + status) != 0) continue;
        frames.insert(std::string(1, screen[at - 1]));
    }
    return frames;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cli_terminal)

BOOST_AUTO_TEST_CASE(coloured_prefixes_and_the_follow_progress_line) {
    two_jobs fake;
    terminal pane(fake.follow_args());
    auto screen = pane.wait_for(
        [](const std::string& s) { return contains(s, "first line of one") && contains(s, "first line of two"); },
        true);
    const auto one = colour_before(screen, "[job-one]");
    const auto two = colour_before(screen, "[job-two]");
    BOOST_TEST(!one.empty(), screen);
    BOOST_TEST(!two.empty(), screen);
    BOOST_TEST(one != two);  // a colour per job
    pane.wait_for_text("following 2 jobs: 2 running");
    fake.jobs.open_all_gates();
    screen = pane.wait_for_text("[exit 0]");
    BOOST_TEST(contains(screen, "[job-one] last line of one"));
    BOOST_TEST(contains(screen, "raycl: job job-two SUCCEEDED"));
    BOOST_TEST(!contains(screen, "following 2 jobs"), screen);  // the progress line is gone at the end
    BOOST_TEST(count_of(screen, "first line of one") == 1u);
}

BOOST_AUTO_TEST_CASE(no_colour_with_no_color_and_nothing_but_lines_on_a_pipe) {
    {
        two_jobs fake;
        fake.jobs.open_all_gates();
        terminal pane(fake.follow_args(), {{"NO_COLOR", "1"}});
        const auto screen = pane.wait_for_text("[exit 0]", true);
        BOOST_TEST(contains(screen, "[job-one] first line of one"), screen);
        BOOST_TEST(colour_before(screen, "[job-one]").empty(), screen);
    }
    {
        two_jobs fake;
        fake.jobs.open_all_gates();
        terminal pane(fake.follow_args(), {}, "2>&1 | cat");
        const auto screen = pane.wait_for_text("[exit 0]", true);
        BOOST_TEST(contains(screen, "[job-two] last line of two"), screen);
        BOOST_TEST(!contains(screen, "\x1b["), screen);
        BOOST_TEST(!contains(screen, "following"), screen);
    }
}

BOOST_AUTO_TEST_CASE(job_wait_draws_a_spinner_on_a_terminal_only) {
    for (const bool piped : {false, true}) {
        fake_dashboard dashboard;
        auto done = std::make_shared<std::atomic<bool>>(false);
        dashboard.route("GET", "/api/jobs/j-spin", [done](const recorded_request&) {
            return reply::json(200, json::serialize(json::object{{"type", "SUBMISSION"},
                                                                 {"submission_id", "j-spin"},
                                                                 {"status", *done ? "SUCCEEDED" : "RUNNING"},
                                                                 {"entrypoint", "sleep"}}));
        });
        terminal pane({"--address", dashboard.address(), "job", "wait", "j-spin"}, {}, piped ? "2>&1 | cat" : "");
        if (!piped) {
            // The progress line: spinner, what, elapsed time, status; the spinner turns.
            std::set<std::string> frames;
            pane.wait_for([&](const std::string& s) {
                for (const auto& frame : spinner_frames(s, "j-spin", "RUNNING")) frames.insert(frame);
                return frames.size() >= 2;
            });
            const auto coloured = pane.screen(true);
            BOOST_TEST(!colour_before(coloured, "RUNNING").empty(), coloured);
        } else {
            BOOST_REQUIRE(dashboard.wait_for_requests(2, std::chrono::milliseconds(10000)));  // polling
        }
        *done = true;
        const auto screen = pane.wait_for_text("[exit 0]", true);
        BOOST_TEST(contains(screen, "job j-spin "), screen);
        BOOST_TEST(!contains(screen, "waiting for"), screen);  // cleared on a terminal, never drawn on a pipe
        if (piped) BOOST_TEST(!contains(screen, "\x1b["), screen);
    }
}

BOOST_AUTO_TEST_CASE(watch_redraws_in_place_on_a_terminal_and_appends_changes_on_a_pipe) {
    for (const bool piped : {false, true}) {
        fake_dashboard dashboard;
        auto ended = std::make_shared<std::atomic<bool>>(false);
        dashboard.route("GET", "/api/jobs/", [ended](const recorded_request&) {
            json::array jobs;
            for (const char* id : {"watch-a", "watch-b"}) {
                const bool done = *ended && std::string(id) == "watch-b";
                jobs.push_back(json::object{{"type", "SUBMISSION"},
                                            {"submission_id", id},
                                            {"status", done ? "SUCCEEDED" : "RUNNING"},
                                            {"entrypoint", "python x.py"}});
            }
            return reply::json(200, json::serialize(jobs));
        });
        terminal pane({"--address", dashboard.address(), "job", "list", "--watch", "--interval", "0.2"}, {},
                      piped ? "| cat" : "");
        pane.wait_for_text("watch-b");
        const auto requests = dashboard.requests().size();
        BOOST_REQUIRE(dashboard.wait_for_requests(requests + 2, std::chrono::milliseconds(10000)));  // refreshed
        *ended = true;
        const auto screen = pane.wait_for_text("SUCCEEDED");
        if (!piped) {
            BOOST_TEST(count_of(screen, "SUBMISSION_ID") == 1u, screen);  // redrawn, not appended
            BOOST_TEST(count_of(screen, "Every 0.2s: raycl job list") == 1u, screen);
            BOOST_TEST(count_of(screen, "watch-b") == 1u, screen);
            BOOST_TEST(count_of(screen, "RUNNING") == 1u, screen);  // watch-a only
        } else {
            BOOST_TEST(count_of(screen, "SUBMISSION_ID") == 1u, screen);
            BOOST_TEST(count_of(screen, "watch-b") == 2u, screen);  // the first listing, then the change
            BOOST_TEST(count_of(screen, "watch-a") == 1u, screen);  // unchanged: printed once
            BOOST_TEST(!contains(screen, "Every"), screen);
            BOOST_TEST(!contains(pane.screen(true), "\x1b["));
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace raycl::cli::test
