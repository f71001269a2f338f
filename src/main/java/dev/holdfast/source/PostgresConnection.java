package dev.holdfast.source;

import dev.holdfast.error.HoldfastException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a PostgreSQL database is and how to dump it, parsed from a libpq URI
 * ({@code postgresql://user@host:5432/shop?sslmode=require}). Holdfast's own options ride along as
 * query parameters: {@code format=custom|plain} and {@code password_file=/path}. No database in the
 * URI means every database of the server. A password in the URI is refused: it would end up in
 * process lists, shell history and logs.
 *
 * @param database the database, or null for all databases
 */
public record PostgresConnection(
    String host, Integer port, String user, String database, String sslmode, Format format, String passwordFile) {

  /** pg_dump's output format, and the file name extension it is stored under. */
  public enum Format {
    CUSTOM("custom", ".dump"),
    PLAIN("plain", ".sql");

    final String option;
    final String extension;

    Format(String option, String extension) {
      this.option = option;
      this.extension = extension;
    }

    public String extension() {
      return extension;
    }

    public static Format parse(String s) {
      return switch (s) {
        case "custom" -> CUSTOM;
        case "plain" -> PLAIN;
        default -> throw new IllegalArgumentException("format '" + s + "' is not one of: custom, plain");
      };
    }
  }

  public static boolean isUri(String s) {
    return s.startsWith("postgresql://") || s.startsWith("postgres://");
  }

  public static PostgresConnection parse(String uri) {
    String rest = uri.substring(uri.indexOf("://") + 3);
    String query = "";
    int q = rest.indexOf('?');
    if (q >= 0) {
      query = rest.substring(q + 1);
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
      String userInfo = rest.substring(0, at);
      rest = rest.substring(at + 1);
      if (userInfo.contains(":")) {
        throw HoldfastException.usage("refusing a password in " + redact(uri),
            "leave it out of the URI and give it through PGPASSWORD, ~/.pgpass, or password_file in the config");
      }
      user = decode(userInfo);
    }
    String host = rest;
    Integer port = null;
    int colon = host.lastIndexOf(':');
    if (colon >= 0 && !host.endsWith("]")) {
      try {
        port = Integer.parseInt(host.substring(colon + 1));
      } catch (NumberFormatException e) {
        throw HoldfastException.usage("bad port in " + uri);
      }
      host = host.substring(0, colon);
    }
    host = decode(host);
    Map<String, String> params = new LinkedHashMap<>();
    for (String kv : query.isEmpty() ? new String[0] : query.split("&")) {
      int eq = kv.indexOf('=');
      params.put(decode(eq < 0 ? kv : kv.substring(0, eq)), eq < 0 ? "" : decode(kv.substring(eq + 1)));
    }
    if (params.containsKey("password")) {
      throw HoldfastException.usage("refusing a password in " + redact(uri),
          "give it through PGPASSWORD, ~/.pgpass, or password_file in the config");
    }
    if (params.containsKey("host") && host.isEmpty()) {
      host = params.remove("host");
    }
    if (params.containsKey("port") && port == null) {
      port = Integer.valueOf(params.remove("port"));
    }
    if (params.containsKey("user") && user == null) {
      user = params.remove("user");
    }
    Format format = Format.CUSTOM;
    try {
      if (params.containsKey("format")) {
        format = Format.parse(params.remove("format"));
      }
    } catch (IllegalArgumentException e) {
      throw HoldfastException.usage(uri + ": " + e.getMessage());
    }
    String sslmode = params.remove("sslmode");
    String passwordFile = params.remove("password_file");
    if (!params.isEmpty()) {
      throw HoldfastException.usage(uri + ": unknown parameter " + params.keySet().iterator().next(),
          "known: sslmode, format, password_file, host, port, user");
    }
    String db = decode(path);
    return new PostgresConnection(host.isEmpty() ? null : host, port, user, db.isEmpty() ? null : db, sslmode, format,
        passwordFile);
  }

  private static String decode(String s) {
    return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  private static String redact(String uri) {
    return uri.replaceAll("(://[^:/@]*):[^@/]*@", "$1:***@").replaceAll("password=[^&]*", "password=***");
  }

  /** The same server, another database. */
  public PostgresConnection withDatabase(String db) {
    return new PostgresConnection(host, port, user, db, sslmode, format, passwordFile);
  }

  /** The host as it appears in entry paths. */
  public String hostLabel() {
    return host == null || host.startsWith("/") ? "localhost" : host;
  }

  /** A URI for messages (never holds a password). */
  public String display() {
    return "postgresql://" + (user == null ? "" : user + "@") + (host == null ? "" : host)
        + (port == null ? "" : ":" + port) + "/" + (database == null ? "" : database);
  }

  /** A URI that {@link #parse} reads back into this connection (never holds a password). */
  public String uri() {
    List<String> q = new ArrayList<>();
    boolean socketDir = host != null && host.startsWith("/");
    if (socketDir) {
      q.add("host=" + encode(host));
    }
    if (format != Format.CUSTOM) {
      q.add("format=" + format.option);
    }
    if (sslmode != null) {
      q.add("sslmode=" + encode(sslmode));
    }
    if (passwordFile != null) {
      q.add("password_file=" + encode(passwordFile));
    }
    return "postgresql://" + (user == null ? "" : encode(user) + "@") + (host == null || socketDir ? "" : encode(host))
        + (port == null ? "" : ":" + port) + "/" + (database == null ? "" : encode(database))
        + (q.isEmpty() ? "" : "?" + String.join("&", q));
  }

  private static String encode(String s) {
    return java.net.URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** libpq keyword/value connection string for {@code -d}: no password, ever. */
  public String conninfo(String db) {
    List<String> parts = new ArrayList<>();
    if (host != null) {
      parts.add("host=" + quote(host));
    }
    if (port != null) {
      parts.add("port=" + port);
    }
    if (user != null) {
      parts.add("user=" + quote(user));
    }
    if (db != null) {
      parts.add("dbname=" + quote(db));
    }
    if (sslmode != null) {
      parts.add("sslmode=" + quote(sslmode));
    }
    parts.add("application_name=holdfast");
    return String.join(" ", parts);
  }

  private static String quote(String v) {
    return "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }

  /**
   * Environment for a client program: PGPASSWORD from password_file, else the caller's PGPASSWORD
   * or PGPASSFILE, passed on (the environment, not argv, so it stays out of process lists).
   */
  public Map<String, String> clientEnv(Map<String, String> env) {
    Map<String, String> out = new LinkedHashMap<>();
    if (passwordFile != null) {
      out.put("PGPASSWORD", Secrets.firstLine(passwordFile));
    } else {
      for (String k : List.of("PGPASSWORD", "PGPASSFILE", "PGSERVICEFILE", "PGSSLROOTCERT")) {
        if (env.containsKey(k)) {
          out.put(k, env.get(k));
        }
      }
    }
    if (env.containsKey("HOME")) {
      out.put("HOME", env.get("HOME")); // ~/.pgpass
    }
    return out;
  }
}
