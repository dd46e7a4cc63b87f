// The text decoders of jobs and tasks (core/record_decoder.hpp) against the DOM decoders
// (core/models_json.hpp) they must equal: on every recorded Ray reply of test/fixtures/ray and
// on hand-made bodies, the same typed fields, the same raw objects, or the same error; and the
// lazy raw_object (copies share, concurrent reads, a record outliving its list).
#include "core/models_json.hpp"
#include "core/record_decoder.hpp"
#include "core/responses.hpp"
#include "support/record_equality.hpp"
#include "unit/ray_fixtures.hpp"
#include "unit/unit_helpers.hpp"

#include <raycl/models.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace raycl;
using namespace raycl::core;
using namespace raycl::test;  // contains, typed, counts, outcome, read_text, ray_fixture_dir
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

request_spec list_request() {
    request_spec request;
    request.target = "/api/jobs/";
    return request;
}

std::shared_ptr<const std::string> text(std::string body) {
    return std::make_shared<const std::string>(std::move(body));
}

template <class T>
void same_rows(const std::vector<T>& dom, const std::vector<T>& sax) {
    BOOST_REQUIRE(dom.size() == sax.size());
    for (std::size_t i = 0; i < dom.size(); ++i) {
        BOOST_TEST_CONTEXT("row " << i) {
            BOOST_TEST((typed(dom[i]) == typed(sax[i])));
            BOOST_TEST(json::value(*dom[i].raw) == json::value(*sax[i].raw));
        }
    }
}

/// The job list `body` through both paths: the same jobs, or the same error. Returns the outcome.
std::string check_job_list(const std::string& body) {
    std::vector<job_details> dom, sax;
    const std::string a = outcome([&] { dom = decode_job_list(parse_json_body(list_request(), body)); });
    const std::string b = outcome([&] { sax = decode_job_list_text(text(body), list_request()); });
    BOOST_TEST(a == b);
    if (a == "ok" && b == "ok") same_rows(dom, sax);
    return b;
}

std::string check_job(const std::string& body) {
    job_details dom, sax;
    const std::string a = outcome([&] { dom = decode_job_details(parse_json_body(list_request(), body)); });
    const std::string b = outcome([&] { sax = decode_job_details_text(text(body), list_request()); });
    BOOST_TEST(a == b);
    if (a == "ok" && b == "ok") {
        BOOST_TEST((typed(dom) == typed(sax)));
        BOOST_TEST(json::value(*dom.raw) == json::value(*sax.raw));
    }
    return b;
}

std::string check_task_list(const std::string& body) {
    list_result<task_info> dom, sax;
    const std::string a =
        outcome([&] { dom = decode_state_list(parse_json_body(list_request(), body), &decode_task); });
    const std::string b = outcome([&] { sax = decode_task_list_text(text(body), list_request()); });
    BOOST_TEST(a == b);
    if (a == "ok" && b == "ok") {
        BOOST_TEST((counts(dom) == counts(sax)));
        same_rows(dom.items, sax.items);
    }
    return b;
}

/// Every fixture under test/fixtures/ray (each Ray release's directory too) named
/// `prefix*.json`, without `exclude` in its name.
std::vector<fs::path> fixtures(std::string_view prefix, std::string_view exclude = {}) {
    std::vector<fs::path> found;
    for (const auto& entry : fs::recursive_directory_iterator(ray_fixture_dir)) {
        const std::string name = entry.path().filename().string();
        if (entry.is_regular_file() && name.starts_with(prefix) && name.ends_with(".json") &&
            (exclude.empty() || !contains(name, exclude)))
            found.push_back(entry.path());
    }
    std::sort(found.begin(), found.end());
    return found;
}

const std::string ok_job = R"("status": "SUCCEEDED", "entrypoint": "e")";

}  // namespace

BOOST_AUTO_TEST_SUITE(record_decoder_tests)

