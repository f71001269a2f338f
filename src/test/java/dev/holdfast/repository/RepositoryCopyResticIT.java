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
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code holdfast copy} between repositories with different passwords, judged by the real restic
 * binary: the copies pass {@code check --read-data} and restore byte-identical, a second copy
 * stores nothing, restic's own copy sees ours as copies, and off-site copies of a repository job.
 */
class RepositoryCopyResticIT {
  private static final String SRC_PASSWORD = "source password";
  private static final String DST_PASSWORD = "destination password";
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  private Cli cli() {
    return new Cli(tmp.resolve("state"));
  }

  private static Cli.Result ok(Cli.Result r) {
    assertThat(r.exitCode()).as(r.toString()).isZero();
    return r;
  }

  private Path file(String name, String content) throws IOException {
    return Files.writeString(tmp.resolve(name), content + "\n");
  }

  private static long sizeOf(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
  }

  @Test
  void copiesSnapshotsIntoANewRepositoryThatResticChecksAndRestores() throws Exception {
    Path src = SourceTree.create(tmp.resolve("data/src"), 21);
    Path from = tmp.resolve("from");
    Path to = tmp.resolve("to");
    Path srcPw = file("src-pw", SRC_PASSWORD);
    Path dstPw = file("dst-pw", DST_PASSWORD);
    Cli cli = cli();
    ok(cli.run("init", "--to", from.toString(), "--password-file", srcPw.toString()));
    ok(cli.run("backup", "--to", from.toString(), "--password-file", srcPw.toString(), src.toString()));
    var resticFrom = new ResticCli(from, SRC_PASSWORD, tmp);
    Trees.randomFile(src.resolve("sub/added.bin"), new Random(9), 300_000);
    resticFrom.check("backup", "--tag", "by-restic", src.toString()); // a snapshot restic wrote, too

    Cli.Result none = cli.run("copy", "--from", from.toString(), "--to", to.toString(),
        "--from-password-file", srcPw.toString(), "--password-file", dstPw.toString());
    assertThat(none.exitCode()).as(none.toString()).isEqualTo(10);
    assertThat(none.err()).contains("no repository at").contains("--init");

    Cli.Result wrong = cli.run("copy", "--from", from.toString(), "--to", to.toString(), "--init",
        "--from-password-file", dstPw.toString(), "--password-file", dstPw.toString());
    assertThat(wrong.exitCode()).as(wrong.toString()).isEqualTo(12);
    assertThat(wrong.err()).contains(from.toString());
    assertThat(to.resolve("config")).as("nothing created before the source opened").doesNotExist();

    Cli.Result copy = ok(cli.run("copy", "--from", from.toString(), "--to", to.toString(), "--init",
        "--from-password-file", srcPw.toString(), "--password-file", dstPw.toString()));
    assertThat(copy.out()).contains("copied 2 snapshots").contains("0 already present");
    var resticTo = new ResticCli(to, DST_PASSWORD, tmp);
    resticTo.check("check", "--read-data");
    JsonNode fromSnaps = JSON.readTree(resticFrom.check("snapshots", "--json"));
    JsonNode toSnaps = JSON.readTree(resticTo.check("snapshots", "--json"));
    assertThat(toSnaps).hasSize(2);
    for (int i = 0; i < 2; i++) {
      assertThat(toSnaps.get(i).get("tree")).isEqualTo(fromSnaps.get(i).get("tree"));
      assertThat(toSnaps.get(i).get("time")).isEqualTo(fromSnaps.get(i).get("time"));
      assertThat(toSnaps.get(i).get("original").asText()).isEqualTo(fromSnaps.get(i).get("id").asText());
      assertThat(toSnaps.get(i).has("parent")).isFalse();
    }
    assertThat(JSON.readTree(resticTo.check("cat", "config")).get("chunker_polynomial"))
        .isEqualTo(JSON.readTree(resticFrom.check("cat", "config")).get("chunker_polynomial"));
    Path restored = tmp.resolve("restored");
    resticTo.check("restore", "latest", "--target", restored.toString());
    Trees.assertSameTree(src, Trees.restored(restored, src));

    long size = sizeOf(to);
    Cli.Result again = ok(cli.run("--json", "copy", "--from", from.toString(), "--to", to.toString(),
        "--from-password-file", srcPw.toString(), "--password-file", dstPw.toString()));
    JsonNode result = JSON.readTree(again.out());
    assertThat(result.get("copied")).isEmpty();
    assertThat(result.get("skipped")).hasSize(2);
    assertThat(result.get("blobs").asLong()).isZero();
    assertThat(sizeOf(to)).as("a second copy stores nothing").isEqualTo(size);
    // restic's own copy recognises ours as copies of the same snapshots
    Processes.Result resticCopy = resticTo.run("copy", "--from-repo", from.toString(), "--from-password-file", srcPw.toString());
    assertThat(resticCopy.exitCode()).as(resticCopy.toString()).isZero();
    assertThat(JSON.readTree(resticTo.check("snapshots", "--json"))).hasSize(2);

    // same polynomial: a later backup of the same tree into the copy finds its blobs there
    ok(cli.run("backup", "--to", to.toString(), "--password-file", dstPw.toString(), src.toString()));
    assertThat(sizeOf(to) - size).as("deduplicated against the copied blobs").isLessThan(sizeOf(src) / 20);
  }

