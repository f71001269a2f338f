package dev.holdfast.state;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.sqlite.SQLiteJDBCLoader;
import org.sqlite.util.OSInfo;

/**
 * Keeps one copy of sqlite-jdbc's native library beside the state file and points the driver at
 * it: otherwise every run lists the temp directory, checksums the 1 MB library and extracts it
 * there again, about a fifth of a short command's start-up.
 */
final class SqliteNativeLibrary {
  static final String PATH_PROPERTY = "org.sqlite.lib.path";
  static final String NAME_PROPERTY = "org.sqlite.lib.name";
  /** Where the driver looks for, and deletes, stale extracted copies of its own when it starts. */
  static final String TMPDIR_PROPERTY = "org.sqlite.tmpdir";

  private SqliteNativeLibrary() {}

  /**
   * Sets the driver's library properties to a copy under {@code dir}, extracting it first when it
   * is missing or of the wrong size. Any problem (a read-only directory, an unknown platform) leaves
   * the properties unset, and the driver extracts to the temp directory as it always does.
   */
  static void useCopyIn(Path dir) {
    if (System.getProperty(PATH_PROPERTY) != null || System.getProperty(NAME_PROPERTY) != null) {
      return; // set by the user: theirs wins
    }
    try {
      String name = System.mapLibraryName("sqlitejdbc");
      Path versionDir = dir.resolve("sqlite-" + SQLiteJDBCLoader.getVersion());
      // The driver's folder for this platform and the library's size, remembered from the extraction:
      // finding the folder runs `uname -o` (a process) and sizing the jar entry reopens the 13 MB jar.
      Path remembered = versionDir.resolve(("copy-" + System.getProperty("os.name") + "-" + System.getProperty("os.arch"))
          .replaceAll("[^A-Za-z0-9._-]", "_"));
      Path lib = rememberedCopy(remembered, versionDir, name);
      if (lib == null) {
        lib = extract(versionDir, name, remembered);
        if (lib == null) {
          return;
        }
      }
      System.setProperty(PATH_PROPERTY, lib.getParent().toString());
      System.setProperty(NAME_PROPERTY, name);
      if (System.getProperty(TMPDIR_PROPERTY) == null) {
        // the driver's clean-up at start-up then lists this directory, not the whole temp directory
        System.setProperty(TMPDIR_PROPERTY, lib.getParent().toString());
      }
    } catch (IOException | RuntimeException | LinkageError e) {
      // fall back to the driver's own extraction
    }
  }

  /** The copy a previous extraction recorded in {@code remembered}, if it is still there and whole. */
  private static Path rememberedCopy(Path remembered, Path versionDir, String name) {
    try {
      String[] folderAndSize = Files.readString(remembered).strip().split("\n");
      Path lib = versionDir.resolve(folderAndSize[0]).resolve(name).normalize();
      return lib.startsWith(versionDir) && Files.size(lib) == Long.parseLong(folderAndSize[1]) ? lib : null;
    } catch (IOException | RuntimeException e) {
      return null; // not recorded yet, or damaged: extract again
    }
  }

  private static Path extract(Path versionDir, String name, Path remembered) throws IOException {
    String folder = OSInfo.getNativeLibFolderPathForCurrentOS();
    URL resource = SQLiteJDBCLoader.class.getResource("/org/sqlite/native/" + folder + "/" + name);
    if (resource == null) {
      return null;
    }
    URLConnection conn = resource.openConnection();
    long size = conn.getContentLengthLong(); // from the jar's directory, without reading the entry
    Path libDir = versionDir.resolve(folder);
    Path lib = libDir.resolve(name);
    if (!(Files.isRegularFile(lib) && Files.size(lib) == size)) {
      Files.createDirectories(libDir);
      // a private temporary name, then an atomic rename: a concurrent run never loads a half-written file
      Path tmp = Files.createTempFile(libDir, name, ".tmp");
      try (InputStream in = conn.getInputStream()) {
        Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
        if (Files.size(tmp) != size) {
          return null;
        }
        Files.move(tmp, lib, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } finally {
        Files.deleteIfExists(tmp);
      }
    }
    Path tmp = Files.createTempFile(versionDir, "copy", ".tmp");
    try {
      Files.writeString(tmp, folder + "\n" + size + "\n");
      Files.move(tmp, remembered, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
    return lib;
  }
}
