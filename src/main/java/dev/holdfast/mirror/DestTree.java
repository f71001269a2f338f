package dev.holdfast.mirror;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;

/**
 * The destination side of a mirror: a directory tree on the local disk or on an SFTP server,
 * addressed by absolute '/'-separated paths. Nothing here follows symbolic links.
 */
public interface DestTree extends AutoCloseable {
  /** The destination root as shown to the user. */
  String location();

  /** The root directory's path in this tree. */
  String root();

  /** The root as a path of this machine's file system, for trees on it; null for remote ones. */
  default Path localRoot() {
    return null;
  }

  /** lstat, or null when nothing is there. */
  Mirror.Meta stat(String path) throws IOException;

  List<String> list(String dir) throws IOException;

  void mkdir(String path) throws IOException;

  /** mkdir -p. */
  void mkdirs(String path) throws IOException;

  /** Sets ownership (when {@code owner}), permission bits (not on links) and mtime. */
  void setAttributes(String path, Mirror.Meta source, boolean owner, boolean link) throws IOException;

  void setMode(String path, int perms) throws IOException;

  String readLink(String path) throws IOException;

  void symlink(String path, String target) throws IOException;

  void hardLink(String path, String existing) throws IOException;

  /** Writes the content of a local file to a new file at {@code path}. */
  void write(String path, Path source) throws IOException;

  /**
   * Writes a new file at {@code path} with the content of a local file and the attributes of
   * {@code sm}: its mtime and permission bits, and its ownership when {@code owner}.
   */
  default void writeFile(String path, Path source, Mirror.Meta sm, boolean owner) throws IOException {
    write(path, source);
    setAttributes(path, sm, owner, false);
  }

  /** Whether new files written here already belong to {@code uid} and {@code gid} (no chown needed). */
  default boolean createsOwnedBy(int uid, int gid) {
    return false;
  }

  /** Whether several files may be written (and renamed into place) at once from different threads. */
  default boolean concurrentWrites() {
    return false;
  }

  boolean sameContent(Path source, String path) throws IOException;

  /** Atomically renames, replacing what is at {@code to}. */
  void rename(String from, String to) throws IOException;

  /** Removes a file, link or empty directory. */
  void delete(String path) throws IOException;

  /** Whether stat reports device and inode numbers (hard links in DEST can be recognised). */
  boolean hasInodes();

  /** Whether mtimes keep sub-second precision (SFTP v3 keeps whole seconds). */
  boolean hasNanoTimes();

  /** Whether symbolic links' own mtimes can be set (not over SFTP). */
  boolean setsLinkTimes();

  /** Whether entries here have extended attributes (and POSIX ACLs) to copy: local trees only, SFTP has none. */
  default boolean hasXattrs() {
    return false;
  }

  /** The extended attributes a mirror copies ({@link dev.holdfast.source.Xattrs#copied}) of an entry, without following links. */
  default java.util.Map<String, byte[]> xattrs(String path, boolean root) throws IOException {
    throw new UnsupportedOperationException("no extended attributes on " + location());
  }

  /** Makes an entry's copied extended attributes {@code want}, given that it has {@code have}. */
  default void setXattrs(String path, java.util.Map<String, byte[]> want, java.util.Map<String, byte[]> have)
      throws IOException {
    throw new UnsupportedOperationException("no extended attributes on " + location());
  }

  @Override
  void close();
}
