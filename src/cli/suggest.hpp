// Better words for a command line CLI11 refused: "did you mean verify?" for a mistyped
// command, "--start-postion: did you mean --start-position?" for a mistyped option, and the
// command list when no command was given.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace binlogkit_cli {

// The candidate closest to `word` by edit distance, if it is close enough to be a typo
// (at most a third of the word's length, at least 2); empty otherwise.
[[nodiscard]] std::string closest(std::string_view word, const std::vector<std::string>& candidates);

// What is wrong with `args` (argv without the program name, passwords removed) for `app`:
// an unknown command or an unknown option of the command, with a suggestion. Empty when
// no such word is found (CLI11's own message is then the better one).
[[nodiscard]] std::string diagnose(const CLI::App& app, const std::vector<std::string>& args);

// "Commands:" and one line per subcommand with its description's first sentence.
[[nodiscard]] std::string command_list(const CLI::App& app);

}  // namespace binlogkit_cli
