// Shell completion (see complete.hpp).
#include "complete.hpp"

#include <algorithm>

namespace raycl::cli {
namespace {

bool starts_with(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

/// The option `name` of `node` or of one of its ancestors (global options live on the root).
const option_spec* find_option(const std::vector<const command_spec*>& chain, std::string_view name) {
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
        if (const auto* option = (*it)->option(name)) return option;
    }
    return nullptr;
}

/// Remembers the global flags typed so far: they say which cluster job ids come from.
void remember_global(global_options& globals, const option_spec& option, const std::string& value) {
    const auto& name = option.names.back();
    if (name == "--address") globals.address = value;
    if (name == "--token") globals.token = value;
    if (name == "--context") globals.context = value;
}

void add_values(completion_result& result, const std::vector<std::string>& values, const std::string& prefix,
                const std::string& shown_prefix) {
    for (const auto& value : values) {
        if (starts_with(value, prefix)) result.candidates.push_back({shown_prefix + value, ""});
    }
}

void complete_value(completion_result& result, value_completion kind, const std::vector<std::string>& choices,
                    const std::string& prefix, const std::string& shown_prefix, const global_options& globals,
                    const completion_sources& sources) {
    switch (kind) {
        case value_completion::none:
            return;
        case value_completion::files:
            result.files = true;
            return;
        case value_completion::choices:
            add_values(result, choices, prefix, shown_prefix);
            return;
        case value_completion::context_names:
            if (sources.context_names) add_values(result, sources.context_names(), prefix, shown_prefix);
            return;
        case value_completion::job_ids:
            if (!sources.job_ids) return;
            for (auto& job : sources.job_ids(globals)) {
                if (starts_with(job.value, prefix))
                    result.candidates.push_back({shown_prefix + job.value, std::move(job.description)});
            }
            return;
    }
}

}  // namespace

completion_result complete_words(const command_spec& root, const std::vector<std::string>& words,
                                 const std::string& shell, const completion_sources& sources) {
    completion_result result;
    if (words.empty()) return result;
    std::vector<const command_spec*> chain{&root};
    global_options globals;
    std::size_t positionals = 0;
    const option_spec* pending = nullptr;  // an option whose value is the next word
    for (std::size_t i = 0; i + 1 < words.size(); ++i) {
        const std::string& word = words[i];
        if (pending) {
            remember_global(globals, *pending, word);
            pending = nullptr;
            continue;
        }
        if (word == "--") return result;  // an entrypoint follows: nothing to offer
        if (word.size() > 1 && word[0] == '-') {
            const auto eq = word.find('=');
            const auto* option = find_option(chain, word.substr(0, eq));
            if (option && option->takes_value()) {
                if (eq == std::string::npos)
                    pending = option;
                else
                    remember_global(globals, *option, word.substr(eq + 1));
            }
            continue;
        }
        if (const auto* child = chain.back()->child(word); child && positionals == 0) {
            chain.push_back(child);
            continue;
        }
        ++positionals;
    }
    const std::string& current = words.back();
    if (pending) {
        complete_value(result, pending->completes, pending->choices, current, "", globals, sources);
        return result;
    }
    if (starts_with(current, "-")) {
        if (const auto eq = current.find('='); eq != std::string::npos) {
            const auto* option = find_option(chain, current.substr(0, eq));
            if (option && option->takes_value()) {
                const std::string shown = shell == "bash" ? "" : current.substr(0, eq + 1);
                complete_value(result, option->completes, option->choices, current.substr(eq + 1), shown, globals,
                               sources);
            }
            return result;
        }
        for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
            for (const auto& option : (*it)->options) {
                for (const auto& name : option.names) {
                    if (starts_with(name, "--") && starts_with(name, current))
                        result.candidates.push_back({name, option.help});
                }
            }
        }
        return result;
    }
    const command_spec& node = *chain.back();
    if (!node.is_command) {
        for (const auto& child : node.children) {
            if (!child.hidden && starts_with(child.name, current))
                result.candidates.push_back({child.name, child.summary});
        }
        return result;
    }
    if (node.positional && positionals < node.positional->max)
        complete_value(result, node.positional->completes, node.positional->choices, current, "", globals, sources);
    return result;
}

std::string format_completion(const completion_result& result, const std::string& shell) {
    if (result.files) return ":files\n";
    std::string out;
    for (const auto& candidate : result.candidates) {
        out += candidate.value;
        if (shell != "bash") {
            std::string description = candidate.description.substr(0, candidate.description.find('\n'));
            std::replace(description.begin(), description.end(), '\t', ' ');
            out += "\t" + description;
        }
        out += "\n";
    }
    return out;
}

std::string completion_script(const std::string& shell) {
    if (shell == "bash") {
        return R"(# bash completion for raycl, printed by `raycl completion bash`.
# Install: raycl completion bash > ~/.local/share/bash-completion/completions/raycl
_raycl_complete() {
    local line=${COMP_LINE:0:COMP_POINT}
    local -a words
    read -r -a words <<<"$line"
    [[ $line =~ [[:space:]]$ ]] && words+=("")
    local cur=${COMP_WORDS[COMP_CWORD]}
    [[ $cur == "=" ]] && cur=""
    local out
    out=$("${words[0]}" __complete --shell bash -- "${words[@]:1}" 2>/dev/null) || return 0
    COMPREPLY=()
    if [[ $out == ":files" ]]; then
        compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        return 0
    fi
    local IFS=$'\n'
    mapfile -t COMPREPLY < <(compgen -W "$out" -- "$cur")
}
complete -F _raycl_complete raycl
)";
    }
    if (shell == "zsh") {
        return R"(#compdef raycl
# zsh completion for raycl, printed by `raycl completion zsh`.
# Install: raycl completion zsh > "${fpath[1]}/_raycl", or: source <(raycl completion zsh)
_raycl() {
    local out line value description
    local -a candidates
    out=$("${words[1]}" __complete --shell zsh -- "${(@)words[2,CURRENT]}" 2>/dev/null) || return 1
    if [[ $out == ":files" ]]; then
        _files
        return
    fi
    for line in "${(@f)out}"; do
        [[ -z $line ]] && continue
        value=${line%%$'\t'*}
        description=${line#*$'\t'}
        candidates+=("${value//:/\\:}:${description}")
    done
    _describe -t raycl raycl candidates
}
if [[ $funcstack[1] == _raycl ]]; then
    _raycl "$@"
else
    compdef _raycl raycl
fi
)";
    }
    if (shell == "fish") {
        return R"(# fish completion for raycl, printed by `raycl completion fish`.
# Install: raycl completion fish > ~/.config/fish/completions/raycl.fish
function __raycl_complete
    set -l tokens (commandline -opc)
    set -l current (commandline -ct)
    set -l words
    if test (count $tokens) -gt 1
        set words $tokens[2..-1]
    end
    set -l out ($tokens[1] __complete --shell fish -- $words "$current" 2>/dev/null)
    or return
    if test "$out" = ":files"
        __fish_complete_path "$current"
        return
    end
    printf '%s\n' $out
end
complete -c raycl -f -a '(__raycl_complete)'
)";
    }
    return {};
}

}  // namespace raycl::cli
