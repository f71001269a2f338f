package dev.holdfast.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Builds directory trees for tests and compares them the way a restore must reproduce them. */
public final class Trees {
  private Trees() {}

  /**
   * What is compared of one path: its type, permission bits (with setuid/setgid/sticky; none for
   * symlinks), modification time in whole seconds, owner ids, and the content's SHA-256 (files) or
   * target (symlinks).
   */
  public record Node(String type, String mode, long mtime, long uid, long gid, String content) {}

  /** Every path below {@code root} (not root itself), by '/'-separated relative name. */
  public static Map<String, Node> snapshot(Path root) {
    Map<String, Node> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.filter(p -> !p.equals(root)).toList()) {
        out.put(root.relativize(p).toString(), node(p));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  static Node node(Path p) throws IOException {
    Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid,lastModifiedTime", LinkOption.NOFOLLOW_LINKS);
    int mode = (Integer) a.get("mode");
    long mtime = ((FileTime) a.get("lastModifiedTime")).toInstant().getEpochSecond();
    long uid = ((Number) a.get("uid")).longValue();
    long gid = ((Number) a.get("gid")).longValue();
    String perms = String.format("%04o", mode & 07777);
    if (Files.isSymbolicLink(p)) {
      return new Node("symlink", "-", mtime, uid, gid, Files.readSymbolicLink(p).toString());
    }
    if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
      return new Node("dir", perms, mtime, uid, gid, "");
    }
    if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
      return new Node("file", perms, mtime, uid, gid, sha256(p));
    }
    return new Node("other", perms, mtime, uid, gid, "");
  }

  /** Fails listing every path that is missing, extra or different in {@code actual}. */
  public static void assertSameTree(Path expected, Path actual) {
    assertThat(actual).as("restored tree").isDirectory();
    Map<String, Node> want = snapshot(expected);
    Map<String, Node> got = snapshot(actual);
    assertThat(got).as("tree at %s compared with %s", actual, expected).containsExactlyInAnyOrderEntriesOf(want);
  }

  /** Where a backed-up absolute path lands inside a restore directory (archives store it without '/'). */
  public static Path restored(Path restoreDir, Path source) {
    return restoreDir.resolve(source.toAbsolutePath().toString().substring(1));
  }

  public static String sha256(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 16];
      int n;
      while ((n = in.read(buf)) > 0) {
        md.update(buf, 0, n);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public static long inode(Path p) {
    try {
      return ((Number) Files.getAttribute(p, "unix:ino", LinkOption.NOFOLLOW_LINKS)).longValue();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes {@code size} bytes from {@code random} to {@code file}, creating parent directories. */
  public static Path randomFile(Path file, Random random, long size) {
    try {
      Files.createDirectories(file.getParent());
      try (var out = Files.newOutputStream(file)) {
        byte[] buf = new byte[1 << 16];
        long left = size;
        while (left > 0) {
          int n = (int) Math.min(buf.length, left);
          random.nextBytes(buf);
          out.write(buf, 0, n);
          left -= n;
        }
      }
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Sets every modification time below and including {@code root} (links not followed), deepest first. */
  public static void setTimes(Path root, Random random) {
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        // whole seconds between 2001 and 2025: archives keep seconds
        FileTime t = FileTime.fromMillis((978_307_200L + random.nextInt(780_000_000)) * 1000L);
        Files.getFileAttributeView(p, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setTimes(t, null, null);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The names inside {@code dir} (empty when it does not exist). */
  public static List<String> list(Path dir) {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
