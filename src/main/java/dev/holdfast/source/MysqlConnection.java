package dev.holdfast.source;

import dev.holdfast.error.HoldfastException;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a MariaDB/MySQL database is, parsed from {@code mariadb://user@host:3306/crm} (or
 * {@code mysql://}); {@code password_file} and {@code socket} ride along as query parameters. No
 * database means every user database. A password in the URI is refused.
 *
 * @param database the database, or null for all databases
 */
public record MysqlConnection(String host, Integer port, String user, String database, String passwordFile,
    String socket) {

  public static boolean isUri(String s) {
    return s.startsWith("mariadb://") || s.startsWith("mysql://");
  }

  public static MysqlConnection parse(String uri) {
    String rest = uri.substring(uri.indexOf("://") + 3);
    Map<String, String> params = new LinkedHashMap<>();
    int q = rest.indexOf('?');
    if (q >= 0) {
      for (String kv : rest.substring(q + 1).split("&")) {
        int eq = kv.indexOf('=');
        params.put(decode(eq < 0 ? kv : kv.substring(0, eq)), eq < 0 ? "" : decode(kv.substring(eq + 1)));
      }
      rest = rest.substring(0, q);
    }
    String path = "";
    int slash = rest.indexOf('/');
    if (slash >= 0) {
      path = rest.substring(slash + 1);
      rest = rest.substring(0, slash);
    }
    String user = null;
    int at = rest.lastIndexOf('@');
    if (at >= 0) {
      String ui = rest.substring(0, at);
      rest = rest.substring(at + 1);
      if (ui.contains(":") || params.containsKey("password")) {
        throw HoldfastException.usage("refusing a password in a mariadb:// URI",
            "leave it out and give password_file in the config, or MYSQL_PWD / ~/.my.cnf");
      }
      user = decode(ui);
    }
    Integer port = null;
    int colon = rest.lastIndexOf(':');
    if (colon >= 0) {
      try {
        port = Integer.parseInt(rest.substring(colon + 1));
      } catch (NumberFormatException e) {
        throw HoldfastException.usage("bad port in " + uri);
      }
      rest = rest.substring(0, colon);
    }
    String passwordFile = params.remove("password_file");
    String socket = params.remove("socket");
    if (!params.isEmpty()) {
      throw HoldfastException.usage(uri + ": unknown parameter " + params.keySet().iterator().next(),
          "known: password_file, socket");
    }
    String db = decode(path);
    return new MysqlConnection(rest.isEmpty() ? null : decode(rest), port, user, db.isEmpty() ? null : db,
        passwordFile, socket);
  }

  private static String decode(String s) {
    return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  public MysqlConnection withDatabase(String db) {
    return new MysqlConnection(host, port, user, db, passwordFile, socket);
  }

  public String hostLabel() {
    return host == null ? "localhost" : host;
  }

  public String display() {
    return "mariadb://" + (user == null ? "" : user + "@") + hostLabel() + (port == null ? "" : ":" + port) + "/"
        + (database == null ? "" : database);
  }

  /** A URI that {@link #parse} reads back into this connection (never holds a password). */
  public String uri() {
    List<String> q = new ArrayList<>();
    if (passwordFile != null) {
      q.add("password_file=" + encode(passwordFile));
    }
    if (socket != null) {
      q.add("socket=" + encode(socket));
    }
    return "mariadb://" + (user == null ? "" : encode(user) + "@") + (host == null ? "" : encode(host))
        + (port == null ? "" : ":" + port) + "/" + (database == null ? "" : encode(database))
        + (q.isEmpty() ? "" : "?" + String.join("&", q));
  }

  private static String encode(String s) {
    return java.net.URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** A client program on PATH: the MariaDB name, else the MySQL one. */
  static String program(String mariadbName, String mysqlName) {
    String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
    for (String dir : path.split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, mariadbName))) {
        return mariadbName;
      }
    }
    return mysqlName;
  }

  /**
   * A client's command line: the program, then the connection options. The password, if any, goes
   * into a 0600 defaults-extra-file (the only thing written to disk), deleted by {@code cleanup}.
   */
  public Client client(String mariadbName, String mysqlName, Map<String, String> env) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(program(mariadbName, mysqlName));
    Path secret = null;
    Map<String, String> childEnv = new LinkedHashMap<>();
    if (passwordFile != null) {
      String pw = Secrets.firstLine(passwordFile);
      secret = ChildOutput.secretFile("holdfast-my-", "[client]\npassword=\"" + pw.replace("\\", "\\\\").replace("\"", "\\\"") + "\"\n");
      cmd.add("--defaults-extra-file=" + secret); // must be the first option
    } else if (env.containsKey("MYSQL_PWD")) {
      childEnv.put("MYSQL_PWD", env.get("MYSQL_PWD"));
    }
    if (env.containsKey("HOME")) {
      childEnv.put("HOME", env.get("HOME")); // ~/.my.cnf
    }
    if (host != null) {
      cmd.add("--host=" + host);
    }
    if (port != null) {
      cmd.add("--port=" + port);
    }
    if (socket != null) {
      cmd.add("--socket=" + socket);
    }
    if (user != null) {
      cmd.add("--user=" + user);
    }
    Path s = secret;
    return new Client(cmd, childEnv, () -> {
      if (s != null) {
        try {
          Files.deleteIfExists(s);
        } catch (IOException ignored) {
          // a temp file; nothing more to do
        }
      }
    });
  }

  /** A prepared client invocation; run {@code cleanup} when the child is done. */
  public record Client(List<String> command, Map<String, String> env, Runnable cleanup) {
    public List<String> with(String... more) {
      List<String> c = new ArrayList<>(command);
      c.addAll(List.of(more));
      return c;
    }
  }
}
