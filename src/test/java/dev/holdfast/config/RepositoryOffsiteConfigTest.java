package dev.holdfast.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.testkit.Cli;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A repository job may have off-site targets (copies of its snapshots), but no retention there yet. */
class RepositoryOffsiteConfigTest {
  @TempDir Path tmp;

  private Cli.Result check(String offsite) throws Exception {
    Path config = Files.writeString(tmp.resolve("holdfast.yaml"), """
        jobs:
          docs:
            format: repository
            password_env: REPO_PASSWORD
            sources: [%1$s]
            target: %1$s/repo
            offsite:
        %2$s
        """.formatted(tmp, offsite));
    return new Cli(tmp.resolve("state")).run("--config", config.toString(), "config", "check");
  }

  @Test
  void offsiteTargetsAreAcceptedTheirRetentionIsNot() throws Exception {
    Cli.Result plain = check("      - " + tmp.resolve("far"));
    assertThat(plain.exitCode()).as(plain.toString()).isZero();
    Cli.Result withRetention = check("      - target: " + tmp.resolve("far") + "\n        retention: { keep_last: 3 }");
    assertThat(withRetention.exitCode()).as(withRetention.toString()).isEqualTo(2);
    assertThat(withRetention.err()).contains("holdfast.yaml:9: jobs.docs.offsite[0].retention: not supported for format: repository");
  }

  @Test
  void retryLockIsADurationForRepositoryJobsOnly() throws Exception {
    Path config = Files.writeString(tmp.resolve("holdfast.yaml"), """
        jobs:
          docs:
            format: repository
            password_env: REPO_PASSWORD
            sources: [%1$s]
            target: %1$s/repo
            retry_lock: 10m
          bad:
            format: repository
            password_env: REPO_PASSWORD
            sources: [%1$s]
            target: %1$s/repo2
            retry_lock: soon
          files:
            sources: [%1$s]
            target: %1$s/archives
            retry_lock: 10m
        """.formatted(tmp));
    Cli.Result r = new Cli(tmp.resolve("state")).run("--config", config.toString(), "config", "check");
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
    assertThat(r.err()).contains("holdfast.yaml:13: jobs.bad.retry_lock: 'soon' is not a duration")
        .contains("holdfast.yaml:17: jobs.files.retry_lock: applies to format: repository")
        .doesNotContain("jobs.docs");
  }
}
