// Subcommands that live in their own translation units. Each add_* function registers its
// subcommands on the app and returns a runner: after parsing it runs whichever of them was
// given and returns its exit code (exit_codes.hpp), or std::nullopt when none of them was.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <optional>
#include <string>

#include "connect_options.hpp"

namespace binlogkit_cli {

using command_runner = std::function<std::optional<int>()>;

// `dump`, `verify`, `triage` and `salvage`: commands that read files (triage --replica
// also asks the replica, with `password` as for replay).
[[nodiscard]] command_runner add_inspect_commands(CLI::App& app, const command_line_password& password);

// `hazards`: the hazards open at a point of a binlog / relay-log set.
[[nodiscard]] command_runner add_hazards_command(CLI::App& app);

// `sql` (binlog to SQL text) and `replay` (binlog applied to a server). `password` is what
// take_passwords() found on the command line, for replay's connection.
[[nodiscard]] command_runner add_replay_commands(CLI::App& app, const command_line_password& password);

// The commands that connect to a server (and so take -p / --password).
[[nodiscard]] bool connects(const CLI::App& command);

}  // namespace binlogkit_cli
