// Fuzzes every JSON model decoder of core/models_json (and the JSON body parser in front of
// them). Input: one selector byte choosing the decoder, then the response body.
//  0 version, 1 job details, 2 job list, 3 job logs, 4 stopped, 5 deleted, 6 submission id,
//  7 state list of nodes, 8 of tasks, 9 of actors, 10 Serve instance (+ serve_config_without
//  for every application and for a missing one), 11 node row, 12 task row, 13 actor row,
//  14 state list of objects, 15 of placement groups, 16 of workers, 17 of runtime envs, 18 of
//  cluster events, 19 task summary, 20 actor summary, 21 object summary, 22 cluster status text,
//  23 structured cluster status, 24 log file list, 25 the task log target's state (attempt 0 of
//  the rows, its byte range within them).
// Checked: the only exception is client_error (protocol_error 500 for a malformed body or a
// wrong/missing field, server_error 500 for a failed state query) with a bounded message free
// of control characters; decoded lists keep every row; Serve applications come sorted; the
// config without an application keeps exactly the other declarative applications; summary
// groups come sorted; a task attempt's log end is never negative; log file lists keep every
// category. Differential (selectors 1, 2 and 8): the text decoders of core/record_decoder.hpp
// on the same bytes give the DOM path's result (typed fields and raw objects) or its error.
#include "fuzz_support.hpp"

#include "core/log_targets.hpp"
#include "core/models_json.hpp"
#include "core/record_decoder.hpp"
#include "core/requests.hpp"
#include "core/responses.hpp"
#include "core/state_json.hpp"
#include "support/record_equality.hpp"

#include <raycl/error.hpp>

#include <algorithm>
#include <memory>

using namespace raycl;
namespace json = boost::json;

