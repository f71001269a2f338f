package dev.holdfast.backend;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A flat key to object store: a local directory, an SFTP server or an S3 bucket. Keys are
 * '/'-separated relative paths ("daily/2026-01-02_030000-daily.tar.gz").
 *
 * <p>Contract: an object becomes visible only when its {@link ObjectWriter} commits, so a reader
 * never sees a partial object; {@link #list} never returns in-progress uploads; {@link #delete} is
 * idempotent; reading a missing object throws {@link java.nio.file.NoSuchFileException}.
 * Implementations are safe for use by several threads.
 */
public interface Backend extends AutoCloseable {
  /** Where this backend stores, for messages ("/srv/backups", "sftp://nas/volume1/backups"). */
  String location();

  /**
   * The target as a user names it to {@code --from} or {@code --to}, for hints that give a command
   * to run; {@link #location} may say more (an S3 target adds " at " and its endpoint).
   */
  default String targetUrl() {
    return location();
  }

  /** Starts a streaming upload; the caller writes, then commits, and always closes. */
  ObjectWriter create(String key) throws IOException;

  /** Reads {@code length} bytes from {@code offset}, or to the end when {@code length < 0}. */
  InputStream open(String key, long offset, long length) throws IOException;

  default InputStream open(String key) throws IOException {
    return open(key, 0, -1);
  }

  Optional<ObjectInfo> stat(String key) throws IOException;

  /** Every committed object whose key starts with {@code prefix}, in no particular order. */
  Stream<ObjectInfo> list(String prefix) throws IOException;

  void delete(String key) throws IOException;

  /** Stores a small object in one call. */
  default void put(String key, byte[] content) throws IOException {
    try (ObjectWriter w = create(key)) {
      w.write(content);
      w.commit();
    }
  }

  /** Stores {@code content[off, off + len)} as one object: lets a caller reuse one large array for many objects. */
  default void put(String key, byte[] content, int off, int len) throws IOException {
    try (ObjectWriter w = create(key)) {
      // In slices: a channel writes a heap array through a temporary native copy of each write's
      // size, which for a 16 MiB pack would be 16 MiB more resident memory per writing thread.
      for (int done = 0; done < len; done += PUT_SLICE) {
        w.write(content, off + done, Math.min(PUT_SLICE, len - done));
      }
      w.commit();
    }
  }

  /**
   * Starts an object whose key is known only once it is written (a pack is named by the hash of its
   * content), written beside the keys under {@code prefix} (such as "data") and published by {@link
   * UnnamedWriter#commit(String)}. Empty where the backend has no cheap way to name an object
   * afterwards: callers then build the object in memory and {@link #put} it.
   */
  default java.util.Optional<UnnamedWriter> createUnnamed(String prefix) throws IOException {
    return java.util.Optional.empty();
  }

  /**
   * Deletes the temporary files of uploads that were never finished (their process was killed)
   * under {@code prefix}; returns how many. Only while no upload can be under way there (a prune
   * holding the repository's exclusive lock). Backends that leave none, or cannot see them, do nothing.
   */
  default int deleteLeftovers(String prefix) throws IOException {
    return 0;
  }

  /** Whether {@link #createUnnamed} is supported. */
  default boolean namesObjectsAfterWriting() {
    return false;
  }

  /** The largest single write {@link #put(String, byte[], int, int)} makes. */
  int PUT_SLICE = 256 << 10;

  default byte[] readAll(String key) throws IOException {
    try (InputStream in = open(key)) {
      return in.readAllBytes();
    }
  }

  /** Bytes free on the target, where the backend can know it. */
  default java.util.OptionalLong freeSpace() {
    return java.util.OptionalLong.empty();
  }

  @Override
  void close();

  /** Rejects keys that could escape the store or name nothing. */
  static String checkKey(String key) {
    if (key == null || key.isEmpty() || key.startsWith("/") || key.endsWith("/")) {
      throw new IllegalArgumentException("invalid object key: '" + key + "'");
    }
    for (String part : key.split("/", -1)) {
      if (part.isEmpty() || part.equals(".") || part.equals("..")) {
        throw new IllegalArgumentException("invalid object key: '" + key + "'");
      }
    }
    return key;
  }

  /** Wraps a checked exception from a lazily evaluated listing. */
  static UncheckedIOException unchecked(IOException e) {
    return new UncheckedIOException(e);
  }
}
