// Printers found by Boost.Test through ADL, so raycl's enums can be compared in BOOST_TEST.
#pragma once

#include <raycl/error.hpp>
#include <raycl/log_stream.hpp>
#include <raycl/models.hpp>

#include <boost/test/tools/detail/print_helper.hpp>

#include <optional>
#include <ostream>

namespace raycl {

inline std::ostream& boost_test_print_type(std::ostream& out, error_kind kind) {
    return out << to_string(kind);
}
inline std::ostream& boost_test_print_type(std::ostream& out, job_status status) {
    return out << to_string(status);
}
inline std::ostream& boost_test_print_type(std::ostream& out, serve_app_status status) {
    return out << to_string(status);
}
inline std::ostream& boost_test_print_type(std::ostream& out, job_type type) {
    return out << (type == job_type::submission ? "SUBMISSION" : type == job_type::driver ? "DRIVER" : "unknown");
}

inline std::ostream& boost_test_print_type(std::ostream& out, tail_protocol protocol) {
    return out << to_string(protocol);
}
inline std::ostream& boost_test_print_type(std::ostream& out, line_kind kind) {
    return out << (kind == line_kind::whole ? "whole" : kind == line_kind::piece ? "piece" : "truncated");
}

}  // namespace raycl

// std::optional<T> in BOOST_TEST comparisons: its value, or "nullopt" (Boost.Test's
// customization point, since ADL cannot reach namespace std).
namespace boost::test_tools::tt_detail {
template <class T>
struct print_log_value<std::optional<T>> {
    void operator()(std::ostream& out, const std::optional<T>& value) {
        if (value)
            print_log_value<T>()(out, *value);
        else
            out << "nullopt";
    }
};
}  // namespace boost::test_tools::tt_detail
