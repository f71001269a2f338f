package dev.holdfast.source;

import dev.holdfast.testkit.Processes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A throwaway PostgreSQL 15 cluster for tests: initdb and pg_ctl run as the {@code postgres} user
 * (initdb refuses root) in a fresh directory, listening on 127.0.0.1 at a free port, with password
 * (scram) authentication over TCP for the superuser {@code postgres}.
 */
public final class PostgresServer implements AutoCloseable {
  public static final String BIN = "/usr/lib/postgresql/15/bin/";
  public static final String PASSWORD = "s3cret-pw";
  private final Path dir;
  private final int port;

  private PostgresServer(Path dir, int port) {
    this.dir = dir;
    this.port = port;
  }

  public static boolean available() {
    return Files.isExecutable(Path.of(BIN + "initdb")) && Files.isExecutable(Path.of("/usr/bin/pg_dump"));
  }

  public static PostgresServer start() throws IOException {
    Path dir = Files.createTempDirectory("holdfast-pg-");
    Path data = dir.resolve("data");
    Files.writeString(dir.resolve("pw"), PASSWORD + "\n");
    Processes.check(dir, "chown", "-R", "postgres", dir.toString());
    Processes.check(dir, "chmod", "755", dir.toString());
    int port = freePort();
    asPostgres(dir, BIN + "initdb", "-D", data.toString(), "-U", "postgres", "--pwfile=" + dir.resolve("pw"),
        "--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8", "--locale=C.UTF-8");
    asPostgres(dir, BIN + "pg_ctl", "-D", data.toString(), "-l", dir.resolve("log").toString(), "-w", "-o",
        "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c fsync=off", "start");
    return new PostgresServer(dir, port);
  }

  private static void asPostgres(Path dir, String... cmd) {
    List<String> c = new ArrayList<>(List.of("runuser", "-u", "postgres", "--"));
    c.addAll(List.of(cmd));
    Processes.Result r = Processes.run(dir, c);
    if (r.exitCode() != 0) {
      throw new AssertionError(String.join(" ", c) + " failed: " + r);
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  public int port() {
    return port;
  }

  public Path dir() {
    return dir;
  }

  /** postgresql://postgres@127.0.0.1:PORT/db (no password: it comes from PGPASSWORD). */
  public String uri(String db) {
    return "postgresql://postgres@127.0.0.1:" + port + "/" + db;
  }

  public Map<String, String> env() {
    return Map.of("PGPASSWORD", PASSWORD);
  }

  /** Runs SQL through psql in {@code db} and returns its unaligned output; fails the test on error. */
  public String sql(String db, String sql) {
    Processes.Result r = Processes.run(dir, List.of("psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1",
        "-h", "127.0.0.1", "-p", "" + port, "-U", "postgres", "-d", db, "-c", sql), env());
    if (r.exitCode() != 0) {
      throw new AssertionError("psql failed: " + r);
    }
    return r.out();
  }

  /** The database's data as pg_dump --data-only writes it (tables and large objects), for exact comparison. */
  public String dataDump(String db) {
    Processes.Result r = Processes.run(dir, List.of("pg_dump", "--data-only", "--format=plain", "--blobs",
        "-h", "127.0.0.1", "-p", "" + port, "-U", "postgres", "-d", db), env());
    if (r.exitCode() != 0) {
      throw new AssertionError("pg_dump failed: " + r);
    }
    // pg_dump since 15.14 brackets its output with restrict/unrestrict meta-commands and a random key
    return r.out().replaceAll("(?m)^\\\\(un)?restrict .*$", "");
  }

  @Override
  public void close() {
    Processes.run(dir, List.of("runuser", "-u", "postgres", "--", BIN + "pg_ctl", "-D", dir.resolve("data").toString(),
        "-m", "immediate", "stop"));
    try {
      Processes.run(dir, List.of("rm", "-rf", dir.toString()));
    } catch (UncheckedIOException ignored) {
      // best effort
    }
  }
}
