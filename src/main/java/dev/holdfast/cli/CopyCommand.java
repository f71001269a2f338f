package dev.holdfast.cli;

import dev.holdfast.archive.ArchiveCatalog;
import dev.holdfast.archive.ArchiveCopy;
import dev.holdfast.backend.Backend;
import dev.holdfast.job.RunLog;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code holdfast copy}: copies backups the destination lacks, verifying checksums on the way. */
@Command(name = "copy", description = {
    "Copy backups (with checksum and manifest) to another target; what the destination already has is skipped.",
    "  holdfast copy --from /srv/backups --to /mnt/usb/backups"})
final class CopyCommand implements Callable<Integer> {
  private final Main main;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;
  @CommandLine.Mixin TargetOptions source;

  @Option(names = "--to", required = true, paramLabel = "TARGET", description = "Destination target.")
  String to;

  @Parameters(paramLabel = "BACKUP", description = "Backups to copy (default: all).")
  List<String> backups = new ArrayList<>();

  CopyCommand(Main main) {
    this.main = main;
  }

  @Override
  public Integer call() {
    Wiring w = new Wiring(main, spec.commandLine().getErr());
    try (Wiring.Opened from = w.open(source); Backend dest = w.openBackend(to)) {
      Wiring.refuseRepository(from.backend(), "copy", "restic copy");
      Wiring.refuseRepository(dest, "copy", "restic copy");
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
}
