package dev.holdfast.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.SocketException;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The retry decorator around a real MemoryBackend; the faults are injected by a decorator of the
 * test's own (no server can be told to fail exactly N times on demand).
 */
class RetryingBackendTest {
  /** Fails the next {@code failures} calls with the given exception, then delegates. */
  static final class FaultyBackend implements Backend {
    final Backend inner = new MemoryBackend();
    int failures;
    IOException fault = new SocketException("Connection reset");
    int calls;

    private void maybeFail() throws IOException {
      calls++;
      if (failures > 0) {
        failures--;
        throw fault;
      }
    }

    @Override public String location() { return "faulty:"; }
    @Override public ObjectWriter create(String key) throws IOException { maybeFail(); return inner.create(key); }
    @Override public InputStream open(String key, long o, long l) throws IOException { maybeFail(); return inner.open(key, o, l); }
    @Override public Optional<ObjectInfo> stat(String key) throws IOException { maybeFail(); return inner.stat(key); }
    @Override public Stream<ObjectInfo> list(String prefix) throws IOException { maybeFail(); return inner.list(prefix); }
    @Override public void delete(String key) throws IOException { maybeFail(); inner.delete(key); }
    @Override public void close() {}
  }

  private final List<String> log = new ArrayList<>();
  private final List<Duration> sleeps = new ArrayList<>();

  private RetryingBackend retrying(FaultyBackend b, int attempts) {
    return new RetryingBackend(b, new RetryPolicy(attempts, Duration.ofMillis(100), Duration.ofSeconds(2)),
        log::add, sleeps::add, new Random(1));
  }

  @Test
  void recoversFromTransientFaultsAndLogsEachRetry() throws IOException {
    FaultyBackend b = new FaultyBackend();
    b.inner.put("a", new byte[] {1, 2, 3});
    b.failures = 2;
    assertThat(retrying(b, 5).readAll("a")).containsExactly(1, 2, 3);
    assertThat(log).hasSize(2).allMatch(l -> l.contains("retrying reading a") && l.contains("Connection reset"));
    assertThat(sleeps).hasSize(2).allMatch(d -> d.toMillis() <= 2000);
  }

  @Test
  void putsARangeOfAnArrayInSlicesAndRetriesIt() throws IOException {
    FaultyBackend b = new FaultyBackend();
    byte[] big = new byte[3 * Backend.PUT_SLICE + 1000];
    new Random(4).nextBytes(big);
    b.failures = 2;
    retrying(b, 5).put("pack", big, 7, big.length - 20);
    assertThat(b.inner.readAll("pack")).isEqualTo(java.util.Arrays.copyOfRange(big, 7, big.length - 13));
    assertThat(log).hasSize(2).allMatch(l -> l.contains("retrying uploading pack"));
  }

  @Test
  void givesUpAfterTheLastAttempt() {
    FaultyBackend b = new FaultyBackend();
    b.failures = 10;
    assertThatThrownBy(() -> retrying(b, 3).stat("a")).isInstanceOf(SocketException.class);
    assertThat(b.calls).isEqualTo(3);
  }

  @Test
  void doesNotRetryPermanentErrors() {
    FaultyBackend b = new FaultyBackend();
    b.failures = 1;
    b.fault = new NoSuchFileException("a");
    assertThatThrownBy(() -> retrying(b, 5).open("a", 0, -1)).isInstanceOf(NoSuchFileException.class);
    assertThat(b.calls).isEqualTo(1);
    assertThat(log).isEmpty();
  }

  @Test
  void backoffGrowsButStaysUnderTheCap() {
    RetryPolicy p = new RetryPolicy(10, Duration.ofMillis(100), Duration.ofSeconds(1));
    Random r = new Random(3);
    for (int attempt = 1; attempt < 10; attempt++) {
      long cap = Math.min(1000, 100L << (attempt - 1));
      for (int i = 0; i < 50; i++) {
        assertThat(p.delay(attempt, r).toMillis()).isBetween(0L, cap);
      }
    }
  }

  @Test
  void parsesRates() {
    assertThat(ThrottledBackend.parseRate("5MiB/s")).isEqualTo(5L << 20);
    assertThat(ThrottledBackend.parseRate("800KiB")).isEqualTo(800L << 10);
    assertThat(ThrottledBackend.parseRate("10M")).isEqualTo(10_000_000L);
    assertThat(ThrottledBackend.parseRate("1.5 MB/s")).isEqualTo(1_500_000L);
    assertThatThrownBy(() -> ThrottledBackend.parseRate("fast")).hasMessageContaining("5MiB/s");
  }
}