BOOST_AUTO_TEST_CASE(every_recorded_job_and_job_list) {
    const auto gets = fixtures("jobs_get_", "_logs");
    const auto lists = fixtures("jobs_list");
    BOOST_TEST(gets.size() >= 10u);
    BOOST_TEST(lists.size() >= 3u);
    std::size_t rows = 0;
    for (const auto& path : gets) {
        BOOST_TEST_CONTEXT(path.string()) {
            BOOST_TEST(check_job(read_text(path)) == "ok");
        }
    }
    for (const auto& path : lists) {
        BOOST_TEST_CONTEXT(path.string()) {
            const std::string body = read_text(path);
            BOOST_TEST(check_job_list(body) == "ok");
            const auto jobs = decode_job_list_text(text(body), list_request());
            rows += jobs.size();
            for (const auto& job : jobs) BOOST_TEST(job.raw.text().has_value());  // lazy views, not copies
        }
    }
    BOOST_TEST(rows > lists.size());  // lists of several jobs, not only empty ones
}

BOOST_AUTO_TEST_CASE(every_recorded_task_list) {
    const auto lists = fixtures("state_tasks");
    const auto errors = fixtures("error_state_tasks");
    BOOST_TEST(lists.size() >= 5u);
    std::size_t rows = 0;
    for (const auto& path : lists) {
        BOOST_TEST_CONTEXT(path.string()) {
            const std::string body = read_text(path);
            const std::string result = check_task_list(body);
            if (result == "ok") {
                const auto tasks = decode_task_list_text(text(body), list_request());
                rows += tasks.items.size();
                for (const auto& task : tasks.items) BOOST_TEST(task.raw.text().has_value());
            }
        }
    }
    BOOST_TEST(rows > 20u);
    for (const auto& path : errors) {  // Ray's `result: false` answers: the same server error
        BOOST_TEST_CONTEXT(path.string()) {
            const std::string result = check_task_list(read_text(path));
            BOOST_TEST(result != "ok");
        }
    }
}

BOOST_AUTO_TEST_CASE(job_faults_give_the_dom_decoders_errors) {
    const std::vector<std::string> lists{
        "{}", "3", "[1]", "[[]]", "[{}]", R"([{"status": "X"}])", R"([{"status": null, "entrypoint": "e"}])",
        R"([{"status": 1, "entrypoint": "e"}])", "[{" + ok_job + R"(, "metadata": {"a": 1}}])",
        "[{" + ok_job + R"(, "metadata": [1]}])", "[{" + ok_job + R"(, "metadata": "x"}])",
        "[{" + ok_job + R"(, "driver_info": {"pid": 2.5e300}}])", "[{" + ok_job + R"(, "driver_info": {"pid": true}}])",
        "[{" + ok_job + R"(, "driver_info": "x"}])", "[{" + ok_job + R"(, "driver_info": [1]}])",
        "[{" + ok_job + R"(, "start_time": "12x"}])", "[{" + ok_job + R"(, "start_time": 18446744073709551615}])",
        "[{" + ok_job + R"(, "runtime_env": [1]}])", "[{" + ok_job + R"(, "runtime_env": 2}])",
        "[{" + ok_job + R"(, "entrypoint": null}])", "[{" + ok_job + R"(, "message": false}])",
        "[{" + ok_job + R"(, "job_id": 2, "start_time": "soon"}])",  // two faults: the DOM's order
        "[{" + ok_job + R"(, "start_time": "soon"}, {"status": 1}])", "[{" + ok_job + "}, 7]",
        // malformed JSON: parse_json_body's error, even after a faulty record
        "[{" + ok_job + "}] x", "[{" + ok_job + "]", "[{\"status\": 1}, ", "",
        "[" + std::string(70, '[') + std::string(70, ']') + "]"};
    for (const auto& body : lists) {
        BOOST_TEST_CONTEXT(body) {
            BOOST_TEST(check_job_list(body) != "ok");
        }
    }
    const std::string malformed = check_job_list("[{" + ok_job + "]");
    BOOST_TEST(contains(malformed, "GET /api/jobs/ returned malformed JSON"));
    const std::string missing = check_job_list(R"([{"status": "X"}])");
    BOOST_TEST(contains(missing, "unexpected JSON from Ray: field 'entrypoint' of job details is missing [500]"));
    const std::string root = check_job_list("{}");
    BOOST_TEST(contains(root, "the job list must be an array, got an object"));
    const std::vector<std::string> jobs{"[]", "3", "{\"status\": 1}", "{" + ok_job + ", \"end_time\": []}",
                                        "{" + ok_job};
    for (const auto& body : jobs) {
        BOOST_TEST_CONTEXT(body) {
            BOOST_TEST(check_job(body) != "ok");
        }
    }
}

