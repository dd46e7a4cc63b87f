// Process plumbing of the raycl CLI: standard streams, files, and the scripts it spawns.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace raycl::cli {

/// Writes to stdout (buffered; flush_out() makes it visible).
void write_out(std::string_view text);
/// Flushes stdout.
void flush_out();
/// Writes to stderr after flushing stdout, so both appear in order on a terminal.
void write_err(std::string_view text);

/// The whole file, or nullopt when it cannot be read.
std::optional<std::string> read_file(const std::string& path);
/// Everything on stdin.
std::string read_stdin();

/// The value of an environment variable, or nullptr when unset.
const char* environment_variable(const char* name);

/// The directory of the running executable ("" when unknown).
std::string executable_dir();

/// Runs `bash script args...` with its stdout sent to our stderr; returns its exit status
/// (127 when it cannot be started, 128+N when killed by signal N).
int run_script(const std::string& script, const std::vector<std::string>& args);

}  // namespace raycl::cli
