package dev.holdfast.restore;

import dev.holdfast.repository.BlobType;
import dev.holdfast.repository.Node;
import dev.holdfast.repository.NodeType;
import dev.holdfast.repository.ObjectId;
import dev.holdfast.repository.Repository;
import dev.holdfast.archive.ArchiveCatalog;
import dev.holdfast.archive.ArchiveReader;
import dev.holdfast.archive.Manifest;
import dev.holdfast.archive.OpenPgpDecryption;
import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import dev.holdfast.source.ChildOutput;
import dev.holdfast.source.MysqlConnection;
import dev.holdfast.source.PostgresConnection;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Restores one database dump from a backup into a live server: finds the dump entry
 * ({@code postgresql/<host>/<db>.dump|.sql} or {@code mariadb/<host>/<db>.sql}) and streams it into
 * pg_restore, psql or mariadb. Refuses to load into a database that already holds tables unless
 * {@code clean} is set, and creates the database when {@code create} is set.
 */
public final class DatabaseRestore {
  private final OpenPgpDecryption decryption;
  private final Map<String, String> env;

  /** {@code env}: the caller's environment (PGPASSWORD, MYSQL_PWD, HOME are passed to clients). */
  public DatabaseRestore(OpenPgpDecryption decryption, Map<String, String> env) {
    this.decryption = decryption;
    this.env = env;
  }

  /**
   * @param database the database name in the backup
   * @param into where to load it (a postgresql:// or mariadb:// URI), or null for the same name on the host it came from
   */
  public record Request(String database, String into, boolean create, boolean clean, String entry) {
    public Request(String database, String into, boolean create, boolean clean) {
      this(database, into, create, clean, null);
    }

    /** The dump at {@code entry} (its path in the backup), loaded into {@code into}, which names the database. */
    public static Request ofEntry(String entry, String into, boolean create) {
      return new Request(dumpedDatabase(entry).orElseThrow(
          () -> new IllegalArgumentException(entry + " is not a database dump")), into, create, false, entry);
    }
  }

  public record Result(String backup, String entry, String into, long bytes) {}

  public Result restore(ArchiveCatalog.Item item, Request req) {
    String key = item.ref().id();
    List<Manifest.ManifestEntry> listed = item.entries(decryption);
    List<String> candidates = new ArrayList<>();
    for (Manifest.ManifestEntry e : listed) {
      if (req.entry() == null ? matches(e.path(), req.database()) : e.path().equals(req.entry())) {
        candidates.add(e.path());
      }
    }
    if (candidates.size() > 1) {
      throw HoldfastException.usage("backup " + key + " holds several dumps of '" + req.database() + "': " + candidates,
          "restore one with the plain file restore: holdfast restore --include " + candidates.get(0));
    }
    if (candidates.isEmpty() && !listed.isEmpty()) {
      List<String> dumps = listed.stream().map(Manifest.ManifestEntry::path)
          .filter(p -> p.startsWith("postgresql/") || p.startsWith("mariadb/")).toList();
      throw HoldfastException.usage("backup " + key + " holds no dump of database '" + req.database() + "'",
          dumps.isEmpty() ? "it holds no database dumps" : "dumps in it: " + String.join(", ", dumps));
    }
    String wanted = candidates.isEmpty() ? null : candidates.get(0);
    String expectedSha = listed.stream().filter(e -> e.path().equals(wanted)).map(Manifest.ManifestEntry::sha256)
        .findFirst().orElse(null);
    Result[] result = {null};
    ArchiveReader.Result read;
    try {
      read = ArchiveReader.read(item.backend(), key, decryption, (entry, content) -> {
        String name = entry.normalizedName();
        boolean wantedHere = wanted != null ? name.equals(wanted)
            : req.entry() == null ? matches(name, req.database()) : name.equals(req.entry());
        if (result[0] != null || !wantedHere) {
          return;
        }
        result[0] = load(key, name, content, req, expectedSha);
      });
    } catch (HoldfastException e) {
      throw e;
    } catch (IOException e) {
      throw new HoldfastException(ExitCode.DAMAGED, "backup " + key + " is damaged or unreadable: " + e.getMessage()
          + "; the database may hold a partial restore", ArchiveRestore.verifyHint(item, key), e);
    }
    if (result[0] == null) {
      throw HoldfastException.usage("backup " + key + " holds no dump of database '" + req.database() + "'");
    }
    String sidecar = item.expectedSha256();
    if (sidecar != null && !sidecar.equals(read.objectSha256())) {
      throw new HoldfastException(ExitCode.DAMAGED, "backup " + key + " does not match its checksum; "
          + "the database may hold a partial restore", ArchiveRestore.verifyHint(item, key));
    }
    return result[0];
  }

