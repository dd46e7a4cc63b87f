// Shell completion of the raycl CLI: the scripts `raycl completion bash|zsh|fish` prints, and the
// engine behind them (`raycl __complete --shell SHELL -- WORDS...`), which finds the candidates
// for the last word from the command specs. Pure code: dynamic values (context names, job ids)
// come from callbacks.
#pragma once

#include "command_tree.hpp"

#include <functional>
#include <string>
#include <vector>

namespace raycl::cli {

/// One candidate: the word and, for zsh and fish, what it means.
struct completion_candidate {
    std::string value;
    std::string description;
};

/// The candidates for a word, or "complete a file name".
struct completion_result {
    std::vector<completion_candidate> candidates;
    bool files = false;
};

/// Where dynamic values come from. Each returns nothing on failure, quietly.
struct completion_sources {
    std::function<std::vector<std::string>()> context_names;
    /// Job ids of the cluster the global flags typed so far point to.
    std::function<std::vector<completion_candidate>(const global_options&)> job_ids;
};

/// The candidates for the last of `words` (the words after the program name; the last is the
/// word being completed, "" after a space). For bash, a `--flag=value` word completes to values
/// only (bash splits at '='); zsh and fish get the whole word.
completion_result complete_words(const command_spec& root, const std::vector<std::string>& words,
                                 const std::string& shell, const completion_sources& sources);

/// What `__complete` prints: a candidate per line ("value" for bash, "value\tdescription" for zsh
/// and fish), or the single line ":files".
std::string format_completion(const completion_result& result, const std::string& shell);

/// The completion script for `shell` (bash, zsh or fish); "" for another shell.
std::string completion_script(const std::string& shell);

}  // namespace raycl::cli
