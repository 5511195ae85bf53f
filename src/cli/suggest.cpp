// Suggestions for mistyped commands and options (see suggest.hpp).
#include "suggest.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

namespace binlogkit_cli {

namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), std::size_t{0});
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::vector<std::string> command_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; })) names.push_back(sub->get_name());
  return names;
}

std::vector<std::string> long_option_names(const CLI::App& cmd) {
  std::vector<std::string> names;
  for (const auto* opt : cmd.get_options()) {
    for (const auto& l : opt->get_lnames()) names.push_back("--" + l);
  }
  return names;
}

// Whether `arg` (a "--name" or "--name=value" word) names an option of `cmd`.
bool known_long(const CLI::App& cmd, std::string_view name) {
  const auto names = long_option_names(cmd);
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::string unknown_option(const CLI::App& cmd, std::string_view arg) {
  const std::string name(arg.substr(0, arg.find('=')));
  if (known_long(cmd, name)) return {};
  const auto best = closest(name, long_option_names(cmd));
  return fmt::format("binlogkit {}: unknown option {}{}", cmd.get_name(), name,
                     best.empty() ? std::string() : fmt::format("; did you mean {}?", best));
}

}  // namespace

std::string closest(std::string_view word, const std::vector<std::string>& candidates) {
  const std::size_t limit = std::max<std::size_t>(2, word.size() / 3);
  std::string best;
  std::size_t best_d = limit + 1;
  for (const auto& c : candidates) {
    const std::size_t d = edit_distance(word, c);
    if (d < best_d) best_d = d, best = c;
  }
  return best;
}

std::string diagnose(const CLI::App& app, const std::vector<std::string>& args) {
  std::size_t i = 0;
  while (i < args.size() && args[i].starts_with("-")) ++i;  // options of binlogkit itself
  if (i == args.size()) return {};
  const auto commands = command_names(app);
  if (std::find(commands.begin(), commands.end(), args[i]) == commands.end()) {
    const auto best = closest(args[i], commands);
    std::string list = command_list(app);
    list.pop_back();
    return fmt::format("binlogkit: unknown command '{}'{}\n{}", args[i],
                       best.empty() ? std::string() : fmt::format("; did you mean {}?", best), list);
  }
  const CLI::App* cmd = app.get_subcommand(args[i]);
  for (std::size_t k = i + 1; k < args.size() && args[k] != "--"; ++k) {
    if (!args[k].starts_with("--") || args[k] == "--help") continue;
    if (auto why = unknown_option(*cmd, args[k]); !why.empty()) return why;
  }
  return {};
}

std::string command_list(const CLI::App& app) {
  std::string out = "Commands:\n";
  for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    std::string d = sub->get_description();
    if (auto dot = d.find(". "); dot != std::string::npos) d.resize(dot);
    if (auto paren = d.find(" ("); paren != std::string::npos) d.resize(paren);
    if (auto comma = d.find(", the"); comma != std::string::npos) d.resize(comma);
    fmt::format_to(std::back_inserter(out), "  {:<9}{}\n", sub->get_name(), d);
  }
  out += "Run 'binlogkit COMMAND --help' for a command's options and exit codes.\n";
  return out;
}

}  // namespace binlogkit_cli
