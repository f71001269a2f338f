package dev.holdfast.source;

import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import dev.holdfast.event.EventSink;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.stream.Stream;

/**
 * A live SQLite database, copied consistently with SQLite's online backup API into a private (0600)
 * temporary file while writers keep going, then stored as {@code sqlite/<file name>}; the copy is
 * deleted when its stream is closed.
 */
public final class SqliteSource implements Source {
  private final Path db;

  public SqliteSource(Path db) {
    this.db = db;
  }

  /** {@code sqlite:///var/lib/app/app.db}. */
  public static SqliteSource parse(String uri) {
    String p = uri.substring("sqlite://".length());
    if (!p.startsWith("/")) {
      throw HoldfastException.usage("'" + uri + "' needs an absolute path: sqlite:///var/lib/app/app.db");
    }
    return new SqliteSource(Path.of(p));
  }

  @Override
  public String name() {
    return "sqlite://" + db;
  }

  @Override
  public void check() {
    if (!Files.isRegularFile(db)) {
      throw new HoldfastException(ExitCode.FAILED, "SQLite database " + db + " does not exist");
    }
  }

  @Override
  public Stream<Entry> entries(EventSink events) {
    Instant mtime;
    try {
      mtime = Files.getLastModifiedTime(db).toInstant();
    } catch (IOException e) {
      mtime = Instant.now();
    }
    return Stream.of(
        new Entry("sqlite/" + db.getFileName(), Entry.Kind.FILE, -1, 0600, mtime, 0, 0, "", "", null, this::copy));
  }

  /** Runs the online backup into a temp file next to nothing shared, and streams it. */
  private InputStream copy() throws IOException {
    Path tmp = Files.createTempFile("holdfast-sqlite-", ".db",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
        Statement st = c.createStatement()) {
      st.setQueryTimeout(600);
      st.executeUpdate("backup to '" + tmp.toString().replace("'", "''") + "'");
    } catch (SQLException e) {
      Files.deleteIfExists(tmp);
      throw new IOException("SQLite online backup of " + db + " failed: " + e.getMessage(), e);
    }
    return new FilterInputStream(Files.newInputStream(tmp)) {
      @Override
      public void close() throws IOException {
        try {
          super.close();
        } finally {
          Files.deleteIfExists(tmp);
        }
      }
    };
  }
}
