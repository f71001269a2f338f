package dev.holdfast.cli;

import dev.holdfast.backend.Backend;
import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import dev.holdfast.repository.Repository;
import java.io.IOException;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code holdfast init}: creates a restic-format repository on a target. */
@Command(
    name = "init",
    description = {
      "Create a repository (restic's format, version 2) on a target; restic -r TARGET opens it too.",
      "  holdfast init --to /srv/repo --format repository --password-file ~/.repo-pass"
    })
final class InitCommand implements Callable<Integer> {
  private final Main main;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;
  @CommandLine.Mixin RepositoryOptions password;

  @Option(names = "--to", required = true, paramLabel = "TARGET", description = "Where to create it: a directory, sftp://… or s3://….")
  String to;

  @Option(names = "--format", paramLabel = "repository", defaultValue = "repository",
      description = "Only 'repository' needs creating (archives need no init). Default: ${DEFAULT-VALUE}.")
  String format;

  InitCommand(Main main) {
    this.main = main;
  }

  /**
   * A local target inside an existing repository (repo/data, say) is refused: that repository's
   * check would count the new one's files as stray packs and its prune would delete them, the new
   * repository's only key among them.
   */
  private static void refuseInsideARepository(String target) {
    if (target.contains("://")) {
      return; // remote targets: their layout is the server's business
    }
    java.nio.file.Path p = java.nio.file.Path.of(target).toAbsolutePath().normalize().getParent();
    for (; p != null; p = p.getParent()) {
      if (java.nio.file.Files.isRegularFile(p.resolve("config")) && java.nio.file.Files.isDirectory(p.resolve("keys"))) {
        throw HoldfastException.usage(target + " is inside the repository at " + p
            + "; its prune would delete the new repository's files", "choose a directory outside " + p);
      }
    }
  }

  @Override
  public Integer call() {
    if (!format.equals("repository")) {
      throw HoldfastException.usage(format.equals("archive")
          ? "init creates repositories (--format repository); archive targets need no init"
          : "unknown format '" + format + "' (init creates a repository: --format repository)",
          format.equals("archive") ? "back up to the directory: holdfast backup --to " + to + " PATH…" : null);
    }
    Wiring w = new Wiring(main, spec.commandLine().getErr());
    refuseInsideARepository(w.expandHome(to));
    String pass = w.repositoryPassword(password.passwordFile, null);
    try (Backend b = w.openBackend(to)) {
      try {
        if (b.stat("config").isPresent()) {
          throw new HoldfastException(ExitCode.FAILED, "there is already a repository at " + b.location(),
              "use it as it is, or choose another target");
        }
      } catch (IOException e) {
        throw HoldfastException.io("looking at " + b.location(), e);
      }
      int archives;
      try {
        archives = w.catalog(b).items().size();
      } catch (HoldfastException e) {
        if (e.exitCode() != ExitCode.TARGET_MISSING) {
          throw e;
        }
        archives = 0; // a new directory: init creates it
      }
      if (archives > 0) {
        // commands detect a repository by its config object: the archives would disappear from list and restore
        throw HoldfastException.usage(b.location() + " holds " + archives + " archive" + (archives == 1 ? "" : "s")
            + "; a repository there would hide them from list and restore", "create the repository in another directory");
      }
      String id;
      try (Repository repo = Repository.init(b, pass)) {
        id = repo.config().id();
      }
      if (main.global.json) {
        Json.print(spec.commandLine().getOut(), java.util.Map.of("id", id, "location", b.location()));
      } else if (!main.global.quiet) {
        spec.commandLine().getOut().printf("created repository %s at %s%n", id.substring(0, Math.min(8, id.length())),
            b.location());
      }
      spec.commandLine().getOut().flush();
      return 0;
    }
  }
}
