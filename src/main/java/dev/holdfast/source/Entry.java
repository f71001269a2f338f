package dev.holdfast.source;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;

/**
 * One item of a backup: its path inside the backup ('/'-separated, relative), metadata, and a way
 * to open its content. {@code size} is -1 for streams whose length is not known in advance (a
 * database dump).
 */
public record Entry(
    String path,
    Kind kind,
    long size,
    int mode,
    Instant mtime,
    long uid,
    long gid,
    String owner,
    String group,
    String linkTarget,
    Content content) {

  public enum Kind {
    FILE,
    DIRECTORY,
    SYMLINK,
    /** A further name for a file stored earlier in the same backup; linkTarget is that path. */
    HARDLINK
  }

  /** Opens an entry's content; the caller closes the stream. */
  @FunctionalInterface
  public interface Content {
    InputStream open() throws IOException;
  }

  public Entry {
    if (path == null || path.isEmpty() || path.startsWith("/")) {
      throw new IllegalArgumentException("entry path must be relative: " + path);
    }
  }

  /** The permission bits (and setuid/setgid/sticky) without the file type. */
  public int permissions() {
    return mode & 07777;
  }
}
