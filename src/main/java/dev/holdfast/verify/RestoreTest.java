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
 * reads every restored file back from disk and compares it with the manifest, and opens each
 * restored SQLite database for an integrity check. The scratch directory is removed afterwards.
 */
final class RestoreTest {
  private final OpenPgpDecryption decryption;

  RestoreTest(OpenPgpDecryption decryption) {
    this.decryption = decryption;
  }

  /** Problems found; what was done with each SQLite database goes to {@code checks}. */
  List<VerifyReport.Problem> run(ArchiveCatalog.Item item, List<VerifyReport.EntryCheck> checks) {
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
              } else if (e.path().startsWith("sqlite/") && e.type().equals("file")) {
                checkSqlite(e.path(), p, problems, checks);
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

  /**
   * SQLite's own consistency check on the restored copy: what the scratch database is for a server.
   * Opened read-write (a WAL database cannot be opened read-only without its -shm file); it is a
   * scratch copy.
   */
  private static void checkSqlite(String entry, Path db, List<VerifyReport.Problem> problems,
      List<VerifyReport.EntryCheck> checks) {
    try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + db);
        java.sql.Statement st = c.createStatement()) {
      List<String> report = new ArrayList<>();
      try (java.sql.ResultSet rs = st.executeQuery("pragma integrity_check")) {
        while (rs.next()) {
          report.add(rs.getString(1));
        }
      }
      if (!report.equals(List.of("ok"))) {
        problems.add(new VerifyReport.Problem(entry, "SQLite integrity_check of the restored database: "
            + String.join("; ", report.subList(0, Math.min(5, report.size())))));
        return;
      }
      long tables;
      try (java.sql.ResultSet rs = st.executeQuery("select count(*) from sqlite_master where type = 'table'")) {
        tables = rs.next() ? rs.getLong(1) : 0;
      }
      checks.add(new VerifyReport.EntryCheck(entry, VerifyReport.Outcome.RESTORED,
          "restored copy opened: integrity_check ok, " + tables + " tables"));
    } catch (java.sql.SQLException ex) {
      problems.add(new VerifyReport.Problem(entry, "the restored SQLite database does not open: " + ex.getMessage()));
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
