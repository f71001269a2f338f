package dev.holdfast.source;

import dev.holdfast.testkit.Processes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A throwaway MariaDB server for tests: mariadb-install-db into a fresh directory, mariadbd on
 * 127.0.0.1 at a free port with its own socket, and a user {@code app} with a password over TCP.
 */
public final class MariadbServer implements AutoCloseable {
  public static final String PASSWORD = "app-pw-ß";
  private final Path dir;
  private final int port;
  private final Process process;

  private MariadbServer(Path dir, int port, Process process) {
    this.dir = dir;
    this.port = port;
    this.process = process;
  }

  public static boolean available() {
    return Files.isExecutable(Path.of("/usr/sbin/mariadbd")) && Processes.onPath("mariadb-install-db")
        && Processes.onPath("mariadb-dump");
  }

  public static MariadbServer start() throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory("holdfast-mariadb-");
    String user = System.getProperty("user.name");
    Processes.check(dir, "mariadb-install-db", "--no-defaults", "--datadir=" + dir.resolve("data"), "--user=" + user,
        "--auth-root-authentication-method=socket", "--skip-test-db");
    int port = PostgresServer.freePort();
    ProcessBuilder pb = new ProcessBuilder("/usr/sbin/mariadbd", "--no-defaults", "--datadir=" + dir.resolve("data"),
        "--port=" + port, "--bind-address=127.0.0.1", "--socket=" + dir.resolve("sock"), "--user=" + user,
        "--pid-file=" + dir.resolve("pid"), "--log-error=" + dir.resolve("error.log"), "--skip-log-bin",
        "--innodb-buffer-pool-size=64M", "--character-set-server=utf8mb4");
    pb.redirectErrorStream(true).redirectOutput(dir.resolve("out.log").toFile());
    Process p = pb.start();
    MariadbServer s = new MariadbServer(dir, port, p);
    for (int i = 0; i < 300; i++) {
      if (Processes.run(dir, List.of("mariadb-admin", "--no-defaults", "--socket=" + dir.resolve("sock"), "ping"))
          .exitCode() == 0) {
        s.root("create user 'app'@'%' identified by '" + PASSWORD + "'; grant all on *.* to 'app'@'%' with grant option;"
            + " create user 'app'@'localhost' identified by '" + PASSWORD + "';"
            + " grant all on *.* to 'app'@'localhost' with grant option");
        return s;
      }
      if (!p.isAlive()) {
        break;
      }
      Thread.sleep(100);
    }
    s.close();
    throw new AssertionError("mariadbd did not start: " + Files.readString(dir.resolve("error.log")));
  }

  public int port() {
    return port;
  }

  /** mariadb://app@127.0.0.1:PORT/db (the password comes from MYSQL_PWD or a password file). */
  public String uri(String db) {
    return "mariadb://app@127.0.0.1:" + port + "/" + db;
  }

  public Map<String, String> env() {
    return Map.of("MYSQL_PWD", PASSWORD);
  }

  /** Runs SQL as root over the socket and returns the tab-separated rows. */
  public String root(String sql) {
    return sql(List.of("--socket=" + dir.resolve("sock"), "--user=" + System.getProperty("user.name")), null, sql);
  }

  /** Runs SQL in {@code db} as app over TCP. */
  public String sql(String db, String sql) {
    return sql(List.of("--host=127.0.0.1", "--port=" + port, "--user=app", "--password=" + PASSWORD), db, sql);
  }

  private String sql(List<String> conn, String db, String sql) {
    List<String> cmd = new ArrayList<>(List.of("mariadb", "--no-defaults"));
    cmd.addAll(conn);
    cmd.addAll(List.of("--batch", "--skip-column-names", "--default-character-set=utf8mb4", "-e", sql));
    if (db != null) {
      cmd.add(db);
    }
    Processes.Result r = Processes.run(dir, cmd);
    if (r.exitCode() != 0) {
      throw new AssertionError("mariadb failed: " + r);
    }
    return r.out();
  }

  /** The database's rows, dumped as data only and deterministically, for exact comparison. */
  public String dataDump(String db) {
    Processes.Result r = Processes.run(dir, List.of("mariadb-dump", "--no-defaults", "--host=127.0.0.1", "--port=" + port,
        "--user=app", "--password=" + PASSWORD, "--no-create-info", "--skip-dump-date", "--order-by-primary",
        "--hex-blob", "--skip-extended-insert", "--default-character-set=utf8mb4", db));
    if (r.exitCode() != 0) {
      throw new AssertionError("mariadb-dump failed: " + r);
    }
    return r.out();
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Processes.run(dir.getParent(), List.of("rm", "-rf", dir.toString()));
  }
}