BOOST_AUTO_TEST_CASE(job_values_of_every_kind) {
    const std::vector<std::string> lists{
        "[]", " [ ] ", "[{" + ok_job + "}]", "[{" + ok_job + R"(, "metadata": {"a": "1", "b": "2", "a": "3"}}])",
        "[{" + ok_job + R"(, "driver_info": {"pid": 2, "id": "j"}}])", "[{" + ok_job + R"(, "driver_info": null}])",
        "[{" + ok_job + R"(, "start_time": "123", "end_time": 1.5e3, "driver_exit_code": 9223372036854775807}])",
        "[{" + ok_job + R"(, "runtime_env": {"pip": ["x", {"y": [1, 2.5, true, null, -3]}], "env_vars": {"A": "1"}}}])",
        "[{" + ok_job + R"(, "runtime_env": {}}])",
        "[{" + ok_job + R"(, "type": "DRIVER", "x": {"y": [1, {"z": 2}]}, "job_id": null, "z": [[], {}]}])",
        // escapes in strings and keys; a first key with an escape (no cheap text: built objects)
        R"([{"status": "RUNNING", "entrypoint": "a\"b\u00e9\n\\", "message": "\ud83d\ude00", "k\"ey": "v"}])",
        R"([{"st\u0061tus": "RUNNING", "entrypoint": "e"}, {"status": "PENDING", "entrypoint": "f"}])",
        // a duplicate key: the DOM's last one wins
        "[{" + ok_job + R"(, "job_id": "a", "job_id": "b"}])",
        "[{" + ok_job + R"(, "job_id": "a"}, {)" + ok_job + R"(, "job_id": "b"}] )",
        "\n[\n  {\n    " + ok_job + "\n  },\n  {\n    " + ok_job + "\n  }\n]\n"};
    for (const auto& body : lists) {
        BOOST_TEST_CONTEXT(body) {
            BOOST_TEST(check_job_list(body) == "ok");
        }
    }
    const auto escaped = decode_job_list_text(text(lists[10]), list_request());
    BOOST_TEST(escaped[0].entrypoint == "a\"b\xc3\xa9\n\\");
    BOOST_TEST(escaped[0].raw->at("k\"ey") == "v");
    // A long list whose rows differ in size (the reserve is only an estimate from the first).
    std::string many = "[";
    for (int i = 0; i < 2000; ++i) {
        if (i) many += ",";
        many += "{" + ok_job + R"(, "job_id": ")" + std::string(static_cast<std::size_t>(i % 97), 'x') + "\"}";
    }
    many += "]";
    BOOST_TEST(check_job_list(many) == "ok");
    BOOST_TEST(decode_job_list_text(text(many), list_request()).size() == 2000u);
}

