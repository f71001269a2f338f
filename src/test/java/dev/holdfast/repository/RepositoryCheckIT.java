package dev.holdfast.repository;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.backend.LocalBackend;
import dev.holdfast.event.EventSink;
import dev.holdfast.source.PathSource;
import dev.holdfast.testkit.Cli;
import dev.holdfast.verify.PackSample;
import dev.holdfast.verify.RepositoryVerifier;
import dev.holdfast.verify.VerifyLevel;
import dev.holdfast.verify.VerifyReport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whole-repository checks, ours and restic's side by side: a flipped byte in one pack is found by
 * the read of the slice holding it and by no other slice, exactly as {@code restic check
 * --read-data-subset k/N} finds it; the structure check finds missing packs and unindexed blobs, and
 * counts packs no index names; on repositories restic wrote as well as ours.
 */
class RepositoryCheckIT {
  private static final String PASSWORD = "check";
  private static final int N = 5;

  @TempDir Path tmp;

  @Test
  void aDamagedPackIsFoundByItsSliceAsResticFindsItInOurRepository() throws Exception {
    Path repoDir = tmp.resolve("repo");
    try (var backend = new LocalBackend(repoDir);
        var repo = Repository.init(backend, PASSWORD, 0x3DA3358B4DC173L, new KdfParams(16384, 8, 1))) {
      repo.setPackSize(256 << 10); // many packs, so slices differ
      backup(repo, SourceTree.create(tmp.resolve("src"), 5), List.of());
    }
    damageAndCompare(repoDir);
  }

  @Test
  void aDamagedPackIsFoundByItsSliceAsResticFindsItInARepositoryResticWrote() throws Exception {
    Path repoDir = tmp.resolve("repo");
    var restic = new ResticCli(repoDir, PASSWORD, tmp);
    restic.check("init");
    for (int i = 0; i < 4; i++) { // several backups, several packs
      restic.check("backup", SourceTree.create(tmp.resolve("src" + i), 100 + i).toString());
    }
    damageAndCompare(repoDir);
  }

  /** Clean at every slice; then one flipped byte in a data pack: found by its slice only, by us and by restic. */
  private void damageAndCompare(Path repoDir) throws Exception {
    var restic = new ResticCli(repoDir, PASSWORD, tmp);
    List<Path> packs;
    try (var backend = new LocalBackend(repoDir); var repo = Repository.open(backend, PASSWORD)) {
      var verifier = new RepositoryVerifier(repo);
      assertThat(verifier.verify(VerifyLevel.FULL).problems()).isEmpty();
      for (int k = 1; k <= N; k++) {
        assertThat(verifier.verify(VerifyLevel.FULL, new PackSample.Slice(k, N)).problems()).isEmpty();
      }
      packs = dataPacks(repoDir, repo);
    }
    assertThat(packs).hasSizeGreaterThanOrEqualTo(2);
    // the largest: the flipped byte must be in a blob, and a pack of a few tiny blobs (how workers fill
    // packs varies from run to run) can have its header (at its end) within its first 100 bytes
    Path damaged = packs.stream().max(java.util.Comparator.comparingLong(p -> p.toFile().length())).orElseThrow();
    byte[] bytes = Files.readAllBytes(damaged);
    bytes[100] ^= 0x20; // inside the first blob, so its MAC fails, and the pack's hash no longer matches its name
    Files.write(damaged, bytes);
    int slice = (ObjectId.parse(damaged.getFileName().toString()).bytes()[0] & 0xff) % N + 1;
    int other = slice % N + 1;

    try (var backend = new LocalBackend(repoDir); var repo = Repository.open(backend, PASSWORD)) {
      var verifier = new RepositoryVerifier(repo);
      assertThat(verifier.verify(VerifyLevel.QUICK).problems()).as("the size is unchanged: structure is fine").isEmpty();
      VerifyReport hit = verifier.verify(VerifyLevel.FULL, new PackSample.Slice(slice, N));
      assertThat(hit.problems()).isNotEmpty()
          .allSatisfy(p -> assertThat(p.entry()).isEqualTo("pack " + damaged.getFileName()));
      assertThat(hit.problems()).anySatisfy(p -> assertThat(p.message()).contains("does not match its name"));
      assertThat(hit.note()).contains("slice " + slice + "/" + N);
      assertThat(verifier.verify(VerifyLevel.FULL, new PackSample.Slice(other, N)).problems()).isEmpty();
      VerifyReport share = verifier.verify(VerifyLevel.FULL, new PackSample.Share(1, new Random(1)));
      assertThat(share.note()).contains("(1 of " + packCount(repo) + ")");
    }
    assertThat(restic.run("check", "--read-data-subset", slice + "/" + N).exitCode())
        .as("restic reading slice %d/%d", slice, N).isNotZero();
    assertThat(restic.run("check", "--read-data-subset", other + "/" + N).exitCode())
        .as("restic reading slice %d/%d", other, N).isZero();
  }

