package dev.holdfast.backend;

import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;
import java.util.stream.Stream;

/**
 * Retries a backend's idempotent calls (stat, list, open, delete, and small puts) on transient
 * failures with backoff and jitter, logging every retry through a callback. A streaming upload
 * cannot be replayed, so {@link #create} is retried only while opening; an upload that fails
 * mid-way aborts and the run fails, leaving nothing that looks complete.
 */
public final class RetryingBackend implements Backend {
  /** Sleeps between attempts; tests pass one that records instead of sleeping. */
  @FunctionalInterface
  public interface Sleeper {
    void sleep(java.time.Duration d) throws InterruptedException;
  }

  @FunctionalInterface
  private interface Call<T> {
    T run() throws IOException;
  }

  private final Backend inner;
  private final RetryPolicy policy;
  private final Consumer<String> log;
  private final Sleeper sleeper;
  private final RandomGenerator random;

  public RetryingBackend(Backend inner, RetryPolicy policy, Consumer<String> log) {
    this(inner, policy, log, d -> Thread.sleep(d.toMillis()), RandomGenerator.getDefault());
  }

  public RetryingBackend(Backend inner, RetryPolicy policy, Consumer<String> log, Sleeper sleeper, RandomGenerator random) {
    this.inner = inner;
    this.policy = policy;
    this.log = log;
    this.sleeper = sleeper;
    this.random = random;
  }

  private <T> T retry(String what, Call<T> call) throws IOException {
    for (int attempt = 1; ; attempt++) {
      try {
        return call.run();
      } catch (IOException | RuntimeException e) {
        if (attempt >= policy.maxAttempts() || !RetryPolicy.transientFailure(e)) {
          throw e;
        }
        java.time.Duration wait = policy.delay(attempt, random);
        log.accept("retrying " + what + " on " + inner.location() + " in " + wait.toMillis() + " ms (attempt "
            + (attempt + 1) + " of " + policy.maxAttempts() + ") after: " + e.getMessage());
        try {
          sleeper.sleep(wait);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new java.io.InterruptedIOException("interrupted while waiting to retry " + what);
        }
      }
    }
  }

  @Override
  public String location() {
    return inner.location();
  }

  @Override
  public String targetUrl() {
    return inner.targetUrl();
  }

  @Override
  public ObjectWriter create(String key) throws IOException {
    return retry("creating " + key, () -> inner.create(key));
  }

  @Override
  public InputStream open(String key, long offset, long length) throws IOException {
    return retry("reading " + key, () -> inner.open(key, offset, length));
  }

  @Override
  public Optional<ObjectInfo> stat(String key) throws IOException {
    return retry("checking " + key, () -> inner.stat(key));
  }

  @Override
  public Stream<ObjectInfo> list(String prefix) throws IOException {
    // materialised so a failure part-way through is retried as a whole
    return retry("listing " + (prefix.isEmpty() ? "objects" : prefix), () -> {
      try (Stream<ObjectInfo> s = inner.list(prefix)) {
        return s.toList();
      } catch (java.io.UncheckedIOException e) {
        throw e.getCause();
      }
    }).stream();
  }

  @Override
  public void delete(String key) throws IOException {
    retry("deleting " + key, () -> {
      inner.delete(key);
      return null;
    });
  }

  @Override
  public void put(String key, byte[] content) throws IOException {
    int[] attempts = {0};
    retry("uploading " + key, () -> {
      attempts[0]++;
      try {
        inner.put(key, content);
      } catch (java.nio.file.FileAlreadyExistsException e) {
        // an earlier attempt may have committed before its answer was lost: same bytes = done
        if (attempts[0] == 1 || !java.util.Arrays.equals(inner.readAll(key), content)) {
          throw e;
        }
      }
      return null;
    });
  }

  @Override
  public void put(String key, byte[] content, int off, int len) throws IOException {
    int[] attempts = {0};
    retry("uploading " + key, () -> {
      attempts[0]++;
      try {
        inner.put(key, content, off, len);
      } catch (java.nio.file.FileAlreadyExistsException e) {
        // an earlier attempt may have committed before its answer was lost: same bytes = done
        if (attempts[0] == 1) {
          throw e;
        }
        byte[] stored = inner.readAll(key);
        if (!java.util.Arrays.equals(stored, 0, stored.length, content, off, off + len)) {
          throw e;
        }
      }
      return null;
    });
  }

  @Override
  public byte[] readAll(String key) throws IOException {
    return retry("reading " + key, () -> inner.readAll(key));
  }

  @Override
  public java.util.OptionalLong freeSpace() {
    return inner.freeSpace();
  }

  @Override
  public void close() {
    inner.close();
  }
}
