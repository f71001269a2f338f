package dev.holdfast.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.config.ConfigException;
import dev.holdfast.config.ConfigLoader;
import dev.holdfast.config.ConfigSpec;
import dev.holdfast.config.WebSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The {@code web:} keys: read, defaulted, and every mistake reported as file:line: key: problem. */
class WebConfigTest {
  private static final Path FILE = Path.of("holdfast.yaml");
  private static final String HASH = PasswordHash.create("pw".toCharArray()).toString();
  private static final String JOBS = """
      jobs:
        nightly: {sources: [/etc], target: /srv/backups}
      """;

  @Test
  void readsTheWebKeys() {
    ConfigSpec c = ConfigLoader.parse(FILE, """
        web:
          enabled: true
          token_file: /etc/holdfast/web-token
          session_timeout: 30m
          users:
            - {name: alice, password_hash: "%s"}
            - {name: bob, password_hash: "%s", role: read-only}
        """.formatted(HASH, HASH) + JOBS, Map.of());
    WebSpec w = c.web();
    assertThat(w.enabled()).isTrue();
    assertThat(w.tokenFile()).isEqualTo("/etc/holdfast/web-token");
    assertThat(w.sessionTimeout()).isEqualTo(Duration.ofMinutes(30));
    assertThat(w.users()).extracting(WebSpec.User::name, WebSpec.User::role)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("alice", "admin"), org.assertj.core.groups.Tuple.tuple("bob", "read-only"));
    assertThat(PasswordHash.parse(w.users().get(0).passwordHash()).matches("pw".toCharArray())).isTrue();
  }

  @Test
  void withoutAWebSectionTheDashboardIsLoopbackOnlyWithoutLogins() {
    WebSpec w = ConfigLoader.parse(FILE, JOBS, Map.of()).web();
    assertThat(w.enabled()).isNull();
    assertThat(w.users()).isEmpty();
    assertThat(w.tokenFile()).isNull();
    assertThat(w.sessionTimeout()).isEqualTo(Duration.ofHours(12));
  }

  @Test
  void reportsEveryProblemWithItsLineAndNeverEchoesAHash() {
    assertThatThrownBy(() -> ConfigLoader.parse(FILE, """
        web:
          enable: true
          session_timeout: soon
          users:
            - {name: alice, password_hash: "hunter2"}
            - {name: bob, password_hash: "%s", role: superuser}
            - {password_hash: "%s"}
            - {name: bob, password_hash: "%s"}
        """.formatted(HASH, HASH, HASH) + JOBS, Map.of()))
        .isInstanceOf(ConfigException.class)
        .satisfies(e -> {
          String all = ((ConfigException) e).problems().stream().map(Object::toString)
              .reduce("", (a, b) -> a + b + "\n");
          assertThat(all).contains(
              "holdfast.yaml:2: web.enable: unknown key (did you mean 'enabled'?)",
              "holdfast.yaml:3: web.session_timeout: 'soon' is not a duration",
              "holdfast.yaml:5: web.users[0].password_hash: not a pbkdf2-sha256:ITERATIONS:SALT:HASH value",
              "holdfast.yaml:6: web.users[1].role: 'superuser' is not one of: admin, read-only",
              "holdfast.yaml:7: web.users[2].name: missing",
              "holdfast.yaml:8: web.users: user 'bob' is listed twice");
          assertThat(all).doesNotContain("hunter2");
        });
  }
}
