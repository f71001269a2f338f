package dev.holdfast.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The {@link Backend} contract as tests: every implementation runs them against a fresh, empty,
 * existing store from {@link #newBackend()} (memory and local in unit tests, SFTP and S3 in
 * integration tests).
 */
abstract class BackendContract {
  private Backend backend;

  /** A new backend over an empty store that exists. */
  protected abstract Backend newBackend() throws Exception;

  @BeforeEach
  final void openBackend() throws Exception {
    backend = newBackend();
  }

  @AfterEach
  final void closeBackend() {
    if (backend != null) {
      backend.close();
    }
  }

  protected final Backend backend() {
    return backend;
  }

  protected static byte[] seeded(long seed, int size) {
    byte[] b = new byte[size];
    new SplittableRandom(seed).nextBytes(b);
    return b;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private List<String> keys(String prefix) throws IOException {
    try (Stream<ObjectInfo> s = backend.list(prefix)) {
      return s.map(ObjectInfo::key).sorted().toList();
    }
  }

  @Test
  void committedObjectReadsBack() throws IOException {
    byte[] content = seeded(1, 100_000);
    try (ObjectWriter w = backend.create("daily/2026-01-02_030000-daily.tar.gz")) {
      w.write(content, 0, 40_000);
      w.write(content[40_000]);
      w.write(content, 40_001, content.length - 40_001);
      w.commit();
    }
    assertThat(backend.readAll("daily/2026-01-02_030000-daily.tar.gz")).isEqualTo(content);
  }

  @Test
  void emptyObjectRoundTrips() throws IOException {
    backend.put("empty", new byte[0]);
    assertThat(backend.readAll("empty")).isEmpty();
    assertThat(backend.stat("empty")).get().extracting(ObjectInfo::size).isEqualTo(0L);
  }

  @Test
  void nothingIsVisibleBeforeCommit() throws IOException {
    try (ObjectWriter w = backend.create("a/b/object")) {
      w.write(seeded(2, 10_000));
      w.flush();
      assertThat(backend.stat("a/b/object")).isEmpty();
      assertThat(keys("")).isEmpty();
      assertThatThrownBy(() -> backend.open("a/b/object")).isInstanceOf(NoSuchFileException.class);
      w.commit();
    }
    assertThat(keys("")).containsExactly("a/b/object");
  }

  @Test
  void closeWithoutCommitLeavesNothing() throws IOException {
    ObjectWriter w = backend.create("aborted/object");
    w.write(seeded(3, 50_000));
    w.close();
    w.close(); // twice is harmless
    assertThat(backend.stat("aborted/object")).isEmpty();
    assertThat(keys("")).isEmpty();
    backend.put("aborted/object", utf8("second try"));
    assertThat(backend.readAll("aborted/object")).isEqualTo(utf8("second try"));
  }

  @Test
  void commitRefusesAnExistingKey() throws IOException {
    backend.put("k", utf8("first"));
    try (ObjectWriter w = backend.create("k")) {
      w.write(utf8("second"));
      assertThatThrownBy(w::commit).isInstanceOf(FileAlreadyExistsException.class);
    }
    assertThat(backend.readAll("k")).isEqualTo(utf8("first"));
    assertThat(keys("")).containsExactly("k");
  }

  @Test
  void aSecondCommitFails() throws IOException {
    try (ObjectWriter w = backend.create("once")) {
      w.write(utf8("x"));
      w.commit();
      assertThatThrownBy(w::commit).isInstanceOf(IOException.class);
    }
    assertThat(backend.readAll("once")).isEqualTo(utf8("x"));
  }

  @Test
  void rangedReads() throws IOException {
    byte[] content = seeded(4, 1000);
    backend.put("packs/p", content);
    assertThat(read("packs/p", 0, -1)).isEqualTo(content);
    assertThat(read("packs/p", 10, 20)).isEqualTo(Arrays.copyOfRange(content, 10, 30));
    assertThat(read("packs/p", 500, -1)).isEqualTo(Arrays.copyOfRange(content, 500, 1000));
    assertThat(read("packs/p", 990, 100)).isEqualTo(Arrays.copyOfRange(content, 990, 1000));
    assertThat(read("packs/p", 999, 1)).containsExactly(content[999]);
    assertThat(read("packs/p", 0, 0)).isEmpty();
    assertThat(read("packs/p", 1000, 5)).isEmpty();
    assertThat(read("packs/p", 5000, -1)).isEmpty();
  }

  private byte[] read(String key, long offset, long length) throws IOException {
    try (InputStream in = backend.open(key, offset, length)) {
      return in.readAllBytes();
    }
  }

  @Test
  void readingAMissingObjectThrowsNoSuchFile() throws IOException {
    backend.put("present/x", utf8("x"));
    assertThatThrownBy(() -> backend.open("present/y")).isInstanceOf(NoSuchFileException.class);
    assertThatThrownBy(() -> backend.open("absent/dir/y", 10, 5)).isInstanceOf(NoSuchFileException.class);
  }

  @Test
  void statReportsSizeAndTime() throws IOException {
    Instant before = Instant.now().minus(Duration.ofMinutes(5));
    backend.put("s/object", seeded(5, 1234));
    ObjectInfo info = backend.stat("s/object").orElseThrow();
    assertThat(info.key()).isEqualTo("s/object");
    assertThat(info.size()).isEqualTo(1234);
    assertThat(info.modified()).isBetween(before, Instant.now().plus(Duration.ofMinutes(5)));
    assertThat(backend.stat("s/missing")).isEmpty();
    assertThat(backend.stat("s")).as("a directory is not an object").isEmpty();
  }

  @Test
  void listFiltersByPrefix() throws IOException {
    for (String k :
        List.of(
            "daily/2026-01-01.tar.gz",
            "daily/2026-01-02.tar.gz",
            "daily/2026-02-01.tar.gz",
            "data/3f/3f9a",
            "weekly/2026-W01.tar.gz",
            "top")) {
      backend.put(k, utf8(k));
    }
    assertThat(keys("")).hasSize(6);
    assertThat(keys("daily/"))
        .containsExactly("daily/2026-01-01.tar.gz", "daily/2026-01-02.tar.gz", "daily/2026-02-01.tar.gz");
    assertThat(keys("daily/2026-01")).containsExactly("daily/2026-01-01.tar.gz", "daily/2026-01-02.tar.gz");
    assertThat(keys("d")).hasSize(4);
    assertThat(keys("data/3f/")).containsExactly("data/3f/3f9a");
    assertThat(keys("to")).containsExactly("top");
    assertThat(keys("nothing")).isEmpty();
    assertThat(keys("nothing/deeper/")).isEmpty();
    try (Stream<ObjectInfo> s = backend.list("weekly/")) {
      assertThat(s.toList())
          .singleElement()
          .satisfies(i -> assertThat(i.size()).isEqualTo("weekly/2026-W01.tar.gz".length()));
    }
  }

  @Test
  void listNeverShowsUploadsInProgress() throws IOException {
    backend.put("done/one", utf8("1"));
    try (ObjectWriter w = backend.create("done/two")) {
      w.write(seeded(6, 70_000));
      w.flush();
      assertThat(keys("")).containsExactly("done/one");
      assertThat(keys("done/")).containsExactly("done/one");
    }
    assertThat(keys("")).containsExactly("done/one");
  }

  @Test
  void deleteIsIdempotentAndLeavesOthers() throws IOException {
    backend.put("x/1", utf8("1"));
    backend.put("x/2", utf8("2"));
    backend.delete("x/1");
    backend.delete("x/1");
    backend.delete("never/existed");
    assertThat(backend.stat("x/1")).isEmpty();
    assertThat(keys("")).containsExactly("x/2");
    backend.delete("x/2");
    assertThat(keys("")).isEmpty();
    backend.put("x/1", utf8("again"));
    assertThat(backend.readAll("x/1")).isEqualTo(utf8("again"));
  }

  @Test
  void invalidKeysAreRejected() {
    for (String bad : List.of("", "/abs", "a/../b", "a//b", "dir/", "./a", "..")) {
      assertThatThrownBy(() -> backend.create(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> backend.open(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> backend.stat(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> backend.delete(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void severalThreadsUploadAndReadAtOnce() throws Exception {
    int threads = 6;
    int perThread = 5;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        futures.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < perThread; i++) {
                    String key = "c/" + (thread % 2) + "/obj-" + thread + "-" + i;
                    byte[] content = seeded(thread * 100L + i, 20_000 + 997 * i);
                    backend.put(key, content);
                    assertThat(backend.readAll(key)).isEqualTo(content);
                  }
                  return null;
                }));
      }
      for (Future<?> f : futures) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(keys("c/")).hasSize(threads * perThread);
  }
}
