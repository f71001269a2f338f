package dev.holdfast.cli;

import dev.holdfast.archive.ArchiveCatalog;
import dev.holdfast.event.EventSink;
import dev.holdfast.job.RunLog;
import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import dev.holdfast.restore.ArchiveRestore;
import dev.holdfast.restore.DatabaseRestore;
import dev.holdfast.restore.RestoreRequest;
import dev.holdfast.restore.RepositoryRestore;
import dev.holdfast.format.BackupRef;
import dev.holdfast.repository.ObjectId;
import dev.holdfast.repository.Repository;
import dev.holdfast.restore.RestoreResult;
import dev.holdfast.restore.VolumeRestore;
import dev.holdfast.source.DockerVolumeSource;
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
      "Restore a backup into a directory. Nothing is written in place until the whole backup has been read and verified.",
      "  holdfast restore --from /srv/backups latest --target ~/restored",
      "  holdfast restore --from /srv/backups latest --database shop --into postgresql://app@db/shop_copy --create",
      "  holdfast restore --from /srv/backups latest --volume n8n_data --into n8n_data_copy"
    })
final class RestoreCommand implements Callable<Integer> {
  private final Main main;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;
  @CommandLine.Mixin TargetOptions target;
  @CommandLine.Mixin KeyOptions keys;
  @CommandLine.Mixin RepositoryOptions password;

  @Parameters(index = "0", arity = "0..1", paramLabel = "BACKUP", defaultValue = "latest",
      description = "'latest' (default), or a backup's name as 'list' shows it.")
  String backup;

  @Option(names = "--partial", description = "From a repository: when some data is damaged or missing, restore the intact "
      + "files and name the others (exit 4), instead of restoring nothing.")
  boolean partial;

  @Option(names = "--no-lock", description = "On a repository: read it without writing a lock file, for read-only storage or "
      + "credentials (as restic's --no-lock); a prune running meanwhile could delete what is being read.")
  boolean noLock;

  @Option(names = {"-t", "--target"}, paramLabel = "DIR", description = "Directory to restore into (files).")
  Path into;

  @Option(names = {"-i", "--include"}, paramLabel = "GLOB", description = "Restore only matching paths (repeatable).")
  List<String> include = new ArrayList<>();

  @Option(names = "--overwrite", description = "Replace existing files instead of refusing (also in a --volume).")
  boolean overwrite;

  @Option(names = "--database", paramLabel = "NAME",
      description = "Load this database's dump into a live server instead of restoring files.")
  String database;

  @Option(names = "--into", paramLabel = "URI|VOLUME",
      description = "With --database: postgresql://user@host:port/db or mariadb://user@host:port/db. "
          + "Default: the same name on the host it was dumped from. With --volume: the volume to restore into "
          + "(created when missing). Default: the same name.")
  String intoDatabase;

  @Option(names = "--create", description = "With --database: create the database if it does not exist.")
  boolean create;

  @Option(names = "--clean", description = "With --database: drop what the database holds before loading. "
      + "With --volume: empty the volume first.")
  boolean clean;

  @Option(names = "--volume", paramLabel = "NAME",
      description = "Restore this Docker/Podman volume's files into a volume, through the engine's API.")
  String volume;

  @Option(names = "--docker-host", paramLabel = "URI",
      description = "With --volume: the engine. Default: the docker_host of the --job's docker_volume sources, "
          + "else $DOCKER_HOST, else unix:///var/run/docker.sock.")
  String dockerHost;

  @Option(names = "--stop", description = "With --volume: stop every running container that uses the volume "
      + "for the restore (those labelled holdfast.stop-during-backup=true always are), and start them again after.")
  boolean stop;

  @Option(names = "--helper-image", paramLabel = "IMAGE",
      description = "With --volume: image of the helper container that mounts the volume (needs sh, sleep, ls, rm). "
          + "Default: " + VolumeRestore.DEFAULT_HELPER_IMAGE + ", pulled when missing.")
  String helperImage;

  RestoreCommand(Main main) {
    this.main = main;
  }

