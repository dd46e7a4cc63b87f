// Jobs on the fake dashboard whose status, metadata and log a test controls while the CLI runs:
// `GET /api/jobs/` lists them, `GET /api/jobs/ID` and `/logs` answer for each, and each job's
// WebSocket tail sends the lines before its gate, waits until the test opens the gate, sends the
// rest, ends the job with its final status and closes normally (as Ray does).
#pragma once

#include "support/fake_dashboard.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace raycl::cli::test {

class scripted_jobs {
public:
    struct job {
        std::string id;
        std::string status = "RUNNING";  ///< until the tail has sent everything
        std::string final_status = "SUCCEEDED";
        boost::json::object metadata;
        std::vector<std::string> frames_before;  ///< WebSocket frames before the gate (may split lines)
        std::vector<std::string> frames_after;   ///< after the gate
        bool gate_open = false;
        int tails = 0;  ///< WebSocket tails opened
    };

    explicit scripted_jobs(raycl::test::fake_dashboard& dashboard) : dashboard_(dashboard) {
        dashboard_.route("GET", "/api/jobs/", [state = state_](const raycl::test::recorded_request&) {
            std::lock_guard lock(state->mutex);
            boost::json::array list;
            for (const auto& id : state->order) list.push_back(describe(state->jobs.at(id)));
            return raycl::test::reply::json(200, boost::json::serialize(list));
        });
    }

    /// Adds a job (also while the CLI runs: it shows up in the next listing).
    void add(job j) {
        const std::string id = j.id;
        {
            std::lock_guard lock(state_->mutex);
            state_->order.push_back(id);
            state_->jobs[id] = std::move(j);
        }
        auto state = state_;
        dashboard_.route("GET", "/api/jobs/" + id, [state, id](const raycl::test::recorded_request&) {
            std::lock_guard lock(state->mutex);
            return raycl::test::reply::json(200, boost::json::serialize(describe(state->jobs.at(id))));
        });
        dashboard_.route("GET", "/api/jobs/" + id + "/logs", [state, id](const raycl::test::recorded_request&) {
            std::lock_guard lock(state->mutex);
            const auto& j = state->jobs.at(id);
            std::string log;
            for (const auto& frame : j.frames_before) log += frame;
            if (j.status != "RUNNING")
                for (const auto& frame : j.frames_after) log += frame;
            return raycl::test::reply::json(200, boost::json::serialize(boost::json::object{{"logs", log}}));
        });
        dashboard_.websocket_route("/api/jobs/" + id + "/logs/tail", [state, id](const raycl::test::recorded_request&) {
            std::lock_guard lock(state->mutex);
            auto& j = state->jobs.at(id);
            ++j.tails;
            raycl::test::websocket_script script;
            for (const auto& frame : j.frames_before) script.send_text(frame);
            script.wait_until([state, id] {
                std::lock_guard lock(state->mutex);
                return state->jobs.at(id).gate_open;
            });
            for (const auto& frame : j.frames_after) script.send_text(frame);
            script.wait_until([state, id] {  // everything is sent: the job ends, then the tail closes
                std::lock_guard lock(state->mutex);
                auto& ended = state->jobs.at(id);
                ended.status = ended.final_status;
                return true;
            });
            return script.close(1000);
        });
    }

    void open_gate(const std::string& id) {
        std::lock_guard lock(state_->mutex);
        state_->jobs.at(id).gate_open = true;
    }

    void open_all_gates() {
        std::lock_guard lock(state_->mutex);
        for (auto& [id, j] : state_->jobs) j.gate_open = true;
    }

    int tails(const std::string& id) const {
        std::lock_guard lock(state_->mutex);
        return state_->jobs.at(id).tails;
    }

    int tails_open_in_total() const {
        std::lock_guard lock(state_->mutex);
        int n = 0;
        for (const auto& [id, j] : state_->jobs) n += j.tails;
        return n;
    }

    /// A job printing `lines` (one frame each) then, after the gate, `after`.
    static job printing(std::string id, std::vector<std::string> lines, std::vector<std::string> after,
                        std::string final_status = "SUCCEEDED") {
        job j;
        j.id = std::move(id);
        for (auto& line : lines) j.frames_before.push_back(line + "\n");
        for (auto& line : after) j.frames_after.push_back(line + "\n");
        j.final_status = std::move(final_status);
        return j;
    }

private:
    static boost::json::object describe(const job& j) {
        boost::json::object out{{"type", "SUBMISSION"},      {"job_id", nullptr},           {"submission_id", j.id},
                                {"status", j.status},        {"entrypoint", "python x.py"}, {"message", "m"},
                                {"driver_node_id", "node1"}, {"start_time", 1795647802239}};
        out["metadata"] = j.metadata;
        return out;
    }

    struct shared {
        mutable std::mutex mutex;
        std::vector<std::string> order;
        std::map<std::string, job> jobs;
    };
    raycl::test::fake_dashboard& dashboard_;
    std::shared_ptr<shared> state_ = std::make_shared<shared>();
};

/// The lines of `out` per job: "[ID] text" -> ID -> texts in order. Lines without a prefix go
/// under "".
inline std::map<std::string, std::vector<std::string>> lines_by_job(const std::string& out) {
    std::map<std::string, std::vector<std::string>> by_job;
    std::size_t start = 0;
    while (start < out.size()) {
        auto end = out.find('\n', start);
        if (end == std::string::npos) end = out.size();
        const std::string line = out.substr(start, end - start);
        start = end + 1;
        const auto close = line.find("] ");
        if (line.rfind("[", 0) == 0 && close != std::string::npos)
            by_job[line.substr(1, close - 1)].push_back(line.substr(close + 2));
        else
            by_job[""].push_back(line);
    }
    return by_job;
}

}  // namespace raycl::cli::test
