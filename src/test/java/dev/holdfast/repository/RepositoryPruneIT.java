package dev.holdfast.repository;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.backend.LocalBackend;
import dev.holdfast.event.EventSink;
import dev.holdfast.source.PathSource;
import dev.holdfast.testkit.Cli;
import dev.holdfast.testkit.Processes;
import dev.holdfast.testkit.Trees;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * forget and prune on repositories, judged by the real restic binary: after prune (and after prune
 * is killed at any step) {@code restic check --read-data} passes and every kept snapshot restores
 * byte for byte.
 */
class RepositoryPruneIT {
  private static final String PASSWORD = "prune test password";
  private static final long POLYNOMIAL = 0x3DA3358B4DC173L;
  private static final KdfParams FAST_KDF = new KdfParams(16384, 8, 1);
  private static final String HOST = "testhost";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Six snapshots of one job (policy keep-last 2, keep-monthly 2 keeps 03-28, 03-25, 02-10) and one of another. */
  private static final String[] TIMES = {
    "2026-01-10T12:00:00Z", "2026-02-10T12:00:00Z", "2026-03-05T12:00:00Z",
    "2026-03-20T12:00:00Z", "2026-03-25T12:00:00Z", "2026-03-28T12:00:00Z"};

  private static final String[] POLICY = {"--keep-last", "2", "--keep-monthly", "2", "--host", HOST};

  @TempDir Path tmp;

  /** The content (relative path to SHA-256) each snapshot must restore to. */
  private final Map<String, Map<String, String>> expected = new LinkedHashMap<>();

  private final List<String> daily = new ArrayList<>();
  private String other;
  private Path src;

  private Cli cli() {
    return new Cli(tmp.resolve("state")).env("HOLDFAST_PASSWORD", PASSWORD).env("TZ", "UTC");
  }

  /**
   * Six versions of a changing tree as job "daily", with small packs so there are many, and one
   * snapshot of job "other" written by a second handle that opened the repository before the first
   * backup, so it stores second copies of blobs the others already hold (duplicates).
   */
  private Path buildRepository() throws IOException {
    Path repoDir = tmp.resolve("repo");
    src = tmp.resolve("src");
    Path copySrc = tmp.resolve("other-src");
    Random random = new Random(4242);
    Files.createDirectories(src);
    for (int i = 0; i < 12; i++) {
      Trees.randomFile(src.resolve("f" + i + ".bin"), random, 8_000 + random.nextInt(40_000));
    }
    try (var backend = new LocalBackend(repoDir);
        var repo = Repository.init(backend, PASSWORD, POLYNOMIAL, FAST_KDF)) {
      repo.setPackSize(48 << 10);
    }
    try (var backendB = new LocalBackend(repoDir); var late = Repository.open(backendB, PASSWORD)) {
      late.setPackSize(48 << 10);
      for (int v = 0; v < TIMES.length; v++) {
        if (v > 0) {
          for (int k = 0; k < 3; k++) {
            Trees.randomFile(src.resolve("f" + random.nextInt(12 + v) + ".bin"), random, 5_000 + random.nextInt(40_000));
          }
          Trees.randomFile(src.resolve("f" + (11 + v) + ".bin"), random, 20_000);
        }
        if (v == 2) {
          copyTree(src, copySrc);
        }
        try (var backend = new LocalBackend(repoDir); var repo = Repository.open(backend, PASSWORD)) {
          repo.setPackSize(48 << 10);
          daily.add(backup(repo, src, "daily", TIMES[v]));
        }
        expected.put(daily.get(v), digest(src));
      }
      // The late handle knows none of the blobs above: its copy of version 3 is stored again.
      other = backup(late, copySrc, "other", "2026-03-29T12:00:00Z");
      expected.put(other, digest(copySrc));
    }
    return repoDir;
  }

  private static String backup(Repository repo, Path root, String job, String time) {
    var info = new RepositoryWriter.SnapshotInfo(List.of(root.toString()), HOST, "tester", List.of(job),
        OffsetDateTime.parse(time).withOffsetSameInstant(ZoneOffset.UTC), "holdfast test");
    try (var writer = new RepositoryWriter(repo, info);
        Stream<dev.holdfast.source.Entry> entries = PathSource.of(List.of(root.toString())).entries(EventSink.NONE)) {
      entries.forEach(writer::add);
      return writer.finish().id();
    }
  }

  private static void copyTree(Path from, Path to) throws IOException {
    Files.createDirectories(to);
    try (Stream<Path> s = Files.list(from)) {
      for (Path p : s.toList()) {
        Files.copy(p, to.resolve(p.getFileName()));
      }
    }
  }