namespace {

constexpr int decoders = 26;

void check_error(const client_error& error) {
    RAYCL_FUZZ_CHECK(error.status() == 500);
    RAYCL_FUZZ_CHECK(error.kind() == error_kind::protocol_error || error.kind() == error_kind::server_error);
    RAYCL_FUZZ_CHECK(error.message().size() <= 4096);
    RAYCL_FUZZ_CHECK(error.server_body().size() <= 2048);
    for (const std::string* text : {&error.message(), &error.server_body()}) {
        for (char c : *text) {
            const auto u = static_cast<unsigned char>(c);
            RAYCL_FUZZ_CHECK(!((u < 0x20 && c != '\n' && c != '\t') || u == 0x7F));
        }
    }
}

std::size_t array_size(const json::value& body) {
    return body.is_array() ? body.get_array().size() : 0;
}

std::size_t state_rows(const json::value& body) {
    return body.at("data").at("result").at("result").get_array().size();
}

void serve(const json::value& body) {
    const serve_instance instance = core::decode_serve_instance(body);
    RAYCL_FUZZ_CHECK(std::is_sorted(instance.applications.begin(), instance.applications.end(),
                                    [](const auto& a, const auto& b) { return a.name < b.name; }));
    if (const auto* apps = body.as_object().if_contains("applications"); apps && apps->is_object())
        RAYCL_FUZZ_CHECK(instance.applications.size() == apps->get_object().size());
    std::vector<std::string> names;
    for (const auto& app : instance.applications) names.push_back(app.name);
    names.push_back("raycl-fuzz-absent-app");
    for (const std::string& name : names) {
        try {
            const json::object config = core::serve_config_without(instance, name);
            std::size_t kept = 0;
            for (const auto& app : instance.applications)
                if (app.name != name && app.source == "declarative") ++kept;
            RAYCL_FUZZ_CHECK(config.at("applications").as_array().size() == kept);
            const auto* target = instance.find(name);
            RAYCL_FUZZ_CHECK(target != nullptr && target->source == "declarative");
        } catch (const client_error& error) {
            RAYCL_FUZZ_CHECK(error.status() == 404 || error.status() == 400 || error.status() == 500);
            if (name == names.back()) RAYCL_FUZZ_CHECK(error.status() == 404 || instance.find(name));
        }
    }
}

template <class Summary>
void check_sorted(const Summary& summary) {
    RAYCL_FUZZ_CHECK(std::is_sorted(summary.groups.begin(), summary.groups.end(), [](const auto& a, const auto& b) {
        if constexpr (requires { a.key; })
            return a.key < b.key;
        else if constexpr (requires { a.class_name; })
            return a.class_name < b.class_name;
        else
            return a.call_site < b.call_site;
    }));
}

void task_log_state(const json::value& body) {
    const auto rows = core::decode_state_list(body, &core::decode_task).items;
    core::task_log_target target(raycl::log_target::task(std::string(48, 'a'), 0), log_suffix::out);
    const core::target_state state = target.state_of(rows);
    if (state.log_end) RAYCL_FUZZ_CHECK(state.finished);
}

/// The text decoder of `selector` (1 job, 2 job list, 8 task list) against the DOM path on the
/// same bytes: the same outcome, and when both succeed the same records.
void differential(int selector, std::string_view text) {
    using raycl::test::outcome;
    const core::request_spec request = core::version_request();
    const auto body = [&] { return std::make_shared<const std::string>(text); };
    if (selector == 1) {
        job_details dom, sax;
        const auto a = outcome([&] { dom = core::decode_job_details(core::parse_json_body(request, text)); });
        const auto b = outcome([&] { sax = core::decode_job_details_text(body(), request); });
        RAYCL_FUZZ_CHECK(a == b);
        if (a == "ok") RAYCL_FUZZ_CHECK(raycl::test::same_records(std::vector{dom}, std::vector{sax}));
    } else if (selector == 2) {
        std::vector<job_details> dom, sax;
        const auto a = outcome([&] { dom = core::decode_job_list(core::parse_json_body(request, text)); });
        const auto b = outcome([&] { sax = core::decode_job_list_text(body(), request); });
        RAYCL_FUZZ_CHECK(a == b);
        if (a == "ok") RAYCL_FUZZ_CHECK(raycl::test::same_records(dom, sax));
    } else if (selector == 8) {
        list_result<task_info> dom, sax;
        const auto a =
            outcome([&] { dom = core::decode_state_list(core::parse_json_body(request, text), &core::decode_task); });
        const auto b = outcome([&] { sax = core::decode_task_list_text(body(), request); });
        RAYCL_FUZZ_CHECK(a == b);
        if (a == "ok") {
            RAYCL_FUZZ_CHECK(raycl::test::counts(dom) == raycl::test::counts(sax));
            RAYCL_FUZZ_CHECK(raycl::test::same_records(dom.items, sax.items));
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    raycl::fuzz::input_view in(data, size);
    const int selector = in.byte() % decoders;
    const std::string_view text = in.rest();
    differential(selector, text);
    try {
        const json::value body = core::parse_json_body(core::version_request(), text);
        switch (selector) {
            case 0:
                core::decode_version(body);
                break;
            case 1:
                core::decode_job_details(body);
                break;
            case 2:
                RAYCL_FUZZ_CHECK(core::decode_job_list(body).size() == array_size(body));
                break;
            case 3:
                core::decode_job_logs(body);
                break;
            case 4:
                core::decode_stopped(body);
                break;
            case 5:
                core::decode_deleted(body);
                break;
            case 6:
                core::decode_submission_id(body);
                break;
            case 7:
                RAYCL_FUZZ_CHECK(core::decode_state_list(body, core::decode_node).items.size() == state_rows(body));
                break;
            case 8:
                RAYCL_FUZZ_CHECK(core::decode_state_list(body, core::decode_task).items.size() == state_rows(body));
                break;
            case 9:
                RAYCL_FUZZ_CHECK(core::decode_state_list(body, core::decode_actor).items.size() == state_rows(body));
                break;
            case 10:
                serve(body);
                break;
            case 11:
                core::decode_node(body);
                break;
            case 12:
                core::decode_task(body);
                break;
            case 13:
                core::decode_actor(body);
                break;
            case 14:
                RAYCL_FUZZ_CHECK(core::decode_state_list(body, core::decode_object).items.size() == state_rows(body));
                break;
            case 15:
                RAYCL_FUZZ_CHECK(core::decode_state_list(body, core::decode_placement_group).items.size() ==
                                 state_rows(body));
                break;
            case 16:
                RAYCL_FUZZ_CHECK(core::decode_state_list(body, core::decode_worker).items.size() == state_rows(body));
                break;
            case 17:
                RAYCL_FUZZ_CHECK(core::decode_state_list(body, core::decode_runtime_env).items.size() ==
                                 state_rows(body));
                break;
            case 18:
                RAYCL_FUZZ_CHECK(core::decode_state_list(body, core::decode_cluster_event).items.size() ==
                                 state_rows(body));
                break;
            case 19:
                check_sorted(core::decode_task_summary(body));
                break;
            case 20:
                check_sorted(core::decode_actor_summary(body));
                break;
            case 21:
                check_sorted(core::decode_object_summary(body));
                break;
            case 22:
                core::decode_cluster_status_text(body);
                break;
            case 23: {
                cluster_status status;
                core::decode_cluster_status(body, status);
                RAYCL_FUZZ_CHECK(!status.raw->empty() || body.at("data").as_object().empty());
                break;
            }
            case 24: {
                const auto list = core::decode_log_file_list(body);
                std::size_t files = 0;
                for (const auto& [category, names] : list.categories) files += names.size();
                RAYCL_FUZZ_CHECK(list.files().size() == files);
                break;
            }
            case 25:
                task_log_state(body);
                break;
        }
    } catch (const client_error& error) {
        check_error(error);
    }
    return 0;
}
