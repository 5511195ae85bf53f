// Subcommands that live in their own translation units. Each add_* function registers its
// subcommands on the app and returns a runner: after parsing it runs whichever of them was
// given and returns its exit code, or std::nullopt when none of them was.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <optional>
#include <string>

namespace binlogkit_cli {

using command_runner = std::function<std::optional<int>()>;

// `sql` (binlog to SQL text) and `replay` (binlog applied to a server).
[[nodiscard]] command_runner add_replay_commands(CLI::App& app);

// Reads a password from the terminal with echo off; std::nullopt without a terminal.
[[nodiscard]] std::optional<std::string> prompt_password();

}  // namespace binlogkit_cli
