// Which answer a request gets (the order is documented on fake_dashboard): the token check,
// scripted expectations, routes, the built-in authentication mode, else 599. No I/O here.
#include "support/fake_dashboard_impl.hpp"

#include <algorithm>
#include <cctype>

namespace raycl::test {

namespace detail {

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string_view path_of(std::string_view target) {
    return target.substr(0, target.find('?'));
}

bool target_matches(std::string_view pattern, std::string_view target) {
    if (!pattern.empty() && pattern.back() == '*') {
        pattern.remove_suffix(1);
        return target.substr(0, pattern.size()) == pattern;
    }
    return pattern == target;
}

namespace {

std::string cookie_value(std::string_view cookies, std::string_view name) {
    while (!cookies.empty()) {
        auto end = cookies.find(';');
        auto pair = cookies.substr(0, end);
        cookies = end == std::string_view::npos ? std::string_view{} : cookies.substr(end + 1);
        while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
        auto eq = pair.find('=');
        if (eq != std::string_view::npos && pair.substr(0, eq) == name) return std::string(pair.substr(eq + 1));
    }
    return {};
}

}  // namespace

std::unique_ptr<expectation> expectation_access::make(std::mutex& mutex, std::string method, std::string target) {
    return std::unique_ptr<expectation>(new expectation(mutex, std::move(method), std::move(target)));
}

std::optional<reply> expectation_access::try_consume(expectation& e, const recorded_request& rec) {
    if (!e.unlimited_ && e.matched_ >= e.expected_) return std::nullopt;
    if (e.method_ != rec.method || !target_matches(e.target_, rec.target)) return std::nullopt;
    if (e.predicate_) {
        try {
            if (!e.predicate_(rec)) return std::nullopt;
        } catch (...) {
            return std::nullopt;
        }
    }
    ++e.matched_;
    return e.reply_;
}

std::optional<std::string> expectation_access::unmet(const expectation& e) {
    if (e.unlimited_ || e.matched_ >= e.expected_) return std::nullopt;
    return e.method_ + " " + e.target_ + " (answered " + std::to_string(e.matched_) + " of " +
           std::to_string(e.expected_) + ")";
}

void dashboard_state::record_request(const recorded_request& rec) {
    record.add(rec, errors);
    changed.notify_all();
}

// Ray 2.52+: the first present of Authorization, X-Ray-Authorization, cookie.
std::optional<reply> dashboard_state::check_token(const recorded_request& rec) const {
    if (opts.required_token.empty() || path_of(rec.target) == "/api/authentication_mode") return std::nullopt;
    std::string presented = rec.header("authorization");
    if (presented.empty()) presented = rec.header("x-ray-authorization");
    if (presented.empty()) {
        auto cookie = cookie_value(rec.header("cookie"), "ray-authentication-token");
        if (!cookie.empty()) presented = "Bearer " + cookie;
    }
    if (presented.empty()) return reply::text(401, "Unauthorized: Missing authentication token");
    if (presented != "Bearer " + opts.required_token)
        return reply::text(403, "Forbidden: Invalid authentication token");
    return std::nullopt;
}

reply dashboard_state::respond_to(const recorded_request& rec) {
    std::shared_ptr<fake_dashboard::route_handler> handler;
    {
        std::lock_guard lock(mutex);
        record_request(rec);
        if (auto denied = check_token(rec)) return *denied;
        for (auto& e : expectations)
            if (auto r = expectation_access::try_consume(*e, rec)) return *r;
        for (const auto& route : routes) {
            if (route.method == rec.method && target_matches(route.target, rec.target)) {
                handler = route.handler;
                break;
            }
        }
        if (!handler) {
            if (rec.method == "GET" && path_of(rec.target) == "/api/authentication_mode") {
                return reply::json(200, std::string(R"({"authentication_mode": ")") +
                                            (opts.required_token.empty() ? "disabled" : "token") + "\"}");
            }
            if (rec.method == "GET" && path_of(rec.target) == "/api/version") {
                // As Ray answers it (session_name since 2.32; the fake's release in options).
                return reply::json(200, R"({"version": "4", "ray_version": ")" + opts.ray_version +
                                            R"(", "ray_commit": "fake", "session_name": "session_fake"})");
            }
            unmatched.push_back(rec);
            return reply::text(599, "unexpected request: " + rec.method + " " + rec.target);
        }
    }
    try {
        return (*handler)(rec);  // without the lock: the handler may read the fake's state
    } catch (const std::exception& e) {
        note_error("route handler for " + rec.method + " " + rec.target + " threw: " + e.what());
        return reply::text(500, std::string("route handler threw: ") + e.what());
    }
}

}  // namespace detail

// -- expectation -------------------------------------------------------------------------------------

expectation& expectation::reply_with(reply r) {
    std::lock_guard lock(mutex_);
    reply_ = std::move(r);
    return *this;
}

expectation& expectation::reply_with(reply r, reply_delay delay) {
    r.delay = delay.value;
    return reply_with(std::move(r));
}

expectation& expectation::times(std::size_t n) {
    std::lock_guard lock(mutex_);
    expected_ = n;
    unlimited_ = false;
    return *this;
}

expectation& expectation::repeatedly() {
    std::lock_guard lock(mutex_);
    unlimited_ = true;
    return *this;
}

expectation& expectation::matching(std::function<bool(const recorded_request&)> predicate) {
    std::lock_guard lock(mutex_);
    predicate_ = std::move(predicate);
    return *this;
}

std::size_t expectation::match_count() const {
    std::lock_guard lock(mutex_);
    return matched_;
}

bool expectation::satisfied() const {
    std::lock_guard lock(mutex_);
    return unlimited_ || matched_ >= expected_;
}

}  // namespace raycl::test
