package dev.holdfast.verify;

import dev.holdfast.archive.ArchiveCatalog;
import dev.holdfast.archive.Manifest;
import dev.holdfast.archive.OpenPgpDecryption;
import dev.holdfast.error.HoldfastException;
import dev.holdfast.event.EventSink;
import dev.holdfast.restore.ArchiveRestore;
import dev.holdfast.restore.RestoreRequest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * Proves a backup restores: restores it into a scratch directory with the real restore code, then
 * reads every restored file back from disk and compares it with the manifest. The scratch
 * directory is removed afterwards.
 */
final class RestoreTest {
  private final OpenPgpDecryption decryption;

  RestoreTest(OpenPgpDecryption decryption) {
    this.decryption = decryption;
  }

  List<VerifyReport.Problem> run(ArchiveCatalog.Item item) {
    List<VerifyReport.Problem> problems = new ArrayList<>();
    Path scratch;
    try {
      scratch = Files.createTempDirectory("holdfast-restore-test-");
    } catch (IOException e) {
      throw HoldfastException.io("creating a scratch directory for the restore test", e);
    }
    try {
      try {
        new ArchiveRestore(EventSink.NONE, decryption).restore(item, new RestoreRequest(scratch, List.of(), false));
      } catch (HoldfastException e) {
        problems.add(new VerifyReport.Problem("", "test restore failed: " + e.getMessage()));
        return problems;
      }
      List<Manifest.ManifestEntry> entries = item.entries(decryption);
      if (entries.isEmpty()) {
        return problems; // nothing more to compare a foreign archive with
      }
      byte[] buf = new byte[1 << 16];
      for (Manifest.ManifestEntry e : entries) {
        Path p = scratch.resolve(e.path());
        switch (e.type()) {
          case "file", "hardlink" -> {
            if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
              problems.add(new VerifyReport.Problem(e.path(), "missing after the test restore"));
            } else if (e.sha256() != null) {
              String got = sha256(p, buf);
              if (!got.equals(e.sha256())) {
                problems.add(new VerifyReport.Problem(e.path(), "restored file has SHA-256 " + got + ", manifest says " + e.sha256()));
              }
            }
          }
          case "dir" -> {
            if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
              problems.add(new VerifyReport.Problem(e.path(), "directory missing after the test restore"));
            }
          }
          case "symlink" -> {
            try {
              if (!Files.readSymbolicLink(p).toString().equals(e.link())) {
                problems.add(new VerifyReport.Problem(e.path(), "restored link points elsewhere"));
              }
            } catch (IOException ex) {
              problems.add(new VerifyReport.Problem(e.path(), "link missing after the test restore"));
            }
          }
          default -> { }
        }
      }
      return problems;
    } finally {
      try (Stream<Path> s = Files.walk(scratch)) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> {
          try {
            if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
              p.toFile().setWritable(true);
            }
            Files.deleteIfExists(p);
          } catch (IOException ignored) {
            // scratch space in the system temp directory; best effort
          }
        });
      } catch (IOException ignored) {
        // as above
      }
    }
  }

  private static String sha256(Path p, byte[] buf) {
    try (InputStream in = Files.newInputStream(p)) {
      MessageDigest md = dev.holdfast.archive.Digests.sha256();
      int n;
      while ((n = in.read(buf)) > 0) {
        md.update(buf, 0, n);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (IOException e) {
      return "unreadable (" + e.getMessage() + ")";
    }
  }
}
