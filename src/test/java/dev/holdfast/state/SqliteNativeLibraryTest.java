package dev.holdfast.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteNativeLibraryTest {
  @TempDir Path dir;

  @Test
  void extractsOnceAndPointsTheDriverAtTheCopy() throws Exception {
    String path = System.clearProperty(SqliteNativeLibrary.PATH_PROPERTY);
    String name = System.clearProperty(SqliteNativeLibrary.NAME_PROPERTY);
    String tmpdir = System.clearProperty(SqliteNativeLibrary.TMPDIR_PROPERTY);
    try {
      SqliteNativeLibrary.useCopyIn(dir);
      Path libDir = Path.of(System.getProperty(SqliteNativeLibrary.PATH_PROPERTY));
      Path lib = libDir.resolve(System.getProperty(SqliteNativeLibrary.NAME_PROPERTY));
      assertThat(libDir).startsWith(dir);
      assertThat(Files.size(lib)).isGreaterThan(100_000);
      // the driver's start-up clean-up lists the copy's directory, not the whole temp directory
      assertThat(System.getProperty(SqliteNativeLibrary.TMPDIR_PROPERTY)).isEqualTo(libDir.toString());
      Path versionDir;
      try (Stream<Path> s = Files.list(dir)) {
        versionDir = s.filter(p -> p.getFileName().toString().startsWith("sqlite-")).findFirst().orElseThrow();
      }
      Path remembered;
      try (Stream<Path> s = Files.list(versionDir)) {
        remembered = s.filter(p -> p.getFileName().toString().startsWith("copy-")).findFirst().orElseThrow();
      }
      assertThat(Files.readString(remembered)).endsWith(Files.size(lib) + "\n");

      // a garbled record of the copy is written again
      Files.writeString(remembered, "../../elsewhere\nlots\n");
      System.clearProperty(SqliteNativeLibrary.PATH_PROPERTY);
      System.clearProperty(SqliteNativeLibrary.NAME_PROPERTY);
      SqliteNativeLibrary.useCopyIn(dir);
      assertThat(System.getProperty(SqliteNativeLibrary.PATH_PROPERTY)).isEqualTo(libDir.toString());
      assertThat(Files.readString(remembered)).endsWith(Files.size(lib) + "\n");
      long modified = Files.getLastModifiedTime(lib).toMillis();

      // a second run reuses the copy; a damaged (short) copy is replaced
      System.clearProperty(SqliteNativeLibrary.PATH_PROPERTY);
      System.clearProperty(SqliteNativeLibrary.NAME_PROPERTY);
      Files.setLastModifiedTime(lib, java.nio.file.attribute.FileTime.fromMillis(modified - 60_000));
      SqliteNativeLibrary.useCopyIn(dir);
      assertThat(Files.getLastModifiedTime(lib).toMillis()).isEqualTo(modified - 60_000);
      long size = Files.size(lib);
      Files.write(lib, new byte[10]);
      System.clearProperty(SqliteNativeLibrary.PATH_PROPERTY);
      System.clearProperty(SqliteNativeLibrary.NAME_PROPERTY);
      SqliteNativeLibrary.useCopyIn(dir);
      assertThat(Files.size(lib)).isEqualTo(size);
      try (Stream<Path> files = Files.list(libDir)) {
        assertThat(files).containsExactly(lib); // no temporary file left behind
      }
    } finally {
      restore(SqliteNativeLibrary.PATH_PROPERTY, path);
      restore(SqliteNativeLibrary.NAME_PROPERTY, name);
      restore(SqliteNativeLibrary.TMPDIR_PROPERTY, tmpdir);
    }
  }

  @Test
  void anUnwritableDirectoryLeavesTheDriverToItsOwnExtraction() throws Exception {
    String path = System.clearProperty(SqliteNativeLibrary.PATH_PROPERTY);
    String name = System.clearProperty(SqliteNativeLibrary.NAME_PROPERTY);
    try {
      Path file = Files.writeString(dir.resolve("not-a-directory"), "x");
      SqliteNativeLibrary.useCopyIn(file);
      assertThat(System.getProperty(SqliteNativeLibrary.PATH_PROPERTY)).isNull();
      assertThat(System.getProperty(SqliteNativeLibrary.NAME_PROPERTY)).isNull();
    } finally {
      restore(SqliteNativeLibrary.PATH_PROPERTY, path);
      restore(SqliteNativeLibrary.NAME_PROPERTY, name);
    }
  }

  private static void restore(String key, String value) {
    if (value == null) {
      System.clearProperty(key);
    } else {
      System.setProperty(key, value);
    }
  }
}
