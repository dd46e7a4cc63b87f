// The decoders of jobs and tasks (pure), driven by one field table per record type: the table
// says each field's key, whether it is required, how its value is read and its default (null ==
// missing). Two drivers read it:
//  - decode_job_fields / decode_task_fields: over a parsed object (the DOM decoders of
//    core/models_json.hpp: decode_job_details, decode_task, used by the watcher, the log
//    targets and the generic state resources);
//  - the *_text decoders: a boost::json::basic_parser handler straight over the response body,
//    no DOM: the typed fields are filled as the parser reports them, and each record's `raw` is
//    a lazy view of its own text in the body (raycl::raw_object), parsed only when read.
// The text decoders give the DOM decoders' results exactly, and for any fault their error: a
// body the handler does not accept as it goes (a wrong type, a missing field, the wrong root,
// `result: false`, malformed JSON, a duplicate key, a record whose text cannot be located
// cheaply) is decoded again by the DOM path (parse_json_body + the DOM decoder), which gives
// the result or throws the error the client has always given: faults are rare, their cost
// does not matter, and there is one source of truth for messages.
#pragma once

#include "core/requests.hpp"

#include <raycl/models.hpp>

#include <boost/json/object.hpp>

#include <memory>
#include <string>
#include <vector>

namespace raycl::core {

/// The typed fields of a job (`raw` untouched) from a parsed object; the DOM decoder's errors
/// (client_error protocol_error 500 naming the field of "job details").
void decode_job_fields(const boost::json::object& object, job_details& job);
/// The typed fields of a task (`raw` untouched) from a parsed object ("task").
void decode_task_fields(const boost::json::object& object, task_info& task);

/// `GET /api/jobs/`: the job list decoded from the body text (== decode_job_list of the parsed
/// body, each job's raw a lazy view of its text: the jobs keep `body` alive). Malformed JSON and
/// every fault: the errors of parse_json_body(request, body, secrets) and decode_job_list.
std::vector<job_details> decode_job_list_text(std::shared_ptr<const std::string> body, const request_spec& request,
                                              const std::vector<std::string>& secrets = {});
/// `GET /api/jobs/{id}`: one job from the body text (== decode_job_details; raw views the body).
job_details decode_job_details_text(std::shared_ptr<const std::string> body, const request_spec& request,
                                    const std::vector<std::string>& secrets = {});
/// `GET /api/v0/tasks`: the state-API task list from the body text (== decode_state_list(parsed,
/// &decode_task), counts and warnings included; `result: false` is the same server_error).
list_result<task_info> decode_task_list_text(std::shared_ptr<const std::string> body, const request_spec& request,
                                             const std::vector<std::string>& secrets = {});

}  // namespace raycl::core
