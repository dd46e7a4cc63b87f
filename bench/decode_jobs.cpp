// Decodes a `GET /api/jobs/` answer of N jobs (default 10,000) shaped like the job Ray 2.60
// returned in test/fixtures/ray/jobs_get_succeeded.json, into typed job_details, R times.
// Prints one JSON line: records, repetitions, median and min milliseconds per list, records/s.
// Usage: raycl_bench_decode [records] [repetitions]
#include "core/record_decoder.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    const int records = argc > 1 ? std::stoi(argv[1]) : 10000;
    const int repetitions = argc > 2 ? std::stoi(argv[2]) : 7;
    std::ifstream file(RAYCL_FIXTURE_DIR "/ray/jobs_get_succeeded.json");
    std::stringstream text;
    text << file.rdbuf();
    auto job = boost::json::parse(text.str()).as_object();
    boost::json::array list;
    for (int i = 0; i < records; ++i) {
        job["submission_id"] = "raysubmit_" + std::to_string(1000000 + i);
        list.push_back(job);
    }
    const std::string body = boost::json::serialize(list);

    std::vector<double> millis;
    std::size_t checksum = 0;
    raycl::core::request_spec request;
    request.target = "/api/jobs/";
    for (int r = 0; r < repetitions; ++r) {
        std::string response_body = body;  // as the client holds it, before the clock
        const auto start = std::chrono::steady_clock::now();
        // What client::list_jobs calls: the body moved into a shared text, decoded without a DOM.
        const auto jobs =
            raycl::core::decode_job_list_text(std::make_shared<const std::string>(std::move(response_body)), request);
        const auto stop = std::chrono::steady_clock::now();
        checksum += jobs.size() + jobs.back().submission_id->size();
        millis.push_back(std::chrono::duration<double, std::milli>(stop - start).count());
    }
    std::sort(millis.begin(), millis.end());
    const double median = millis[millis.size() / 2];
    std::printf(
        "{\"bench\": \"decode_job_list\", \"records\": %d, \"body_bytes\": %zu, \"repetitions\": %d, "
        "\"median_ms\": %.3f, \"min_ms\": %.3f, \"max_ms\": %.3f, \"records_per_s\": %.0f, \"checksum\": %zu}\n",
        records, body.size(), repetitions, median, millis.front(), millis.back(), records / (median / 1000.0),
        checksum);
    return 0;
}
