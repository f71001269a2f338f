package dev.holdfast.backend;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The backend contract against {@link LocalBackend}, plus what it leaves on disk. */
class LocalBackendTest extends BackendContract {
  @TempDir Path dir;

  @Override
  protected Backend newBackend() {
    return new LocalBackend(dir);
  }

  @Test
  void deleteRemovesDirectoriesItEmptied() throws IOException {
    backend().put("daily/2026/01/a", "a".getBytes(StandardCharsets.UTF_8));
    backend().put("daily/2026/02/b", "b".getBytes(StandardCharsets.UTF_8));
    backend().delete("daily/2026/01/a");
    assertThat(dir.resolve("daily/2026/01")).doesNotExist();
    assertThat(dir.resolve("daily/2026/02")).isDirectory();
    backend().delete("daily/2026/02/b");
    assertThat(dir.resolve("daily")).doesNotExist();
    assertThat(dir).isDirectory();
  }

  /**
   * A file where a directory of the key belongs fails the write as "not a directory": a
   * FileAlreadyExistsException would read as "this content-named object is stored already", and
   * the write would be taken for done without a byte written.
   */
  @Test
  void aFileInPlaceOfADirectoryIsNotADirectoryNotAnExistingObject() throws IOException {
    Files.writeString(dir.resolve("locks"), "");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> backend().put("locks/abc", new byte[] {1}))
        .isInstanceOf(java.nio.file.NotDirectoryException.class)
        .isNotInstanceOf(java.nio.file.FileAlreadyExistsException.class)
        .hasMessageContaining("locks");
  }

  @Test
  void abortLeavesNoPartialFile() throws IOException {
    try (ObjectWriter w = backend().create("x/y")) {
      w.write(new byte[1000]);
    }
    try (Stream<Path> files = Files.walk(dir)) {
      assertThat(files.filter(Files::isRegularFile)).isEmpty();
    }
  }

  @Test
  void anUploadFlushedInTheBackgroundCommitsItsExactContent() throws Exception {
    long size = 3 * LocalBackend.WRITEBACK_STEP + 12345; // three background flushes while writing
    String sha;
    try (ObjectWriter w = backend().create("big/archive")) {
      sha = SeededBytes.write(42, size, w);
      w.commit();
    }
    Path file = dir.resolve("big/archive");
    assertThat(Files.size(file)).isEqualTo(size);
    try (var in = Files.newInputStream(file)) {
      assertThat(SeededBytes.sha256(in)).isEqualTo(sha);
    }
  }

  @Test
  void anUploadAbortedAfterBackgroundFlushesLeavesNothing() throws IOException {
    try (ObjectWriter w = backend().create("big/archive")) {
      SeededBytes.write(7, 2 * LocalBackend.WRITEBACK_STEP + 1, w);
    }
    try (Stream<Path> files = Files.walk(dir)) {
      assertThat(files.filter(Files::isRegularFile)).isEmpty();
    }
  }

  @Test
  void listingAMissingTargetThrowsNoSuchFile() {
    try (var missing = new LocalBackend(dir.resolve("not-there"))) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> missing.list(""))
          .isInstanceOf(NoSuchFileException.class);
    }
  }
}