  @Test
  void copiesIntoAResticRepositoryWithAnotherPolynomialBlobsAsTheyAre() throws Exception {
    Path src = SourceTree.create(tmp.resolve("data/src"), 22);
    Path from = tmp.resolve("from");
    Path to = tmp.resolve("to");
    Cli cli = cli().env("HOLDFAST_FROM_PASSWORD", SRC_PASSWORD).env("HOLDFAST_PASSWORD", DST_PASSWORD);
    ok(cli().env("HOLDFAST_PASSWORD", SRC_PASSWORD).run("init", "--to", from.toString()));
    ok(cli().env("HOLDFAST_PASSWORD", SRC_PASSWORD).run("backup", "--to", from.toString(), src.toString()));
    ok(cli().env("HOLDFAST_PASSWORD", SRC_PASSWORD).run("backup", "--to", from.toString(), src.toString()));
    var resticTo = new ResticCli(to, DST_PASSWORD, tmp);
    resticTo.check("init");
    assertThat(JSON.readTree(resticTo.check("cat", "config")).get("chunker_polynomial"))
        .isNotEqualTo(JSON.readTree(new ResticCli(from, SRC_PASSWORD, tmp).check("cat", "config")).get("chunker_polynomial"));

    Cli.Result copy = ok(cli.run("copy", "--from", from.toString(), "--to", to.toString(), "latest"));
    assertThat(copy.out()).contains("copied 1 snapshot ");
    resticTo.check("check", "--read-data");
    Path restored = tmp.resolve("restored");
    resticTo.check("restore", "latest", "--target", restored.toString());
    Trees.assertSameTree(src, Trees.restored(restored, src));
    assertThat(ok(cli.run("copy", "--from", from.toString(), "--to", to.toString(), "latest")).out())
        .contains("copied 0 snapshots").contains("1 already present");

    // archives and repositories do not mix
    Path archives = tmp.resolve("archives");
    ok(cli.run("backup", "--to", archives.toString(), src.resolve("sub").toString()));
    Cli.Result mixed = cli.run("copy", "--from", archives.toString(), "--to", to.toString());
    assertThat(mixed.exitCode()).as(mixed.toString()).isEqualTo(2);
    assertThat(mixed.err()).contains("holds a repository: archives cannot be copied into it");
    Cli.Result passwordForArchives = cli.run("copy", "--from", archives.toString(), "--to", tmp.resolve("more").toString(),
        "--from-password-file", tmp.resolve("x").toString());
    assertThat(passwordForArchives.exitCode()).as(passwordForArchives.toString()).isEqualTo(2);
  }

  @Test
  void aRepositoryJobCopiesItsSnapshotsOffsite() throws Exception {
    Path src = SourceTree.create(tmp.resolve("data/src"), 23);
    Path repo = tmp.resolve("repo");
    Path offsite = tmp.resolve("offsite");
    Path config = Files.writeString(tmp.resolve("holdfast.yaml"), """
        jobs:
          docs:
            format: repository
            password_env: DOCS_PASSWORD
            sources: [%s]
            target: %s
            verify: none
            offsite: [%s]
        """.formatted(src, repo, offsite));
    Cli cli = cli().env("DOCS_PASSWORD", SRC_PASSWORD);
    ok(cli.run("init", "--to", repo.toString(), "--password-file", file("pw", SRC_PASSWORD).toString()));
    Cli.Result first = ok(cli.run("--config", config.toString(), "run", "docs"));
    assertThat(first.all()).contains("copied 1 to " + offsite);
    Files.writeString(src.resolve("sub/small.txt"), "changed\n");
    Cli.Result second = ok(cli.run("--config", config.toString(), "run", "docs"));
    assertThat(second.all()).contains("copied 1 to " + offsite);
    var restic = new ResticCli(offsite, SRC_PASSWORD, tmp);
    restic.check("check", "--read-data");
    assertThat(JSON.readTree(restic.check("snapshots", "--json"))).hasSize(2);
    Path restored = tmp.resolve("restored");
    restic.check("restore", "latest", "--target", restored.toString());
    Trees.assertSameTree(src, Trees.restored(restored, src));
  }
}