  @Test
  void theStructureCheckFindsMissingPacksAndUnindexedBlobsAndCountsStrayPacks() throws Exception {
    Path repoDir = tmp.resolve("repo");
    try (var backend = new LocalBackend(repoDir);
        var repo = Repository.init(backend, PASSWORD, 0x3DA3358B4DC173L, new KdfParams(16384, 8, 1))) {
      repo.setPackSize(256 << 10);
      backup(repo, SourceTree.create(tmp.resolve("src"), 9), List.of());
    }
    // a pack no index names (what an interrupted backup leaves): counted, not damage
    Path anyPack = dataPacks(repoDir).get(0);
    String stray = "ab" + "0".repeat(62);
    Files.createDirectories(repoDir.resolve("data/ab"));
    Files.copy(anyPack, repoDir.resolve("data/ab/" + stray));
    try (var backend = new LocalBackend(repoDir); var repo = Repository.open(backend, PASSWORD)) {
      VerifyReport r = new RepositoryVerifier(repo).verify(VerifyLevel.QUICK);
      assertThat(r.problems()).isEmpty();
      assertThat(r.note()).contains("1 pack not in any index").contains(stray.substring(0, 8));
    }
    new ResticCli(repoDir, PASSWORD, tmp).check("check");

    // a missing pack, and a snapshot whose blobs no index names
    Path index;
    try (var backend = new LocalBackend(repoDir); var repo = Repository.open(backend, PASSWORD)) {
      List<String> before = Trees.names(repoDir.resolve("index"));
      backup(repo, SourceTree.create(tmp.resolve("src2"), 10), List.of());
      index = Trees.names(repoDir.resolve("index")).stream().filter(n -> !before.contains(n))
          .map(n -> repoDir.resolve("index").resolve(n)).findFirst().orElseThrow();
    }
    Files.delete(index);
    Files.delete(anyPack);
    try (var backend = new LocalBackend(repoDir); var repo = Repository.open(backend, PASSWORD)) {
      VerifyReport r = new RepositoryVerifier(repo).verify(VerifyLevel.QUICK);
      assertThat(r.problems()).anySatisfy(p -> {
        assertThat(p.entry()).isEqualTo("pack " + anyPack.getFileName());
        assertThat(p.message()).startsWith("missing");
      });
      assertThat(r.problems()).anySatisfy(p -> assertThat(p.message()).contains("is not in the index"));
    }
    assertThat(new ResticCli(repoDir, PASSWORD, tmp).run("check").exitCode()).isNotZero();
  }

  @Test
  void theCliTakesASampleForARepository() throws Exception {
    Path src = SourceTree.create(tmp.resolve("src"), 3);
    Path repo = tmp.resolve("repo");
    Cli cli = new Cli(tmp.resolve("state")).env("HOLDFAST_PASSWORD", PASSWORD);
    assertThat(cli.run("init", "--to", repo.toString(), "--format", "repository").exitCode()).isZero();
    assertThat(cli.run("backup", "--to", repo.toString(), src.toString()).exitCode()).isZero();
    int today = (int) Math.floorMod(LocalDate.now(ZoneOffset.UTC).toEpochDay(), 7L) + 1;
    Cli.Result r = cli.env("TZ", "UTC").run("verify", "--from", repo.toString(), "--sample", "1/7");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out()).startsWith("ok ").contains("slice " + today + "/7");
    r = cli.run("verify", "--from", repo.toString(), "--sample", "10%");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out()).contains("a random 10% of the packs read");
    r = cli.run("verify", "--from", repo.toString(), "--sample", "2/7");
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
    assertThat(r.err()).contains("1/N");
    r = cli.run("verify", "--from", repo.toString(), "--sample", "10%", "--level", "quick");
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
  }

  private static void backup(Repository repo, Path src, List<String> tags) {
    var info = new RepositoryWriter.SnapshotInfo(List.of(src.toString()), "host", "tester", tags,
        OffsetDateTime.now(ZoneOffset.UTC), "test");
    try (var writer = new RepositoryWriter(repo, info);
        Stream<dev.holdfast.source.Entry> entries = PathSource.of(List.of(src.toString())).entries(EventSink.NONE)) {
      entries.forEach(writer::add);
      writer.finish();
    }
  }

  private static int packCount(Repository repo) {
    return (int) repo.readIndex().stream().map(IndexFile.Pack::id).distinct().count();
  }

  private static List<Path> dataPacks(Path repoDir) throws Exception {
    try (Stream<Path> s = Files.walk(repoDir.resolve("data"))) {
      return s.filter(Files::isRegularFile).sorted().toList();
    }
  }

  /** The packs holding data blobs (a flipped byte there damages file content, not a tree). */
  private static List<Path> dataPacks(Path repoDir, Repository repo) throws Exception {
    List<String> data = repo.readIndex().stream().filter(p -> p.blobs().get(0).type() == BlobType.DATA)
        .map(p -> p.id().hex()).toList();
    return dataPacks(repoDir).stream().filter(p -> data.contains(p.getFileName().toString())).toList();
  }

  /** File names in a directory. */
  private static final class Trees {
    static List<String> names(Path dir) throws Exception {
      try (Stream<Path> s = Files.list(dir)) {
        return s.map(p -> p.getFileName().toString()).toList();
      }
    }
  }
}
