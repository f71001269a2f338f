package dev.holdfast.cli;

import dev.holdfast.archive.ArchiveCatalog;
import dev.holdfast.event.EventSink;
import dev.holdfast.job.RunLog;
import dev.holdfast.error.HoldfastException;
import dev.holdfast.restore.ArchiveRestore;
import dev.holdfast.restore.DatabaseRestore;
import dev.holdfast.restore.RestoreRequest;
import dev.holdfast.restore.RestoreResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code holdfast restore}: a backup (latest by default) into a directory, checked before committing. */
@Command(
    name = "restore",
    description = {
      "Restore a backup into a directory. Nothing is written in place until the whole backup has been",
      "read and verified.",
      "  holdfast restore --from /srv/backups latest --target ~/restored",
      "  holdfast restore --from /srv/backups latest --database shop --into postgresql://app@db/shop_copy --create"
    })
final class RestoreCommand implements Callable<Integer> {
  private final Main main;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;
  @CommandLine.Mixin TargetOptions target;
  @CommandLine.Mixin KeyOptions keys;

  @Parameters(index = "0", arity = "0..1", paramLabel = "BACKUP", defaultValue = "latest",
      description = "'latest' (default), or a backup's name as 'list' shows it.")
  String backup;

  @Option(names = {"-t", "--target"}, paramLabel = "DIR", description = "Directory to restore into (files).")
  Path into;

  @Option(names = {"-i", "--include"}, paramLabel = "GLOB", description = "Restore only matching paths (repeatable).")
  List<String> include = new ArrayList<>();

  @Option(names = "--overwrite", description = "Replace existing files instead of refusing.")
  boolean overwrite;

  @Option(names = "--database", paramLabel = "NAME",
      description = "Load this database's dump into a live server instead of restoring files.")
  String database;

  @Option(names = "--into", paramLabel = "URI",
      description = "With --database: postgresql://user@host:port/db or mariadb://user@host:port/db. "
          + "Default: the same name on the host it was dumped from.")
  String intoDatabase;

  @Option(names = "--create", description = "With --database: create the database if it does not exist.")
  boolean create;

  @Option(names = "--clean", description = "With --database: drop what the database holds before loading.")
  boolean clean;

  RestoreCommand(Main main) {
    this.main = main;
  }

  @Override
  public Integer call() {
    Wiring w = new Wiring(main, spec.commandLine().getErr());
    if (database != null) {
      return restoreDatabase(w);
    }
    if (into == null) {
      throw HoldfastException.usage("say where to restore: --target DIR (files) or --database NAME (a database dump)");
    }
    if (intoDatabase != null || create || clean) {
      throw HoldfastException.usage("--into, --create and --clean apply to --database");
    }
    try (Wiring.Opened o = w.open(target);
        ProgressDisplay progress = ProgressDisplay.startIfTerminal(spec.commandLine().getErr(), main.global.quiet)) {
      ArchiveCatalog.Item item = o.select(backup);
      EventSink sink = progress == null ? EventSink.NONE : progress;
      RestoreResult r = new ArchiveRestore(sink, w.decryption(keys, o.job())).restore(item, new RestoreRequest(
          Path.of(w.expandHome(into.toString())), include, overwrite));
      if (main.global.json) {
        Json.print(spec.commandLine().getOut(), r);
      } else if (!main.global.quiet) {
        spec.commandLine().getOut().printf("restored %s into %s: %d files, %d directories, %d links, %s%n",
            r.backup(), into, r.files(), r.directories(), r.links(), RunLog.human(r.bytes()));
      }
      return 0;
    }
  }

  private int restoreDatabase(Wiring w) {
    if (into != null || !include.isEmpty() || overwrite) {
      throw HoldfastException.usage("--database restores into a server; --target, --include and --overwrite apply to files");
    }
    try (Wiring.Opened o = w.open(target)) {
      ArchiveCatalog.Item item = o.select(backup);
      DatabaseRestore.Result r = new DatabaseRestore(w.decryption(keys, o.job()), main.env)
          .restore(item, new DatabaseRestore.Request(database, intoDatabase, create, clean));
      if (main.global.json) {
        Json.print(spec.commandLine().getOut(), r);
      } else if (!main.global.quiet) {
        spec.commandLine().getOut().printf("restored %s from %s into %s (%s)%n",
            r.entry(), r.backup(), r.into(), RunLog.human(r.bytes()));
      }
      return 0;
    }
  }
}
