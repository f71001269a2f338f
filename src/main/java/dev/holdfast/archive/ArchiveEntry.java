package dev.holdfast.archive;

import java.time.Instant;

/**
 * An entry as read from a tar stream, before any safety check: {@code name} is exactly what the
 * archive says (it may be absolute or contain "..", which restore must refuse).
 */
public record ArchiveEntry(
    String name,
    Type type,
    long size,
    int mode,
    Instant mtime,
    long uid,
    long gid,
    String owner,
    String group,
    String linkTarget) {

  public enum Type {
    FILE,
    DIRECTORY,
    SYMLINK,
    HARDLINK,
    /** FIFOs, devices and other special files: listed, never restored. */
    OTHER
  }

  /** The name without a leading "./" and trailing "/". */
  public String normalizedName() {
    String n = name;
    while (n.startsWith("./")) {
      n = n.substring(2);
    }
    while (n.length() > 1 && n.endsWith("/")) {
      n = n.substring(0, n.length() - 1);
    }
    return n;
  }
}
