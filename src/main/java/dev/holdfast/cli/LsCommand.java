package dev.holdfast.cli;

import dev.holdfast.error.HoldfastException;
import dev.holdfast.format.BackupRef;
import dev.holdfast.repository.FileMode;
import dev.holdfast.repository.Node;
import dev.holdfast.repository.NodeType;
import dev.holdfast.repository.ObjectId;
import dev.holdfast.repository.Repository;
import java.io.PrintWriter;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code holdfast ls}: the file tree of a repository snapshot, like {@code restic ls}. */
@Command(
    name = "ls",
    description = {
      "List the files of a snapshot in a repository (like restic ls).",
      "  holdfast ls --from /srv/repo latest",
      "  holdfast ls --from /srv/repo 1a2b3c4d --long"
    })
final class LsCommand implements Callable<Integer> {
  private final Main main;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;
  @CommandLine.Mixin TargetOptions target;
  @CommandLine.Mixin RepositoryOptions password;

  @Parameters(index = "0", arity = "0..1", paramLabel = "SNAPSHOT", defaultValue = "latest",
      description = "'latest' (default), or a snapshot id or a unique prefix of one.")
  String snapshot;

  @Option(names = {"-l", "--long"}, description = "Show type and mode, size and modification time.")
  boolean longFormat;

  /** One node as listed. */
  record Item(String path, String type, String mode, long size, String mtime, String linkTarget) {}

  LsCommand(Main main) {
    this.main = main;
  }

  @Override
  public Integer call() {
    Wiring w = new Wiring(main, spec.commandLine().getErr());
    try (Wiring.Opened o = w.open(target)) {
      if (!Wiring.holdsRepository(o.backend())) {
        throw HoldfastException.usage("ls lists repository snapshots, and " + o.backend().location() + " holds archives",
            "list an archive's files with: tar -tvf ARCHIVE (see holdfast list)");
      }
      try (Repository repo = w.openRepository(o.backend(), password.passwordFile, o.job())) {
        BackupRef ref = Wiring.selectSnapshot(repo, snapshot, o.job());
        List<Item> items = new ArrayList<>();
        walk(repo, repo.loadSnapshot(ObjectId.parse(ref.id())).tree(), "", items);
        PrintWriter out = spec.commandLine().getOut();
        if (main.global.json) {
          Json.print(out, items);
        } else {
          if (!main.global.quiet) {
            out.printf("snapshot %s of %s at %s:%n", ref.id().substring(0, 8), repo.loadSnapshot(ObjectId.parse(ref.id())).paths(),
                DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(w.zone()).format(ref.time()));
          }
          for (Item i : items) {
            if (longFormat) {
              out.printf("%-8s %s %12d %s %s%s%n", i.type(), i.mode(), i.size(), i.mtime(), i.path(),
                  i.linkTarget() == null ? "" : " -> " + i.linkTarget());
            } else {
              out.println(i.path());
            }
          }
        }
        out.flush();
        return 0;
      }
    }
  }

  private static void walk(Repository repo, ObjectId tree, String prefix, List<Item> items) {
    for (Node n : repo.loadTree(tree).nodes()) {
      String path = prefix + "/" + n.name();
      items.add(new Item(path, n.type().json(), String.format("%04o", FileMode.toPosixPermissions(n.mode())),
          n.type() == NodeType.FILE ? n.size() : 0, n.mtime() == null ? "" : n.mtime().toString(), n.linkTarget()));
      if (n.type() == NodeType.DIR && n.subtree() != null) {
        walk(repo, n.subtree(), path, items);
      }
    }
  }
}
