package dev.holdfast.cli;

import dev.holdfast.archive.ArchiveCatalog;
import dev.holdfast.archive.ArchiveCopy;
import dev.holdfast.backend.Backend;
import dev.holdfast.config.JobSpec;
import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import dev.holdfast.job.RunLog;
import dev.holdfast.repository.Repository;
import dev.holdfast.repository.RepositoryCopy;
import dev.holdfast.repository.StoredSnapshot;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code holdfast copy}: copies backups the destination lacks: archives verified by checksum, snapshots blob by blob. */
@Command(name = "copy", description = {
    "Copy backups to another target; what the destination already has is skipped. Archives are copied with their "
        + "checksum and manifest; repository snapshots with every blob the destination repository lacks (as restic copy).",
    "  holdfast copy --from /srv/backups --to /mnt/usb/backups",
    "  holdfast copy --from /srv/repo --to sftp://nas/repo --from-password-file pw-local --password-file pw-nas"})
final class CopyCommand implements Callable<Integer> {
  private final Main main;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;
  @CommandLine.Mixin TargetOptions source;

  @Option(names = "--to", required = true, paramLabel = "TARGET", description = "Destination target.")
  String to;

  @Parameters(paramLabel = "BACKUP", description = "Backups to copy: archive names, or snapshot ids, prefixes or 'latest' (default: all).")
  List<String> backups = new ArrayList<>();

  @Option(names = "--from-password-file", paramLabel = "FILE",
      description = "Password of the source repository. Else the job's, $HOLDFAST_FROM_PASSWORD, $RESTIC_FROM_PASSWORD, "
          + "$RESTIC_FROM_PASSWORD_FILE, else the destination's.")
  Path fromPasswordFile;

  @Option(names = {"--password-file", "--to-password-file"}, paramLabel = "FILE",
      description = "Password of the destination repository. Else $HOLDFAST_PASSWORD, $RESTIC_PASSWORD, "
          + "$RESTIC_PASSWORD_FILE, else the job's.")
  Path toPasswordFile;

  @Option(names = "--init", description = "Create the destination repository when it has none, with the source's "
      + "chunker polynomial (so the two deduplicate alike).")
  boolean init;

  CopyCommand(Main main) {
    this.main = main;
  }

  @Override
  public Integer call() {
    Wiring w = new Wiring(main, spec.commandLine().getErr());
    try (Wiring.Opened from = w.open(source); Backend dest = w.openBackend(to)) {
      if (Wiring.holdsRepository(from.backend())) {
        return copySnapshots(w, from, dest);
      }
      if (fromPasswordFile != null || toPasswordFile != null || init) {
        throw HoldfastException.usage("--from-password-file, --password-file and --init apply to repositories, and "
            + from.backend().location() + " holds none");
      }
      if (Wiring.holdsRepository(dest)) {
        throw HoldfastException.usage(dest.location() + " holds a repository: archives cannot be copied into it",
            "copy the archives to another target, or back up into the repository with holdfast backup --to "
                + dest.location());
      }
      List<ArchiveCatalog.Item> items = new ArrayList<>();
      if (backups.isEmpty()) {
        items.addAll(from.items());
      } else {
        for (String b : backups) {
          items.add(from.select(b));
        }
      }
      ArchiveCopy.Result r = new ArchiveCopy(dest).copy(items);
      RunLog log = w.runLog();
      for (String id : r.copied()) {
        log.line("INFO", "copied " + id + " to " + dest.location());
      }
      if (main.global.json) {
        Json.print(spec.commandLine().getOut(), r);
      } else if (!main.global.quiet) {
        spec.commandLine().getOut().printf("copied %d backup%s (%s), %d already present on %s%n", r.copied().size(),
            r.copied().size() == 1 ? "" : "s", RunLog.human(r.bytes()), r.skipped().size(), dest.location());
      }
      return 0;
    }
  }

