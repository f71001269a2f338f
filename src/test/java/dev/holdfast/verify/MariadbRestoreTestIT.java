package dev.holdfast.verify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.holdfast.source.MariadbServer;
import dev.holdfast.testkit.Cli;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code verify --level restore-test} on a MariaDB dump against a real server: loaded into a scratch
 * database, queried, dropped; a dump that does not load exits 4; no scratch database is left.
 */
class MariadbRestoreTestIT {
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

  static String scratchDatabases() {
    return db.root("select schema_name from information_schema.schemata where schema_name like 'holdfast\\_verify\\_%'")
        .strip();
  }

  @Test
  void aDumpIsRestoredIntoAScratchDatabaseAndDroppedAndAFailingOneExits4() {
    db.root("create database rt_crm character set utf8mb4");
    db.sql("rt_crm", """
        create table customer (id int primary key, name varchar(200));
        insert into customer values (1, 'Zoë'), (2, '東京');
        create table note (body text);
        create table tag (t varchar(10));
        """);
    Path target = tmp.resolve("backups");
    Cli cli = new Cli(tmp.resolve("state")).env("MYSQL_PWD", MariadbServer.PASSWORD);
    Cli.Result b = cli.run("backup", "--to", target.toString(), db.uri("rt_crm"));
    assertThat(b.exitCode()).as(b.toString()).isZero();
    String server = "mariadb://app@127.0.0.1:" + db.port();

    Cli.Result v = cli.run("verify", "--from", target.toString(), "--level", "restore-test", "--scratch-database", server);
    assertThat(v.exitCode()).as(v.toString()).isZero();
    assertThat(v.out()).containsPattern("mariadb/127\\.0\\.0\\.1/rt_crm\\.sql: restored into scratch database "
        + "holdfast_verify_[0-9a-f]{12} on mariadb://app@127\\.0\\.0\\.1:" + db.port() + "/: 3 tables; dropped");
    assertThat(scratchDatabases()).isEmpty();

    // a dump that cannot load on this server: its view reads a database that is gone since the backup
    db.root("create database rt_other; create table rt_other.price (id int, amount int)");
    db.root("create database rt_bad");
    db.sql("rt_bad", "create table t (x int); create view v as select p.amount from rt_other.price p");
    Cli.Result b2 = cli.run("backup", "--to", tmp.resolve("bad").toString(), db.uri("rt_bad"));
    assertThat(b2.exitCode()).as(b2.toString()).isZero();
    db.root("drop database rt_other");
    Cli.Result bad = cli.run("verify", "--from", tmp.resolve("bad").toString(), "--level", "restore-test",
        "--scratch-database", server);
    assertThat(bad.exitCode()).as(bad.toString()).isEqualTo(4);
    assertThat(bad.out()).contains("mariadb/127.0.0.1/rt_bad.sql: test restore into scratch database holdfast_verify_")
        .contains("rt_other");
    assertThat(scratchDatabases()).isEmpty();
  }
}
