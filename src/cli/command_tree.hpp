// The command tree of the raycl CLI: groups, commands and their flags, parsed by CLI11.
//
// The command groups (commands/*.cpp) define their commands here; each definition is recorded
// twice from the same call: into CLI11 (which parses) and into a plain `command_spec` tree
// (which the help text, the man page and shell completion are generated from). CLI11 is
// included by command_tree.cpp only.
//
// Conventions every command gets from the tree: global options anywhere on the line (CLI11
// fallthrough), `--name=value` and `--name value`, the last of a repeated single flag wins,
// values converted by the definition's setter (an `invalid_value` it throws becomes a usage
// error of the command being parsed), positionals counted here ("missing ID", "unexpected
// argument 'x'"), and `--help` at every level.
#pragma once

#include "args.hpp"

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace raycl::cli {

/// What the value of a flag or positional completes to in the shell.
enum class value_completion {
    none,           ///< free text (nothing offered)
    choices,        ///< the spec's `choices`
    files,          ///< file names
    context_names,  ///< names of the config file's contexts
    job_ids,        ///< submission ids from the cluster (short timeout, silent on failure)
};

/// One flag of a command (or a global one, on the root).
struct option_spec {
    std::vector<std::string> names;  ///< "-o", "--output"
    std::string placeholder;         ///< "FORMAT"; empty for a flag without value
    std::string help;                ///< one line (wrapped by the help renderer)
    value_completion completes = value_completion::none;
    std::vector<std::string> choices;  ///< for value_completion::choices
    bool repeatable = false;

    bool takes_value() const { return !placeholder.empty(); }
    /// "-o, --output FORMAT"
    std::string synopsis() const;
};

/// The positional arguments of a command.
struct positional_spec {
    std::string name;  ///< "ID"
    std::size_t min = 1, max = 1;
    value_completion completes = value_completion::none;
    std::vector<std::string> choices;
};

/// A group ("raycl job") or a command ("raycl job submit"), as help and completion see it.
struct command_spec {
    std::string name;         ///< "submit"
    std::string path;         ///< "raycl job submit"
    std::string summary;      ///< one line, in the parent's list of commands
    std::string usage;        ///< after the path: "[options] -- ENTRYPOINT..." (generated when empty)
    std::string description;  ///< paragraphs; lines starting with two spaces are kept as they are
    std::string footer;       ///< after the options (the root's exit codes)
    std::vector<option_spec> options;
    std::optional<positional_spec> positional;
    bool accepts_entrypoint = false;  ///< takes `-- WORDS...`
    bool hidden = false;              ///< not listed in help, man page or completion
    bool is_command = false;          ///< a command (runs), not a group
    std::deque<command_spec> children;

    const command_spec* child(std::string_view child_name) const;
    /// The option with this name ("--output" or "-o"), or nullptr.
    const option_spec* option(std::string_view option_name) const;
};

/// Builds the tree and parses a command line into a `command`.
class command_tree {
public:
    /// A group or command being defined (opaque outside the tree).
    class node {
    public:
        node() = default;

    private:
        friend class command_tree;
        node(CLI::App* app, command_spec* spec) : app_(app), spec_(spec) {}
        CLI::App* app_ = nullptr;
        command_spec* spec_ = nullptr;
    };

    /// A tree whose setters write into `target` (the caller's command, filled by parse()).
    explicit command_tree(command& target);
    ~command_tree();
    command_tree(const command_tree&) = delete;
    command_tree& operator=(const command_tree&) = delete;

    /// The root ("raycl"): global options go here.
    node root();
    /// A group of commands under `parent`.
    node group(node parent, const std::string& name, const std::string& summary, const std::string& description = {});
    /// A command under `parent` that runs `run` as `kind`.
    node add_command(node parent, const std::string& name, const std::string& summary, command_kind kind,
                     command_runner run);
    /// Help text of a node: the usage after its path (generated from its flags when empty) and
    /// a description.
    void describe(node n, const std::string& usage, const std::string& description);
    /// Text after the option lists (the root's exit codes).
    void footer(node n, const std::string& text);
    /// Hides a command from help, man page and completion (internal commands).
    void hide(node n);

    /// The root's help flag; commands defined after it inherit it. Call before any group.
    void help_flag(const std::string& names, const std::string& help);
    /// The root's `--version` flag (alone on the line: print_version).
    void version_flag(const std::string& names, const std::string& help);
    /// A flag without value: `on_set()` when given.
    void flag(node n, const std::string& names, const std::string& help, std::function<void()> on_set);
    /// A flag with a value; the last one given wins. `set` converts it (throw invalid_value).
    void option(node n, const std::string& names, const std::string& placeholder, const std::string& help,
                std::function<void(const std::string&)> set, value_completion completes = value_completion::none,
                std::vector<std::string> choices = {});
    /// A flag with a value that may be given several times: `add` for each, in order.
    void repeated(node n, const std::string& names, const std::string& placeholder, const std::string& help,
                  std::function<void(const std::string&)> add, value_completion completes = value_completion::none,
                  std::vector<std::string> choices = {});
    /// The command's positional arguments, into command::targets (and command::target).
    void positionals(node n, const std::string& name, std::size_t min, std::size_t max,
                     value_completion completes = value_completion::none, std::vector<std::string> choices = {});
    /// Accepts `-- WORDS...` (into command::entrypoint).
    void entrypoint(node n);
    /// A check run after parsing when this command was chosen (throw invalid_value).
    void validate(node n, std::function<void()> check);

    /// Parses `args` into the target command. Throws usage_error; fills help_text on --help.
    void parse(const std::vector<std::string>& args);

    /// The definitions so far, for help, man page and completion.
    const command_spec& spec() const { return root_spec_; }

private:
    struct state;
    command& target_;
    command_spec root_spec_;
    std::unique_ptr<state> state_;
};

/// Every group and command of the CLI (registry.cpp), defined on `tree`, binding into `target`.
void define_commands(command_tree& tree, command& target);
/// What parsing `args` needs: the global options and the group `args` names (every group when
/// it names none that exists, or asks the top level for help).
void define_commands_for(command_tree& tree, command& target, const std::vector<std::string>& args);

/// The spec tree of every command (a tree defined on a scratch command).
const command_spec& command_specs();

}  // namespace raycl::cli
