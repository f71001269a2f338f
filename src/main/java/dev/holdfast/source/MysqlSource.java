package dev.holdfast.source;

import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import dev.holdfast.event.EventSink;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * MariaDB/MySQL databases, one entry per database streamed from {@code mariadb-dump}
 * ({@code mysqldump}) with {@code --single-transaction --routines --events --triggers} as
 * {@code mariadb/<host>/<db>.sql}, without CREATE DATABASE so it restores under any name.
 */
public final class MysqlSource implements Source {
  private static final Set<String> SYSTEM = Set.of("information_schema", "performance_schema", "sys", "mysql");
  private final MysqlConnection conn;
  private final Map<String, String> env;

  public MysqlSource(MysqlConnection conn, Map<String, String> env) {
    this.conn = conn;
    this.env = env;
  }

  public MysqlConnection connection() {
    return conn;
  }

  /** The caller's environment the clients get their credentials from. */
  public Map<String, String> env() {
    return env;
  }

  @Override
  public String name() {
    return conn.display();
  }

  @Override
  public void check() {
    query("select 1", "cannot connect to " + conn.display());
  }

  private String query(String sql, String doing) {
    MysqlConnection.Client c = client("mariadb", "mysql");
    try {
      List<String> cmd = c.with("--batch", "--skip-column-names", "-e", sql);
      if (conn.database() != null) {
        cmd.add(conn.database());
      }
      return ChildOutput.capture(cmd, c.env(), doing);
    } finally {
      c.cleanup().run();
    }
  }

  private MysqlConnection.Client client(String mariadbName, String mysqlName) {
    try {
      return conn.client(mariadbName, mysqlName, env);
    } catch (IOException e) {
      throw new HoldfastException(ExitCode.FAILED, "preparing the credentials for " + conn.display() + ": " + e.getMessage());
    }
  }

  List<String> databases() {
    if (conn.database() != null) {
      return List.of(conn.database());
    }
    return Arrays.stream(query("show databases", "listing the databases of " + conn.display()).split("\n"))
        .map(String::strip).filter(s -> !s.isEmpty() && !SYSTEM.contains(s)).sorted().toList();
  }

  @Override
  public Stream<Entry> entries(EventSink events) {
    String dir = "mariadb/" + conn.hostLabel();
    Instant now = Instant.now();
    List<Entry> out = new ArrayList<>();
    for (String db : databases()) {
      out.add(new Entry(dir + "/" + db + ".sql", Entry.Kind.FILE, -1, 0600, now, 0, 0, "", "", null, () -> {
        MysqlConnection.Client c = client("mariadb-dump", "mysqldump");
        return ChildOutput.start(
            c.with("--single-transaction", "--routines", "--events", "--triggers", "--hex-blob",
                "--default-character-set=utf8mb4", db),
            c.env(), null, c.cleanup());
      }));
    }
    return out.stream();
  }
}
