// The error_kind category, its names and statuses, and client_error.
#include <raycl/error.hpp>

#include <boost/system/errc.hpp>

#include <array>
#include <utility>

namespace raycl {
namespace {

/// Everything raycl says about one kind, in the enum's order.
struct kind_row {
    error_kind kind;
    std::string_view name;     ///< to_string()
    std::string_view message;  ///< the category's message
    int status;                ///< status_for()
};

constexpr std::array<kind_row, 12> kind_table{{
    {error_kind::invalid_argument, "invalid_argument", "invalid argument", 400},
    {error_kind::not_found, "not_found", "not found", 404},
    {error_kind::timeout, "timeout", "timed out", 408},
    {error_kind::limit_exceeded, "limit_exceeded", "limit exceeded", 429},
    {error_kind::server_error, "server_error", "server error", 500},
    {error_kind::unavailable, "unavailable", "unavailable", 503},
    {error_kind::unauthorized, "unauthorized", "unauthorized", 401},
    {error_kind::forbidden, "forbidden", "forbidden", 403},
    {error_kind::cancelled, "cancelled", "cancelled", 500},
    {error_kind::protocol_error, "protocol_error", "protocol error", 500},
    {error_kind::request_too_large, "request_too_large", "request too large", 413},
    {error_kind::unsupported, "unsupported", "unsupported by the server", 501},
}};

/// The row of `kind`; nullptr for a value outside the enum.
constexpr const kind_row* row_of(error_kind kind) noexcept {
    const auto index = static_cast<std::size_t>(kind) - 1;
    return index < kind_table.size() ? &kind_table[index] : nullptr;
}

static_assert(
    [] {
        for (std::size_t i = 0; i < kind_table.size(); ++i) {
            if (static_cast<std::size_t>(kind_table[i].kind) != i + 1) return false;
        }
        return true;
    }(),
    "kind_table must follow the order of error_kind");

class raycl_category final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "raycl"; }

    std::string message(int value) const override {
        const auto* row = row_of(static_cast<error_kind>(value));
        return row ? std::string(row->message) : "unknown raycl error";
    }

    bool equivalent(int value, const boost::system::error_condition& condition) const noexcept override {
        switch (static_cast<error_kind>(value)) {
            case error_kind::cancelled:
                return condition == boost::system::errc::operation_canceled;
            case error_kind::timeout:
                return condition == boost::system::errc::timed_out;
            case error_kind::invalid_argument:
                return condition == boost::system::errc::invalid_argument;
            default:
                return default_error_condition(value) == condition;
        }
    }
};

}  // namespace

const boost::system::error_category& error_category() noexcept {
    static const raycl_category category;
    return category;
}

boost::system::error_code make_error_code(error_kind kind) noexcept {
    return {static_cast<int>(kind), error_category()};
}

std::string_view to_string(error_kind kind) noexcept {
    const auto* row = row_of(kind);
    return row ? row->name : "unknown";
}

int status_for(error_kind kind) noexcept {
    const auto* row = row_of(kind);
    return row ? row->status : 500;
}

client_error::client_error(error_kind kind, std::string message, std::string request, std::string server_body,
                           int http_status)
    : client_error(kind,
                   raycl::diagnostics(std::move(message), std::move(request), std::move(server_body), http_status)) {}

client_error::client_error(error_kind kind, raycl::diagnostics details)
    : boost::system::system_error(make_error_code(kind)),
      kind_(kind),
      diagnostics_(std::move(details)),
      what_("raycl error " + std::to_string(status_for(kind)) + ": " + diagnostics_.message()) {}

}  // namespace raycl
