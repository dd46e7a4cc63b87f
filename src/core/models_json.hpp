// Hand-written Boost.JSON decoders/encoders of Ray's payloads (pure).
// Every decoder throws client_error(protocol_error, 500) naming the field when a present field
// has a wrong type or a required one is missing; unknown keys are ignored; null == missing.
// Integer fields accept int64, uint64 (<= INT64_MAX), double and decimal strings (Ray sends
// protobuf int64 fields such as actor num_restarts as strings); driver_info.pid accepts a
// number as well as Ray's string. Required: job status + entrypoint, version "version",
// the id of node/task/actor rows, and the single field of logs/stop/delete/submit answers.
#pragma once

#include <raycl/models.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace raycl::core {

version_info decode_version(const boost::json::value& body);
job_details decode_job_details(boost::json::value body);
std::vector<job_details> decode_job_list(boost::json::value body);  ///< a JSON array
std::string decode_job_logs(const boost::json::value& body);        ///< {"logs": "..."}
bool decode_stopped(const boost::json::value& body);                ///< {"stopped": bool}
bool decode_deleted(const boost::json::value& body);                ///< {"deleted": bool}
std::string decode_submission_id(const boost::json::value& body);   ///< {"submission_id": ...}

// The decoders of records keep the record's object as `raw`: they take the value by value, so a
// caller passing an rvalue (a freshly parsed body) moves it instead of deep-copying it.
node_info decode_node(boost::json::value row);
task_info decode_task(boost::json::value row);
actor_info decode_actor(boost::json::value row);

/// The counters of a state-API list or summary; older servers omit some: a missing one means
/// "nothing was cut" (total = rows, num_after_truncation = total, num_filtered = rows). `rows`:
/// the rows returned (0 for a summary); `is_list`: rows, not a summary (which covers every
/// filtered row: returned = num_filtered).
void fill_list_counts(list_counts& counts, std::optional<std::int64_t> total,
                      std::optional<std::int64_t> num_after_truncation, std::optional<std::int64_t> num_filtered,
                      std::int64_t rows, bool is_list);

/// Reads the state-API envelope {"result": bool, "msg": str, "data": {"result": {"total", ...,
/// "result": <rows or summary>}}}: fills `counts` (missing counters mean "nothing was cut") and
/// returns the inner `result` inside `body` (mutable, so rows can be moved out).
/// `result: false` -> client_error server_error (500) with msg (sanitized).
boost::json::value& state_envelope_result(boost::json::value& body, list_counts& counts);
/// state_envelope_result for a list: the rows (an array, else 500).
boost::json::array& state_list_rows(boost::json::value& body, list_counts& counts);

/// Decodes a state-API list, applying `decode_row` to each row (moved into it).
template <class T>
list_result<T> decode_state_list(boost::json::value body, T (*decode_row)(boost::json::value)) {
    list_result<T> list;
    boost::json::array& rows = state_list_rows(body, list);
    list.items.reserve(rows.size());
    for (boost::json::value& row : rows) list.items.push_back(decode_row(std::move(row)));
    return list;
}

serve_instance decode_serve_instance(const boost::json::value& body);

/// The JSON body of a submit: only the set fields plus `submission_id`.
boost::json::object encode_submission(const job_submission& submission, std::string_view submission_id);

/// Keeps only the applications deployed `type`'s way (by `source`), in `applications` and in
/// `raw`: Ray before 2.50 ignores `?api_type=` and answers with every application.
serve_instance only_deployed_as(serve_instance instance, serve_api_type type);

/// The declarative config to PUT so that `app_name` is removed and every other declaratively
/// deployed application stays: {"applications": [deployed_app_config of each other declarative
/// app, in name order], "proxy_location": ..., "http_options": ...} (the last two copied from
/// the instance when present, with http_options reduced to the keys a config accepts).
/// Throws client_error 404 when the app is absent, 400 when it is imperatively deployed.
boost::json::object serve_config_without(const serve_instance& instance, std::string_view app_name);

}  // namespace raycl::core
