package dev.holdfast.verify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import dev.holdfast.source.MysqlConnection;
import dev.holdfast.source.MysqlSource;
import dev.holdfast.source.PostgresConnection;
import dev.holdfast.source.PostgresSource;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which server a restore test loads a dump into, and the URIs it hands to the restore code. */
class ScratchServersTest {
  private static final Map<String, String> ENV = Map.of();

  @Test
  void connectionUrisReadBackIntoTheSameConnection() {
    for (String uri : List.of("postgresql://app@db:5433/shop", "postgresql://db/", "postgresql:///x?host=/var/run/postgresql",
        "postgresql://a%20b@h:1/d%2Fe?format=plain&sslmode=require&password_file=/etc/holdfast/db%20pw")) {
      PostgresConnection c = PostgresConnection.parse(uri);
      assertThat(PostgresConnection.parse(c.uri())).as(uri).isEqualTo(c);
    }
    for (String uri : List.of("mariadb://app@db:3307/crm", "mysql://h/", "mariadb://u@/d?socket=/run/mysqld/mysqld.sock",
        "mariadb://app@db/crm?password_file=/etc/holdfast/my%20pw")) {
      MysqlConnection c = MysqlConnection.parse(uri);
      assertThat(MysqlConnection.parse(c.uri())).as(uri).isEqualTo(c);
    }
  }

  @Test
  void aDumpGoesToTheServerOfItsKindOnItsHostElseTheFirstOfItsKind() {
    ScratchServers job = ScratchServers.of(List.of(
        new PostgresSource(PostgresConnection.parse("postgresql://app@db1/shop"), ENV),
        new PostgresSource(PostgresConnection.parse("postgresql://app@db2/crm"), ENV),
        new MysqlSource(MysqlConnection.parse("mariadb://app@maria/crm"), ENV)));
    assertThat(job.forEntry("postgresql/db2/crm.dump")).get().extracting(ScratchServers.Server::hostLabel).isEqualTo("db2");
    assertThat(job.forEntry("postgresql/elsewhere/x.sql")).get().extracting(ScratchServers.Server::hostLabel).isEqualTo("db1");
    assertThat(job.forEntry("mariadb/maria/crm.sql")).get().isInstanceOf(ScratchServers.Mariadb.class);
    assertThat(ScratchServers.NONE.forEntry("postgresql/db1/shop.dump")).isEmpty();
  }

  @Test
  void anExplicitServerWinsForItsKindOnly() {
    ScratchServers job = ScratchServers.of(List.of(
        new PostgresSource(PostgresConnection.parse("postgresql://app@db1/shop"), ENV),
        new MysqlSource(MysqlConnection.parse("mariadb://app@maria/crm"), ENV)));
    ScratchServers both = ScratchServers.parse(List.of("postgresql://postgres@scratch:5432"), ENV).withFallback(job);
    assertThat(both.forEntry("postgresql/db1/shop.dump")).get().extracting(ScratchServers.Server::display)
        .isEqualTo("postgresql://postgres@scratch:5432/");
    assertThat(both.forEntry("mariadb/maria/crm.sql")).get().extracting(ScratchServers.Server::display)
        .isEqualTo("mariadb://app@maria/");
  }

  @Test
  void somethingElseIsAUsageError() {
    assertThatThrownBy(() -> ScratchServers.parse(List.of("/srv/db"), ENV))
        .isInstanceOfSatisfying(HoldfastException.class, e -> assertThat(e.exitCode()).isEqualTo(ExitCode.USAGE))
        .hasMessageContaining("--scratch-database /srv/db is not a postgresql:// or mariadb:// URI");
  }
}
