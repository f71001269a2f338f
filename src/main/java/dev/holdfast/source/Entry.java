package dev.holdfast.source;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;

/**
 * One item of a backup: its path inside the backup ('/'-separated, relative), metadata, and a way
 * to open its content. {@code size} is -1 for streams whose length is not known in advance (a
 * database dump). {@code inode}, {@code device} and {@code ctime} identify a file on disk so an
 * incremental backup can tell it is unchanged without reading it; 0, 0 and null when unknown.
 * {@code links} is st_nlink of a file with further names (hard links), else 0. {@code file} is the
 * file or directory on this machine's disk the entry was read from (for its extended attributes,
 * which a repository backup reads only for what it stores anew), or null.
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
    Content content,
    long inode,
    long device,
    Instant ctime,
    long links,
    java.nio.file.Path file) {

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

  /** An entry without on-disk identity (a stream, a generated file). */
  public Entry(String path, Kind kind, long size, int mode, Instant mtime, long uid, long gid, String owner,
      String group, String linkTarget, Content content) {
    this(path, kind, size, mode, mtime, uid, gid, owner, group, linkTarget, content, 0, 0, null, 0);
  }

  /** An entry with on-disk identity and no further names. */
  public Entry(String path, Kind kind, long size, int mode, Instant mtime, long uid, long gid, String owner,
      String group, String linkTarget, Content content, long inode, long device, Instant ctime) {
    this(path, kind, size, mode, mtime, uid, gid, owner, group, linkTarget, content, inode, device, ctime, 0);
  }

  /** An entry with on-disk identity, not read from a path the backup can see. */
  public Entry(String path, Kind kind, long size, int mode, Instant mtime, long uid, long gid, String owner,
      String group, String linkTarget, Content content, long inode, long device, Instant ctime, long links) {
    this(path, kind, size, mode, mtime, uid, gid, owner, group, linkTarget, content, inode, device, ctime, links, null);
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
