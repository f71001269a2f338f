package dev.holdfast.mirror;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;

/** Whether a directory is a mount point, so a mirror never fills the disk under an unmounted drive. */
public final class MountPoint {
  private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");

  private MountPoint() {}

  /**
   * True when {@code dir} is a directory on another device than its parent, or is listed as a
   * mount point in /proc/self/mountinfo (which also catches bind mounts of the same device).
   */
  public static boolean isMountPoint(Path dir) {
    try {
      if (!Files.isDirectory(dir)) {
        return false;
      }
      Path real = dir.toRealPath();
      Path parent = real.getParent();
      if (parent == null) {
        return true;
      }
      Object dev = Files.getAttribute(real, "unix:dev", LinkOption.NOFOLLOW_LINKS);
      Object parentDev = Files.getAttribute(parent, "unix:dev", LinkOption.NOFOLLOW_LINKS);
      if (!dev.equals(parentDev)) {
        return true;
      }
      return Files.isReadable(MOUNTINFO) && mountPoints(Files.readAllLines(MOUNTINFO)).contains(real.toString());
    } catch (IOException e) {
      return false; // unreadable counts as absent: never write to what we cannot inspect
    }
  }

  /** The mount points (fifth field, octal escapes decoded) of mountinfo lines. */
  static List<String> mountPoints(List<String> mountinfo) {
    return mountinfo.stream()
        .map(l -> l.split(" "))
        .filter(f -> f.length > 4)
        .map(f -> unescape(f[4]))
        .toList();
  }

  private static String unescape(String s) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 3 < s.length() + 0 && s.substring(i + 1, i + 4).matches("[0-7]{3}")) {
        b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
        i += 3;
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }
}
