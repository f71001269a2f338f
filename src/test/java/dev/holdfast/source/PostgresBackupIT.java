package dev.holdfast.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.holdfast.testkit.Cli;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PostgreSQL through the CLI against a real server: back up, drop, restore, compare the data
 * exactly; all-databases mode; failing dumps publish nothing.
 */
class PostgresBackupIT {
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

  /** A database with several types: numbers, non-ASCII text, bytea (1 MB, seeded), jsonb, arrays, a large object. */
  static void createShop(String db) {
    pg.sql("postgres", "create database " + db);
    pg.sql(db, """
        create table product (id bigint primary key, name text not null, price numeric(12,2), tags text[],
          attrs jsonb, added timestamptz, image bytea);
        insert into product
          select i, 'Äpfel – 林檎 – яблоко #' || i, i * 1.25, array['a' || i, 'ü'], jsonb_build_object('n', i, 'x', 'é'),
                 timestamptz '2026-01-02 03:04:05+00' + i * interval '1 minute',
                 decode(repeat(md5(i::text), 32), 'hex')
          from generate_series(1, 2000) i;
        update product set image = (select string_agg(decode(md5(g::text || 'seed'), 'hex'), ''::bytea)
          from generate_series(1, 65536) g) where id = 1;
        create table note (id serial primary key, body text);
        insert into note (body) values ('zero byte-free line
        with a newline and a tab\there'), (null);
        select lo_from_bytea(0, decode(repeat('00ff10', 50000), 'hex'));
        create view cheap as select id, name from product where price < 10;
        """);
  }

  Cli cli() {
    return new Cli(tmp.resolve("state")).env("PGPASSWORD", PostgresServer.PASSWORD);
  }

  @Test
  void backupDropRestoreGivesTheSameData() {
    createShop("shop");
    String before = pg.dataDump("shop");
    assertThat(before).contains("Äpfel – 林檎").contains("lo_open");
    Path target = tmp.resolve("backups");
    Cli cli = cli();

    Cli.Result b = cli.run("backup", "--to", target.toString(), pg.uri("shop"));
    assertThat(b.exitCode()).as(b.toString()).isZero();

    pg.sql("postgres", "drop database shop");
    Cli.Result r = cli.run("restore", "--from", target.toString(), "latest", "--database", "shop",
        "--into", pg.uri("shop"), "--create");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out()).contains("postgresql/127.0.0.1/shop.dump");
    assertThat(pg.dataDump("shop")).isEqualTo(before);
    assertThat(pg.sql("shop", "select count(*) from cheap").strip()).isEqualTo("7");

    // into a database with tables: refused without --clean, replaced with it
    Cli.Result refused = cli.run("restore", "--from", target.toString(), "--database", "shop", "--into", pg.uri("shop"));
    assertThat(refused.exitCode()).as(refused.toString()).isEqualTo(1);
    assertThat(refused.err()).contains("is not empty").contains("--clean");
    pg.sql("shop", "delete from product where id > 10");
    Cli.Result clean = cli.run("restore", "--from", target.toString(), "--database", "shop", "--into", pg.uri("shop"),
        "--clean");
    assertThat(clean.exitCode()).as(clean.toString()).isZero();
    assertThat(pg.dataDump("shop")).isEqualTo(before);

