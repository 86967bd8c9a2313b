#include "cli/app.h"

#include <ostream>
#include <string>
#include <string_view>

#include "common/logging.h"
#include "common/redact.h"
#include "engine/engine.h"

namespace strata::cli {

void AddServeCommand(CLI::App& app, CommandContext& context);      // serve_command.cc
void AddSftpCommand(CLI::App& app, CommandContext& context);       // sftp_command.cc
void AddPipelineCommand(CLI::App& app, CommandContext& context);   // pipeline_command.cc
void AddRunsCommand(CLI::App& app, CommandContext& context);       // runs_command.cc
void AddSchedulerCommand(CLI::App& app, CommandContext& context);  // scheduler_command.cc
void AddWorkerCommand(CLI::App& app, CommandContext& context);     // worker_command.cc
void AddSourceCommands(CLI::App& app, CommandContext& context);    // source_command.cc
void AddAccessCommands(CLI::App& app, CommandContext& context);    // access_command.cc

namespace {

constexpr const char* kDescription =
    "strata: a lakehouse pipeline platform in one binary.\n"
    "Lands files, SFTP uploads, databases and streams into bronze/silver/gold Delta tables,\n"
    "tests every layer, orchestrates runs, catalogs everything and serves it.";

// Prints the usage error on one line, pointing at the help of the command that was being parsed.
int UsageError(const CLI::App& app, const CLI::ParseError& error, std::ostream& err) {
  std::string where = "strata";
  for (const CLI::App* sub : app.get_subcommands()) where += " " + sub->get_name();
  // CLI11 quotes the offending argument, which may be a URL with a password.
  std::string message = RedactUrl(error.what());
  for (char& c : message) {
    if (c == '\n') c = ' ';
  }
  err << "strata: error: " << message << " (see '" << where << " --help')\n";
  return 2;
}

// A password written into --catalog is visible to every user of the machine in `ps` and
// /proc/<pid>/cmdline for as long as the command runs; nothing can take it back after exec, so
// the user is told the safe ways instead.
void WarnInlinePasswords(int argc, const char* const* argv, std::ostream& err) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::string_view value;
    if (arg == "--catalog" && i + 1 < argc) {
      value = argv[i + 1];
    } else if (arg.starts_with("--catalog=")) {
      value = arg.substr(10);
    }
    if (!value.empty() && HasInlinePassword(value)) {
      err << "strata: warning: --catalog " << RedactUrl(value)
          << " holds a password, which other users can read in `ps`; leave it out of the URL "
             "and set PGPASSWORD, use ~/.pgpass, or write `catalog: "
             "postgresql://user:${secret:NAME}@host/db` in strata.yaml (NAME=... in "
             ".strata/secrets, mode 0600)\n";
      return;
    }
  }
}

}  // namespace

std::string VersionString() {
  return std::string("strata ") + STRATA_VERSION + " (DuckDB " + engine::EngineVersion() + ")";
}

int RunCli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CommandContext context{&out, &err, "warn", {}};
  CLI::App app(kDescription, "strata");
  app.set_version_flag("--version", VersionString());
  app.add_option("--log-level", context.log_level,
                 "Log verbosity on stderr: trace, debug, info, warn, error, off")
      ->capture_default_str();
  app.require_subcommand(1);
  app.fallthrough();

  AddSqlCommand(app, context);
  AddRunCommands(app, context);
  AddProjectCommands(app, context);
  AddCatalogCommand(app, context);
  AddLineageCommand(app, context);
  AddTableCommand(app, context);
  AddSftpCommand(app, context);
  AddPipelineCommand(app, context);
  AddRunsCommand(app, context);
  AddSchedulerCommand(app, context);
  AddWorkerCommand(app, context);
  AddSourceCommands(app, context);
  AddServeCommand(app, context);
  AddAccessCommands(app, context);

  // Before parsing: the password is exposed in `ps` whether or not the command line parses.
  WarnInlinePasswords(argc, argv, err);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    out << app.help();
    return 0;
  } catch (const CLI::CallForAllHelp&) {
    out << app.help("", CLI::AppFormatMode::All);
    return 0;
  } catch (const CLI::CallForVersion&) {
    out << VersionString() << "\n";
    return 0;
  } catch (const CLI::ParseError& error) {
    return UsageError(app, error, err);
  }

  if (Status logging = InitLogging(context.log_level); !logging.ok()) {
    err << "strata: error: " << logging.message() << "\n";
    return 2;
  }
  if (!context.action) {
    err << "strata: error: no command to run (see 'strata --help')\n";
    return 2;
  }
  Status status = context.action();
  if (!status.ok()) {
    // The last line of defence: no error reaches the terminal with a password in it.
    std::string message = RedactUrl(status.message());
    for (char& c : message) {
      if (c == '\n') c = ' ';
    }
    err << "strata: error: " << message << "\n";
    return 1;
  }
  return 0;
}

}  // namespace strata::cli
