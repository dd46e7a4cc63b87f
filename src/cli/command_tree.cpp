// The command tree on CLI11 (see command_tree.hpp). The only TU of the CLI that includes CLI11.
#include "command_tree.hpp"

#include "help.hpp"
#include "text.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <map>

namespace raycl::cli {
namespace {

std::vector<std::string> split_names(const std::string& names) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= names.size()) {
        auto end = names.find(',', start);
        if (end == std::string::npos) end = names.size();
        if (end > start) out.push_back(names.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

/// The deepest command or group chosen on the command line.
const CLI::App* chosen(const CLI::App& app) {
    const CLI::App* level = &app;
    while (!level->get_subcommands().empty()) level = level->get_subcommands().front();
    return level;
}

bool looks_like_option(const std::string& word) {
    return word.size() > 1 && word[0] == '-';
}

}  // namespace

std::string option_spec::synopsis() const {
    std::string out;
    for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
    if (takes_value()) out += " " + placeholder;
    return out;
}

const command_spec* command_spec::child(std::string_view child_name) const {
    for (const auto& c : children) {
        if (c.name == child_name) return &c;
    }
    return nullptr;
}

const option_spec* command_spec::option(std::string_view option_name) const {
    for (const auto& o : options) {
        if (std::find(o.names.begin(), o.names.end(), option_name) != o.names.end()) return &o;
    }
    return nullptr;
}

/// What the tree keeps per command besides its spec.
struct command_info {
    command_kind kind = command_kind::help;
    command_runner run;
    std::vector<std::string> positional_values;
    std::vector<std::function<void()>> checks;
};

struct command_tree::state {
    CLI::App app{"raycl", "raycl"};
    std::map<const CLI::App*, command_spec*> specs;
    std::map<const CLI::App*, command_info> commands;
    bool version = false;

    const command_spec& spec_of(const CLI::App* app) const { return *specs.at(app); }
    /// The path of the command being parsed ("raycl job submit"): where usage errors point.
    std::string level() const { return spec_of(chosen(app)).path; }

    /// `set`, with an invalid_value turned into a usage error of the command being parsed.
    std::function<void(const std::string&)> guarded(std::function<void(const std::string&)> set) {
        return [this, set = std::move(set)](const std::string& value) {
            try {
                set(value);
            } catch (const invalid_value& error) {
                throw usage_error(error.what(), level());
            }
        };
    }
};

command_tree::command_tree(command& target) : target_(target), state_(std::make_unique<state>()) {
    root_spec_.name = "raycl";
    root_spec_.path = "raycl";
    root_spec_.usage = "[global options] COMMAND ...";
    auto& app = state_->app;
    app.allow_extras();  // unknown words are reported by parse() with the house messages
    app.require_subcommand(0, 1);
    state_->specs[&app] = &root_spec_;
}

command_tree::~command_tree() = default;

command_tree::node command_tree::root() {
    return node(&state_->app, &root_spec_);
}

command_tree::node command_tree::group(node parent, const std::string& name, const std::string& summary,
                                       const std::string& description) {
    CLI::App* app = parent.app_->add_subcommand(name, summary);
    app->fallthrough();  // global options (and unknown words) go up to the root
    app->require_subcommand(0, 1);
    auto& spec = parent.spec_->children.emplace_back();
    spec.name = name;
    spec.path = parent.spec_->path + " " + name;
    spec.summary = summary;
    spec.usage = "COMMAND ...";
    spec.description = description;
    state_->specs[app] = &spec;
    return node(app, &spec);
}

command_tree::node command_tree::add_command(node parent, const std::string& name, const std::string& summary,
                                             command_kind kind, command_runner run) {
    node n = group(parent, name, summary);
    n.app_->require_subcommand(0, 0);
    n.spec_->usage.clear();
    n.spec_->is_command = true;
    auto& info = state_->commands[n.app_];
    info.kind = kind;
    info.run = run;
    return n;
}

void command_tree::describe(node n, const std::string& usage, const std::string& description) {
    if (!usage.empty()) n.spec_->usage = usage;
    n.spec_->description = description;
}

void command_tree::footer(node n, const std::string& text) {
    n.spec_->footer = text;
}

void command_tree::hide(node n) {
    n.app_->group("");
    n.spec_->hidden = true;
}

void command_tree::help_flag(const std::string& names, const std::string& help) {
    state_->app.set_help_flag(names, help);  // commands defined later inherit it
    root_spec_.options.push_back({split_names(names), "", help, value_completion::none, {}, false});
}

void command_tree::version_flag(const std::string& names, const std::string& help) {
    flag(root(), names, help, [this] { state_->version = true; });
}

void command_tree::flag(node n, const std::string& names, const std::string& help, std::function<void()> on_set) {
    n.app_->add_flag_function(
        names,
        [on_set = std::move(on_set)](std::int64_t count) {
            if (count > 0) on_set();
        },
        help);
    n.spec_->options.push_back({split_names(names), "", help, value_completion::none, {}, false});
}

void command_tree::option(node n, const std::string& names, const std::string& placeholder, const std::string& help,
                          std::function<void(const std::string&)> set, value_completion completes,
                          std::vector<std::string> choices) {
    n.app_->add_option_function<std::string>(names, state_->guarded(std::move(set)), help)->take_last();
    n.spec_->options.push_back({split_names(names), placeholder, help, completes, std::move(choices), false});
}

void command_tree::repeated(node n, const std::string& names, const std::string& placeholder, const std::string& help,
                            std::function<void(const std::string&)> add, value_completion completes,
                            std::vector<std::string> choices) {
    auto each = state_->guarded(std::move(add));
    n.app_
        ->add_option_function<std::vector<std::string>>(
            names,
            [each](const std::vector<std::string>& values) {
                for (const auto& value : values) each(value);
            },
            help)
        ->allow_extra_args(false);  // one value per occurrence: `--filter a=b ID` leaves ID alone
    n.spec_->options.push_back({split_names(names), placeholder, help, completes, std::move(choices), true});
}

void command_tree::positionals(node n, const std::string& name, std::size_t min, std::size_t max,
                               value_completion completes, std::vector<std::string> choices) {
    // CLI11 collects every positional; parse() counts them, for the house messages.
    n.app_->add_option(name, state_->commands[n.app_].positional_values)->expected(0, 1 << 20);
    n.spec_->positional = positional_spec{name, min, max, completes, std::move(choices)};
}

void command_tree::entrypoint(node n) {
    n.spec_->accepts_entrypoint = true;
}

void command_tree::validate(node n, std::function<void()> check) {
    state_->commands[n.app_].checks.push_back(std::move(check));
}

void command_tree::parse(const std::vector<std::string>& args) {
    auto& app = state_->app;
    // `--` ends the command line for CLI11: the words after it are job submit's entrypoint.
    const auto dashdash = std::find(args.begin(), args.end(), "--");
    std::vector<std::string> reversed(args.begin(), dashdash);
    std::reverse(reversed.begin(), reversed.end());
    try {
        app.parse(reversed);
    } catch (const CLI::CallForHelp&) {
        target_.kind = command_kind::help;
        target_.help_text = render_help(state_->spec_of(chosen(app)), root_spec_);
        return;
    } catch (const CLI::ArgumentMismatch& error) {
        const std::string what = error.what();
        throw usage_error(what.substr(0, what.find(':')) + " needs a value", state_->level());
    } catch (const CLI::ParseError& error) {
        throw usage_error(error.what(), state_->level());
    }

    const CLI::App* level = chosen(app);
    const command_spec& spec = state_->spec_of(level);
    const auto extras = app.remaining(true);
    if (!extras.empty()) {
        const std::string& word = extras.front();
        if (looks_like_option(word))
            throw usage_error("unknown option '" + word.substr(0, word.find('=')) + "'", spec.path);
        if (level == &app) throw usage_error("unknown command '" + word + "'", spec.path);
        if (!spec.is_command) throw usage_error("unknown command '" + spec.name + " " + word + "'", spec.path);
        throw usage_error("unexpected argument '" + word + "'", spec.path);
    }
    if (state_->version) {
        if (level != &app) throw usage_error("--version takes no command", root_spec_.path);
        target_.kind = command_kind::print_version;
        return;
    }
    if (level == &app) throw usage_error("missing command", spec.path);
    if (!spec.is_command) throw usage_error("missing command after '" + spec.name + "'", spec.path);
    if (dashdash != args.end()) {
        if (!spec.accepts_entrypoint) throw usage_error("'--' is only accepted by 'job submit'", spec.path);
        target_.entrypoint.assign(dashdash + 1, args.end());
    }
    const command_info& info = state_->commands.at(level);
    if (spec.positional) {
        const auto& values = info.positional_values;
        const auto& positional = *spec.positional;
        if (values.size() < positional.min) throw usage_error("missing " + positional.name, spec.path);
        if (values.size() > positional.max)
            throw usage_error("unexpected argument '" + values[positional.max] + "'", spec.path);
        for (const auto& value : values) {
            if (value.empty()) throw usage_error(positional.name + " must not be empty", spec.path);
        }
        target_.targets = values;
        if (!values.empty()) target_.target = values.front();
    }
    target_.kind = info.kind;
    target_.run = info.run;
    for (const auto& check : info.checks) {
        try {
            check();
        } catch (const invalid_value& error) {
            throw usage_error(error.what(), spec.path);
        }
    }
}

const command_spec& command_specs() {
    static command scratch;
    static command_tree tree(scratch);
    static const bool defined = (define_commands(tree, scratch), true);
    (void)defined;
    return tree.spec();
}

}  // namespace raycl::cli
