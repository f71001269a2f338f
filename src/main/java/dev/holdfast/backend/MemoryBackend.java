package dev.holdfast.backend;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.stream.Stream;

/** A real backend held in memory, for tests and for staging small objects. */
public final class MemoryBackend implements Backend {
  private record Stored(byte[] bytes, Instant modified) {}

  private final ConcurrentSkipListMap<String, Stored> objects = new ConcurrentSkipListMap<>();
  private final Clock clock;

  public MemoryBackend() {
    this(Clock.systemUTC());
  }

  public MemoryBackend(Clock clock) {
    this.clock = clock;
  }

  @Override
  public String location() {
    return "memory:";
  }

  @Override
  public ObjectWriter create(String key) {
    Backend.checkKey(key);
    return new ObjectWriter() {
      private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
      private boolean done;

      @Override
      public void write(int b) {
        buf.write(b);
      }

      @Override
      public void write(byte[] b, int off, int len) {
        buf.write(b, off, len);
      }

      @Override
      public void commit() throws IOException {
        if (done) {
          throw new IOException("writer for " + key + " is closed");
        }
        if (objects.putIfAbsent(key, new Stored(buf.toByteArray(), clock.instant())) != null) {
          throw new FileAlreadyExistsException(key, null, "object already exists");
        }
        done = true;
      }

      @Override
      public void close() {
        done = true;
      }
    };
  }

  @Override
  public InputStream open(String key, long offset, long length) throws IOException {
    Stored s = objects.get(Backend.checkKey(key));
    if (s == null) {
      throw new NoSuchFileException(key);
    }
    int from = (int) Math.min(offset, s.bytes.length);
    int len = length < 0 ? s.bytes.length - from : (int) Math.min(length, s.bytes.length - from);
    return new ByteArrayInputStream(s.bytes, from, len);
  }

  @Override
  public Optional<ObjectInfo> stat(String key) {
    Stored s = objects.get(Backend.checkKey(key));
    return s == null ? Optional.empty() : Optional.of(new ObjectInfo(key, s.bytes.length, s.modified));
  }

  @Override
  public Stream<ObjectInfo> list(String prefix) {
    List<ObjectInfo> snapshot =
        objects.tailMap(prefix).entrySet().stream()
            .takeWhile(e -> e.getKey().startsWith(prefix))
            .map(e -> new ObjectInfo(e.getKey(), e.getValue().bytes.length, e.getValue().modified))
            .toList();
    return snapshot.stream();
  }

  @Override
  public void delete(String key) {
    objects.remove(Backend.checkKey(key));
  }

  /** Replaces an object's bytes in place: a test's way to simulate damage on the target. */
  public void corrupt(String key, byte[] bytes) {
    objects.computeIfPresent(key, (k, s) -> new Stored(bytes, s.modified));
  }

  @Override
  public void close() {}
}