  /**
   * Loads a dump stored in a repository snapshot into a live server; every blob is checked against
   * its id before it is fed to the client (a damaged one stops the load: the database may then hold
   * a partial restore, as with a damaged archive).
   */
  public Result restore(Repository repo, ObjectId snapshot, Request req) {
    String key = "snapshot " + snapshot.shortHex();
    java.util.Map<String, Node> files = new java.util.LinkedHashMap<>();
    collectFiles(repo, repo.loadSnapshot(snapshot).tree(), "", files);
    List<String> candidates = files.keySet().stream()
        .filter(p -> req.entry() == null ? matches(p, req.database()) : p.equals(req.entry())).toList();
    if (candidates.size() > 1) {
      throw HoldfastException.usage(key + " holds several dumps of '" + req.database() + "': " + candidates,
          "restore one with the plain file restore: holdfast restore --include " + candidates.get(0));
    }
    if (candidates.isEmpty()) {
      List<String> dumps = files.keySet().stream().filter(p -> dumpedDatabase(p).isPresent()).toList();
      throw HoldfastException.usage(key + " holds no dump of database '" + req.database() + "'",
          dumps.isEmpty() ? "it holds no database dumps" : "dumps in it: " + String.join(", ", dumps));
    }
    String path = candidates.get(0);
    Node node = files.get(path);
    try (java.io.InputStream content = new SnapshotFileStream(repo, node, path + " in " + key)) {
      return load(key, path, content, req, null);
    } catch (IOException e) {
      throw HoldfastException.io("reading " + path + " from " + key, e);
    }
  }

  private static void collectFiles(Repository repo, ObjectId tree, String prefix, java.util.Map<String, Node> out) {
    for (Node n : repo.loadTree(tree).nodes()) {
      String path = prefix + n.name();
      if (n.type() == NodeType.DIR && n.subtree() != null) {
        collectFiles(repo, n.subtree(), path + "/", out);
      } else if (n.type() == NodeType.FILE) {
        out.put(path, n);
      }
    }
  }

  /** A file of a snapshot as a stream, blob by blob, each checked against its id when loaded. */
  private static final class SnapshotFileStream extends java.io.InputStream {
    private final Repository repo;
    private final Node node;
    private final String what;
    private int next;
    private byte[] chunk = new byte[0];
    private int pos;
    private long total;

    SnapshotFileStream(Repository repo, Node node, String what) {
      this.repo = repo;
      this.node = node;
      this.what = what;
    }

    private boolean fill() {
      while (pos >= chunk.length) {
        if (next >= node.content().size()) {
          if (total != node.size()) {
            throw new HoldfastException(ExitCode.DAMAGED, what + " has " + total + " bytes of content, its node says "
                + node.size() + "; the database may hold a partial restore");
          }
          return false;
        }
        chunk = repo.loadBlob(BlobType.DATA, node.content().get(next++));
        pos = 0;
        total += chunk.length;
      }
      return true;
    }

    @Override
    public int read() {
      return fill() ? chunk[pos++] & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (len == 0) {
        return 0;
      }
      if (!fill()) {
        return -1;
      }
      int n = Math.min(len, chunk.length - pos);
      System.arraycopy(chunk, pos, b, off, n);
      pos += n;
      return n;
    }
  }

  /** The database a dump entry holds ({@code postgresql/<host>/<db>.dump|.sql}, {@code mariadb/<host>/<db>.sql}), if it is one. */
  public static java.util.Optional<String> dumpedDatabase(String path) {
    String[] parts = path.split("/");
    if (parts.length != 3) {
      return java.util.Optional.empty();
    }
    String file = parts[2];
    String db = switch (parts[0]) {
      case "postgresql" -> file.endsWith(".dump") ? file.substring(0, file.length() - 5)
          : file.endsWith(".sql") ? file.substring(0, file.length() - 4) : null;
      case "mariadb" -> file.endsWith(".sql") ? file.substring(0, file.length() - 4) : null;
      default -> null;
    };
    return db == null || db.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(db);
  }

  static boolean matches(String path, String db) {
    String[] parts = path.split("/");
    if (parts.length != 3) {
      return false;
    }
    return switch (parts[0]) {
      case "postgresql" -> parts[2].equals(db + ".dump") || parts[2].equals(db + ".sql");
      case "mariadb" -> parts[2].equals(db + ".sql");
      default -> false;
    };
  }

  private Result load(String key, String path, java.io.InputStream content, Request req, String expectedSha) {
    String[] parts = path.split("/");
    String host = parts[1];
    DumpLoader.Fed fed;
    String into;
    if (parts[0].equals("postgresql")) {
      PostgresConnection c = req.into() == null
          ? new PostgresConnection(host.equals("localhost") ? null : host, null, null, req.database(), null,
              PostgresConnection.Format.CUSTOM, null)
          : PostgresConnection.parse(req.into());
      if (c.database() == null) {
        c = c.withDatabase(req.database());
      }
      into = c.display();
      fed = postgres(c, path.endsWith(".dump"), content, req, "restoring " + path + " from " + key + " into " + into);
    } else {
      MysqlConnection c = req.into() == null
          ? new MysqlConnection(host.equals("localhost") ? null : host, null, null, req.database(), null, null)
          : MysqlConnection.parse(req.into());
      if (c.database() == null) {
        c = c.withDatabase(req.database());
      }
      into = c.display();
      fed = mariadb(c, content, req, "restoring " + path + " from " + key + " into " + into);
    }
    if (expectedSha != null && !expectedSha.equals(fed.sha256())) {
      throw new HoldfastException(ExitCode.DAMAGED, path + " in " + key + " does not match its recorded SHA-256; "
          + "the database may hold a partial restore", "run: holdfast verify " + key);
    }
    return new Result(key, path, into, fed.bytes());
  }