BOOST_AUTO_TEST_CASE(task_envelopes_and_faults) {
    const std::string row = R"({"task_id": "t", "attempt_number": "2", "worker_pid": 7})";
    const std::vector<std::string> good{
        R"({"result": true, "msg": "", "data": {"result": {"total": 5, "result": [)" + row + "," + row +
            R"(], "partial_failure_warning": "w", "warnings": ["a", "b"]}}})",
        R"({"data": {"result": {"result": []}}})",
        R"({"data": {"result": {"num_filtered": 9, "result": [)" + row + R"(], "num_after_truncation": 3}}})",
        R"({"data": {"result": {"result": [{"task_id": "t", "attempt_number": null, "name": "n", "x": {"y": 1}}]}}})",
        R"({"msg": 3, "data": {"result": {"result": []}}})",  // the DOM reads msg only for result: false
    };
    for (const auto& body : good) {
        BOOST_TEST_CONTEXT(body) {
            BOOST_TEST(check_task_list(body) == "ok");
        }
    }
    const std::vector<std::string> bad{
        R"({"result": false, "msg": "boom", "data": {"result": {"result": []}}})",
        R"({"result": false, "msg": 3})",
        R"({"result": false})",
        R"({"result": "yes", "data": {}})",
        R"({"data": {"result": {"result": {}}}})",
        R"({"data": {"result": {"result": [1]}}})",
        R"({"data": {"result": {"result": [{}]}}})",
        R"({"data": {"result": {}}})",
        R"({"data": {}})",
        R"({})",
        "[]",
        R"({"data": {"result": {"result": [{"task_id": "t", "name": 3}]}}})",
        R"({"data": {"result": {"result": [{"task_id": "t", "worker_pid": "x"}]}}})",
        R"({"data": {"result": {"warnings": [1], "result": []}}})",
        R"({"data": 3})",
        R"({"data": {"result": {"result": [], "total": "many"}}})",
        R"({"data": {"result": {"result": [{"name": 3}], "total": "many"}}})",  // the DOM's order
        R"({"data": {"result": {"result": [)" + row + "]}}"};
    for (const auto& body : bad) {
        BOOST_TEST_CONTEXT(body) {
            BOOST_TEST(check_task_list(body) != "ok");
        }
    }
    BOOST_TEST(contains(check_task_list(bad[0]), "the state API query failed: boom [500]"));
    BOOST_TEST(contains(check_task_list(bad[5]), "task must be an object, got a number"));
}

BOOST_AUTO_TEST_CASE(raw_is_lazy_and_shared) {
    const std::string body = "[{" + ok_job + R"(, "job_id": "a"}, {)" + ok_job + R"(, "job_id": "b", "n": [1]}])";
    auto shared = text(body);
    std::vector<job_details> jobs = decode_job_list_text(shared, list_request());
    BOOST_REQUIRE(jobs.size() == 2u);
    BOOST_TEST(shared.use_count() == 3);  // the test's and one per job's raw
    BOOST_TEST(!jobs[1].raw.parsed());
    BOOST_TEST(*jobs[1].raw.text() == "{" + ok_job + R"(, "job_id": "b", "n": [1]})");
    const raw_object copy = jobs[1].raw;  // a copy shares the text and, once parsed, the object
    BOOST_TEST(&copy.get() == &jobs[1].raw.get());
    BOOST_TEST(jobs[1].raw.parsed());
    BOOST_TEST(copy.parsed());
    BOOST_TEST(copy->at("n").as_array().size() == 1u);

    // Concurrent first reads of one raw: one parse, the same object for both.
    const raw_object fresh = jobs[0].raw;
    const json::object* seen[2] = {nullptr, nullptr};
    std::thread a([&] { seen[0] = &fresh.get(); });
    std::thread b([&] { seen[1] = &fresh.get(); });
    a.join();
    b.join();
    BOOST_TEST(seen[0] == seen[1]);
    BOOST_TEST(fresh->at("job_id") == "a");

    // A record outlives its list and the caller's body: its raw keeps the text alive.
    job_details kept = jobs[1];
    jobs.clear();
    shared.reset();
    BOOST_TEST(kept.raw->at("job_id") == "b");
    kept.raw = json::object{{"x", 1}};  // replaced: the body is released
    BOOST_TEST(kept.raw->at("x") == 1);
    BOOST_TEST(!kept.raw.text().has_value());

    const raw_object empty;
    BOOST_TEST(empty->empty());
    BOOST_TEST(empty.parsed());
    BOOST_CHECK_THROW(raw_object(text("{}"), 1, 5), std::out_of_range);
    const raw_object broken(text("{\"a\": "), 0, 6);
    BOOST_CHECK_THROW(broken.get(), client_error);
}

BOOST_AUTO_TEST_CASE(a_single_job_views_the_whole_body) {
    const std::string body = " {" + ok_job + R"(, "metadata": {"k": "v"}} )";
    job_details job = decode_job_details_text(text(body), list_request());
    BOOST_TEST(job.metadata.at("k") == "v");
    BOOST_TEST(*job.raw.text() == body);
    BOOST_TEST(job.raw->at("status") == "SUCCEEDED");
}

BOOST_AUTO_TEST_SUITE_END()
