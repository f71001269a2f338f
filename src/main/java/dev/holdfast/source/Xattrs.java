package dev.holdfast.source;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * Extended attributes of local files, read and written without following symbolic links (libc's
 * llistxattr, lgetxattr, lsetxattr, lremovexattr through JNA: the JDK reaches only the user
 * namespace). Linux keeps POSIX ACLs among them ({@code system.posix_acl_access} and, on
 * directories, {@code system.posix_acl_default}), so copying these copies ACLs as {@code rsync -AX}
 * does. Kept (by mirrors and backups): {@code user.*} and the ACLs always; {@code trusted.*} and
 * {@code security.*} (file capabilities, SELinux labels) only as root, who alone may set them.
 */
public final class Xattrs {
  private static final int EACCES = 13;
  private static final int ERANGE = 34;
  private static final int ENODATA = 61;
  private static final int ENOTSUP = 95;
  private static final Charset NAMES = StandardCharsets.ISO_8859_1; // bytes as they are
  private static final Charset PATHS = Charset.forName(System.getProperty("sun.jnu.encoding", "UTF-8"));

  /** The libc calls, bound on first use; size_t and ssize_t are C longs on Linux (32 bits on armhf). */
  private interface LibC extends Library {
    NativeLong llistxattr(byte[] path, byte[] list, NativeLong size) throws LastErrorException;

    NativeLong lgetxattr(byte[] path, byte[] name, byte[] value, NativeLong size) throws LastErrorException;

    int lsetxattr(byte[] path, byte[] name, byte[] value, NativeLong size, int flags) throws LastErrorException;

    int lremovexattr(byte[] path, byte[] name) throws LastErrorException;
  }

  private static final class Holder {
    static final LibC C;
    static final String UNAVAILABLE;

    static {
      LibC c = null;
      String why = null;
      try {
        c = Native.load("c", LibC.class);
      } catch (LinkageError | RuntimeException e) { // no JNA native library for this platform, no libc
        why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      }
      C = c;
      UNAVAILABLE = why;
    }
  }

  private Xattrs() {}

  /** Null when extended attributes can be read and written here, else why not. */
  public static String unavailable() {
    return Holder.UNAVAILABLE;
  }

  /**
   * Binds the libc calls now (JNA unpacks its native library and builds its proxy: about 0.1 s on a
   * cold JVM), on a thread of its own, so that the first file's attributes do not wait for it.
   */
  public static void warmUpInBackground() {
    Thread.ofPlatform().daemon().name("holdfast-xattrs-warm-up").start(Xattrs::unavailable);
  }

  private static LibC c() throws IOException {
    if (Holder.C == null) {
      throw new IOException("extended attributes are not available here: " + Holder.UNAVAILABLE);
    }
    return Holder.C;
  }

  /** Whether a mirror copies the attribute {@code name}. */
  public static boolean copied(String name, boolean root) {
    return name.startsWith("user.") || name.equals("system.posix_acl_access") || name.equals("system.posix_acl_default")
        || (root && (name.startsWith("trusted.") || name.startsWith("security.")));
  }

  /** Whether {@code name} is one of the two ACL attributes (itemized as 'a', the others as 'x'). */
  public static boolean isAcl(String name) {
    return name.startsWith("system.posix_acl_");
  }

  /** The copied attributes of {@code p}, by name; empty where its file system has none. */
  public static Map<String, byte[]> read(Path p, boolean root) throws IOException {
    byte[] path = cString(p.toString(), PATHS);
    Map<String, byte[]> out = new TreeMap<>();
    byte[] list = null;
    for (int attempt = 0; list == null; attempt++) {
      try {
        long size = c().llistxattr(path, null, new NativeLong(0)).longValue();
        if (size == 0) {
          return out;
        }
        byte[] buf = new byte[(int) size];
        long n = c().llistxattr(path, buf, new NativeLong(buf.length)).longValue();
        list = Arrays.copyOf(buf, (int) n);
      } catch (LastErrorException e) {
        if (e.getErrorCode() == ENOTSUP) {
          return out;
        }
        if (e.getErrorCode() != ERANGE || attempt > 3) { // ERANGE: the list grew between the two calls
          throw failure("listing extended attributes of", p, e);
        }
      }
    }
    int start = 0;
    for (int i = 0; i < list.length; i++) {
      if (list[i] != 0) {
        continue;
      }
      String name = new String(list, start, i - start, NAMES);
      start = i + 1;
      if (!copied(name, root)) {
        continue;
      }
      byte[] value = value(path, p, name);
      if (value != null) {
        out.put(name, value);
      }
    }
    return out;
  }

