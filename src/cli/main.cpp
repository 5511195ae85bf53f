// binlogkit command line: argument parsing and dispatch only; the work is library calls.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <string>
#include <vector>

#include "binlogkit/version.hpp"
#include "commands.hpp"
#include "connect_options.hpp"
#include "exit_codes.hpp"
#include "suggest.hpp"

namespace cli = binlogkit_cli;

namespace {

constexpr const char* exit_overview =
    "Exit codes (every command): 0 success / intact; 1 damage found (or replay stopped at an error, or hazards at "
    "the point); 2 unreadable input or bad arguments; 3 no trustworthy answer (triage without a resume point, "
    "salvage with nothing to keep, replay refusing a start point with hazards). "
    "Each command's --help says what they mean for it.";

// CLI11 refused the command line: say what is wrong, with a suggestion where one fits.
int refuse(const CLI::App& app, const std::vector<std::string>& args, const CLI::ParseError& e) {
  std::string why = cli::diagnose(app, args);
  if (why.empty()) {
    std::string where;
    for (const auto* sub : app.get_subcommands([](const CLI::App* s) { return s->parsed(); })) {
      where = " " + sub->get_name();
    }
    why = fmt::format("binlogkit{}: {}\nRun 'binlogkit{} --help' for the options.", where, e.what(), where);
  }
  fmt::print(stderr, "{}\n", why);
  return cli::exit_code::usage;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args;
  const cli::command_line_password password = cli::take_passwords(args, argc, argv);

  CLI::App app{"binlogkit: read, verify, triage and replay MySQL and MariaDB binary logs"};
  app.name("binlogkit");
  // Subcommands take the help flag as it is now: --help only, since -h is the host of the
  // commands that connect, as in every MySQL/MariaDB client.
  app.set_help_flag("--help", "Print this help and exit");
  app.require_subcommand(0, 1);
  app.set_version_flag("--version", std::string("binlogkit ") + binlogkit::version_string);
  app.footer(exit_overview);
  auto run_inspect = cli::add_inspect_commands(app, password);
  auto run_replay = cli::add_replay_commands(app, password);
  auto run_hazards = cli::add_hazards_command(app);
  app.set_help_flag("-h,--help", "Print this help and exit");

  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 takes them last first
  try {
    app.parse(reversed);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return refuse(app, args, e);
  }
  auto chosen = app.get_subcommands();
  if (chosen.empty()) {
    fmt::print(stderr, "binlogkit: no command given\n{}", cli::command_list(app));
    return cli::exit_code::usage;
  }
  if (password.given() && !cli::connects(*chosen.front())) {
    fmt::print(stderr, "binlogkit {}: -p/--password: this command does not connect to a server\n",
               chosen.front()->get_name());
    return cli::exit_code::usage;
  }
  if (auto rc = run_inspect()) return *rc;
  if (auto rc = run_replay()) return *rc;
  if (auto rc = run_hazards()) return *rc;
  return cli::exit_code::usage;
}
