// The request record: a ring of the most recent requests for requests(), and exact counters that
// never drop anything (request_count(), tallies), so that millions of requests cost a few MB.
#include "support/fake_dashboard_impl.hpp"

#include <algorithm>

namespace raycl::test {

std::string recorded_request::header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string{} : it->second;
}

// -- request_tally -----------------------------------------------------------------------------------

std::uint64_t request_tally::total() const {
    std::lock_guard lock(mutex_);
    return total_;
}

std::uint64_t request_tally::count(const std::string& key) const {
    std::lock_guard lock(mutex_);
    auto it = counts_.find(key);
    return it == counts_.end() ? 0 : it->second;
}

std::map<std::string, std::uint64_t> request_tally::counts() const {
    std::lock_guard lock(mutex_);
    return counts_;
}

// -- request_record ----------------------------------------------------------------------------------

namespace detail {

void request_record::add(const recorded_request& rec, std::vector<std::string>& errors) {
    ++total_;
    ++by_method_[rec.method][rec.target];
    for (auto& tally : tallies_) {
        if (tally->method_ != rec.method || !target_matches(tally->target_, rec.target)) continue;
        ++tally->total_;
        if (!tally->key_) continue;
        try {
            ++tally->counts_[tally->key_(rec)];
        } catch (const std::exception& e) {
            errors.push_back("tally key for " + tally->method_ + " " + tally->target_ + " threw: " + e.what());
        } catch (...) {
            errors.push_back("tally key for " + tally->method_ + " " + tally->target_ + " threw");
        }
    }
    if (capacity_ == 0) return;
    // Every field as received, but the body cut at the limit (not copied whole, then cut).
    recorded_request kept;
    kept.method = rec.method;
    kept.target = rec.target;
    kept.body.assign(rec.body, 0, std::min(rec.body.size(), body_limit_));
    kept.headers = rec.headers;
    kept.connection_id = rec.connection_id;
    kept.body_size = rec.body_size;
    if (ring_.size() == capacity_) ring_.pop_front();
    ring_.push_back(std::move(kept));
}

std::vector<recorded_request> request_record::recent() const {
    return {ring_.begin(), ring_.end()};
}

std::uint64_t request_record::count(std::string_view method, std::string_view pattern) const {
    auto targets = by_method_.find(method);
    if (targets == by_method_.end()) return 0;
    // The targets a pattern matches are contiguous in the map, from its prefix on.
    const auto prefix = pattern.ends_with('*') ? pattern.substr(0, pattern.size() - 1) : pattern;
    std::uint64_t n = 0;
    for (auto it = targets->second.lower_bound(prefix);
         it != targets->second.end() && target_matches(pattern, it->first); ++it)
        n += it->second;
    return n;
}

request_tally& request_record::add_tally(std::mutex& mutex, std::string method, std::string target,
                                         request_tally::key_function key) {
    tallies_.push_back(
        std::unique_ptr<request_tally>(new request_tally(mutex, std::move(method), std::move(target), std::move(key))));
    return *tallies_.back();
}

}  // namespace detail

}  // namespace raycl::test
