package dev.holdfast.verify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.holdfast.source.PostgresServer;
import dev.holdfast.testkit.Cli;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code verify --level restore-test} on PostgreSQL dumps against a real server: each dump is loaded
 * into a scratch database on the job's server (or one given with --scratch-database), queried and
 * dropped; a dump that cannot be loaded exits 4 naming backup and entry; no scratch database is left
 * behind either way.
 */
class PostgresRestoreTestIT {
  static PostgresServer pg;
  @TempDir Path tmp;

  @BeforeAll
  static void start() throws IOException {
    assumeTrue(PostgresServer.available(), "PostgreSQL 15 is not installed (apt-get install postgresql)");
    pg = PostgresServer.start();
  }

  @AfterAll
  static void stop() {
    if (pg != null) {
      pg.close();
    }
  }

  /** Databases whose name marks them as scratch databases of a restore test (what psql -l would list). */
  static String scratchDatabases() {
    return pg.sql("postgres", "select datname from pg_database where datname like 'holdfast\\_verify\\_%'").strip();
  }

  private Path config(String db, String format) throws IOException {
    Path pw = tmp.resolve("pgpass");
    Files.writeString(pw, PostgresServer.PASSWORD + "\n");
    Path src = Files.createDirectories(tmp.resolve("src"));
    Files.writeString(src.resolve("app.conf"), "x=1\n");
    Path config = tmp.resolve("holdfast.yaml");
    Files.writeString(config, """
        jobs:
          db:
            sources:
              - %s
              - postgres: {host: 127.0.0.1, port: %d, user: postgres, database: %s, format: %s, password_file: %s}
            target: %s
            verify: restore-test
        """.formatted(src, pg.port(), db, format, pw, tmp.resolve("backups")));
    return config;
  }

  @Test
  void theJobsDumpIsRestoredIntoAScratchDatabaseOnItsServerAndDropped() throws IOException {
    pg.sql("postgres", "create database rt_shop");
    pg.sql("rt_shop", """
        create table product (id int primary key, name text);
        insert into product select i, 'p' || i from generate_series(1, 500) i;
        create table note (body text);
        """);
    Path config = config("rt_shop", "custom");
    Cli cli = new Cli(tmp.resolve("state")); // no PGPASSWORD: the job's password_file must be used
    Cli.Result b = cli.run("--config", config.toString(), "backup", "db");
    assertThat(b.exitCode()).as(b.toString()).isZero();

    Cli.Result v = cli.run("--config", config.toString(), "verify", "--job", "db", "--level", "restore-test");
    assertThat(v.exitCode()).as(v.toString()).isZero();
    assertThat(v.out()).containsPattern("postgresql/127\\.0\\.0\\.1/rt_shop\\.dump: restored into scratch database "
        + "holdfast_verify_[0-9a-f]{12} on postgresql://postgres@127\\.0\\.0\\.1:" + pg.port() + "/: 2 tables; dropped");
    assertThat(v.err()).doesNotContain("WARNING");
    assertThat(scratchDatabases()).isEmpty();
    assertThat(pg.sql("rt_shop", "select count(*) from product").strip()).as("the source is untouched").isEqualTo("500");

    // the run lifecycle's verify step does the same
    Cli.Result run = cli.run("--config", config.toString(), "run", "db");
    assertThat(run.exitCode()).as(run.toString()).isZero();
    assertThat(run.err()).contains("verified (restore-test)");
    assertThat(scratchDatabases()).isEmpty();
  }

