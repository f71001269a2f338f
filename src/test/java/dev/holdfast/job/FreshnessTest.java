package dev.holdfast.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The freshness rule that status and the dashboard share. */
class FreshnessTest {
  private static final Instant NOW = Instant.parse("2026-01-02T03:00:00Z");
  private static final Duration MAX = Duration.ofHours(25);

  @Test
  void missingStaleFailingOk() {
    assertThat(Freshness.of(null, MAX, NOW, null)).isEqualTo("missing");
    assertThat(Freshness.of(null, MAX, NOW, "FAILURE")).isEqualTo("missing");
    assertThat(Freshness.of(NOW.minus(MAX).minusSeconds(1), MAX, NOW, "SUCCESS")).isEqualTo("stale");
    assertThat(Freshness.of(NOW.minus(MAX).minusSeconds(1), MAX, NOW, "FAILURE")).as("stale wins").isEqualTo("stale");
    assertThat(Freshness.of(NOW.minus(MAX), MAX, NOW, "SUCCESS")).as("exactly max_age is still fresh").isEqualTo("ok");
    assertThat(Freshness.of(NOW.minusSeconds(60), MAX, NOW, "FAILURE")).isEqualTo("failing");
    assertThat(Freshness.of(NOW.minusSeconds(60), MAX, NOW, "PARTIAL")).isEqualTo("ok");
    assertThat(Freshness.of(NOW.minusSeconds(60), MAX, NOW, null)).isEqualTo("ok");
  }
}
