// What the operation files (operations.cpp, state_operations.cpp, log_operations.cpp) share:
// running a request and decoding its answer, and the state API's list and get-by-id calls.
#pragma once

#include "client/client_impl.hpp"

#include "core/models_json.hpp"
#include "core/record_decoder.hpp"
#include "core/sanitize.hpp"

#include <algorithm>
#include <string>
#include <type_traits>
#include <vector>

namespace raycl::detail {

namespace json = boost::json;

/// Runs `request` and decodes its JSON answer with `decode` (on the strand).
template <class T, class Decode>
asio::awaitable<T> decoded_call(const std::shared_ptr<client_impl>& impl, core::request_spec request, call_options call,
                                Decode decode) {
    return impl->run<T>(std::move(request), std::move(call),
                        [impl, decode](const core::request_spec& spec, const request_result& result) {
                            return decode(impl->parse(spec, result.response));
                        });
}

/// Runs `request` and decodes its answer's text with `decode(body, request, secrets)` (a
/// decoder of core/record_decoder.hpp; the body is moved into the shared text, not copied).
template <class T, class Decode>
asio::awaitable<T> text_call(const std::shared_ptr<client_impl>& impl, core::request_spec request, call_options call,
                             Decode decode) {
    return impl->run<T>(std::move(request), std::move(call),
                        [impl, decode](const core::request_spec& spec, request_result& result) {
                            return decode(impl->body_text(spec, result.response), spec, impl->secrets());
                        });
}

/// A state-API list decoder over the body's text (core/record_decoder.hpp).
template <class T>
using list_text_decoder = list_result<T> (*)(std::shared_ptr<const std::string>, const core::request_spec&,
                                             const std::vector<std::string>&);

/// A state-API resource: its route (a route of core/state_resources.hpp), the column that holds
/// its id, and its row decoder; for the resources that have one, the decoder of a whole list
/// straight from the body text (else the body is parsed and its rows decoded one by one).
template <class T>
struct state_resource {
    const char* kind;
    const char* route;
    const char* id_key;
    T (*decode_row)(json::value);
    list_text_decoder<T> decode_list_text = nullptr;
};

/// The list of `resource` in `result`'s body (status checked first).
template <class T>
list_result<T> decode_state_answer(const client_impl& impl, const state_resource<T>& resource,
                                   const core::request_spec& request, request_result& result) {
    if (resource.decode_list_text)
        return resource.decode_list_text(impl.body_text(request, result.response), request, impl.secrets());
    return core::decode_state_list(impl.parse(request, result.response), resource.decode_row);
}

/// Lists a state-API resource; the result knows whether the query was filtered. Ray before
/// 2.52 refuses a server timeout of 1 s (it subtracts a margin and rejects the 0 left): there,
/// 1 s is sent as 2.
template <class T>
asio::awaitable<list_result<T>> list_state(std::shared_ptr<client_impl> impl, const state_resource<T>& resource,
                                           list_options options, call_options call) {
    auto request = core::state_list_request(resource.route, options);  // validates first
    if (options.server_timeout_seconds && *options.server_timeout_seconds <= 1.0) {
        auto learn = impl->server_version();
        const auto server = co_await std::move(learn);
        if (core::check(server, core::capability::state_timeout_one_second) == core::support::no) {
            options.server_timeout_seconds = 2.0;
            request = core::state_list_request(resource.route, options);
        }
    }
    auto operation = impl->run<list_result<T>>(
        std::move(request), std::move(call),
        [impl, resource, filtered = !options.filters.empty()](const core::request_spec& spec, request_result& result) {
            auto list = decode_state_answer(*impl, resource, spec, result);
            list.filtered = filtered;
            return list;
        });
    co_return co_await std::move(operation);
}

/// The 404 of a get-by-id that found no row.
inline client_error no_such_row(const client_impl& impl, std::string_view kind, std::string_view id,
                                const core::request_spec& request) {
    return client_error(error_kind::not_found,
                        core::sanitize(std::string(kind) + " " + std::string(id) + " not found", impl.secrets()),
                        core::sanitize(request.describe(), impl.secrets()), {}, 200);
}

/// Looks rows up by id: Ray has no get-by-id route, so this lists with an `id = <id>` filter and
/// detail; no row is a 404.
template <class T>
asio::awaitable<std::vector<T>> get_state_rows(const std::shared_ptr<client_impl>& impl,
                                               const state_resource<T>& resource, std::string id, call_options call) {
    return impl->run<std::vector<T>>(core::state_get_request(resource.route, resource.id_key, id), std::move(call),
                                     [impl, id, resource](const core::request_spec& request, request_result& result) {
                                         const char* kind = resource.kind;
                                         auto list = decode_state_answer(*impl, resource, request, result);
                                         if (list.items.empty()) throw no_such_row(*impl, kind, id, request);
                                         return std::move(list.items);
                                     });
}

/// One row by id (get_state_rows' first). Tasks may return one row per attempt: the highest
/// attempt_number wins.
template <class T>
asio::awaitable<T> get_state_row(const std::shared_ptr<client_impl>& impl, const state_resource<T>& resource,
                                 std::string id, call_options call) {
    auto lookup = get_state_rows(impl, resource, std::move(id), std::move(call));
    auto rows = co_await std::move(lookup);
    if constexpr (requires(const T& row) { row.attempt_number + 0; }) {
        co_return std::move(*std::max_element(
            rows.begin(), rows.end(), [](const T& a, const T& b) { return a.attempt_number < b.attempt_number; }));
    } else {
        co_return std::move(rows.front());
    }
}

}  // namespace raycl::detail
