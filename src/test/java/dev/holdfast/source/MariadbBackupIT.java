package dev.holdfast.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.holdfast.testkit.Cli;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** MariaDB through the CLI against a real mariadbd: back up, drop, restore, compare exactly; failures publish nothing. */
class MariadbBackupIT {
  static MariadbServer db;
  @TempDir Path tmp;

  @BeforeAll
  static void start() throws Exception {
    assumeTrue(MariadbServer.available(), "MariaDB is not installed (apt-get install mariadb-server)");
    db = MariadbServer.start();
  }

  @AfterAll
  static void stop() {
    if (db != null) {
      db.close();
    }
  }

  static void createCrm(String name) {
    db.root("create database " + name + " character set utf8mb4");
    db.sql(name, """
        set max_recursive_iterations = 100000;
        create table customer (id int primary key, name varchar(200), balance decimal(12,2), photo longblob,
          joined datetime(6), meta json);
        insert into customer
          with recursive seq(i) as (select 1 union all select i + 1 from seq where i < 1500)
          select i, concat('Zoë – 東京 – ', i), i * 3.5, unhex(repeat(md5(i), 64)),
                 timestamp '2026-01-02 03:04:05.123456' + interval i minute, json_object('k', i, 'v', 'ñ')
          from seq;
        create table note (id int auto_increment primary key, body text);
        insert into note (body) values ('line one\\nline two\\ttab'), (null);
        create procedure total(out t decimal(20,2)) select sum(balance) into t from customer;
        create view rich as select id, name from customer where balance > 5000;
        """);
  }

  Cli cli() {
    return new Cli(tmp.resolve("state")).env("MYSQL_PWD", MariadbServer.PASSWORD);
  }

  @Test
  void backupDropRestoreGivesTheSameData() {
    createCrm("crm");
    String before = db.dataDump("crm");
    assertThat(before).contains("Zoë – 東京");
    Path target = tmp.resolve("backups");
    Cli cli = cli();
    Cli.Result b = cli.run("backup", "--to", target.toString(), db.uri("crm"));
    assertThat(b.exitCode()).as(b.toString()).isZero();

    db.root("drop database crm");
    Cli.Result r = cli.run("restore", "--from", target.toString(), "--database", "crm", "--into", db.uri("crm"),
        "--create");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out()).contains("mariadb/127.0.0.1/crm.sql");
    assertThat(db.dataDump("crm")).isEqualTo(before);
    assertThat(db.sql("crm", "call total(@t); select @t").strip()).isEqualTo(db.sql("crm", "select sum(balance) from customer").strip());
    assertThat(db.sql("crm", "select count(*) from rich").strip()).isEqualTo("72");

    Cli.Result refused = cli.run("restore", "--from", target.toString(), "--database", "crm", "--into", db.uri("crm"));
    assertThat(refused.exitCode()).isEqualTo(1);
    assertThat(refused.err()).contains("is not empty").contains("--clean");
    db.sql("crm", "delete from customer where id > 3");
    Cli.Result clean = cli.run("restore", "--from", target.toString(), "--database", "crm", "--into", db.uri("crm"),
        "--clean");
    assertThat(clean.exitCode()).as(clean.toString()).isZero();
    assertThat(db.dataDump("crm")).isEqualTo(before);
  }

  @Test
  void configMappingWithPasswordFileAndAllDatabases() throws Exception {
    createCrm("crm_a");
    db.root("create database crm_b");
    db.sql("crm_b", "create table t (x int); insert into t values (7)");
    Path pw = tmp.resolve("mypw");
    Files.writeString(pw, MariadbServer.PASSWORD + "\n");
    Path config = tmp.resolve("holdfast.yaml");
    Files.writeString(config, """
        jobs:
          crm:
            sources:
              - mariadb: {host: 127.0.0.1, port: %d, user: app, database: crm_a, password_file: %s}
              - mariadb://app@127.0.0.1:%d/?password_file=%s
            target: %s
        """.formatted(db.port(), pw, db.port(), pw, tmp.resolve("backups")));
    Cli cli = new Cli(tmp.resolve("state"));
    Cli.Result b = cli.run("--config", config.toString(), "backup", "crm");
    assertThat(b.exitCode()).as(b.toString()).isZero();
    Cli.Result files = cli.run("restore", "--from", tmp.resolve("backups").toString(), "--target",
        tmp.resolve("files").toString());
    assertThat(files.exitCode()).as(files.toString()).isZero();
    assertThat(tmp.resolve("files/mariadb/127.0.0.1/crm_b.sql")).content().contains("INSERT INTO `t` VALUES").contains("(7)");
    assertThat(tmp.resolve("files/mariadb/127.0.0.1/mysql.sql")).doesNotExist();
    // no credentials file left behind
    try (var s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      assertThat(s.filter(p -> p.getFileName().toString().startsWith("holdfast-my-"))).isEmpty();
    }
  }

  @Test
  void wrongPasswordAndMissingDatabaseFailAndPublishNothing() throws Exception {
    Path target = tmp.resolve("backups");
    Cli.Result wrong = new Cli(tmp.resolve("state")).env("MYSQL_PWD", "nope")
        .run("backup", "--to", target.toString(), db.uri("mysql"));
    assertThat(wrong.exitCode()).isNotZero();
    assertThat(wrong.err()).contains("Access denied for user 'app'");
    Cli.Result missing = cli().run("backup", "--to", target.toString(), db.uri("no_such_db"));
    assertThat(missing.exitCode()).isNotZero();
    assertThat(missing.err()).contains("Unknown database 'no_such_db'");
    assertThat(PostgresBackupIT.archives(target)).isZero();
  }
}
