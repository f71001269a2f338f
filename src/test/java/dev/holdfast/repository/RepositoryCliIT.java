package dev.holdfast.repository;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.testkit.Cli;
import dev.holdfast.testkit.Processes;
import dev.holdfast.testkit.Trees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The repository format from the command line, judged by the real restic binary: init, backup,
 * a deduplicating second backup, list, ls, restore, and restic reading the same repository (and
 * holdfast reading restic's).
 */
class RepositoryCliIT {
  private static final String PASSWORD = "correct horse battery staple";
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  private Cli cli() {
    return new Cli(tmp.resolve("state"));
  }

  private Path passwordFile() throws IOException {
    return Files.writeString(tmp.resolve("repo-password"), PASSWORD + "\n");
  }

  private static long sizeOf(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
  }

  /** The regular files below {@code dir}, relative to it, sorted. */
  private static List<String> regularFiles(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(p -> Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS))
          .map(p -> dir.relativize(p).toString()).sorted().toList();
    }
  }

  /** A source tree from {@code seed}, backed up once into a new repository at {@code repo}; returns the source. */
  private Path initAndBackUp(Cli cli, Path repo, long seed) throws IOException {
    Path src = SourceTree.create(tmp.resolve("data/src"), seed);
    ok(cli.run("init", "--to", repo.toString(), "--format", "repository"));
    ok(cli.run("backup", "--to", repo.toString(), src.toString()));
    return src;
  }

  private static Cli.Result ok(Cli.Result r) {
    assertThat(r.exitCode()).as(r.toString()).isZero();
    return r;
  }

  @Test
  void initBackupTwiceListLsRestoreAndResticAgrees() throws Exception {
    Path src = SourceTree.create(tmp.resolve("data/src"), 11);
    Path repo = tmp.resolve("repo");
    Path pw = passwordFile();
    Cli cli = cli();

    Cli.Result init = ok(cli.run("init", "--to", repo.toString(), "--format", "repository", "--password-file", pw.toString()));
    assertThat(init.out()).contains("created repository");
    assertThat(repo.resolve("config")).isRegularFile();
    assertThat(repo.resolve("keys")).isDirectoryContaining(p -> true);

    Cli.Result first = ok(cli.run("backup", "--to", repo.toString(), "--password-file", pw.toString(), src.toString()));
    assertThat(first.all()).containsPattern("SUCCESS: snapshot [0-9a-f]{8} stored \\(");
    long afterFirst = sizeOf(repo);
    long treeSize = sizeOf(src);
    assertThat(afterFirst).as("encrypted, compressed but incompressible data").isGreaterThan(treeSize / 2);

    // change a little: one small file rewritten, one new file; the rest is unchanged
    Files.writeString(src.resolve("sub/small.txt"), "changed content\n");
    Trees.randomFile(src.resolve("sub/new.bin"), new Random(5), 20_000);
    Cli.Result second = ok(cli.run("backup", "--to", repo.toString(), "--password-file", pw.toString(), src.toString()));
    assertThat(second.all()).containsPattern("SUCCESS: snapshot [0-9a-f]{8} stored");
    long growth = sizeOf(repo) - afterFirst;
    assertThat(growth).as("second backup deduplicates against the first (tree: %d bytes)", treeSize)
        .isLessThan(treeSize / 20);

    // list detects the repository by itself; the password comes from the environment this time
    Cli envCli = cli().env("HOLDFAST_PASSWORD", PASSWORD);
    Cli.Result list = ok(envCli.run("list", "--from", repo.toString()));
    assertThat(list.out()).contains("2 snapshots on");
    JsonNode snaps = JSON.readTree(ok(envCli.run("--json", "snapshots", "--from", repo.toString())).out());
    assertThat(snaps).hasSize(2);
    assertThat(snaps.get(0).get("format").asText()).isEqualTo("repository");
    String latestId = snaps.get(1).get("id").asText();

    Cli.Result ls = ok(envCli.run("ls", "--from", repo.toString(), latestId.substring(0, 8)));
    assertThat(ls.out()).contains(src.resolve("sub/new.bin").toString(), src.resolve("empty-dir").toString(),
        src.resolve("odd/ünïcödé €.txt").toString(), src.resolve("link-to-big").toString());

    String absent = latestId.startsWith("0") ? "ffffffff" : "00000000";
    for (String[] args : List.of(new String[] {"ls", "--from", repo.toString(), absent},
        new String[] {"verify", "--from", repo.toString(), absent},
        new String[] {"restore", "--from", repo.toString(), absent, "--target", tmp.resolve("none").toString()})) {
      Cli.Result none = envCli.run(args);
      assertThat(none.exitCode()).as("a snapshot that is not there, as for archives: " + none).isEqualTo(10);
      assertThat(none.err()).contains("error: no snapshot " + absent + " in " + repo)
          .contains("hint: list them with: holdfast snapshots --from " + repo);
    }

    JsonNode nodes = JSON.readTree(ok(envCli.run("--json", "ls", "--from", repo.toString())).out());
    JsonNode link = null;
    for (JsonNode n : nodes) {
      if (n.get("path").asText().equals(src.resolve("link-to-big").toString())) {
        link = n;
      }
    }
    assertThat(link).as("the symlink in ls --json").isNotNull();
    assertThat(link.get("type").asText()).isEqualTo("symlink");
    assertThat(link.get("link_target").asText()).isEqualTo("big.bin");

    Path restored = tmp.resolve("restored");
    Cli.Result restore = ok(envCli.run("restore", "--from", repo.toString(), "latest", "--target", restored.toString()));
    assertThat(restore.out()).contains("restored snapshot " + latestId.substring(0, 8));
    Trees.assertSameTree(src, Trees.restored(restored, src));

    // restic checks every byte we wrote and restores the same tree
    var restic = new ResticCli(repo, PASSWORD, tmp);
    assertThat(restic.check("check", "--read-data")).contains("no errors were found");
    Path byRestic = tmp.resolve("by-restic");
    restic.check("restore", "latest", "--target", byRestic.toString());
    Trees.assertSameTree(src, Trees.restored(byRestic, src));
    assertThat(restic.check("snapshots", "--json")).contains(latestId);
  }

  @Test
  void listsAndRestoresWhatResticWroteWithResticsEnvironment() throws Exception {
    Path src = SourceTree.create(tmp.resolve("data/src"), 23);
    Path repo = tmp.resolve("restic-repo");
    var restic = new ResticCli(repo, PASSWORD, tmp);
    restic.check("init");
    restic.check("backup", "--host", "restic-host", "--tag", "nightly", src.toString());

    Cli cli = cli().env("RESTIC_PASSWORD", PASSWORD);
    Cli.Result list = ok(cli.run("list", "--from", repo.toString()));
    assertThat(list.out()).contains("1 snapshot on").contains("nightly").contains("restic-host");

    Path restored = tmp.resolve("restored");
    ok(cli().env("RESTIC_PASSWORD_FILE", passwordFile().toString())
        .run("restore", "--from", repo.toString(), "latest", "--target", restored.toString()));
    Trees.assertSameTree(src, Trees.restored(restored, src));
  }

  @Test
  void verifyFullNamesThePackAndBlobOfAFlippedByte() throws Exception {
    Path repo = tmp.resolve("repo");
    Cli cli = cli().env("HOLDFAST_PASSWORD", PASSWORD);
    Path src = initAndBackUp(cli, repo, 31);
    assertThat(ok(cli.run("verify", "--from", repo.toString(), "--level", "quick")).out()).startsWith("ok ");
    assertThat(ok(cli.run("verify", "--from", repo.toString(), "--level", "full")).out())
        .startsWith("ok ").contains("every blob read");
    assertThat(ok(cli.run("verify", "--from", repo.toString(), "latest", "--level", "quick")).out())
        .startsWith("ok       snapshot ").contains("structure only");

    Path pack;
    try (Stream<Path> s = Files.walk(repo.resolve("data"))) {
      pack = s.filter(Files::isRegularFile).max(java.util.Comparator.comparingLong(p -> p.toFile().length())).orElseThrow();
    }
    byte[] bytes = Files.readAllBytes(pack);
    bytes[100] ^= 0x40; // inside the first blob: its MAC no longer matches
    Files.write(pack, bytes);

    Cli.Result full = cli.run("verify", "--from", repo.toString(), "--level", "full");
    assertThat(full.exitCode()).as(full.toString()).isEqualTo(4);
    assertThat(full.out()).contains("DAMAGED").contains("pack " + pack.getFileName()).containsPattern("blob [0-9a-f]{64}");
    assertThat(full.err()).startsWith("error: ").contains(pack.getFileName().toString()).doesNotContain("Exception");
    Cli.Result one = cli.run("verify", "--from", repo.toString(), "latest", "--level", "full");
    assertThat(one.exitCode()).as(one.toString()).isEqualTo(4);
    assertThat(one.out()).contains("DAMAGED  snapshot ").contains("pack " + pack.getFileName())
        .containsPattern("blob [0-9a-f]{64}");
    // restic, the judge, agrees that the repository is damaged
    assertThat(new ResticCli(repo, PASSWORD, tmp).run("check", "--read-data").exitCode()).isNotZero();
  }

  /**
   * One damaged snapshot file leaves the others usable, as restic leaves them: list, restore, a new
   * backup and forget go on with a warning naming it; verify reports it (exit 4), and prune, which
   * would take that snapshot's data for unused, refuses and changes nothing.
   */
  @Test
  void aDamagedSnapshotFileIsSkippedWithAWarningButPruneRefuses() throws Exception {
    Path repo = tmp.resolve("repo");
    Cli cli = cli().env("HOLDFAST_PASSWORD", PASSWORD);
    Path src = initAndBackUp(cli, repo, 37);
    Files.writeString(src.resolve("second.txt"), "second");
    ok(cli.run("backup", "--to", repo.toString(), src.toString()));
    var restic = new ResticCli(repo, PASSWORD, tmp);
    String newest = JSON.readTree(restic.check("snapshots", "--json", "latest")).get(0).path("id").asText();
    Path bad;
    try (Stream<Path> s = Files.list(repo.resolve("snapshots"))) {
      bad = s.filter(p -> !p.getFileName().toString().equals(newest)).findFirst().orElseThrow();
    }
    byte[] bytes = Files.readAllBytes(bad);
    bytes[40] ^= 0x01;
    Files.write(bad, bytes);
    String warning = "WARNING: snapshot " + bad.getFileName().toString().substring(0, 8) + " is damaged";

    Cli.Result list = ok(cli.run("list", "--from", repo.toString()));
    assertThat(list.out()).contains("1 snapshot on").contains(newest.substring(0, 8));
    assertThat(list.err()).contains(warning);
    Path restored = tmp.resolve("restored");
    ok(cli.run("restore", "--from", repo.toString(), "latest", "--target", restored.toString()));
    Trees.assertSameTree(src, Trees.restored(restored, src));
    assertThat(ok(cli.run("backup", "--to", repo.toString(), src.toString())).err()).contains(warning);

    Cli.Result verify = cli.run("verify", "--from", repo.toString(), "--level", "quick");
    assertThat(verify.exitCode()).as(verify.toString()).isEqualTo(4);
    assertThat(verify.out()).contains("snapshot " + bad.getFileName().toString().substring(0, 8) + ": damaged: ");
    List<String> before;
    try (Stream<Path> s = Files.walk(repo)) {
      before = s.map(Path::toString).sorted().toList();
    }
    Cli.Result prune = cli.run("prune", "--from", repo.toString());
    assertThat(prune.exitCode()).as(prune.toString()).isEqualTo(4);
    assertThat(prune.err()).contains("error: cannot prune: snapshot ").contains("nothing was changed");
    try (Stream<Path> s = Files.walk(repo)) {
      assertThat(s.map(Path::toString).sorted().toList()).isEqualTo(before);
    }
    // restic, the judge, also lists the two good snapshots and finds the damage
    assertThat(JSON.readTree(restic.run("snapshots", "--json").out())).hasSize(2);
    assertThat(restic.run("check").exitCode()).isNotZero();
  }

  /**
   * A password file is read as restic reads it: white space around the password (a trailing
   * space, CRLF line ends) is not part of it, so restic opens the repository with the same file,
   * and holdfast opens restic's. An empty file is refused, as restic refuses it.
   */
  @Test
  void passwordFilesAreTrimmedAsResticTrimsThem() throws Exception {
    Path src = SourceTree.create(tmp.resolve("data/src"), 41);
    Path padded = Files.writeString(tmp.resolve("padded-password"), "  " + PASSWORD + " \r\n\n");
    Path repo = tmp.resolve("repo");
    ok(cli().run("init", "--to", repo.toString(), "--format", "repository", "--password-file", padded.toString()));
    ok(cli().run("backup", "--to", repo.toString(), "--password-file", padded.toString(), src.toString()));
    Processes.Result byFile = Processes.run(tmp, List.of("restic", "--no-cache", "-r", repo.toString(), "snapshots"),
        java.util.Map.of("RESTIC_PASSWORD_FILE", padded.toString()));
    assertThat(byFile.exitCode()).as(byFile.toString()).isZero();
    assertThat(new ResticCli(repo, PASSWORD, tmp).check("snapshots", "--json")).contains("\"id\"");

    Path theirs = tmp.resolve("restic-repo");
    new ResticCli(theirs, PASSWORD, tmp).check("init");
    ok(cli().run("list", "--from", theirs.toString(), "--password-file", padded.toString()));

    Path empty = Files.writeString(tmp.resolve("empty-password"), " \n");
    Cli.Result refused = cli().run("init", "--to", tmp.resolve("other").toString(), "--format", "repository",
        "--password-file", empty.toString());
    assertThat(refused.exitCode()).as(refused.toString()).isEqualTo(2);
    assertThat(refused.err()).contains("is empty");
    assertThat(tmp.resolve("other")).doesNotExist();
  }

  /**
   * A repository where no lock file can be written (read-only media or credentials; here its
   * locks/ is a plain file, which stops root too) is refused by restore and verify with a hint,
   * and read with --no-lock; restic reads the result the same way.
   */
  @Test
  void restoreAndVerifyReadARepositoryThatTakesNoLockWithNoLock() throws Exception {
    Path repo = tmp.resolve("repo");
    Cli cli = cli().env("HOLDFAST_PASSWORD", PASSWORD);
    Path src = initAndBackUp(cli, repo, 43);
    if (Files.isDirectory(repo.resolve("locks"))) {
      try (Stream<Path> s = Files.list(repo.resolve("locks"))) {
        assertThat(s.toList()).isEmpty();
      }
      Files.delete(repo.resolve("locks"));
    }
    Files.writeString(repo.resolve("locks"), "");
    Path restored = tmp.resolve("restored");

    Cli.Result refused = cli.run("restore", "--from", repo.toString(), "latest", "--target", restored.toString());
    assertThat(refused.exitCode()).as(refused.toString()).isNotZero();
    assertThat(refused.err()).contains("hint: on read-only storage").contains("--no-lock");
    Cli.Result verifyRefused = cli.run("verify", "--from", repo.toString());
    assertThat(verifyRefused.err()).as(verifyRefused.toString()).contains("--no-lock");

    Path leftover = Files.createDirectories(restored.resolve(".holdfast-restore-123"));
    Files.writeString(leftover.resolve("part"), "of a killed restore");
    Cli.Result warned = ok(cli.run("restore", "--no-lock", "--from", repo.toString(), "latest", "--target",
        restored.toString()));
    assertThat(warned.err()).contains("warning: " + leftover + " was left by a restore that was killed");
    assertThat(leftover.resolve("part")).as("not ours to delete: it may be a running restore's").exists();
    Trees.assertSameTree(src, Trees.restored(restored, src));
    assertThat(ok(cli.run("verify", "--no-lock", "--from", repo.toString())).out()).startsWith("ok ");
    assertThat(Files.readString(repo.resolve("locks"))).isEmpty();
  }

  /**
   * With a damaged pack and a missing one, a restore restores nothing (exit 4, a hint at
   * --partial); with --partial, every file whose data is intact comes back byte for byte, and the
   * others are named in the error (exit 4) and absent, never half-written.
   */
  @Test
  void partialRestoresTheIntactFilesAndNamesTheOthers() throws Exception {
    Path repo = tmp.resolve("repo");
    Cli cli = cli().env("HOLDFAST_PASSWORD", PASSWORD);
    Path src = tmp.resolve("data/src");
    for (int i = 0; i < 12; i++) {
      Trees.randomFile(src.resolve("f" + i + ".bin"), new Random(i), 3_000_000);
    }
    Files.writeString(src.resolve("small.txt"), "small");
    ok(cli.run("init", "--to", repo.toString(), "--format", "repository"));
    ok(cli.run("backup", "--to", repo.toString(), src.toString()));
    List<Path> packs;
    try (Stream<Path> s = Files.walk(repo.resolve("data"))) {
      packs = s.filter(Files::isRegularFile).filter(p -> p.toFile().length() > 1_000_000).sorted().toList();
    }
    assertThat(packs).hasSizeGreaterThanOrEqualTo(3);
    byte[] bytes = Files.readAllBytes(packs.get(0));
    bytes[100] ^= 0x10;
    Files.write(packs.get(0), bytes);
    Files.delete(packs.get(1));

    Path none = tmp.resolve("none");
    Cli.Result refused = cli.run("restore", "--from", repo.toString(), "latest", "--target", none.toString());
    assertThat(refused.exitCode()).as(refused.toString()).isEqualTo(4);
    assertThat(refused.err()).contains("nothing was restored").contains("--partial");
    assertThat(regularFiles(none)).isEmpty();

    Path some = tmp.resolve("some");
    Cli.Result partial = cli.run("restore", "--partial", "--from", repo.toString(), "latest", "--target", some.toString());
    assertThat(partial.exitCode()).as(partial.toString()).isEqualTo(4);
    assertThat(partial.err()).contains("whose data is damaged or missing");
    Path restored = Trees.restored(some, src);
    int lost = 0;
    int intact = 0;
    try (Stream<Path> s = Files.list(src)) {
      for (Path f : s.sorted().toList()) {
        Path back = restored.resolve(f.getFileName().toString());
        if (Files.exists(back)) {
          assertThat(Files.readAllBytes(back)).as(f.toString()).isEqualTo(Files.readAllBytes(f));
          intact++;
        } else {
          assertThat(partial.err()).contains(src.toString().substring(1) + "/" + f.getFileName());
          lost++;
        }
      }
    }
    assertThat(lost).as("files in the two bad packs").isPositive();
    assertThat(intact).as("files in the good packs").isPositive();
    try (Stream<Path> s = Files.list(some)) {
      assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(".holdfast-restore-"));
    }
    List<String> restoredNames = regularFiles(some);

    // only lost files asked for: the damage is the answer, not "nothing matches"
    String lostName;
    try (Stream<Path> s = Files.list(src)) {
      lostName = s.map(f -> f.getFileName().toString()).filter(n -> !Files.exists(restored.resolve(n)))
          .findFirst().orElseThrow();
    }
    Cli.Result one = cli.run("restore", "--partial", "--from", repo.toString(), "latest", "--target",
        tmp.resolve("one").toString(), "--include", lostName);
    assertThat(one.exitCode()).as(one.toString()).isEqualTo(4);
    assertThat(one.err()).contains("whose data is damaged or missing").contains(lostName);

    // once restic's rebuild-index has dropped the missing pack, its blobs are not in the index at all
    new ResticCli(repo, PASSWORD, tmp).check("rebuild-index");
    Path after = tmp.resolve("after");
    Cli.Result again = cli.run("restore", "--partial", "--from", repo.toString(), "latest", "--target", after.toString());
    assertThat(again.exitCode()).as(again.toString()).isEqualTo(4);
    assertThat(regularFiles(after)).isEqualTo(restoredNames);
  }

  @Test
  void aConfiguredRepositoryJobRunsItsLifecycleAndRecordsHistory() throws Exception {
    Path src = SourceTree.create(tmp.resolve("data/src"), 47);
    Path repo = tmp.resolve("repo");
    Path pw = passwordFile();
    Path marker = tmp.resolve("before-hook-ran");
    Path config = Files.writeString(tmp.resolve("holdfast.yaml"), """
        jobs:
          docs:
            format: repository
            password_file: %s
            sources:
              - %s
              - command: { name: listing.txt, run: "seq 1 200000" }
            target: %s
            verify: full
            tags: [nightly]
            hooks:
              before: ["touch %s"]
              after: ["echo $HOLDFAST_SNAPSHOT > %s"]
        """.formatted(pw, src, repo, marker, tmp.resolve("after-hook-saw")));
    Cli cli = cli();
    ok(cli.run("init", "--to", repo.toString(), "--password-file", pw.toString()));

    Cli.Result run = ok(cli.run("--config", config.toString(), "run", "docs"));
    assertThat(run.err()).containsPattern("SUCCESS: snapshot [0-9a-f]{8} stored \\(.*verified \\(full\\)");
    assertThat(marker).exists();
    JsonNode history = JSON.readTree(ok(cli.run("--config", config.toString(), "--json", "history", "--job", "docs")).out());
    assertThat(history).hasSize(1);
    assertThat(history.get(0).get("status").asText()).isEqualTo("SUCCESS");
    String id = history.get(0).get("backup").asText();
    assertThat(id).matches("[0-9a-f]{64}");
    assertThat(Files.readString(tmp.resolve("after-hook-saw")).strip()).isEqualTo(id);
    assertThat(ok(cli.run("--config", config.toString(), "config", "check")).out())
        .contains("(repository, password from " + pw + ")");

    // the job's own password file opens its repository for list; restic sees the same snapshot
    assertThat(ok(cli.run("--config", config.toString(), "list", "--job", "docs")).out()).contains(id.substring(0, 8));
    var restic = new ResticCli(repo, PASSWORD, tmp);
    JsonNode snaps = JSON.readTree(restic.check("snapshots", "--json"));
    assertThat(snaps.get(0).get("id").asText()).isEqualTo(id);
    assertThat(snaps.get(0).get("tags")).extracting(JsonNode::asText).containsExactly("docs", "nightly");
    // the command's output, a stream of unknown size, is a file restic can dump
    String dumped = restic.check("dump", "latest", "/commands/listing.txt");
    assertThat(dumped.lines().count()).isEqualTo(200_000);
    assertThat(dumped).endsWith("200000\n");
    restic.check("check", "--read-data");

    assertThat(ok(cli.run("--config", config.toString(), "status", "--job", "docs")).out()).contains("ok").contains("docs");
    Cli.Result doctor = ok(cli.run("--config", config.toString(), "doctor"));
    assertThat(doctor.out()).containsPattern("ok +docs +repository +" + java.util.regex.Pattern.quote(repo.toString())
        + ": opens with the job's password \\(1 snapshot\\)");
    Files.writeString(pw, "a wrong password\n");
    Cli.Result badDoctor = cli.run("--config", config.toString(), "doctor");
    assertThat(badDoctor.exitCode()).as(badDoctor.toString()).isEqualTo(13);
    assertThat(badDoctor.out()).containsPattern("FAIL +docs +repository .*wrong password");
    Files.writeString(pw, PASSWORD + "\n");
    Cli.Result forget = ok(cli.run("--config", config.toString(), "forget", "--job", "docs", "--keep-last", "1",
        "--prune"));
    assertThat(forget.out()).contains("1 to keep, 0 to remove").contains("nothing to prune");
    assertThat(restic.check("snapshots", "--json")).contains(id);
  }

  @Test
  void restoreIncludeTakesOnlyMatchingPathsAndATamperedTreeCannotEscapeTheTarget() throws Exception {
    Path src = SourceTree.create(tmp.resolve("data/src"), 53);
    Path repo = tmp.resolve("repo");
    Cli cli = cli().env("HOLDFAST_PASSWORD", PASSWORD);
    ok(cli.run("init", "--to", repo.toString()));
    ok(cli.run("backup", "--to", repo.toString(), src.toString()));
    Path some = tmp.resolve("some");
    ok(cli.run("restore", "--from", repo.toString(), "latest", "--target", some.toString(),
        "--include", src.resolve("sub").toString()));
    Path restoredSub = Trees.restored(some, src.resolve("sub"));
    Trees.assertSameTree(src.resolve("sub"), restoredSub);
    assertThat(Trees.restored(some, src.resolve("big.bin"))).doesNotExist();

    // patterns as restic's: without a leading '/' they match at any depth; restic restores the same files
    for (String pattern : List.of("*.bin", "sub", "deeper/*")) {
      Path ours = tmp.resolve("ours-" + pattern.hashCode());
      Path theirs = tmp.resolve("theirs-" + pattern.hashCode());
      ok(cli.run("restore", "--from", repo.toString(), "latest", "--target", ours.toString(), "--include", pattern));
      new ResticCli(repo, PASSWORD, tmp).check("restore", "latest", "--target", theirs.toString(), "--include", pattern);
      assertThat(regularFiles(ours)).as(pattern).isNotEmpty().isEqualTo(regularFiles(theirs));
    }

    // a snapshot whose tree names a directory "..", as no honest writer makes it
    try (var backend = new dev.holdfast.backend.LocalBackend(repo); var r = Repository.open(backend, PASSWORD)) {
      byte[] evil = "escaped\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
      ObjectId blob = r.saveBlob(BlobType.DATA, evil);
      java.time.Instant t = java.time.Instant.parse("2026-01-01T00:00:00Z");
      ObjectId inner = r.saveTree(Tree.sorted(List.of(
          Node.file("evil.txt", FileMode.toGo(NodeType.FILE, 0644), t, 0, 0, evil.length, List.of(blob)))));
      ObjectId root = r.saveTree(Tree.sorted(List.of(Node.dir("..", FileMode.toGo(NodeType.DIR, 0755), t, 0, 0, inner))));
      r.saveSnapshot(new Snapshot(java.time.OffsetDateTime.now(), null, root, List.of("/x"), "evil-host", "mallory",
          0, 0, List.of(), List.of("evil"), null, "not holdfast"));
    }
    Path target = Files.createDirectories(tmp.resolve("t/inner"));
    Cli.Result r = cli.run("restore", "--from", repo.toString(), "latest", "--target", target.toString());
    // the tree reader already refuses the name as damage (restore's own name check stands behind it)
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(4);
    assertThat(r.err()).contains("invalid node name").doesNotContain("Exception");
    assertThat(tmp.resolve("t/evil.txt")).doesNotExist();
    try (Stream<Path> s = Files.list(target)) {
      assertThat(s.toList()).as("nothing left in the target, not even the staging directory").isEmpty();
    }
  }

  @Test
  void initRefusesATargetThatHoldsArchivesOrARepository() throws Exception {
    Path src = Files.createDirectories(tmp.resolve("src"));
    Files.writeString(src.resolve("a.txt"), "a");
    Path archives = tmp.resolve("archives");
    Cli cli = cli().env("HOLDFAST_PASSWORD", PASSWORD);
    ok(cli.run("backup", "--to", archives.toString(), src.toString()));
    Cli.Result r = cli.run("init", "--to", archives.toString(), "--format", "repository");
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
    assertThat(r.err()).contains("holds 1 archive");
    assertThat(archives.resolve("config")).doesNotExist();
    assertThat(ok(cli.run("list", "--from", archives.toString())).out()).contains("1 backup on");

    Path repo = tmp.resolve("repo");
    ok(cli.run("init", "--to", repo.toString(), "--format", "repository"));
    Cli.Result again = cli.run("init", "--to", repo.toString(), "--format", "repository");
    assertThat(again.exitCode()).as(again.toString()).isEqualTo(1);
    assertThat(again.err()).contains("already a repository");
    // nor inside one: its prune would delete the nested repository's files
    Cli.Result nested = cli.run("init", "--to", repo.resolve("data/nested").toString(), "--format", "repository");
    assertThat(nested.exitCode()).as(nested.toString()).isEqualTo(2);
    assertThat(nested.err()).contains("is inside the repository at " + repo);
    assertThat(repo.resolve("data/nested")).doesNotExist();
  }

  @Test
  void passwordSourcesArePickedInTheDocumentedOrder() throws Exception {
    Path repo = tmp.resolve("repo");
    ok(cli().env("HOLDFAST_PASSWORD", PASSWORD).run("init", "--to", repo.toString()));
    String from = repo.toString();
    // --password-file beats the environment; HOLDFAST_PASSWORD beats RESTIC_PASSWORD
    ok(cli().env("HOLDFAST_PASSWORD", "wrong").run("list", "--from", from, "--password-file", passwordFile().toString()));
    ok(cli().env("HOLDFAST_PASSWORD", PASSWORD).env("RESTIC_PASSWORD", "wrong").run("list", "--from", from));
    Cli.Result wrongFirst = cli().env("HOLDFAST_PASSWORD", "wrong").env("RESTIC_PASSWORD", PASSWORD).run("list", "--from", from);
    assertThat(wrongFirst.exitCode()).as(wrongFirst.toString()).isEqualTo(12);
    // a job's password_env names the variable
    Path config = Files.writeString(tmp.resolve("holdfast.yaml"), """
        jobs:
          docs:
            format: repository
            password_env: DOCS_REPO_PASSWORD
            sources: [%s]
            target: %s
        """.formatted(tmp, repo));
    ok(cli().env("DOCS_REPO_PASSWORD", PASSWORD).run("--config", config.toString(), "list", "--job", "docs"));
    Cli.Result unset = cli().run("--config", config.toString(), "list", "--job", "docs");
    assertThat(unset.exitCode()).as(unset.toString()).isEqualTo(2);
    assertThat(unset.err()).contains("DOCS_REPO_PASSWORD");
    // nothing anywhere: a usage error that says where a password can come from
    Cli.Result none = cli().run("list", "--from", from);
    assertThat(none.exitCode()).as(none.toString()).isEqualTo(2);
    assertThat(none.err()).contains("no repository password given").contains("--password-file").contains("RESTIC_PASSWORD");
  }

  @Test
  void archiveOnlyKeysAreRefusedForARepositoryJob() throws Exception {
    Path config = Files.writeString(tmp.resolve("holdfast.yaml"), """
        jobs:
          docs:
            format: repository
            password_env: REPO_PASSWORD
            sources: [%1$s]
            target: %1$s/repo
            compression: zstd
            offsite: [{ target: %1$s/offsite }]
        """.formatted(tmp));
    Cli.Result r = cli().run("--config", config.toString(), "config", "check");
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
    assertThat(r.err()).contains("holdfast.yaml:7: jobs.docs.compression: applies to archives only")
        .doesNotContain("jobs.docs.offsite"); // off-site copies of snapshots are supported (RepositoryCopyResticIT)
  }

  @Test
  void verifyQuickFindsAMissingAndATruncatedPack() throws Exception {
    Path src = SourceTree.create(tmp.resolve("data/src"), 61);
    Path repo = tmp.resolve("repo");
    Cli cli = cli().env("HOLDFAST_PASSWORD", PASSWORD);
    ok(cli.run("init", "--to", repo.toString()));
    ok(cli.run("backup", "--to", repo.toString(), src.toString()));
    List<Path> packs;
    try (Stream<Path> s = Files.walk(repo.resolve("data"))) {
      packs = s.filter(Files::isRegularFile).sorted(java.util.Comparator.comparingLong(p -> -p.toFile().length())).toList();
    }
    assertThat(packs).hasSizeGreaterThanOrEqualTo(2);
    Files.delete(packs.get(0));
    byte[] second = Files.readAllBytes(packs.get(1));
    Files.write(packs.get(1), java.util.Arrays.copyOf(second, second.length - 10));

    Cli.Result quick = cli.run("verify", "--from", repo.toString(), "--level", "quick");
    assertThat(quick.exitCode()).as(quick.toString()).isEqualTo(4);
    assertThat(quick.out()).contains("pack " + packs.get(0).getFileName() + ": missing")
        .contains("pack " + packs.get(1).getFileName() + ": ");
    assertThat(quick.err()).startsWith("error: ").doesNotContain("Exception");
  }

  @Test
  void twoBackupsAtOnceIntoOneRepositoryLeaveItConsistent() throws Exception {
    Path a = SourceTree.create(tmp.resolve("data/a"), 71);
    Path b = SourceTree.create(tmp.resolve("data/b"), 72);
    Path repo = tmp.resolve("repo");
    ok(cli().env("HOLDFAST_PASSWORD", PASSWORD).run("init", "--to", repo.toString()));
    // two machines' worth: their own state directories and job names, one repository
    Cli first = new Cli(tmp.resolve("state-a")).env("HOLDFAST_PASSWORD", PASSWORD);
    Cli second = new Cli(tmp.resolve("state-b")).env("HOLDFAST_PASSWORD", PASSWORD);
    var pool = java.util.concurrent.Executors.newFixedThreadPool(2);
    try {
      var ra = pool.submit(() -> first.run("backup", "--to", repo.toString(), "--job-name", "a", a.toString()));
      var rb = pool.submit(() -> second.run("backup", "--to", repo.toString(), "--job-name", "b", b.toString()));
      ok(ra.get());
      ok(rb.get());
    } finally {
      pool.shutdown();
    }
    var restic = new ResticCli(repo, PASSWORD, tmp);
    assertThat(restic.check("check", "--read-data")).contains("no errors were found");
    JsonNode snaps = JSON.readTree(restic.check("snapshots", "--json"));
    assertThat(snaps).hasSize(2);
    Path restored = tmp.resolve("restored");
    Cli cli = cli().env("HOLDFAST_PASSWORD", PASSWORD);
    ok(cli.run("restore", "--from", repo.toString(), "--job", "b", "latest", "--target", restored.toString()));
    Trees.assertSameTree(b, Trees.restored(restored, b));
  }

  @Test
  void aWrongPasswordIsRefusedWithExit12AndOneLine() throws Exception {
    Path repo = tmp.resolve("repo");
    ok(cli().run("init", "--to", repo.toString(), "--password-file", passwordFile().toString()));
    Path src = Files.createDirectories(tmp.resolve("src"));
    Files.writeString(src.resolve("a.txt"), "a");

    for (String[] args : new String[][] {
        {"list", "--from", repo.toString()},
        {"backup", "--to", repo.toString(), src.toString()},
        {"restore", "--from", repo.toString(), "latest", "--target", tmp.resolve("r").toString()}}) {
      Cli.Result r = cli().env("HOLDFAST_PASSWORD", "not the password").run(args);
      assertThat(r.exitCode()).as(r.toString()).isEqualTo(12);
      assertThat(r.err().lines().filter(l -> l.startsWith("error:")).toList()).as(r.toString()).hasSize(1);
      assertThat(r.err()).contains("wrong password").doesNotContain("Exception").doesNotContain("not the password");
    }
    assertThat(tmp.resolve("r")).doesNotExist();
  }
}