    // into another name, and plain extraction of the dump file still works
    Cli.Result copy = cli.run("restore", "--from", target.toString(), "--database", "shop",
        "--into", pg.uri("shop_copy"), "--create");
    assertThat(copy.exitCode()).as(copy.toString()).isZero();
    assertThat(pg.dataDump("shop_copy")).isEqualTo(before);
    Cli.Result files = cli.run("restore", "--from", target.toString(), "--target", tmp.resolve("files").toString());
    assertThat(files.exitCode()).as(files.toString()).isZero();
    assertThat(tmp.resolve("files/postgresql/127.0.0.1/shop.dump")).isNotEmptyFile();
  }

  @Test
  void plainFormatFromConfigMappingWithPasswordFile() throws IOException {
    createShop("plainshop");
    String before = pg.dataDump("plainshop");
    Path pw = tmp.resolve("pgpass");
    Files.writeString(pw, PostgresServer.PASSWORD + "\n");
    Path config = tmp.resolve("holdfast.yaml");
    Files.writeString(config, """
        jobs:
          db:
            sources:
              - postgres: {host: 127.0.0.1, port: %d, user: postgres, database: plainshop, format: plain, password_file: %s}
            target: %s
            verify: full
        """.formatted(pg.port(), pw, tmp.resolve("backups")));
    Cli cli = new Cli(tmp.resolve("state")); // no PGPASSWORD: the password file must be used
    Cli.Result b = cli.run("--config", config.toString(), "backup", "db");
    assertThat(b.exitCode()).as(b.toString()).isZero();

    pg.sql("plainshop", "update product set name = 'changed'");
    Cli.Result r = new Cli(tmp.resolve("state")).env("PGPASSWORD", PostgresServer.PASSWORD).run("--config",
        config.toString(), "restore", "--job", "db", "--database", "plainshop", "--into", pg.uri("plainshop"), "--clean");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out()).contains("plainshop.sql");
    assertThat(pg.dataDump("plainshop")).isEqualTo(before);
  }

  @Test
  void allDatabasesWithGlobals() throws IOException {
    createShop("alla");
    pg.sql("postgres", "create database allb");
    pg.sql("allb", "create table t (x int); insert into t values (42)");
    pg.sql("postgres", "do $$ begin if not exists (select from pg_roles where rolname = 'reporter') then "
        + "create role reporter login; end if; end $$");
    Path target = tmp.resolve("backups");
    Cli cli = cli();
    Cli.Result b = cli.run("backup", "--to", target.toString(), "postgresql://postgres@127.0.0.1:" + pg.port() + "/");
    assertThat(b.exitCode()).as(b.toString()).isZero();
    Cli.Result files = cli.run("restore", "--from", target.toString(), "--target", tmp.resolve("files").toString());
    assertThat(files.exitCode()).as(files.toString()).isZero();
    Path dir = tmp.resolve("files/postgresql/127.0.0.1");
    assertThat(dir.resolve("alla.dump")).isNotEmptyFile();
    assertThat(dir.resolve("allb.dump")).isNotEmptyFile();
    assertThat(dir.resolve("postgres.dump")).exists();
    assertThat(dir.resolve("template1.dump")).doesNotExist();
    assertThat(Files.readString(dir.resolve("globals.sql"))).contains("CREATE ROLE reporter");

    Cli.Result r = cli.run("restore", "--from", target.toString(), "--database", "allb", "--into", pg.uri("allb_copy"),
        "--create");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(pg.sql("allb_copy", "select x from t").strip()).isEqualTo("42");
  }

  @Test
  void encryptedBackupRestoresWithThePassphrase() throws IOException {
    createShop("secretshop");
    String before = pg.dataDump("secretshop");
    Path pass = tmp.resolve("pass");
    Files.writeString(pass, "correct horse battery staple\n");
    Path target = tmp.resolve("backups");
    Cli cli = cli();
    Cli.Result b = cli.run("backup", "--to", target.toString(), "--passphrase-file", pass.toString(), pg.uri("secretshop"));
    assertThat(b.exitCode()).as(b.toString()).isZero();
    Cli.Result noKey = cli.run("restore", "--from", target.toString(), "--database", "secretshop",
        "--into", pg.uri("secretshop_copy"), "--create");
    assertThat(noKey.exitCode()).as(noKey.toString()).isEqualTo(12);
    Cli.Result r = cli.run("restore", "--from", target.toString(), "--passphrase-file", pass.toString(),
        "--database", "secretshop", "--into", pg.uri("secretshop_copy"), "--create");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(pg.dataDump("secretshop_copy")).isEqualTo(before);
  }

  @Test
  void wrongPasswordFailsWithTheClientsMessageAndPublishesNothing() throws IOException {
    Path target = tmp.resolve("backups");
    Cli.Result b = new Cli(tmp.resolve("state")).env("PGPASSWORD", "wrong")
        .run("backup", "--to", target.toString(), tmp.toString(), pg.uri("postgres"));
    assertThat(b.exitCode()).as(b.toString()).isNotZero();
    assertThat(b.err()).contains("password authentication failed for user \"postgres\"");
    assertThat(archives(target)).isZero();
  }

  @Test
  void missingDatabaseFailsAndPublishesNothing() throws IOException {
    Path target = tmp.resolve("backups");
    Cli.Result b = cli().run("backup", "--to", target.toString(), pg.uri("no_such_db"));
    assertThat(b.exitCode()).as(b.toString()).isNotZero();
    assertThat(b.err()).contains("database \"no_such_db\" does not exist");
    assertThat(archives(target)).isZero();
  }

  @Test
  void passwordInUriIsRefusedWithAHint() {
    Cli.Result b = cli().run("backup", "--to", tmp.resolve("backups").toString(),
        "postgresql://postgres:hunter2@127.0.0.1:" + pg.port() + "/postgres");
    assertThat(b.exitCode()).isEqualTo(2);
    assertThat(b.all()).contains("refusing a password").contains("PGPASSWORD").doesNotContain("hunter2");
  }

  static long archives(Path target) throws IOException {
    if (!Files.exists(target)) {
      return 0;
    }
    try (Stream<Path> s = Files.walk(target)) {
      return s.filter(p -> p.toString().endsWith(".tar.gz") || p.toString().endsWith(".gpg")).count();
    }
  }
}
