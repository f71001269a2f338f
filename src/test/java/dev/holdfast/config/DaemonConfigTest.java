package dev.holdfast.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The keys for unattended operation: schedule, randomized_delay, notify, metrics, log. */
class DaemonConfigTest {
  private static final Path FILE = Path.of("holdfast.yaml");

  @Test
  void readsEveryNewKey() {
    ConfigSpec c = ConfigLoader.parse(FILE, """
        time_zone: Europe/Berlin
        metrics: {listen: "127.0.0.1:9485", textfile_dir: /var/lib/node_exporter}
        log: {max_size: 10MiB, keep: 5}
        jobs:
          nightly:
            sources: [/etc]
            target: /srv/backups
            schedule: "0 3 * * *"
            randomized_delay: 10m
            notify:
              - email: {to: [a@example.org, b@example.org], from: hf@example.org, smtp_host: mail.example.org,
                        smtp_port: 2525, starttls: true, username: hf, password_file: /etc/hf-smtp}
                on: [failure, success]
              - webhook: https://example.org/hook
              - healthchecks: https://hc-ping.com/abc
              - ntfy: https://ntfy.sh/backups
                on: [failure]
          weekly:
            sources: [/home]
            target: /srv/backups
            schedule: "@weekly"
        """, Map.of());
    JobSpec j = c.jobs().get("nightly");
    assertThat(j.schedule()).isEqualTo("0 3 * * *");
    assertThat(j.randomizedDelay()).isEqualTo(Duration.ofMinutes(10));
    assertThat(j.notifiers()).hasSize(4);
    assertThat(j.notifiers().get(0)).isEqualTo(new NotifySpec.Email(List.of("a@example.org", "b@example.org"),
        "hf@example.org", "mail.example.org", 2525, true, false, "hf", "/etc/hf-smtp", null, Set.of("failure", "success")));
    assertThat(j.notifiers().get(1)).isEqualTo(new NotifySpec.Webhook("https://example.org/hook", Set.of("failure")));
    assertThat(j.notifiers().get(2)).isInstanceOf(NotifySpec.Healthchecks.class);
    assertThat(j.notifiers().get(3)).isEqualTo(new NotifySpec.Ntfy("https://ntfy.sh/backups", Set.of("failure")));
    assertThat(c.jobs().get("weekly").schedule()).isEqualTo("@weekly");
    assertThat(c.jobs().get("weekly").randomizedDelay()).isZero();
    assertThat(c.metrics()).isEqualTo(new MetricsSpec("127.0.0.1:9485", "/var/lib/node_exporter"));
    assertThat(c.log()).isEqualTo(new LogSpec(10L << 20, 5));
  }

  @Test
  void defaultsWhenAbsent() {
    ConfigSpec c = ConfigLoader.parse(FILE, "jobs: {a: {sources: [/etc], target: /srv}}\n", Map.of());
    assertThat(c.jobs().get("a").schedule()).isNull();
    assertThat(c.jobs().get("a").notifiers()).isEmpty();
    assertThat(c.metrics()).isEqualTo(MetricsSpec.none());
    assertThat(c.log()).isEqualTo(LogSpec.defaults());
  }

  @Test
  void reportsEveryProblemWithFileLineAndKey() {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.parse(FILE, """
        metrics: {listen: nine}
        log: {max_size: huge}
        jobs:
          a:
            sources: [/etc]
            target: /srv
            schedule: "0 3 * * 8"
            randomized_delay: soon
            notify:
              - email: {to: [nobody], smtp_host: mail}
              - webhook: ftp://example.org
                on: [always]
              - pager: x
        """, Map.of()));
    assertThat(e).isNotNull();
    assertThat(e.problems().stream().map(ConfigProblem::toString)).contains(
        "holdfast.yaml:1: metrics.listen: 'nine' is not host:port, e.g. 127.0.0.1:9485",
        "holdfast.yaml:2: log.max_size: 'huge' is not a size such as 10MiB or 500kB",
        "holdfast.yaml:7: jobs.a.schedule: day-of-week: '8' is out of range 0-7 (e.g. \"0 3 * * *\" or @daily)",
        "holdfast.yaml:8: jobs.a.randomized_delay: 'soon' is not a duration such as 10m or 1h",
        "holdfast.yaml:10: jobs.a.notify[0].email.to: 'nobody' is not a mail address",
        "holdfast.yaml:10: jobs.a.notify[0].email.from: missing; the sender address, e.g. holdfast@example.org",
        "holdfast.yaml:11: jobs.a.notify[1].webhook: 'ftp://example.org' is not an http:// or https:// URL",
        "holdfast.yaml:12: jobs.a.notify[1].on: 'always' is not one of: failure, success, partial, start, skipped");
    assertThat(e.problems().stream().map(ConfigProblem::toString))
        .anyMatch(p -> p.startsWith("holdfast.yaml:13: jobs.a.notify[2].pager: unknown key"));
  }
}
