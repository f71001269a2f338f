package dev.holdfast.source;

import dev.holdfast.event.EventSink;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * PostgreSQL databases, one entry per database streamed from {@code pg_dump} (custom format by
 * default) as {@code postgresql/<host>/<db>.dump}; for a whole server, every non-template database
 * plus the roles and tablespaces from {@code pg_dumpall --globals-only} as
 * {@code postgresql/<host>/globals.sql}. Passwords reach the clients only through their environment.
 */
public final class PostgresSource implements Source {
  private final PostgresConnection conn;
  private final Map<String, String> env;

  /** {@code env} is the caller's environment (PGPASSWORD, PGPASSFILE, HOME are passed on). */
  public PostgresSource(PostgresConnection conn, Map<String, String> env) {
    this.conn = conn;
    this.env = env;
  }

  public PostgresConnection connection() {
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
    String db = conn.database() == null ? "postgres" : conn.database();
    ChildOutput.capture(List.of("psql", "-X", "-A", "-t", "-c", "select 1", "-d", conn.conninfo(db)),
        conn.clientEnv(env), "cannot connect to " + conn.withDatabase(db).display());
  }

  /** The databases to dump: the one named, or every database that is not a template. */
  List<String> databases() {
    if (conn.database() != null) {
      return List.of(conn.database());
    }
    String out = ChildOutput.capture(
        List.of("psql", "-X", "-A", "-t", "-c", "select datname from pg_database where not datistemplate order by datname",
            "-d", conn.conninfo("postgres")),
        conn.clientEnv(env), "listing the databases of " + conn.display());
    return Arrays.stream(out.split("\n")).map(String::strip).filter(s -> !s.isEmpty()).toList();
  }

  @Override
  public Stream<Entry> entries(EventSink events) {
    String dir = "postgresql/" + conn.hostLabel() + "/";
    Instant now = Instant.now();
    List<Entry> out = new ArrayList<>();
    if (conn.database() == null) {
      List<String> cmd = List.of("pg_dumpall", "--globals-only", "-d", conn.conninfo("postgres"));
      out.add(stream(dir + "globals.sql", now, cmd));
    }
    for (String db : databases()) {
      List<String> cmd = List.of("pg_dump", "--format=" + conn.format().option, "--no-password", "-d", conn.conninfo(db));
      out.add(stream(dir + db + conn.format().extension(), now, cmd));
    }
    return out.stream();
  }

  private Entry stream(String path, Instant mtime, List<String> cmd) {
    return new Entry(path, Entry.Kind.FILE, -1, 0600, mtime, 0, 0, "", "", null,
        () -> ChildOutput.start(cmd, conn.clientEnv(env), null, null));
  }
}
