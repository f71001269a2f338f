package dev.holdfast.repository;

import dev.holdfast.backend.LocalBackend;
import dev.holdfast.source.Entry;
import java.nio.file.Path;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;

/**
 * A child process for {@link RepositoryStreamIT}: initialises a repository and backs up one
 * generated stream of unknown size (as a database dump is), so the test can run it with a small
 * heap. Arguments: repository directory, password, stream length, seed.
 */
public final class StreamBackupMain {
  private StreamBackupMain() {}

  public static void main(String[] args) {
    Path dir = Path.of(args[0]);
    String password = args[1];
    long length = Long.parseLong(args[2]);
    long seed = Long.parseLong(args[3]);
    try (var backend = new LocalBackend(dir);
        var repo = Repository.init(backend, password, 0x3DA3358B4DC173L, new KdfParams(16384, 8, 1))) {
      var info = new RepositoryWriter.SnapshotInfo(List.of("/dumps"), "dbhost", "postgres", List.of("db"),
          OffsetDateTime.now(ZoneOffset.UTC), "holdfast stream test");
      try (var writer = new RepositoryWriter(repo, info)) {
        writer.add(new Entry("dumps", Entry.Kind.DIRECTORY, 0, 040750, Instant.parse("2026-01-01T00:00:00Z"),
            0, 0, "", "", null, null));
        writer.add(new Entry("dumps/all.sql", Entry.Kind.FILE, -1, 0100640, Instant.parse("2026-01-01T00:00:00Z"),
            0, 0, "", "", null, () -> new DumpStream(seed, length)));
        var ref = writer.finish();
        System.out.println(ref.id() + " " + ref.size() + " " + Runtime.getRuntime().maxMemory());
      }
    }
  }
}
