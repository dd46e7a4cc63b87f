// The request record: what the fake dashboard received, for requests() and wait_for_requests().
#include "support/fake_dashboard_impl.hpp"

namespace raycl::test {

std::string recorded_request::header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string{} : it->second;
}

namespace detail {

void request_record::add(const recorded_request& rec) {
    requests_.push_back(rec);
}

std::vector<recorded_request> request_record::recent() const {
    return requests_;
}

}  // namespace detail

}  // namespace raycl::test
