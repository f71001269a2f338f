package dev.holdfast.verify;

import dev.holdfast.error.HoldfastException;
import dev.holdfast.source.MysqlConnection;
import dev.holdfast.source.MysqlSource;
import dev.holdfast.source.PostgresConnection;
import dev.holdfast.source.PostgresSource;
import dev.holdfast.source.Source;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The database servers a restore test may create scratch databases on: a job's own database
 * sources (same server, user and password), or servers named with {@code --scratch-database}.
 */
public record ScratchServers(List<Server> servers) {
  public static final ScratchServers NONE = new ScratchServers(List.of());

  /** A server and the caller's environment its clients take credentials from. */
  public sealed interface Server {
    /** The first segment of the dump entries this server can load ("postgresql" or "mariadb"). */
    String kind();

    String hostLabel();

    String display();
  }

  public record Postgres(PostgresConnection connection, Map<String, String> env) implements Server {
    @Override
    public String kind() {
      return "postgresql";
    }

    @Override
    public String hostLabel() {
      return connection.hostLabel();
    }

    @Override
    public String display() {
      return connection.withDatabase(null).display();
    }
  }

  public record Mariadb(MysqlConnection connection, Map<String, String> env) implements Server {
    @Override
    public String kind() {
      return "mariadb";
    }

    @Override
    public String hostLabel() {
      return connection.hostLabel();
    }

    @Override
    public String display() {
      return connection.withDatabase(null).display();
    }
  }

  public ScratchServers {
    servers = List.copyOf(servers);
  }

  /** The servers of a job's database sources. */
  public static ScratchServers of(List<Source> sources) {
    List<Server> out = new ArrayList<>();
    for (Source s : sources) {
      if (s instanceof PostgresSource p) {
        out.add(new Postgres(p.connection(), p.env()));
      } else if (s instanceof MysqlSource m) {
        out.add(new Mariadb(m.connection(), m.env()));
      }
    }
    return new ScratchServers(out);
  }

  /** Servers given as URIs ({@code postgresql://user@host:port}, {@code mariadb://user@host:port}); a database in them is ignored. */
  public static ScratchServers parse(List<String> uris, Map<String, String> env) {
    List<Server> out = new ArrayList<>();
    for (String u : uris) {
      if (PostgresConnection.isUri(u)) {
        out.add(new Postgres(PostgresConnection.parse(u), env));
      } else if (MysqlConnection.isUri(u)) {
        out.add(new Mariadb(MysqlConnection.parse(u), env));
      } else {
        throw HoldfastException.usage("--scratch-database " + u + " is not a postgresql:// or mariadb:// URI",
            "e.g. --scratch-database postgresql://postgres@db:5432");
      }
    }
    return new ScratchServers(out);
  }

  /** These servers, then {@code fallback}'s for the kinds these have none of. */
  public ScratchServers withFallback(ScratchServers fallback) {
    List<Server> out = new ArrayList<>(servers);
    for (Server s : fallback.servers) {
      if (servers.stream().noneMatch(mine -> mine.kind().equals(s.kind()))) {
        out.add(s);
      }
    }
    return new ScratchServers(out);
  }

  /** The server for a dump entry: of its kind, preferably on the host it was dumped from. */
  Optional<Server> forEntry(String path) {
    String[] parts = path.split("/");
    List<Server> ofKind = servers.stream().filter(s -> s.kind().equals(parts[0])).toList();
    return ofKind.stream().filter(s -> parts.length > 1 && s.hostLabel().equals(parts[1])).findFirst()
        .or(() -> ofKind.stream().findFirst());
  }
}
