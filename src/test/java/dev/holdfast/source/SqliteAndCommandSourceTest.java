package dev.holdfast.source;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.testkit.Cli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SQLite online copies under concurrent writes, and command output as an entry (exit code, timeout). */
class SqliteAndCommandSourceTest {
  @TempDir Path tmp;

  static long count(Path db) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("select count(*) from t")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Test
  void copyOfADatabaseBeingWrittenIsConsistent() throws Exception {
    Path db = tmp.resolve("app.db");
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement()) {
      st.execute("pragma journal_mode=wal");
      st.execute("create table t (id integer primary key, body text)");
    }
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong committed = new AtomicLong();
    Thread writer = Thread.ofPlatform().start(() -> {
      try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db)) {
        c.createStatement().execute("pragma busy_timeout=10000");
        c.setAutoCommit(false);
        var ins = c.prepareStatement("insert into t (body) values (?)");
        while (!stop.get()) {
          for (int i = 0; i < 100; i++) {
            ins.setString(1, "row ✓ " + i + " " + "x".repeat(200));
            ins.executeUpdate();
          }
          c.commit();
          committed.addAndGet(100);
        }
      } catch (Exception e) {
        throw new RuntimeException(e);
      }
    });
    while (committed.get() < 5000) {
      Thread.sleep(10);
    }
    long before = committed.get();
    Path target = tmp.resolve("backups");
    Cli cli = new Cli(tmp.resolve("state"));
    Cli.Result b = cli.run("backup", "--to", target.toString(), "sqlite://" + db);
    long after = committed.get();
    stop.set(true);
    writer.join();
    assertThat(b.exitCode()).as(b.toString()).isZero();
    Cli.Result r = cli.run("restore", "--from", target.toString(), "--target", tmp.resolve("out").toString());
    assertThat(r.exitCode()).as(r.toString()).isZero();
    Path copy = tmp.resolve("out/sqlite/app.db");
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + copy); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("pragma integrity_check")) {
      rs.next();
      assertThat(rs.getString(1)).isEqualTo("ok");
    }
    long n = count(copy);
    assertThat(n).isBetween(before, after + 100).satisfies(x -> assertThat(x % 100).isZero());
    try (var s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      assertThat(s.filter(p -> p.getFileName().toString().startsWith("holdfast-sqlite-"))).isEmpty();
    }
  }

  @Test
  void commandOutputIsAnEntryAndFailuresFailTheBackup() throws Exception {
    Path config = tmp.resolve("holdfast.yaml");
    Path target = tmp.resolve("backups");
    Files.writeString(config, """
        jobs:
          ok:
            sources:
              - command: {run: "printf 'hello\\\\n'; seq 1 100000", name: numbers.txt, timeout: 30s}
            target: %1$s
          failing:
            sources:
              - command: {run: "seq 1 100000; echo 'redis: connection refused' >&2; exit 3", name: broken.txt}
            target: %1$s
          slow:
            sources:
              - command: {run: "echo started; sleep 30", name: slow.txt, timeout: 1s}
            target: %1$s
        """.formatted(target));
    Cli cli = new Cli(tmp.resolve("state"));
    Cli.Result ok = cli.run("--config", config.toString(), "backup", "ok");
    assertThat(ok.exitCode()).as(ok.toString()).isZero();
    Cli.Result r = cli.run("restore", "--from", target.toString(), "--target", tmp.resolve("out").toString());
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(Files.readString(tmp.resolve("out/commands/numbers.txt"))).startsWith("hello\n1\n2\n").endsWith("\n100000\n");

    Cli.Result failing = cli.run("--config", config.toString(), "backup", "failing");
    assertThat(failing.exitCode()).isEqualTo(1);
    assertThat(failing.err()).contains("exit code 3").contains("redis: connection refused");
    long start = System.nanoTime();
    Cli.Result slow = cli.run("--config", config.toString(), "backup", "slow");
    assertThat(slow.exitCode()).isEqualTo(1);
    assertThat(slow.err()).contains("timed out");
    assertThat((System.nanoTime() - start) / 1_000_000_000).isLessThan(20);
    assertThat(PostgresBackupIT.archives(target)).isEqualTo(1);
  }
}
