package dev.holdfast.verify;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.testkit.Cli;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code verify --level restore-test} on a SQLite source: the restored copy is opened and passes
 * SQLite's integrity_check; a database whose pages were already damaged when it was backed up reads
 * clean as a file (full passes) but fails the restore test with exit 4.
 */
class VerifySqliteCliTest {
  @TempDir Path tmp;

  private static void create(Path db, boolean wal) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement()) {
      if (wal) {
        st.execute("pragma journal_mode=wal");
      }
      st.execute("create table item (id integer primary key, name text)");
      st.execute("create index item_name on item (name)");
      st.execute("create table note (body text)");
      st.execute("with recursive n(i) as (select 1 union all select i + 1 from n where i < 3000)"
          + " insert into item select i, 'item ' || i || ' ' || hex(randomblob(20)) from n");
    }
  }

  @Test
  void theRestoredDatabasePassesIntegrityCheck() throws Exception {
    Path db = tmp.resolve("app.db");
    create(db, true);
    Path target = tmp.resolve("t");
    Cli cli = new Cli(tmp.resolve("state"));
    Cli.Result b = cli.run("backup", "--to", target.toString(), "sqlite://" + db);
    assertThat(b.exitCode()).as(b.toString()).isZero();

    Cli.Result v = cli.run("verify", "--from", target.toString(), "--level", "restore-test");
    assertThat(v.exitCode()).as(v.toString()).isZero();
    assertThat(v.out()).contains("         sqlite/app.db: restored copy opened: integrity_check ok, 2 tables");
    assertThat(v.err()).doesNotContain("WARNING");
  }

  @Test
  void aDatabaseDamagedBeforeTheBackupFailsTheRestoreTest() throws Exception {
    Path db = tmp.resolve("bad.db");
    create(db, false);
    try (RandomAccessFile f = new RandomAccessFile(db.toFile(), "rw")) {
      byte[] garbage = new byte[1500];
      new Random(3).nextBytes(garbage);
      f.seek(f.length() / 2); // inside the table's or the index's pages, far from the header
      f.write(garbage);
    }
    Path target = tmp.resolve("t");
    Cli cli = new Cli(tmp.resolve("state"));
    Cli.Result b = cli.run("backup", "--to", target.toString(), "sqlite://" + db);
    assertThat(b.exitCode()).as(b.toString()).isZero();

    Cli.Result full = cli.run("verify", "--from", target.toString(), "--level", "full");
    assertThat(full.exitCode()).as("the archive holds exactly what was read: " + full).isZero();
    Cli.Result v = cli.run("verify", "--from", target.toString(), "--level", "restore-test");
    assertThat(v.exitCode()).as(v.toString()).isEqualTo(4);
    // integrity_check either lists the damage or SQLite refuses the malformed file outright
    assertThat(v.out()).containsPattern("sqlite/bad\\.db: (SQLite integrity_check of the restored database: "
        + "|the restored SQLite database does not open: .*malformed)");
  }
}
