package dev.holdfast.verify;

import dev.holdfast.archive.ArchiveCatalog;
import dev.holdfast.archive.Manifest;
import dev.holdfast.archive.OpenPgpDecryption;
import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import dev.holdfast.restore.DatabaseRestore;
import dev.holdfast.source.ChildOutput;
import dev.holdfast.source.MysqlConnection;
import dev.holdfast.source.PostgresConnection;
import java.io.IOException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Proves a backup's database dumps load: each one is restored with the real database restore code
 * into a scratch database of its own on a live server, a sanity query runs on it, and the scratch
 * database is dropped again, whether the restore worked or not.
 */
final class ScratchDatabaseCheck {
  static final String PREFIX = "holdfast_verify_";
  private static final SecureRandom RANDOM = new SecureRandom();

  private final OpenPgpDecryption decryption;
  private final ScratchServers servers;

  ScratchDatabaseCheck(OpenPgpDecryption decryption, ScratchServers servers) {
    this.decryption = decryption;
    this.servers = servers;
  }

  /** Checks every dump entry of {@code item}, adding failures to {@code problems} and what was done to {@code checks}. */
  void run(ArchiveCatalog.Item item, List<VerifyReport.Problem> problems, List<VerifyReport.EntryCheck> checks) {
    for (Manifest.ManifestEntry e : item.entries(decryption)) {
      if (!e.type().equals("file") || DatabaseRestore.dumpedDatabase(e.path()).isEmpty()) {
        continue;
      }
      if (e.path().startsWith("postgresql/") && e.path().endsWith("/globals.sql")) {
        checks.add(new VerifyReport.EntryCheck(e.path(), VerifyReport.Outcome.FILE_ONLY,
            "roles and tablespaces of the whole server: checked as a file, not loaded"));
        continue;
      }
      var server = servers.forEntry(e.path());
      if (server.isEmpty()) {
        checks.add(new VerifyReport.EntryCheck(e.path(), VerifyReport.Outcome.SKIPPED,
            "not restore-tested: no database server known to create a scratch database on"
                + " (give --scratch-database " + e.path().substring(0, e.path().indexOf('/')) + "://USER@HOST:PORT)"));
        continue;
      }
      String scratch = PREFIX + HexFormat.of().formatHex(randomBytes());
      switch (server.get()) {
        case ScratchServers.Postgres p -> postgres(item, e.path(), p, scratch, problems, checks);
        case ScratchServers.Mariadb m -> mariadb(item, e.path(), m, scratch, problems, checks);
      }
    }
  }

  private static byte[] randomBytes() {
    byte[] b = new byte[6];
    RANDOM.nextBytes(b);
    return b;
  }

  private void postgres(ArchiveCatalog.Item item, String path, ScratchServers.Postgres server, String scratch,
      List<VerifyReport.Problem> problems, List<VerifyReport.EntryCheck> checks) {
    PostgresConnection c = server.connection().withDatabase(scratch);
    Map<String, String> env = c.clientEnv(server.env());
    String admin = c.conninfo("postgres");
    String where = "scratch database " + scratch + " on " + server.display();
    String doing = "restore test of " + path + " from " + item.ref().id();
    ChildOutput.capture(psql(admin, "create database " + scratch), env, doing + ": creating " + where);
    String tables = null;
    try {
      if (load(item, path, c.uri(), server.env(), where, problems)) {
        tables = ChildOutput.capture(psql(c.conninfo(scratch), "select count(*) from information_schema.tables"
            + " where table_schema not in ('pg_catalog', 'information_schema')"), env, doing + ": querying " + where).strip();
      }
    } catch (HoldfastException ex) {
      problems.add(new VerifyReport.Problem(path, ex.getMessage()));
    } finally {
      drop(path, where, tables, checks, () -> ChildOutput.capture(
          psql(admin, "drop database if exists " + scratch + " with (force)"), env, doing + ": dropping " + where));
    }
  }

  private void mariadb(ArchiveCatalog.Item item, String path, ScratchServers.Mariadb server, String scratch,
      List<VerifyReport.Problem> problems, List<VerifyReport.EntryCheck> checks) {
    MysqlConnection c = server.connection().withDatabase(scratch);
    String where = "scratch database " + scratch + " on " + server.display();
    String doing = "restore test of " + path + " from " + item.ref().id();
    MysqlConnection.Client client;
    try {
      client = c.withDatabase(null).client("mariadb", "mysql", server.env());
    } catch (IOException e) {
      throw HoldfastException.io(doing + ": preparing credentials for " + server.display(), e);
    }
    try {
      ChildOutput.capture(client.with("-e", "create database " + scratch), client.env(), doing + ": creating " + where);
      String tables = null;
      try {
        if (load(item, path, c.uri(), server.env(), where, problems)) {
          tables = ChildOutput.capture(client.with("--batch", "--skip-column-names", "-e",
              "select count(*) from information_schema.tables where table_schema = '" + scratch + "'"), client.env(),
              doing + ": querying " + where).strip();
        }
      } catch (HoldfastException ex) {
        problems.add(new VerifyReport.Problem(path, ex.getMessage()));
      } finally {
        drop(path, where, tables, checks, () -> ChildOutput.capture(
            client.with("-e", "drop database if exists " + scratch), client.env(), doing + ": dropping " + where));
      }
    } finally {
      client.cleanup().run();
    }
  }

  /** Loads the dump with the restore code; a failure is damage to report, not an error of the verify run. */
  private boolean load(ArchiveCatalog.Item item, String path, String into, Map<String, String> env, String where,
      List<VerifyReport.Problem> problems) {
    try {
      new DatabaseRestore(decryption, env).restore(item, DatabaseRestore.Request.ofEntry(path, into, false));
      return true;
    } catch (HoldfastException ex) {
      if (ex.exitCode() == ExitCode.INTERRUPTED) {
        throw ex;
      }
      problems.add(new VerifyReport.Problem(path, "test restore into " + where + " failed: " + ex.getMessage()));
      return false;
    }
  }

  /** Drops the scratch database; {@code tables}: the sanity query's answer, or null when the load failed. */
  private static void drop(String path, String where, String tables, List<VerifyReport.EntryCheck> checks,
      Runnable drop) {
    try {
      drop.run();
      if (tables != null) {
        checks.add(new VerifyReport.EntryCheck(path, VerifyReport.Outcome.RESTORED,
            "restored into " + where + ": " + tables + " tables; dropped"));
      }
    } catch (HoldfastException ex) {
      if (tables != null) {
        checks.add(new VerifyReport.EntryCheck(path, VerifyReport.Outcome.RESTORED,
            "restored into " + where + ": " + tables + " tables"));
      }
      checks.add(new VerifyReport.EntryCheck(path, VerifyReport.Outcome.NOT_DROPPED,
          where + " was not dropped (" + ex.getMessage() + "); drop it by hand"));
    }
  }

  private static List<String> psql(String conninfo, String sql) {
    return List.of("psql", "-X", "-A", "-t", "--no-password", "-v", "ON_ERROR_STOP=1", "-c", sql, "-d", conninfo);
  }
}