  @Override
  public Integer call() {
    Wiring w = new Wiring(main, spec.commandLine().getErr());
    if (volume != null) {
      return restoreVolume(w);
    }
    if (dockerHost != null || helperImage != null || stop) {
      throw HoldfastException.usage("--docker-host, --helper-image and --stop apply to --volume");
    }
    if (database != null) {
      return restoreDatabase(w);
    }
    if (into == null) {
      throw HoldfastException.usage("say where to restore: --target DIR (files), --database NAME (a database dump) or --volume NAME (a Docker volume)");
    }
    if (intoDatabase != null || create || clean) {
      throw HoldfastException.usage("--into, --create and --clean apply to --database (and --into, --clean to --volume)");
    }
    warnAboutLeftovers(Path.of(w.expandHome(into.toString())));
    try (Wiring.Opened o = w.open(target);
        ProgressDisplay progress = ProgressDisplay.startIfTerminal(spec.commandLine().getErr(), main.global.quiet)) {
      if (Wiring.holdsRepository(o.backend())) {
        return restoreSnapshot(w, o, progress == null ? EventSink.NONE : progress);
      }
      if (partial || noLock) {
        throw HoldfastException.usage((partial ? "--partial" : "--no-lock") + " applies to repositories; " + o.backend().targetUrl()
            + " holds archives", partial ? "an archive is restored whole or not at all; --include takes part of it" : null);
      }
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

  /**
   * A restore stopped by SIGKILL (or a crash) leaves its hidden staging directory in the target,
   * where nothing else would ever mention it: the next restore there says so. It may also belong
   * to a restore running now, so it is not deleted.
   */
  private void warnAboutLeftovers(Path dir) {
    if (!java.nio.file.Files.isDirectory(dir)) {
      return;
    }
    try (var s = java.nio.file.Files.newDirectoryStream(dir, ".holdfast-restore-*")) {
      for (Path p : s) {
        spec.commandLine().getErr().println("warning: " + p + " was left by a restore that was killed (or belongs to one "
            + "running now): it holds part of a restore; delete it when no restore into " + dir + " is running");
      }
      spec.commandLine().getErr().flush();
    } catch (java.io.IOException e) {
      // the restore itself reports what is wrong with the target
    }
  }

  private int restoreSnapshot(Wiring w, Wiring.Opened o, EventSink sink) {
    try (Repository repo = w.openRepository(o.backend(), password.passwordFile, o.job());
        // shared, as restic's restore: a prune must not delete packs mid-restore
        var lock = noLock ? null : repo.lock(false)) {
      BackupRef ref = Wiring.selectSnapshot(repo, backup, o.job());
      RestoreResult r;
      try {
        r = new RepositoryRestore(sink).restore(repo, ObjectId.parse(ref.id()), new RestoreRequest(
            Path.of(w.expandHome(into.toString())), include, overwrite, partial));
      } catch (HoldfastException e) {
        if (partial || e.exitCode() != ExitCode.DAMAGED || e.hint() != null) {
          throw e;
        }
        throw new HoldfastException(e.exitCode(), e.getMessage() + "; nothing was restored",
            "--partial restores the files whose data is intact; holdfast verify --from " + o.backend().targetUrl()
                + " names every damaged pack and blob", e);
      }
      if (main.global.json) {
        Json.print(spec.commandLine().getOut(), r);
      } else if (!main.global.quiet) {
        spec.commandLine().getOut().printf("restored %s into %s: %d files, %d directories, %d links, %s%s%n",
            r.backup(), into, r.files(), r.directories(), r.links(), RunLog.human(r.bytes()),
            r.skipped() == 0 ? "" : "; " + r.skipped() + " special files not restored");
      }
      return 0;
    }
  }

  private int restoreVolume(Wiring w) {
    if (database != null || into != null || !include.isEmpty()) {
      throw HoldfastException.usage("--volume restores into a volume; --database, --target and --include do not apply");
    }
    if (clean && overwrite) {
      throw HoldfastException.usage("--clean empties the volume, --overwrite writes over its files: choose one");
    }
    try (Wiring.Opened o = w.open(target)) {
      refuseRepository(o, "--volume");
      ArchiveCatalog.Item item = o.select(backup);
      VolumeRestore.Result r = new VolumeRestore(w.decryption(keys, o.job())).restore(item, new VolumeRestore.Request(
          volume, intoDatabase, dockerHost(w, o.job()), helperImage, clean, overwrite, stop));
      if (main.global.json) {
        Json.print(spec.commandLine().getOut(), r);
      } else if (!main.global.quiet) {
        spec.commandLine().getOut().printf("restored docker volume %s from %s into %svolume %s: %d files, "
            + "%d directories, %d links, %s%s%s%n", r.volume(), r.backup(), r.created() ? "new " : "", r.into(), r.files(),
            r.directories(), r.links(), RunLog.human(r.bytes()),
            r.skipped() == 0 ? "" : "; " + r.skipped() + " special files (FIFOs, devices) not restored",
            r.stopped().isEmpty() ? "" : "; stopped and started again: " + String.join(", ", r.stopped()));
      }
      return 0;
    }
  }

  private static void refuseRepository(Wiring.Opened o, String option) {
    if (Wiring.holdsRepository(o.backend())) {
      throw HoldfastException.usage(option + " is not supported for repositories yet",
          "restore the files with --target DIR, then load them by hand");
    }
  }

  /** --docker-host, else the engine the job's docker_volume sources name (when they agree on one), else the default. */
  private String dockerHost(Wiring w, String job) {
    if (dockerHost != null || job == null) {
      return DockerVolumeSource.dockerHost(dockerHost, main.env);
    }
    List<String> hosts = w.jobSpec(job).sources().stream().filter(s -> s.startsWith("docker-volume:"))
        .map(s -> DockerVolumeSource.parse(s, main.env).dockerHost()).distinct().toList();
    if (hosts.size() > 1) {
      throw HoldfastException.usage("job " + job + " backs up volumes from several engines: " + String.join(", ", hosts),
          "say which with --docker-host");
    }
    return hosts.isEmpty() ? DockerVolumeSource.dockerHost(null, main.env) : hosts.get(0);
  }

  private int restoreDatabase(Wiring w) {
    if (into != null || !include.isEmpty() || overwrite) {
      throw HoldfastException.usage("--database restores into a server; --target, --include and --overwrite apply to files");
    }
    try (Wiring.Opened o = w.open(target)) {
      if (Wiring.holdsRepository(o.backend())) {
        try (Repository repo = w.openRepository(o.backend(), password.passwordFile, o.job())) {
          BackupRef ref = Wiring.selectSnapshot(repo, backup, o.job());
          return printDatabase(new DatabaseRestore(null, main.env).restore(repo, ObjectId.parse(ref.id()),
              new DatabaseRestore.Request(database, intoDatabase, create, clean)));
        }
      }
      ArchiveCatalog.Item item = o.select(backup);
      return printDatabase(new DatabaseRestore(w.decryption(keys, o.job()), main.env)
          .restore(item, new DatabaseRestore.Request(database, intoDatabase, create, clean)));
    }
  }

  private int printDatabase(DatabaseRestore.Result r) {
    if (main.global.json) {
      Json.print(spec.commandLine().getOut(), r);
    } else if (!main.global.quiet) {
      spec.commandLine().getOut().printf("restored %s from %s into %s (%s)%n",
          r.entry(), r.backup(), r.into(), RunLog.human(r.bytes()));
    }
    return 0;
  }
}