  private static byte[] value(byte[] path, Path p, String name) throws IOException {
    byte[] cname = cString(name, NAMES);
    for (int attempt = 0; ; attempt++) {
      try {
        long size = c().lgetxattr(path, cname, null, new NativeLong(0)).longValue();
        byte[] buf = new byte[(int) size];
        long n = size == 0 ? 0 : c().lgetxattr(path, cname, buf, new NativeLong(buf.length)).longValue();
        return Arrays.copyOf(buf, (int) n);
      } catch (LastErrorException e) {
        if (e.getErrorCode() == ENODATA) {
          return null; // removed since it was listed
        }
        if (e.getErrorCode() != ERANGE || attempt > 3) {
          throw failure("reading extended attribute " + name + " of", p, e);
        }
      }
    }
  }

  /**
   * Makes the copied attributes of {@code p} those of {@code want}, given that it has {@code have}:
   * sets the new and changed ones, removes the others. Fails with EACCES (no write permission: a
   * user attribute of a read-only file) are for the caller, which may lend the file its owner's
   * write bit and try again.
   */
  public static void write(Path p, Map<String, byte[]> want, Map<String, byte[]> have) throws IOException {
    byte[] path = cString(p.toString(), PATHS);
    for (Map.Entry<String, byte[]> e : want.entrySet()) {
      byte[] old = have.get(e.getKey());
      if (old != null && Arrays.equals(old, e.getValue())) {
        continue;
      }
      try {
        c().lsetxattr(path, cString(e.getKey(), NAMES), e.getValue(), new NativeLong(e.getValue().length), 0);
      } catch (LastErrorException x) {
        throw failure("setting extended attribute " + e.getKey() + " of", p, x);
      }
    }
    for (String name : have.keySet()) {
      if (!want.containsKey(name)) {
        try {
          c().lremovexattr(path, cString(name, NAMES));
        } catch (LastErrorException x) {
          if (x.getErrorCode() != ENODATA) {
            throw failure("removing extended attribute " + name + " of", p, x);
          }
        }
      }
    }
  }

  /** Whether {@code e} is a refusal for want of write permission (see {@link #write}). */
  public static boolean isAccessDenied(IOException e) {
    return e instanceof Denied;
  }

  /** The values of {@code a} and {@code b} are the same for every name (byte arrays compared by content). */
  public static boolean same(Map<String, byte[]> a, Map<String, byte[]> b, boolean acls) {
    for (String n : union(a, b)) {
      if (isAcl(n) == acls && !Arrays.equals(a.get(n), b.get(n))) {
        return false;
      }
    }
    return true;
  }

  private static java.util.Set<String> union(Map<String, byte[]> a, Map<String, byte[]> b) {
    java.util.Set<String> names = new java.util.TreeSet<>(a.keySet());
    names.addAll(b.keySet());
    return names;
  }

  private static final class Denied extends IOException {
    Denied(String message) {
      super(message);
    }
  }

  private static IOException failure(String what, Path p, LastErrorException e) {
    int errno = e.getErrorCode();
    String why = switch (errno) {
      case ENOTSUP -> "the file system does not support extended attributes (or this one)";
      case EACCES -> "permission denied";
      case 1 -> "operation not permitted";
      case 28 -> "no space left on device";
      case 7 -> "value too large for the file system";
      default -> "errno " + errno;
    };
    String message = what + " " + p + ": " + why;
    return errno == EACCES ? new Denied(message) : new IOException(message);
  }

  private static byte[] cString(String s, Charset cs) {
    byte[] b = s.getBytes(cs);
    return Arrays.copyOf(b, b.length + 1);
  }
}
