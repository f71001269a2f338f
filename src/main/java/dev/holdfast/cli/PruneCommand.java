package dev.holdfast.cli;

import dev.holdfast.error.HoldfastException;
import dev.holdfast.job.RunLog;
import dev.holdfast.repository.Pruner;
import dev.holdfast.repository.Repository;
import dev.holdfast.repository.RepositoryLock;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code holdfast prune}: removes the data of forgotten snapshots from a repository, like restic prune. */
@Command(name = "prune", description = {
    "Remove data no snapshot uses from a repository: delete unused packs, repack partly used ones, rewrite the index.",
    "Takes an exclusive lock; safe to interrupt at any point.",
    "  holdfast prune --from /srv/repo --dry-run",
    "  holdfast prune --job nightly --max-unused 10%%"})
final class PruneCommand implements Callable<Integer> {
  private final Main main;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;
  @CommandLine.Mixin TargetOptions target;
  @CommandLine.Mixin RepositoryOptions password;

  @Option(names = {"-n", "--dry-run"}, description = "Show what would be removed and repacked; change nothing.")
  boolean dryRun;

  @Option(names = "--max-unused", paramLabel = "PERCENT", defaultValue = "5%",
      description = "Unused space tolerated in packs that are not repacked, as a share of the used data "
          + "(default: 5%%; 0%% repacks every partly used pack, 100%% only deletes wholly unused packs).")
  String maxUnused;

  PruneCommand(Main main) {
    this.main = main;
  }

  static double percent(String text) {
    String s = text.strip();
    if (s.endsWith("%")) {
      s = s.substring(0, s.length() - 1).strip();
    }
    try {
      double v = Double.parseDouble(s);
      if (v >= 0 && v <= 100) {
        return v;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw HoldfastException.usage("--max-unused must be a percentage from 0% to 100%, got '" + text + "'");
  }

  @Override
  public Integer call() {
    double max = percent(maxUnused);
    Wiring w = new Wiring(main, spec.commandLine().getErr());
    PrintWriter out = spec.commandLine().getOut();
    try (Wiring.Opened o = w.open(target)) {
      if (!Wiring.holdsRepository(o.backend())) {
        throw HoldfastException.usage("prune works on repositories, and " + o.backend().location() + " holds archives",
            "archives are removed whole by forget; there is nothing to prune");
      }
      try (Repository repo = w.openRepository(o.backend(), password.passwordFile, o.job());
          RepositoryLock lock = repo.lock(true)) {
        Pruner.Result r = new Pruner(repo, max, Repository.DEFAULT_PACK_SIZE, progress(w)).guardedBy(lock).prune(dryRun);
        report(out, main.global.json, repo.backend().location(), r);
        if (!dryRun && r.changes()) {
          log(w.runLog(), repo.backend().location(), r);
        }
      }
    }
    out.flush();
    return 0;
  }

  java.util.function.Consumer<String> progress(Wiring w) {
    PrintWriter err = spec.commandLine().getErr();
    return main.global.verbose.length > 0 ? s -> {
      err.println("prune: " + s);
      err.flush();
    } : s -> {};
  }

  static void log(RunLog log, String location, Pruner.Result r) {
    log.line("PRUNED", location + ": " + r.packsRemoved() + " unused and " + r.unindexedPacks() + " unindexed pack(s) deleted, "
        + r.packsRepacked() + " repacked, " + size(r.freedBytes()) + " freed");
  }

  static Map<String, Object> json(String location, Pruner.Result r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("target", location);
    m.put("dry_run", r.dryRun());
    m.put("snapshots", r.snapshots());
    m.put("packs", r.packs());
    m.put("pack_bytes", r.packBytes());
    m.put("used_blobs", r.usedBlobs());
    m.put("unused_blobs", r.unusedBlobs());
    m.put("duplicate_blobs", r.duplicateBlobs());
    m.put("packs_removed", r.packsRemoved());
    m.put("packs_repacked", r.packsRepacked());
    m.put("unindexed_packs_removed", r.unindexedPacks());
    m.put("packs_written", r.packsWritten());
    m.put("repacked_bytes", r.repackedBytes());
    m.put("index_files_written", r.indexFilesWritten());
    m.put("index_files_removed", r.indexFilesRemoved());
    m.put("bytes_after", r.bytesAfter());
    m.put("freed_bytes", r.freedBytes());
    m.put("unused_bytes_after", r.unusedBytesAfter());
    return m;
  }

  static void report(PrintWriter out, boolean asJson, String location, Pruner.Result r) {
    if (asJson) {
      Json.print(out, json(location, r));
      return;
    }
    String would = r.dryRun() ? "would be " : "";
    out.printf("%s: %d snapshot(s), %d pack(s), %s%n", location, r.snapshots(), r.packs(), size(r.packBytes()));
    out.printf("  blobs: %d used, %d unused, %d duplicate cop%s%n", r.usedBlobs(), r.unusedBlobs(), r.duplicateBlobs(),
        r.duplicateBlobs() == 1 ? "y" : "ies");
    if (!r.changes()) {
      out.printf("  nothing to prune%n");
      return;
    }
    out.printf("  packs %sdeleted: %d unused, %d not in any index%n", would, r.packsRemoved(), r.unindexedPacks());
    out.printf("  packs %srepacked: %d (%s of used blobs copied%s)%n", would, r.packsRepacked(), size(r.repackedBytes()),
        r.dryRun() ? "" : " into " + r.packsWritten() + " new pack(s)");
    if (!r.dryRun()) {
      out.printf("  index: %d file(s) written, %d removed%n", r.indexFilesWritten(), r.indexFilesRemoved());
    }
    out.printf("  %s %s, %s remain (%s unused)%s%n", r.dryRun() ? "would free about" : "freed", size(r.freedBytes()),
        size(r.bytesAfter()), size(r.unusedBytesAfter()), r.dryRun() ? " (dry run: nothing changed)" : "");
  }

  static String size(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double v = bytes;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(java.util.Locale.ROOT, "%.1f %s", v, units[u]);
  }
}
