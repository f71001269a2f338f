package dev.holdfast.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SourceItemsTest {
  static JobSpec job(String sources) {
    return ConfigLoader.parse(Path.of("h.yaml"), "jobs:\n  db:\n    target: /srv/b\n    sources:\n" + sources, Map.of())
        .jobs().get("db");
  }

  static String problems(String sources) {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> job(sources));
    assertThat(e).isNotNull();
    return e.getMessage();
  }

  @Test
  void mappingsBecomeUris() {
    JobSpec j = job("""
              - /srv/app
              - postgres: {host: db, port: 5433, user: app, database: shop, format: plain, password_file: /etc/pw}
              - postgres: {host: db, user: app, all: true}
              - mariadb: {host: db, user: crm, database: crm}
              - sqlite: /var/lib/app/app.db
              - command: {run: "redis-cli --rdb -", name: redis.rdb, timeout: 10m}
              - postgresql://app@db/orders?sslmode=require
        """);
    assertThat(j.sources()).containsExactly(
        "/srv/app",
        "postgresql://app@db:5433/shop?format=plain&password_file=%2Fetc%2Fpw",
        "postgresql://app@db/",
        "mariadb://crm@db/crm",
        "sqlite:///var/lib/app/app.db",
        "command:redis.rdb?run=redis-cli%20--rdb%20-&timeout=10m",
        "postgresql://app@db/orders?sslmode=require");
    assertThat(dev.holdfast.source.PostgresConnection.parse(j.sources().get(1)).passwordFile()).isEqualTo("/etc/pw");
    assertThat(dev.holdfast.source.CommandSource.parse(j.sources().get(5)).name()).contains("redis-cli --rdb -");
  }

  @Test
  void problemsNameFileLineAndKey() {
    assertThat(problems("""
              - postgresql://app:hunter2@db/shop
              - postgres: {host: db, databse: shop}
              - postgres: {host: db}
              - mongo: {host: db}
              - relative/path
        """))
        .contains("h.yaml:5: jobs.db.sources: refusing a password")
        .doesNotContain("hunter2")
        .contains("h.yaml:6: jobs.db.sources[1].postgres.databse: unknown key")
        .contains("h.yaml:7: jobs.db.sources[2].postgres: name the database, or set all: true")
        .contains("h.yaml:8: jobs.db.sources[3].mongo: unknown key")
        .contains("h.yaml:9: jobs.db.sources: 'relative/path' must be an absolute path");
  }

  @Test
  void dockerVolumesByNameOrByLabel() {
    JobSpec j = job("""
              - docker_volume: n8n_data
              - docker_volume: {label: "holdfast.backup=true", stop: true, docker_host: "unix:///run/podman.sock"}
              - docker-volume:?label=holdfast.backup
        """);
    assertThat(j.sources()).containsExactly(
        "docker-volume:n8n_data?stop=false",
        "docker-volume:?label=holdfast.backup%3Dtrue&stop=true&docker_host=unix%3A%2F%2F%2Frun%2Fpodman.sock",
        "docker-volume:?label=holdfast.backup");
    assertThat(dev.holdfast.source.DockerVolumeSource.parse(j.sources().get(0), Map.of()).name())
        .isEqualTo("docker volume n8n_data");
    assertThat(dev.holdfast.source.DockerVolumeSource.parse(j.sources().get(1), Map.of()).name())
        .isEqualTo("docker volumes labelled holdfast.backup=true");
    assertThat(dev.holdfast.source.DockerVolumeSource.parse(j.sources().get(2), Map.of()).name())
        .isEqualTo("docker volumes labelled holdfast.backup");
    assertThat(problems("""
              - docker_volume: {name: a, label: "x=y"}
              - docker_volume: {stop: true}
        """))
        .contains("h.yaml:5: jobs.db.sources[0].docker_volume: give name or label, not both")
        .contains("h.yaml:6: jobs.db.sources[1].docker_volume.name: missing; the volume's name");
    var e = catchThrowableOfType(dev.holdfast.error.HoldfastException.class,
        () -> dev.holdfast.source.DockerVolumeSource.parse("docker-volume:data?label=x%3Dy", Map.of()));
    assertThat(e).hasMessageContaining("give a volume name or ?label=KEY=VALUE, not both");
  }
}
