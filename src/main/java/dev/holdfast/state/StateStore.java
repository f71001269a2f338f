package dev.holdfast.state;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** The local run history: an embedded SQLite file with one row per run. */
public final class StateStore implements AutoCloseable {
  private final Path file;
  private final Connection db;

  private StateStore(Path file, Connection db) {
    this.file = file;
    this.db = db;
  }

  public static StateStore open(Path file) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      SqliteNativeLibrary.useCopyIn(file.toAbsolutePath().getParent().resolve("native"));
      Connection c = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
      try (Statement s = c.createStatement()) {
        s.execute("PRAGMA journal_mode=WAL");
        s.execute("PRAGMA busy_timeout=10000");
        s.execute(
            """
            CREATE TABLE IF NOT EXISTS runs (
              id INTEGER PRIMARY KEY AUTOINCREMENT,
              job TEXT NOT NULL, host TEXT NOT NULL,
              started TEXT NOT NULL, finished TEXT NOT NULL,
              status TEXT NOT NULL, target TEXT NOT NULL, backup TEXT,
              size INTEGER NOT NULL, files INTEGER NOT NULL, bytes INTEGER NOT NULL,
              warnings INTEGER NOT NULL, exit_code INTEGER NOT NULL, error TEXT)""");
        s.execute("CREATE INDEX IF NOT EXISTS runs_job_started ON runs(job, started)");
      }
      return new StateStore(file, c);
    } catch (SQLException | IOException e) {
      throw new IllegalStateException("cannot open state file " + file + ": " + e.getMessage(), e);
    }
  }

  public Path file() {
    return file;
  }

  public synchronized long record(RunRecord r) {
    String sql =
        "INSERT INTO runs(job,host,started,finished,status,target,backup,size,files,bytes,warnings,exit_code,error)"
            + " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)";
    try (PreparedStatement ps = db.prepareStatement(sql, Statement.RETURN_GENERATED_KEYS)) {
      ps.setString(1, r.job());
      ps.setString(2, r.host());
      ps.setString(3, r.started().toString());
      ps.setString(4, r.finished().toString());
      ps.setString(5, r.status());
      ps.setString(6, r.target());
      ps.setString(7, r.backup());
      ps.setLong(8, r.size());
      ps.setLong(9, r.files());
      ps.setLong(10, r.bytes());
      ps.setLong(11, r.warnings());
      ps.setInt(12, r.exitCode());
      ps.setString(13, r.error());
      ps.executeUpdate();
      try (ResultSet keys = ps.getGeneratedKeys()) {
        return keys.next() ? keys.getLong(1) : -1;
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot record run in " + file + ": " + e.getMessage(), e);
    }
  }

  /** Newest first; {@code job} null for all jobs. */
  public synchronized List<RunRecord> history(String job, int limit) {
    String sql = "SELECT * FROM runs" + (job == null ? "" : " WHERE job = ?") + " ORDER BY started DESC, id DESC LIMIT ?";
    try (PreparedStatement ps = db.prepareStatement(sql)) {
      int i = 1;
      if (job != null) {
        ps.setString(i++, job);
      }
      ps.setInt(i, limit);
      List<RunRecord> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(
              new RunRecord(
                  rs.getLong("id"), rs.getString("job"), rs.getString("host"),
                  Instant.parse(rs.getString("started")), Instant.parse(rs.getString("finished")),
                  rs.getString("status"), rs.getString("target"), rs.getString("backup"),
                  rs.getLong("size"), rs.getLong("files"), rs.getLong("bytes"), rs.getLong("warnings"),
                  rs.getInt("exit_code"), rs.getString("error")));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new IllegalStateException("cannot read run history from " + file + ": " + e.getMessage(), e);
    }
  }

  @Override
  public synchronized void close() {
    try {
      db.close();
    } catch (SQLException ignored) {
      // closing a read connection cannot lose data
    }
  }
}
