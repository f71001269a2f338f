package dev.holdfast.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.holdfast.testkit.Cli;
import dev.holdfast.testkit.Processes;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A dump several times larger than the JVM heap (about 300 MB of plain SQL through a child JVM with
 * -Xmx64m) is streamed, backed up and restored in bounded memory.
 */
class PostgresLargeDumpIT {
  /** Rows of 4 distinct MD5s each: about 140 bytes per row in the dump; 2.2 M rows is about 300 MB. */
  static final int ROWS = Integer.getInteger("holdfast.largeDumpRows", 2_200_000);

  @TempDir Path tmp;

  @Test
  void dumpLargerThanTheHeapStreams() throws IOException {
    assumeTrue(PostgresServer.available(), "PostgreSQL 15 is not installed");
    try (PostgresServer pg = PostgresServer.start()) {
      pg.sql("postgres", "create database big");
      pg.sql("big", "create table t as select i, md5(i::text) || md5((i + 1)::text) || md5((i + 2)::text) || md5((-i)::text) s"
          + " from generate_series(1, " + ROWS + ") i");
      long dbBytes = Long.parseLong(pg.sql("big", "select pg_table_size('t')").strip());
      String digest = pg.sql("big", "select md5(string_agg(s, ',' order by i)) from t").strip();
      Path target = tmp.resolve("backups");
      Cli cli = new Cli(tmp.resolve("state")).env("PGPASSWORD", PostgresServer.PASSWORD);

      Processes.Result b = holdfast64m(cli, "backup", "--to", target.toString(), "--level", "1",
          pg.uri("big") + "?format=plain");
      assertThat(b.exitCode()).as(b.toString()).isZero();
      Processes.Result r = holdfast64m(cli, "restore", "--from", target.toString(), "--database", "big",
          "--into", pg.uri("big_copy"), "--create");
      assertThat(r.exitCode()).as(r.toString()).isZero();
      assertThat(r.out()).contains("big.sql");
      long dumped = parseMb(r.out());
      assertThat(dumped).as("dump size in MB (table is %d bytes)", dbBytes).isGreaterThanOrEqualTo(ROWS * 135L / 1_000_000);
      assertThat(pg.sql("big_copy", "select md5(string_agg(s, ',' order by i)) from t").strip()).isEqualTo(digest);
    }
  }

  /** "restored ... (312 MB)" -> 312. */
  static long parseMb(String out) {
    var m = java.util.regex.Pattern.compile("\\(([0-9.]+) (MB|GB)\\)").matcher(out);
    assertThat(m.find()).as(out).isTrue();
    double v = Double.parseDouble(m.group(1));
    return (long) (m.group(2).equals("GB") ? v * 1000 : v);
  }

  static Processes.Result holdfast64m(Cli cli, String... args) {
    return Processes.runHoldfastInHeap(cli, "64m", args);
  }
}
