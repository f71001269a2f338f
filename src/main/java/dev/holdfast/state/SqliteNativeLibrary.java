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
      String folder = OSInfo.getNativeLibFolderPathForCurrentOS();
      String name = System.mapLibraryName("sqlitejdbc");
      URL resource = SQLiteJDBCLoader.class.getResource("/org/sqlite/native/" + folder + "/" + name);
      if (resource == null) {
        return;
      }
      URLConnection conn = resource.openConnection();
      long size = conn.getContentLengthLong(); // from the jar's directory, without reading the entry
      Path libDir = dir.resolve("sqlite-" + SQLiteJDBCLoader.getVersion()).resolve(folder);
      Path lib = libDir.resolve(name);
      if (!(Files.isRegularFile(lib) && Files.size(lib) == size)) {
        Files.createDirectories(libDir);
        // a private temporary name, then an atomic rename: a concurrent run never loads a half-written file
        Path tmp = Files.createTempFile(libDir, name, ".tmp");
        try (InputStream in = conn.getInputStream()) {
          Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
          if (Files.size(tmp) != size) {
            return;
          }
          Files.move(tmp, lib, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
          Files.deleteIfExists(tmp);
        }
      }
      System.setProperty(PATH_PROPERTY, libDir.toString());
      System.setProperty(NAME_PROPERTY, name);
    } catch (IOException | RuntimeException | LinkageError e) {
      // fall back to the driver's own extraction
    }
  }
}
