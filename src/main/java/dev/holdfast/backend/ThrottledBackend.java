package dev.holdfast.backend;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.Optional;
import java.util.stream.Stream;

/** Limits upload bandwidth (bytes per second, shared by all uploads) of the backend it wraps. */
public final class ThrottledBackend implements Backend {
  private final Backend inner;
  private final long bytesPerSecond;
  private long available;
  private long lastRefill = System.nanoTime();

  public ThrottledBackend(Backend inner, long bytesPerSecond) {
    if (bytesPerSecond <= 0) {
      throw new IllegalArgumentException("bandwidth limit must be positive");
    }
    this.inner = inner;
    this.bytesPerSecond = bytesPerSecond;
  }

  /** Parses "5MiB/s", "500KiB", "10M", "1.5 MB/s" into bytes per second. */
  public static long parseRate(String s) {
    String t = s.trim().replace(" ", "");
    if (t.endsWith("/s")) {
      t = t.substring(0, t.length() - 2);
    }
    var m = java.util.regex.Pattern.compile("(?i)(\\d+(?:\\.\\d+)?)([kmgt]?)(i?)(b?)").matcher(t);
    if (!m.matches()) {
      throw new IllegalArgumentException("'" + s + "' is not a rate such as 5MiB/s or 800KiB/s");
    }
    double v = Double.parseDouble(m.group(1));
    int exp = "kmgt".indexOf(m.group(2).toLowerCase(java.util.Locale.ROOT)) + 1;
    double base = m.group(3).isEmpty() && !m.group(2).isEmpty() ? 1000 : 1024;
    long r = (long) (v * Math.pow(base, exp));
    if (r <= 0) {
      throw new IllegalArgumentException("'" + s + "' must be more than 0 bytes per second");
    }
    return r;
  }

  private synchronized void acquire(int n) throws InterruptedIOException {
    long need = n;
    while (need > 0) {
      long now = System.nanoTime();
      available = Math.min(bytesPerSecond, available + (now - lastRefill) * bytesPerSecond / 1_000_000_000L);
      lastRefill = now;
      long take = Math.min(need, available);
      available -= take;
      need -= take;
      if (need > 0) {
        long waitNanos = Math.max(1_000_000L, Math.min(need, bytesPerSecond) * 1_000_000_000L / bytesPerSecond);
        try {
          wait(waitNanos / 1_000_000L, (int) (waitNanos % 1_000_000L));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("interrupted while throttling upload");
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
    ObjectWriter w = inner.create(key);
    return new ObjectWriter() {
      @Override
      public void write(int b) throws IOException {
        acquire(1);
        w.write(b);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        while (len > 0) {
          int n = (int) Math.min(len, Math.max(1, bytesPerSecond / 10));
          acquire(n);
          w.write(b, off, n);
          off += n;
          len -= n;
        }
      }

      @Override
      public void flush() throws IOException {
        w.flush();
      }

      @Override
      public void commit() throws IOException {
        w.commit();
      }

      @Override
      public void close() {
        w.close();
      }
    };
  }

  @Override
  public InputStream open(String key, long offset, long length) throws IOException {
    return inner.open(key, offset, length);
  }

  @Override
  public Optional<ObjectInfo> stat(String key) throws IOException {
    return inner.stat(key);
  }

  @Override
  public Stream<ObjectInfo> list(String prefix) throws IOException {
    return inner.list(prefix);
  }

  /** Not {@link #createUnnamed}: packs go through {@link #create} and its throttle; leftovers are the inner backend's. */
  @Override
  public int deleteLeftovers(String prefix) throws IOException {
    return inner.deleteLeftovers(prefix);
  }

  @Override
  public void delete(String key) throws IOException {
    inner.delete(key);
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