  private DumpLoader.Fed postgres(PostgresConnection c, boolean custom, java.io.InputStream content, Request req,
      String doing) {
    Map<String, String> cenv = c.clientEnv(env);
    String db = c.database();
    String admin = c.conninfo("postgres");
    String exists = ChildOutput.capture(psql(admin, "select 1 from pg_database where datname = " + literal(db)), cenv,
        doing).strip();
    if (exists.isEmpty()) {
      if (!req.create()) {
        throw HoldfastException.usage(doing + ": database " + db + " does not exist", "pass --create to create it");
      }
      ChildOutput.capture(psql(admin, "create database " + ident(db)), cenv, doing + ": creating the database");
    } else if (!req.clean()) {
      String n = ChildOutput.capture(psql(c.conninfo(db),
          "select (select count(*) from pg_class k join pg_namespace s on s.oid = k.relnamespace"
              + " where s.nspname not in ('pg_catalog', 'information_schema') and s.nspname not like 'pg_toast%'"
              + " and s.nspname not like 'pg_temp%') + (select count(*) from pg_largeobject_metadata)"), cenv, doing).strip();
      if (!n.equals("0")) {
        throw new HoldfastException(ExitCode.FAILED, doing + ": database " + db + " is not empty (" + n + " objects)",
            "pass --clean to drop its objects first, or restore into another database with --into and --create");
      }
    } else if (!custom) {
      // a plain SQL dump has no DROP statements: start from an empty database instead
      ChildOutput.capture(psql(admin, "drop database " + ident(db) + " with (force)"), cenv, doing + ": dropping the database");
      ChildOutput.capture(psql(admin, "create database " + ident(db)), cenv, doing + ": creating the database");
    }
    List<String> cmd = new ArrayList<>();
    if (custom) {
      cmd.addAll(List.of("pg_restore", "--exit-on-error", "--no-password", "-d", c.conninfo(db)));
      if (req.clean() && !exists.isEmpty()) {
        cmd.addAll(List.of("--clean", "--if-exists"));
      }
    } else {
      cmd.addAll(List.of("psql", "-X", "-q", "--no-password", "-v", "ON_ERROR_STOP=1", "-d", c.conninfo(db), "-f", "-"));
    }
    return DumpLoader.feed(cmd, cenv, content, doing);
  }

  private static List<String> psql(String conninfo, String sql) {
    return List.of("psql", "-X", "-A", "-t", "--no-password", "-c", sql, "-d", conninfo);
  }

  private static String literal(String s) {
    return "'" + s.replace("'", "''") + "'";
  }

  private static String ident(String s) {
    return "\"" + s.replace("\"", "\"\"") + "\"";
  }

  private DumpLoader.Fed mariadb(MysqlConnection c, java.io.InputStream content, Request req, String doing) {
    String db = c.database();
    MysqlConnection.Client client;
    try {
      client = c.withDatabase(null).client("mariadb", "mysql", env);
    } catch (IOException e) {
      throw HoldfastException.io(doing + ": preparing credentials", e);
    }
    try {
      String bq = "`" + db.replace("`", "``") + "`";
      String exists = ChildOutput.capture(client.with("--batch", "--skip-column-names", "-e",
          "select 1 from information_schema.schemata where schema_name = " + literal(db.replace("\\", "\\\\"))),
          client.env(), doing).strip();
      if (exists.isEmpty()) {
        if (!req.create()) {
          throw HoldfastException.usage(doing + ": database " + db + " does not exist", "pass --create to create it");
        }
        ChildOutput.capture(client.with("-e", "create database " + bq), client.env(), doing + ": creating the database");
      } else if (req.clean()) {
        ChildOutput.capture(client.with("-e", "drop database " + bq + "; create database " + bq), client.env(),
            doing + ": recreating the database");
      } else {
        String n = ChildOutput.capture(client.with("--batch", "--skip-column-names", "-e",
            "select (select count(*) from information_schema.tables where table_schema = " + literal(db) + ")"
                + " + (select count(*) from information_schema.routines where routine_schema = " + literal(db) + ")"),
            client.env(), doing).strip();
        if (!n.equals("0")) {
          throw new HoldfastException(ExitCode.FAILED, doing + ": database " + db + " is not empty (" + n + " objects)",
              "pass --clean to drop and recreate it, or restore into another database with --into and --create");
        }
      }
      return DumpLoader.feed(client.with("--default-character-set=utf8mb4", db), client.env(), content, doing);
    } finally {
      client.cleanup().run();
    }
  }
}
