package dev.holdfast.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.holdfast.testkit.Cli;
import dev.holdfast.testkit.Processes;
import dev.holdfast.testkit.Trees;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A PostgreSQL dump, a stream of unknown size, backed up into a repository: chunked on the fly,
 * restored by holdfast, the same bytes as restic dumps, and loadable into a new database with
 * the same data, by hand and by {@code restore --database}.
 */
class RepositoryPostgresIT {
  private static final String PASSWORD = "repository password";
  static PostgresServer pg;
  @TempDir Path tmp;

  @BeforeAll
  static void start() throws Exception {
    assumeTrue(PostgresServer.available(), "PostgreSQL 15 is not installed (apt-get install postgresql)");
    pg = PostgresServer.start();
  }

  @AfterAll
  static void stop() {
    if (pg != null) {
      pg.close();
    }
  }

  @Test
  void aDumpGoesIntoTheRepositoryAndComesBackLoadable() {
    pg.sql("postgres", "create database shop");
    pg.sql("shop", """
        create table product (id bigint primary key, name text not null, image bytea);
        insert into product select i, 'Äpfel #' || i, decode(repeat(md5(i::text), 64), 'hex')
          from generate_series(1, 20000) i;
        """);
    String before = pg.dataDump("shop");
    Path repo = tmp.resolve("repo");
    Cli cli = new Cli(tmp.resolve("state")).env("PGPASSWORD", PostgresServer.PASSWORD).env("HOLDFAST_PASSWORD", PASSWORD);
    Cli.Result init = cli.run("init", "--to", repo.toString(), "--format", "repository");
    assertThat(init.exitCode()).as(init.toString()).isZero();
    Cli.Result backup = cli.run("backup", "--to", repo.toString(), "--job-name", "shop", pg.uri("shop"));
    assertThat(backup.exitCode()).as(backup.toString()).isZero();
    assertThat(backup.err()).containsPattern("SUCCESS: snapshot [0-9a-f]{8} stored");

    Path files = tmp.resolve("files");
    Cli.Result restore = cli.run("restore", "--from", repo.toString(), "latest", "--target", files.toString());
    assertThat(restore.exitCode()).as(restore.toString()).isZero();
    Path dump = files.resolve("postgresql/127.0.0.1/shop.dump");
    assertThat(dump).isNotEmptyFile();

    Map<String, String> resticEnv = new HashMap<>(Map.of("RESTIC_REPOSITORY", repo.toString(), "RESTIC_PASSWORD", PASSWORD));
    Path byRestic = tmp.resolve("by-restic");
    Processes.Result r = Processes.run(tmp, List.of("restic", "--no-cache", "restore", "latest", "--target", byRestic.toString()),
        resticEnv);
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(Trees.sha256(byRestic.resolve("postgresql/127.0.0.1/shop.dump"))).isEqualTo(Trees.sha256(dump));

    pg.sql("postgres", "create database shop_copy");
    Map<String, String> pgEnv = new HashMap<>(pg.env());
    Processes.Result load = Processes.run(tmp, List.of("pg_restore", "--no-owner", "-h", "127.0.0.1", "-p", "" + pg.port(),
        "-U", "postgres", "-d", "shop_copy", dump.toString()), pgEnv);
    assertThat(load.exitCode()).as(load.toString()).isZero();
    assertThat(pg.dataDump("shop_copy")).isEqualTo(before);

    // straight from the snapshot into a live server, as from an archive
    Cli.Result db = cli.run("restore", "--from", repo.toString(), "latest", "--database", "shop",
        "--into", pg.uri("shop_restored"), "--create");
    assertThat(db.exitCode()).as(db.toString()).isZero();
    assertThat(db.out()).contains("postgresql/127.0.0.1/shop.dump").contains("snapshot ");
    assertThat(pg.dataDump("shop_restored")).isEqualTo(before);
    Cli.Result none = cli.run("restore", "--from", repo.toString(), "latest", "--database", "nosuchdb", "--create");
    assertThat(none.exitCode()).as(none.toString()).isEqualTo(2);
    assertThat(none.err()).contains("holds no dump of database 'nosuchdb'").contains("postgresql/127.0.0.1/shop.dump");
  }
}
