// Parsing of the raycl command line (see args.hpp). Global options are accepted anywhere
// before `--`; command options after the command words. `--name=value` and `--name value`
// are both accepted.
#include "args.hpp"

#include <raycl/version.hpp>

#include <boost/json/parse.hpp>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <functional>

namespace raycl::cli {
namespace {

const char* const global_help =
    "Global options:\n"
    "  --address URL        dashboard URL (else $RAY_ADDRESS, else the cluster of\n"
    "                       `raycl cluster up`, else http://127.0.0.1:8265)\n"
    "  --token TOKEN        bearer token (else $RAY_AUTH_TOKEN, $RAY_AUTH_TOKEN_PATH,\n"
    "                       ~/.ray/auth_token)\n"
    "  --header 'Name: v'   extra request header (repeatable)\n"
    "  --output table|json  output format (default table)\n"
    "  --timeout S          read timeout in seconds (job wait, stop --wait: deadline)\n"
    "  --verbose            print connection details and counters to stderr\n"
    "  --help               help of the current command\n"
    "  --version            print raycl's version\n";

struct level_help {
    const char* path;  // "raycl job submit"
    const char* text;  // usage + options
};

const level_help helps[] = {
    {"raycl",
     "Usage: raycl [global options] COMMAND ...\n\n"
     "Commands:\n"
     "  job      submit, list, status, logs, stop, delete, wait jobs\n"
     "  node     list, get nodes\n"
     "  task     list, get tasks\n"
     "  actor    list, get actors\n"
     "  serve    list, get, deploy, delete Serve applications; shutdown Serve\n"
     "  version  client and server versions\n"
     "  cluster  up, down: the local default Ray cluster\n\n"
     "Exit codes: 0 ok, 1 job FAILED/STOPPED, 2 usage error, 3 request error,\n"
     "130 interrupted.\n"},
    {"raycl job",
     "Usage: raycl job COMMAND ...\n\n"
     "Commands:\n"
     "  submit [options] -- ENTRYPOINT...   submit a job and follow its log\n"
     "  list                                list jobs\n"
     "  status ID                           show one job\n"
     "  logs ID [--follow] [--protocol auto|websocket|stream] [--stream-timeout S]\n"
     "  stop ID [--wait]                    stop a job (and wait until it ends)\n"
     "  delete ID                           delete a terminal job\n"
     "  wait ID [--timeout S]               wait until the job ends\n"},
    {"raycl job submit",
     "Usage: raycl job submit [options] -- ENTRYPOINT...\n\n"
     "Submits a job, follows its log to stdout until it ends, and exits 0 if it\n"
     "SUCCEEDED, 1 if it FAILED or was STOPPED. One ENTRYPOINT word is used as a shell\n"
     "command as is; several words are shell-quoted and joined.\n\n"
     "Options:\n"
     "  --submission-id ID          submission id (default: generated)\n"
     "  --runtime-env-json JSON     runtime environment (a JSON object)\n"
     "  --metadata-json JSON        metadata (a JSON object of strings)\n"
     "  --entrypoint-num-cpus N     CPUs reserved for the entrypoint\n"
     "  --entrypoint-num-gpus N     GPUs reserved for the entrypoint\n"
     "  --entrypoint-memory BYTES   memory reserved for the entrypoint\n"
     "  --entrypoint-resources JSON custom resources (a JSON object of numbers)\n"
     "  --no-wait                   print the submission id and exit\n"},
    {"raycl job list", "Usage: raycl job list\n\nLists every job of the cluster.\n"},
    {"raycl job status", "Usage: raycl job status ID\n\nShows one job (submission id or job id).\n"},
    {"raycl job logs",
     "Usage: raycl job logs ID [--follow] [--protocol auto|websocket|stream]\n"
     "                         [--stream-timeout S]\n\n"
     "Prints the job's log (raw text). --follow prints it live until the job ends.\n\n"
     "Options:\n"
     "  --follow              follow the log live\n"
     "  --protocol P          auto (default), websocket or stream\n"
     "  --stream-timeout S    fail when no data arrives for S seconds (default: none)\n"},
    {"raycl job stop", "Usage: raycl job stop ID [--wait]\n\n  --wait   wait until the job has ended\n"},
    {"raycl job delete", "Usage: raycl job delete ID\n\nDeletes a terminal job and its info.\n"},
    {"raycl job wait",
     "Usage: raycl job wait ID [--timeout S]\n\n"
     "Waits until the job ends; exits 0 if it SUCCEEDED, 1 if it FAILED or STOPPED.\n"},
    {"raycl node", "Usage: raycl node list | raycl node get ID\n"},
    {"raycl node list", "Usage: raycl node list\n"},
    {"raycl node get", "Usage: raycl node get ID\n"},
    {"raycl task",
     "Usage: raycl task list [--limit N] [--filter KEY=VALUE]... [--detail]\n"
     "       raycl task get ID\n"},
    {"raycl task list",
     "Usage: raycl task list [--limit N] [--filter KEY=VALUE]... [--detail]\n\n"
     "  --limit N            at most N rows (1..10000)\n"
     "  --filter KEY=VALUE   keep rows where KEY equals VALUE (repeatable;\n"
     "                       KEY!=VALUE keeps rows where it differs)\n"
     "  --detail             detailed rows\n"},
    {"raycl task get", "Usage: raycl task get ID\n"},
    {"raycl actor", "Usage: raycl actor list | raycl actor get ID\n"},
    {"raycl actor list", "Usage: raycl actor list\n"},
    {"raycl actor get", "Usage: raycl actor get ID\n"},
    {"raycl serve",
     "Usage: raycl serve COMMAND\n\n"
     "Commands:\n"
     "  list              Serve instance and its applications\n"
     "  get APP           one application\n"
     "  deploy CONFIG     deploy a declarative config (a JSON file; - for stdin)\n"
     "  delete APP        delete one application\n"
     "  shutdown          shut Serve down with every application\n"},
    {"raycl serve list", "Usage: raycl serve list\n"},
    {"raycl serve get", "Usage: raycl serve get APP\n"},
    {"raycl serve deploy", "Usage: raycl serve deploy CONFIG.json\n"},
    {"raycl serve delete", "Usage: raycl serve delete APP\n"},
    {"raycl serve shutdown", "Usage: raycl serve shutdown\n"},
    {"raycl version", "Usage: raycl version\n\nPrints the client and the server versions.\n"},
    {"raycl cluster",
     "Usage: raycl cluster up [--workers N] [--auth token|disabled]\n"
     "       raycl cluster down\n\n"
     "Starts or stops the local default Ray cluster\n"
     "(scripts/ray-cluster.sh --name default).\n"
     "While it runs, raycl uses it when neither --address nor RAY_ADDRESS is given.\n"},
    {"raycl cluster up",
     "Usage: raycl cluster up [--workers N] [--auth token|disabled]\n\n"
     "  --workers N    worker nodes besides the head (0..4, default 1)\n"
     "  --auth MODE    token (default) or disabled\n"},
    {"raycl cluster down", "Usage: raycl cluster down\n"},
};

std::string help_for(const std::string& path) {
    for (const auto& h : helps) {
        if (path == h.path) return std::string(h.text) + "\n" + global_help;
    }
    return std::string(helps[0].text) + "\n" + global_help;
}

double parse_number(const std::string& text, const std::string& flag, const std::string& level) {
    char* end = nullptr;
    errno = 0;
    const double value = std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size() || errno != 0 || !std::isfinite(value))
        throw usage_error(flag + " needs a number, got '" + text + "'", level);
    return value;
}

std::int64_t parse_integer(const std::string& text, const std::string& flag, const std::string& level) {
    char* end = nullptr;
    errno = 0;
    const long long value = std::strtoll(text.c_str(), &end, 10);
    if (text.empty() || end != text.c_str() + text.size() || errno != 0)
        throw usage_error(flag + " needs an integer, got '" + text + "'", level);
    return value;
}

boost::json::object parse_json_object(const std::string& text, const std::string& flag, const std::string& level) {
    boost::system::error_code ec;
    auto value = boost::json::parse(text, ec);
    if (ec) throw usage_error(flag + ": invalid JSON: " + ec.message(), level);
    if (!value.is_object()) throw usage_error(flag + " needs a JSON object", level);
    return std::move(value.as_object());
}

/// One command: its words, and its own flags (name -> takes a value).
struct command_spec {
    command_kind kind;
    std::vector<const char*> words;
    int positionals;  // required positional arguments (ID, APP, CONFIG)
    const char* positional_name;
    std::vector<std::pair<const char*, bool>> flags;
};

const std::vector<command_spec>& specs() {
    static const std::vector<command_spec> all = {
        {command_kind::job_submit,
         {"job", "submit"},
         0,
         "",
         {{"--submission-id", true},
          {"--runtime-env-json", true},
          {"--metadata-json", true},
          {"--entrypoint-num-cpus", true},
          {"--entrypoint-num-gpus", true},
          {"--entrypoint-memory", true},
          {"--entrypoint-resources", true},
          {"--no-wait", false}}},
        {command_kind::job_list, {"job", "list"}, 0, "", {}},
        {command_kind::job_status, {"job", "status"}, 1, "ID", {}},
        {command_kind::job_logs,
         {"job", "logs"},
         1,
         "ID",
         {{"--follow", false}, {"--protocol", true}, {"--stream-timeout", true}}},
        {command_kind::job_stop, {"job", "stop"}, 1, "ID", {{"--wait", false}}},
        {command_kind::job_delete, {"job", "delete"}, 1, "ID", {}},
        {command_kind::job_wait, {"job", "wait"}, 1, "ID", {}},
        {command_kind::node_list, {"node", "list"}, 0, "", {}},
        {command_kind::node_get, {"node", "get"}, 1, "ID", {}},
        {command_kind::task_list,
         {"task", "list"},
         0,
         "",
         {{"--limit", true}, {"--filter", true}, {"--detail", false}}},
        {command_kind::task_get, {"task", "get"}, 1, "ID", {}},
        {command_kind::actor_list, {"actor", "list"}, 0, "", {}},
        {command_kind::actor_get, {"actor", "get"}, 1, "ID", {}},
        {command_kind::serve_list, {"serve", "list"}, 0, "", {}},
        {command_kind::serve_get, {"serve", "get"}, 1, "APP", {}},
        {command_kind::serve_deploy, {"serve", "deploy"}, 1, "CONFIG", {}},
        {command_kind::serve_delete, {"serve", "delete"}, 1, "APP", {}},
        {command_kind::serve_shutdown, {"serve", "shutdown"}, 0, "", {}},
        {command_kind::version, {"version"}, 0, "", {}},
        {command_kind::cluster_up, {"cluster", "up"}, 0, "", {{"--workers", true}, {"--auth", true}}},
        {command_kind::cluster_down, {"cluster", "down"}, 0, "", {}},
    };
    return all;
}

bool is_group(const std::string& word) {
    for (const auto& s : specs()) {
        if (s.words.size() == 2 && word == s.words[0]) return true;
    }
    return false;
}

const command_spec* find_spec(const std::vector<std::string>& words) {
    for (const auto& s : specs()) {
        if (s.words.size() != words.size()) continue;
        bool same = true;
        for (std::size_t i = 0; i < words.size(); ++i) same = same && words[i] == s.words[i];
        if (same) return &s;
    }
    return nullptr;
}

std::string level_of(const std::vector<std::string>& words) {
    std::string path = "raycl";
    for (const auto& w : words) path += " " + w;
    return path;
}

void apply_command_flag(command& cmd, const std::string& flag, const std::string& value, const std::string& level) {
    if (flag == "--submission-id") {
        cmd.submission_id = value;
    } else if (flag == "--runtime-env-json") {
        cmd.runtime_env = parse_json_object(value, flag, level);
    } else if (flag == "--metadata-json") {
        std::map<std::string, std::string> metadata;
        for (const auto& [key, v] : parse_json_object(value, flag, level)) {
            if (!v.is_string())
                throw usage_error(flag + ": value of '" + std::string(key) + "' is not a string", level);
            metadata[std::string(key)] = std::string(v.as_string());
        }
        cmd.metadata = std::move(metadata);
    } else if (flag == "--entrypoint-num-cpus") {
        cmd.entrypoint_num_cpus = parse_number(value, flag, level);
    } else if (flag == "--entrypoint-num-gpus") {
        cmd.entrypoint_num_gpus = parse_number(value, flag, level);
    } else if (flag == "--entrypoint-memory") {
        cmd.entrypoint_memory = parse_integer(value, flag, level);
    } else if (flag == "--entrypoint-resources") {
        std::map<std::string, double> resources;
        for (const auto& [key, v] : parse_json_object(value, flag, level)) {
            if (!v.is_number())
                throw usage_error(flag + ": value of '" + std::string(key) + "' is not a number", level);
            resources[std::string(key)] = v.to_number<double>();
        }
        cmd.entrypoint_resources = std::move(resources);
    } else if (flag == "--no-wait") {
        cmd.no_wait = true;
    } else if (flag == "--follow") {
        cmd.follow = true;
    } else if (flag == "--protocol") {
        if (value == "auto")
            cmd.protocol = tail_protocol::automatic;
        else if (value == "websocket")
            cmd.protocol = tail_protocol::websocket;
        else if (value == "stream")
            cmd.protocol = tail_protocol::stream;
        else
            throw usage_error("--protocol must be auto, websocket or stream, got '" + value + "'", level);
    } else if (flag == "--stream-timeout") {
        cmd.stream_timeout = parse_number(value, flag, level);
        if (*cmd.stream_timeout <= 0) throw usage_error("--stream-timeout must be > 0", level);
    } else if (flag == "--wait") {
        cmd.wait = true;
    } else if (flag == "--limit") {
        const auto n = parse_integer(value, flag, level);
        if (n < 1 || n > 10000) throw usage_error("--limit must be in 1..10000", level);
        cmd.limit = static_cast<int>(n);
    } else if (flag == "--filter") {
        const auto eq = value.find('=');
        if (eq == std::string::npos || eq == 0)
            throw usage_error("--filter needs KEY=VALUE or KEY!=VALUE, got '" + value + "'", level);
        list_filter filter;
        if (value[eq - 1] == '!') {
            filter.key = value.substr(0, eq - 1);
            filter.predicate = "!=";
        } else {
            filter.key = value.substr(0, eq);
        }
        filter.value = value.substr(eq + 1);
        if (filter.key.empty()) throw usage_error("--filter needs a KEY", level);
        cmd.filters.push_back(std::move(filter));
    } else if (flag == "--detail") {
        cmd.detail = true;
    } else if (flag == "--workers") {
        const auto n = parse_integer(value, flag, level);
        if (n < 0 || n > 4) throw usage_error("--workers must be in 0..4", level);
        cmd.workers = static_cast<int>(n);
    } else if (flag == "--auth") {
        if (value != "token" && value != "disabled")
            throw usage_error("--auth must be token or disabled, got '" + value + "'", level);
        cmd.auth = value;
    }
}

}  // namespace