  private int copySnapshots(Wiring w, Wiring.Opened from, Backend dest) {
    JobSpec job = from.job() != null && w.configIfAny().map(c -> c.jobs().containsKey(from.job())).orElse(false)
        ? w.jobSpec(from.job()) : null;
    String toPass = destinationPassword(w, job);
    String fromPass = sourcePassword(w, job, toPass);
    try (Repository src = w.withLockPolicy(Repository.open(from.backend(), fromPass));
        Repository dst = w.withLockPolicy(openDestination(w, dest, toPass, src))) {
      List<StoredSnapshot> all = src.readableSnapshots().stream()
          .filter(s -> from.job() == null || (!s.snapshot().tags().isEmpty() && s.snapshot().tags().get(0).equals(from.job())))
          .toList();
      List<StoredSnapshot> chosen = new ArrayList<>();
      if (backups.isEmpty()) {
        chosen.addAll(all);
      } else {
        for (String b : backups) {
          String id = Wiring.selectSnapshot(src, b, from.job()).id();
          src.readableSnapshots().stream().filter(s -> s.id().hex().equals(id)).findFirst().ifPresent(s -> {
            if (!chosen.contains(s)) {
              chosen.add(s);
            }
          });
        }
      }
      RepositoryCopy.Result r = new RepositoryCopy(src, dst, w.lockEvents()).copy(chosen);
      RunLog log = w.runLog(new java.io.PrintWriter(java.io.Writer.nullWriter()));
      r.copied().forEach((s, c) -> log.line("INFO", "copied snapshot " + s.substring(0, 8) + " to " + dest.location()
          + " as " + c.substring(0, 8)));
      if (main.global.json) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("copied", r.copied());
        m.put("skipped", r.skipped());
        m.put("blobs", r.blobs());
        m.put("bytes", r.bytes());
        m.put("destination", dest.location());
        Json.print(spec.commandLine().getOut(), m);
      } else if (!main.global.quiet) {
        var out = spec.commandLine().getOut();
        r.copied().forEach((s, c) -> out.println("copied snapshot " + s.substring(0, 8) + " as " + c.substring(0, 8)));
        out.printf("copied %d snapshot%s (%d new blob%s, %s), %d already present in %s%n", r.copied().size(),
            r.copied().size() == 1 ? "" : "s", r.blobs(), r.blobs() == 1 ? "" : "s", RunLog.human(r.bytes()),
            r.skipped().size(), dest.location());
        out.flush();
      }
      return 0;
    }
  }

  private Repository openDestination(Wiring w, Backend dest, String pass, Repository src) {
    if (Wiring.holdsRepository(dest)) {
      return Repository.open(dest, pass);
    }
    if (!init) {
      throw new HoldfastException(ExitCode.TARGET_MISSING, "no repository at " + dest.location(),
          "add --init to create one there (with the source's chunker polynomial), or check the target");
    }
    int archives;
    try {
      archives = w.catalog(dest).items().size();
    } catch (HoldfastException e) {
      if (e.exitCode() != ExitCode.TARGET_MISSING) {
        throw e;
      }
      archives = 0;
    }
    if (archives > 0) {
      throw HoldfastException.usage(dest.location() + " holds " + archives + " archive" + (archives == 1 ? "" : "s")
          + "; a repository there would hide them from list and restore", "copy into another directory");
    }
    return Repository.init(dest, pass, src.config().chunkerPolynomial());
  }

  /** As restic copy's --password-file (the repository written to), then the environment, then the job's. */
  private String destinationPassword(Wiring w, JobSpec job) {
    if (toPasswordFile != null) {
      return w.repositoryPassword(toPasswordFile, null);
    }
    try {
      return w.repositoryPassword(null, null);
    } catch (HoldfastException e) {
      if (job == null) {
        throw e;
      }
      return w.repositoryPassword(null, job);
    }
  }

  /** As restic copy's --from-password-file and $RESTIC_FROM_PASSWORD; else the job's, else the destination's. */
  private String sourcePassword(Wiring w, JobSpec job, String destination) {
    if (fromPasswordFile != null) {
      return w.passwordFile("the source repository password", Path.of(w.expandHome(fromPasswordFile.toString())));
    }
    if (job != null) {
      return w.repositoryPassword(null, job);
    }
    for (String var : List.of("HOLDFAST_FROM_PASSWORD", "RESTIC_FROM_PASSWORD")) {
      String v = w.env().get(var);
      if (v != null && !v.isEmpty()) {
        return v;
      }
    }
    String file = w.env().get("RESTIC_FROM_PASSWORD_FILE");
    if (file != null && !file.isEmpty()) {
      return w.passwordFile("the source repository password ($RESTIC_FROM_PASSWORD_FILE)", Path.of(w.expandHome(file)));
    }
    return destination;
  }
}
