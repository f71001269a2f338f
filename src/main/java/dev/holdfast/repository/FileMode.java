package dev.holdfast.repository;

/**
 * Conversions between POSIX {@code st_mode} and Go's {@code os.FileMode} bits, which restic stores
 * in a node's {@code mode} (research notes, section 5).
 */
public final class FileMode {
  public static final long DIR = 1L << 31;
  public static final long SYMLINK = 1L << 27;
  public static final long DEVICE = 1L << 26;
  public static final long NAMED_PIPE = 1L << 25;
  public static final long SOCKET = 1L << 24;
  public static final long SETUID = 1L << 23;
  public static final long SETGID = 1L << 22;
  public static final long CHAR_DEVICE = 1L << 21;
  public static final long STICKY = 1L << 20;

  private FileMode() {}

  /** Go mode bits for a node type and POSIX permission bits (07777). */
  public static long toGo(NodeType type, int posixPermissions) {
    long m = posixPermissions & 0777;
    if ((posixPermissions & 04000) != 0) {
      m |= SETUID;
    }
    if ((posixPermissions & 02000) != 0) {
      m |= SETGID;
    }
    if ((posixPermissions & 01000) != 0) {
      m |= STICKY;
    }
    return m | switch (type) {
      case DIR -> DIR;
      case SYMLINK -> SYMLINK;
      case DEV -> DEVICE;
      case CHARDEV -> DEVICE | CHAR_DEVICE;
      case FIFO -> NAMED_PIPE;
      case SOCKET -> SOCKET;
      case FILE -> 0L;
    };
  }

  /** POSIX permission bits (with setuid, setgid, sticky) of Go mode bits. */
  public static int toPosixPermissions(long goMode) {
    int p = (int) (goMode & 0777);
    if ((goMode & SETUID) != 0) {
      p |= 04000;
    }
    if ((goMode & SETGID) != 0) {
      p |= 02000;
    }
    if ((goMode & STICKY) != 0) {
      p |= 01000;
    }
    return p;
  }
}
