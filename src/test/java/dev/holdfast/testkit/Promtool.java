package dev.holdfast.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/** Runs {@code promtool check metrics} (Debian package prometheus) on exposition text. */
public final class Promtool {
  private Promtool() {}

  /** promtool prints lint problems and exits non-zero on any; accepts means silent and 0. */
  public static void assertAccepts(String metrics) throws Exception {
    Process p = new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
    try (var in = p.getOutputStream()) {
      in.write(metrics.getBytes(StandardCharsets.UTF_8));
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(out).as("promtool check metrics on:\n" + metrics).isEmpty();
    assertThat(p.exitValue()).isZero();
  }
}