  @Test
  void adHocVerifyWarnsWithoutAServerAndRestoresIntoTheOneGiven() throws IOException {
    pg.sql("postgres", "create database rt_plain");
    pg.sql("rt_plain", "create table t (x int); insert into t values (42)");
    Path target = tmp.resolve("adhoc");
    Cli cli = new Cli(tmp.resolve("state2")).env("PGPASSWORD", PostgresServer.PASSWORD);
    Cli.Result b = cli.run("backup", "--to", target.toString(), pg.uri("rt_plain") + "?format=plain");
    assertThat(b.exitCode()).as(b.toString()).isZero();

    Cli.Result skipped = cli.run("verify", "--from", target.toString(), "--level", "restore-test");
    assertThat(skipped.exitCode()).as(skipped.toString()).isZero();
    assertThat(skipped.err()).contains("WARNING: backup/").contains(": postgresql/127.0.0.1/rt_plain.sql: not restore-tested: "
        + "no database server known").contains("--scratch-database postgresql://");

    Cli.Result given = cli.run("verify", "--from", target.toString(), "--level", "restore-test",
        "--scratch-database", "postgresql://postgres@127.0.0.1:" + pg.port());
    assertThat(given.exitCode()).as(given.toString()).isZero();
    assertThat(given.out()).contains("postgresql/127.0.0.1/rt_plain.sql: restored into scratch database holdfast_verify_")
        .contains(": 1 tables; dropped");
    assertThat(given.err()).doesNotContain("WARNING");
    assertThat(scratchDatabases()).isEmpty();

    Cli.Result notThere = cli.run("verify", "--from", target.toString(), "--level", "full",
        "--scratch-database", "postgresql://postgres@127.0.0.1:" + pg.port());
    assertThat(notThere.exitCode()).as("--scratch-database belongs to restore-test").isEqualTo(2);
  }

  @Test
  void anEncryptedBackupsDumpIsRestoreTestedWithItsKey() throws IOException {
    pg.sql("postgres", "create database rt_secret");
    pg.sql("rt_secret", "create table s (x text); insert into s values ('hush')");
    Path pass = Files.writeString(tmp.resolve("pass"), "correct horse battery staple\n");
    Path target = tmp.resolve("enc");
    Cli cli = new Cli(tmp.resolve("state4")).env("PGPASSWORD", PostgresServer.PASSWORD);
    Cli.Result b = cli.run("backup", "--to", target.toString(), "--passphrase-file", pass.toString(), pg.uri("rt_secret"));
    assertThat(b.exitCode()).as(b.toString()).isZero();

    Cli.Result v = cli.run("verify", "--from", target.toString(), "--level", "restore-test", "--passphrase-file",
        pass.toString(), "--scratch-database", "postgresql://postgres@127.0.0.1:" + pg.port());
    assertThat(v.exitCode()).as(v.toString()).isZero();
    assertThat(v.out()).contains("postgresql/127.0.0.1/rt_secret.dump: restored into scratch database holdfast_verify_")
        .contains(": 1 tables; dropped");
    assertThat(scratchDatabases()).isEmpty();
  }

  @Test
  void aDumpThatDoesNotLoadExits4NamingBackupAndEntryAndLeavesNoScratchDatabase() throws IOException {
    // the dump is intact as a file, but its objects belong to a role the server no longer has:
    // exactly what a file-level check cannot see and a test restore does
    pg.sql("postgres", "create role rt_owner");
    pg.sql("postgres", "create database rt_orphan owner rt_owner");
    pg.sql("rt_orphan", "create table t (x int); alter table t owner to rt_owner; insert into t values (1)");
    Path config = config("rt_orphan", "custom");
    Cli cli = new Cli(tmp.resolve("state3"));
    Cli.Result b = cli.run("--config", config.toString(), "backup", "db");
    assertThat(b.exitCode()).as(b.toString()).isZero();
    pg.sql("postgres", "drop database rt_orphan");
    pg.sql("postgres", "drop role rt_owner");

    Cli.Result full = cli.run("--config", config.toString(), "verify", "--job", "db", "--level", "full");
    assertThat(full.exitCode()).as("the archive itself is sound: " + full).isZero();

    Cli.Result v = cli.run("--config", config.toString(), "verify", "--job", "db", "--level", "restore-test");
    assertThat(v.exitCode()).as(v.toString()).isEqualTo(4);
    assertThat(v.out()).contains("DAMAGED  db/")
        .contains("postgresql/127.0.0.1/rt_orphan.dump: test restore into scratch database holdfast_verify_")
        .contains("pg_restore failed").contains("rt_owner");
    assertThat(v.err()).containsPattern("error: 1 of 1 backups damaged; db/\\S+: postgresql/127\\.0\\.0\\.1/rt_orphan\\.dump: ");
    assertThat(scratchDatabases()).isEmpty();
  }
}