std::string top_level_help() {
    return help_for("raycl");
}

command parse_command_line(const std::vector<std::string>& args) {
    command cmd;
    std::vector<std::string> words;        // command words seen so far
    std::vector<std::string> positionals;  // arguments after the command words
    const command_spec* spec = nullptr;
    bool help = false, version = false, dashdash = false;

    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        const std::string level = level_of(words);
        if (dashdash) {
            cmd.entrypoint.push_back(arg);
            continue;
        }
        if (arg == "--") {
            if (!spec || spec->kind != command_kind::job_submit)
                throw usage_error("'--' is only accepted by 'job submit'", level);
            dashdash = true;
            continue;
        }
        if (arg.size() > 1 && arg[0] == '-') {
            std::string flag = arg, inline_value;
            bool has_inline = false;
            if (const auto eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
                flag = arg.substr(0, eq);
                inline_value = arg.substr(eq + 1);
                has_inline = true;
            }
            auto take_value = [&]() -> std::string {
                if (has_inline) return inline_value;
                if (i + 1 >= args.size()) throw usage_error(flag + " needs a value", level);
                return args[++i];
            };
            auto no_value = [&] {
                if (has_inline) throw usage_error(flag + " takes no value", level);
            };
            if (flag == "--help" || flag == "-h") {
                no_value();
                help = true;
                continue;
            }
            if (flag == "--version") {
                no_value();
                version = true;
                continue;
            }
            if (flag == "--verbose" || flag == "-v") {
                no_value();
                cmd.global.verbose = true;
                continue;
            }
            if (flag == "--address") {
                cmd.global.address = take_value();
                continue;
            }
            if (flag == "--token") {
                cmd.global.token = take_value();
                continue;
            }
            if (flag == "--header") {
                const std::string value = take_value();
                const auto colon = value.find(':');
                std::string name = colon == std::string::npos ? "" : value.substr(0, colon);
                while (!name.empty() && name.back() == ' ') name.pop_back();
                if (name.empty() || name.find(' ') != std::string::npos)
                    throw usage_error("--header needs 'Name: value'", level);
                std::string v = value.substr(colon + 1);
                const auto first = v.find_first_not_of(" \t");
                v = first == std::string::npos ? "" : v.substr(first);
                cmd.global.headers.emplace_back(std::move(name), std::move(v));
                continue;
            }
            if (flag == "--output" || flag == "-o") {
                const std::string value = take_value();
                if (value == "table")
                    cmd.global.output = output_format::table;
                else if (value == "json")
                    cmd.global.output = output_format::json;
                else
                    throw usage_error("--output must be table or json, got '" + value + "'", level);
                continue;
            }
            if (flag == "--timeout") {
                const std::string value = take_value();
                cmd.global.timeout = parse_number(value, flag, level);
                if (*cmd.global.timeout <= 0) throw usage_error("--timeout must be > 0", level);
                continue;
            }
            if (spec) {
                bool known = false;
                for (const auto& [name, takes_value] : spec->flags) {
                    if (flag != name) continue;
                    known = true;
                    std::string value;
                    if (takes_value)
                        value = take_value();
                    else
                        no_value();
                    apply_command_flag(cmd, flag, value, level);
                }
                if (known) continue;
            }
            throw usage_error("unknown option '" + flag + "'", level);
        }
        if (!spec) {
            if (words.empty() && !is_group(arg) && arg != "version")
                throw usage_error("unknown command '" + arg + "'", "raycl");
            if (!words.empty() && !find_spec({words[0], arg}))
                throw usage_error("unknown command '" + words[0] + " " + arg + "'", level_of(words));
            words.push_back(arg);
            spec = find_spec(words);
            continue;
        }
        positionals.push_back(arg);
    }

    if (help) {
        cmd.kind = command_kind::help;
        cmd.help_text = help_for(level_of(words));
        return cmd;
    }
    if (version && words.empty()) {
        cmd.kind = command_kind::print_version;
        return cmd;
    }
    const std::string level = level_of(words);
    if (!spec) {
        if (words.empty()) throw usage_error("missing command", "raycl");
        throw usage_error("missing command after '" + words[0] + "'", level);
    }
    cmd.kind = spec->kind;
    if (version) throw usage_error("--version takes no command", "raycl");
    if (static_cast<int>(positionals.size()) < spec->positionals)
        throw usage_error(std::string("missing ") + spec->positional_name, level);
    if (static_cast<int>(positionals.size()) > spec->positionals)
        throw usage_error("unexpected argument '" + positionals[spec->positionals] + "'", level);
    if (spec->positionals == 1) {
        cmd.target = positionals[0];
        if (cmd.target.empty()) throw usage_error(std::string(spec->positional_name) + " must not be empty", level);
    }
    if (cmd.kind == command_kind::job_submit) {
        if (cmd.entrypoint.empty()) throw usage_error("missing '-- ENTRYPOINT...'", level);
    }
    return cmd;
}

std::string join_entrypoint(const std::vector<std::string>& words) {
    if (words.size() == 1) return words[0];
    std::string out;
    for (const auto& word : words) {
        if (!out.empty()) out += ' ';
        const bool safe =
            !word.empty() &&
            word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:=,+@%") ==
                std::string::npos;
        if (safe) {
            out += word;
            continue;
        }
        out += '\'';
        for (char c : word) {
            if (c == '\'')
                out += "'\\''";
            else
                out += c;
        }
        out += '\'';
    }
    return out;
}

}  // namespace raycl::cli