  private static Map<String, String> digest(Path root) {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(root)) {
      s.filter(Files::isRegularFile).forEach(p -> out.put(root.relativize(p).toString(), Trees.sha256(p)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  private List<String> kept() {
    return List.of(daily.get(1), daily.get(4), daily.get(5), other);
  }

  /** restic checks every byte, lists exactly the kept snapshots, and restores each one exactly. */
  private void assertValidWithKeptSnapshots(Path repoDir, String when) throws IOException {
    var restic = new ResticCli(repoDir, PASSWORD, tmp);
    // A killed prune leaves its lock file; restic 0.14 does not skip stale locks by itself, but its
    // unlock removes them (the process is gone), as a user would after a crash.
    restic.check("unlock");
    Processes.Result check = restic.run("check", "--read-data");
    assertThat(check.exitCode()).as("restic check %s: %s", when, check).isZero();
    assertThat(check.out()).contains("no errors were found");
    Cli.Result verify = cli().run("verify", "--from", repoDir.toString(), "--level", "full");
    assertThat(verify.exitCode()).as("holdfast verify %s: %s", when, verify).isZero();
    String snaps = restic.check("snapshots", "--json");
    for (String id : kept()) {
      assertThat(snaps).as("snapshots %s", when).contains(id);
      Path target = tmp.resolve("restore-" + id.substring(0, 8) + "-" + System.nanoTime());
      restic.check("restore", id, "--target", target.toString());
      Path root = id.equals(other) ? tmp.resolve("other-src") : src;
      assertThat(digest(Trees.restored(target, root))).as("snapshot %s restored %s", id.substring(0, 8), when)
          .isEqualTo(expected.get(id));
      deleteTree(target);
    }
  }

  @Test
  void forgetAndPruneKeepWhatThePolicyKeepsAndRemoveTheRest() throws IOException {
    Path repoDir = buildRepository();
    Cli cli = cli();
    long before = sizeOf(repoDir.resolve("data"));

    Cli.Result dry = cli.run("--json", "prune", "--from", repoDir.toString(), "--dry-run");
    assertThat(dry.exitCode()).as(dry.toString()).isZero();
    JsonNode plan = JSON.readTree(dry.out());
    assertThat(plan.get("duplicate_blobs").asInt()).as("the late snapshot's second copies").isPositive();
    assertThat(plan.get("unused_blobs").asInt()).isZero();

    Cli.Result forget = cli.run(concat(new String[] {"forget", "--from", repoDir.toString(), "--all-hosts"}, POLICY));
    assertThat(forget.exitCode()).as(forget.toString()).isZero();
    assertThat(forget.out()).contains("3 to keep, 3 to remove");

    Cli.Result prune = cli.run("prune", "--from", repoDir.toString(), "--max-unused", "0%");
    assertThat(prune.exitCode()).as(prune.toString()).isZero();
    assertThat(prune.out()).contains("freed");
    assertThat(sizeOf(repoDir.resolve("data"))).as("pack bytes after prune").isLessThan(before);

    assertValidWithKeptSnapshots(repoDir, "after prune");
    Cli.Result again = cli.run("--json", "prune", "--from", repoDir.toString(), "--max-unused", "0%");
    assertThat(again.exitCode()).as(again.toString()).isZero();
    JsonNode second = JSON.readTree(again.out());
    assertThat(second.get("duplicate_blobs").asInt()).as("duplicates left").isZero();
    assertThat(second.get("unused_blobs").asInt()).as("unused blobs left").isZero();
    assertThat(second.get("packs_removed").asInt() + second.get("packs_repacked").asInt()).isZero();

    // we read it back ourselves, too: every kept snapshot, file by file
    try (var backend = new LocalBackend(repoDir); var repo = Repository.open(backend, PASSWORD)) {
      assertThat(repo.listSnapshots()).extracting(s -> s.id().hex()).containsExactlyInAnyOrderElementsOf(kept());
    }
  }

  @Test
  void forgetDryRunShowsEachSnapshotsReasonAndChangesNothing() throws IOException {
    Path repoDir = buildRepository();
    Map<String, Long> files = listing(repoDir);
    Cli.Result text = cli().run(concat(new String[] {"forget", "--from", repoDir.toString(), "--dry-run", "--prune"}, POLICY));
    assertThat(text.exitCode()).as(text.toString()).isZero();
    assertThat(text.out())
        .contains("host testhost, job daily, paths " + src)
        .contains("keep    2026-03-28 12:00:00  " + daily.get(5).substring(0, 8) + "  last, monthly")
        .contains("keep    2026-03-25 12:00:00  " + daily.get(4).substring(0, 8) + "  last")
        .contains("remove  2026-03-20 12:00:00  " + daily.get(3).substring(0, 8) + "  remove")
        .contains("keep    2026-02-10 12:00:00  " + daily.get(1).substring(0, 8) + "  monthly")
        .contains("remove  2026-01-10 12:00:00  " + daily.get(0).substring(0, 8) + "  remove")
        .contains("3 to keep, 3 to remove (dry run: nothing removed)")
        .contains("would free about");

    Cli.Result json = cli().run(concat(new String[] {"--json", "forget", "--from", repoDir.toString(), "--dry-run"}, POLICY));
    assertThat(json.exitCode()).as(json.toString()).isZero();
    Map<String, String> reasons = new TreeMap<>();
    for (JsonNode d : JSON.readTree(json.out())) {
      reasons.put(d.get("backup").asText(), d.get("reasons").asText());
      assertThat(d.get("keep").asBoolean()).isEqualTo(!d.get("reasons").asText().equals("remove"));
    }
    assertThat(reasons).containsEntry(daily.get(5), "last, monthly").containsEntry(daily.get(2), "remove")
        .containsEntry(other, "last, monthly").hasSize(7);
    assertThat(listing(repoDir)).as("files after dry runs").isEqualTo(files);
  }

  @Test
  void pruneKilledAtAnyStepLeavesAValidRepository() throws IOException {
    Path base = buildRepository();
    Cli cli = cli();
    Cli.Result forget = cli.run(concat(new String[] {"forget", "--from", base.toString()}, POLICY));
    assertThat(forget.exitCode()).as(forget.toString()).isZero();

    int completedAt = -1;
    for (int step = 1; step < 500 && completedAt < 0; step++) {
      Path repoDir = tmp.resolve("killed-" + step);
      copyRecursively(base, repoDir);
      Map<String, String> env = new TreeMap<>(cli.env());
      env.put(Pruner.HALT_AFTER_ENV, Integer.toString(step));
      Processes.Result r = Processes.run(tmp, Processes.holdfastCommand(
          "prune", "--from", repoDir.toString(), "--max-unused", "0%"), env);
      if (r.exitCode() == 0) {
        completedAt = step;
      } else {
        assertThat(r.exitCode()).as("halted after change %d: %s", step, r).isEqualTo(137);
      }
      assertValidWithKeptSnapshots(repoDir, "after a stop after change " + step);
      // and the next prune finishes the job
      Cli.Result rerun = cli.run("--json", "prune", "--from", repoDir.toString(), "--max-unused", "0%");
      assertThat(rerun.exitCode()).as("prune after the stop at %d: %s", step, rerun).isZero();
      Cli.Result last = cli.run("--json", "prune", "--from", repoDir.toString(), "--max-unused", "0%", "--dry-run");
      JsonNode clean = JSON.readTree(last.out());
      assertThat(clean.get("packs_removed").asInt() + clean.get("packs_repacked").asInt()
          + clean.get("unindexed_packs_removed").asInt()).as("left to prune after the rerun (stop at %d)", step).isZero();
      if (step % 5 == 0 || completedAt > 0) {
        assertValidWithKeptSnapshots(repoDir, "after the rerun following a stop after change " + step);
      }
      deleteTree(repoDir);
    }
    assertThat(completedAt).as("prune made more than one change").isGreaterThan(5);
    System.out.println("prune completed at change " + completedAt + "; stopped after each of the " + (completedAt - 1) + " before");

    // real SIGKILLs at arbitrary moments, too
    for (int delay : new int[] {700, 1100, 1500, 1900, 2400}) {
      Path repoDir = tmp.resolve("sigkill-" + delay);
      copyRecursively(base, repoDir);
      Process p = Processes.startHoldfast(cli, tmp.resolve("log-" + delay), List.of(),
          "prune", "--from", repoDir.toString(), "--max-unused", "0%");
      try {
        if (!p.waitFor(delay, TimeUnit.MILLISECONDS)) {
          p.destroyForcibly();
        }
        p.waitFor(60, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
      assertValidWithKeptSnapshots(repoDir, "after SIGKILL at " + delay + " ms");
      deleteTree(repoDir);
    }
  }

  @Test
  void pruneWhileABackupHoldsItsLockExitsEleven() throws IOException {
    Path repoDir = buildRepository();
    try (var backend = new LocalBackend(repoDir);
        var repo = Repository.open(backend, PASSWORD);
        var shared = repo.lock(false)) {
      Cli.Result r = cli().run("prune", "--from", repoDir.toString());
      assertThat(r.exitCode()).as(r.toString()).isEqualTo(11);
      assertThat(r.err()).contains("locked");
      Cli.Result f = cli().run(concat(new String[] {"forget", "--from", repoDir.toString(), "--prune"}, POLICY));
      assertThat(f.exitCode()).as(f.toString()).isEqualTo(11);
    }
    assertThat(listSnapshots(repoDir)).as("nothing forgotten").hasSize(7);
    Cli.Result r = cli().run("prune", "--from", repoDir.toString());
    assertThat(r.exitCode()).as("once the lock is gone: %s", r).isZero();
  }

  @Test
  void aRepositoryJobsRetentionForgetsAndPrunesAfterEachRun() throws IOException {
    Path repoDir = tmp.resolve("job-repo");
    Path data = Files.createDirectories(tmp.resolve("job-data"));
    Path config = Files.writeString(tmp.resolve("holdfast.yaml"), """
        jobs:
          docs:
            format: repository
            password_env: HOLDFAST_PASSWORD
            sources: [%s]
            target: %s
            retention: { keep_last: 2 }
        """.formatted(data, repoDir));
    Cli cli = cli();
    Cli.Result init = cli.run("init", "--to", repoDir.toString(), "--format", "repository");
    assertThat(init.exitCode()).as(init.toString()).isZero();
    Random random = new Random(9);
    Cli.Result run = null;
    for (int i = 0; i < 3; i++) {
      Trees.randomFile(data.resolve("file.bin"), random, 300_000); // new content each run: the old one becomes garbage
      run = cli.run("--config", config.toString(), "run", "docs");
      assertThat(run.exitCode()).as(run.toString()).isZero();
    }
    assertThat(run.all()).contains("REMOVED: snapshot").contains("removed 1 by retention, pruned");
    var restic = new ResticCli(repoDir, PASSWORD, tmp);
    restic.check("check", "--read-data");
    JsonNode snaps = JSON.readTree(restic.check("snapshots", "--json"));
    assertThat(snaps).hasSize(2);
    Path target = tmp.resolve("job-restore");
    restic.check("restore", "latest", "--target", target.toString());
    assertThat(digest(Trees.restored(target, data))).isEqualTo(digest(data));
    assertThat(sizeOf(repoDir.resolve("data"))).as("only two versions' data is left").isLessThan(750_000L);
  }

  @Test
  void prunesARepositoryResticWrote() throws IOException {
    Path repoDir = tmp.resolve("restic-repo");
    Path data = Files.createDirectories(tmp.resolve("restic-data"));
    var restic = new ResticCli(repoDir, PASSWORD, tmp);
    restic.check("init");
    Random random = new Random(11);
    for (int i = 0; i < 3; i++) {
      Trees.randomFile(data.resolve("changing.bin"), random, 200_000);
      Trees.randomFile(data.resolve("kept-" + i + ".bin"), random, 50_000);
      restic.check("backup", "--host", HOST, data.toString());
    }
    Map<String, String> latest = digest(data);
    long before = sizeOf(repoDir.resolve("data"));
    Cli.Result r = cli().run("forget", "--from", repoDir.toString(), "--keep-last", "1", "--host", HOST, "--prune",
        "--max-unused", "0%");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out()).contains("1 to keep, 2 to remove").contains("freed");
    assertThat(sizeOf(repoDir.resolve("data"))).as("two old versions of changing.bin are gone").isLessThan(before - 350_000);
    restic.check("check", "--read-data");
    Path target = tmp.resolve("restic-restore");
    restic.check("restore", "latest", "--target", target.toString());
    assertThat(digest(Trees.restored(target, data))).isEqualTo(latest);
  }

  private static List<StoredSnapshot> listSnapshots(Path repoDir) {
    try (var backend = new LocalBackend(repoDir); var repo = Repository.open(backend, PASSWORD)) {
      return repo.listSnapshots();
    }
  }

  private static String[] concat(String[] a, String[] b) {
    String[] out = new String[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static Map<String, Long> listing(Path root) throws IOException {
    Map<String, Long> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.filter(Files::isRegularFile).toList()) {
        out.put(root.relativize(p).toString(), Files.size(p));
      }
    }
    return out;
  }

  private static long sizeOf(Path dir) throws IOException {
    return listing(dir).values().stream().mapToLong(Long::longValue).sum();
  }

  private static void copyRecursively(Path from, Path to) throws IOException {
    try (Stream<Path> s = Files.walk(from)) {
      for (Path p : s.toList()) {
        Path d = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(d);
        } else {
          Files.copy(p, d);
        }
      }
    }
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
        p.toFile().setWritable(true);
        Files.delete(p);
      }
    }
  }
}
