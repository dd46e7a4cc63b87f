#include <raycl/error.hpp>

#include <utility>

namespace raycl {

std::string_view to_string(error_kind kind) noexcept {
    switch (kind) {
        case error_kind::invalid_argument:
            return "invalid_argument";
        case error_kind::not_found:
            return "not_found";
        case error_kind::timeout:
            return "timeout";
        case error_kind::limit_exceeded:
            return "limit_exceeded";
        case error_kind::server_error:
            return "server_error";
        case error_kind::unavailable:
            return "unavailable";
        case error_kind::unauthorized:
            return "unauthorized";
        case error_kind::forbidden:
            return "forbidden";
        case error_kind::cancelled:
            return "cancelled";
        case error_kind::protocol_error:
            return "protocol_error";
    }
    return "unknown";
}

int status_for(error_kind kind) noexcept {
    switch (kind) {
        case error_kind::invalid_argument:
            return 400;
        case error_kind::not_found:
            return 404;
        case error_kind::timeout:
            return 408;
        case error_kind::limit_exceeded:
            return 429;
        case error_kind::unavailable:
            return 503;
        case error_kind::unauthorized:
            return 401;
        case error_kind::forbidden:
            return 403;
        case error_kind::server_error:
        case error_kind::cancelled:
        case error_kind::protocol_error:
            return 500;
    }
    return 500;
}

client_error::client_error(error_kind kind, std::string message, std::string request, std::string server_body,
                           int http_status)
    : std::runtime_error("raycl error " + std::to_string(status_for(kind)) + ": " + message),
      kind_(kind),
      status_(status_for(kind)),
      message_(std::move(message)),
      request_(std::move(request)),
      server_body_(std::move(server_body)),
      http_status_(http_status) {}

}  // namespace raycl
