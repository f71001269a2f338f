package dev.holdfast.mirror;

import dev.holdfast.source.Xattrs;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.channels.FileChannel;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** A destination directory on a local file system. */
public final class LocalTree implements DestTree {
  private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;
  private static final String ATTRS = "unix:mode,uid,gid,size,lastModifiedTime,dev,ino,nlink";
  private static final Set<StandardOpenOption> NEW_FILE = EnumSet.of(StandardOpenOption.WRITE,
      StandardOpenOption.CREATE_NEW);
  private static final PosixFilePermission[] PERMISSION_BITS = {
      PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
      PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
      PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};
  private final Path root;
  private final Creator creator = Creator.of(Path.of("/proc/self/status"));

  /** Who a new file belongs to when this process creates it: its file-system user and group (-1: unknown). */
  record Creator(int uid, int gid) {
    static Creator of(Path status) {
      int uid = -1;
      int gid = -1;
      try {
        for (String line : Files.readAllLines(status)) {
          String[] f = line.split("\\s+");
          switch (f[0]) {
            case "Uid:" -> uid = f.length > 4 ? Integer.parseInt(f[4]) : -1; // the fs uid
            case "Gid:" -> gid = f.length > 4 ? Integer.parseInt(f[4]) : -1;
            default -> { }
          }
        }
      } catch (IOException | RuntimeException e) {
        return new Creator(-1, -1); // not Linux: set ownership explicitly
      }
      return new Creator(uid, gid);
    }
  }

  public LocalTree(Path root) {
    Path abs = root.toAbsolutePath().normalize();
    if (Files.isSymbolicLink(abs) && Files.isDirectory(abs)) {
      try {
        abs = abs.toRealPath(); // a link to a directory is followed, as rsync follows its destination
      } catch (IOException e) {
        // left as it is: the mirror refuses a root that is not a directory
      }
    }
    this.root = abs;
  }

  @Override
  public String location() {
    return root.toString();
  }

  @Override
  public String root() {
    return root.toString();
  }

  @Override
  public Path localRoot() {
    return root;
  }

  static Mirror.Meta meta(Path p) throws IOException {
    Map<String, Object> a = Files.readAttributes(p, ATTRS, NOFOLLOW);
    return new Mirror.Meta((Integer) a.get("mode"), (Integer) a.get("uid"), (Integer) a.get("gid"), (Long) a.get("size"),
        (FileTime) a.get("lastModifiedTime"), (Long) a.get("dev"), (Long) a.get("ino"), (Integer) a.get("nlink"));
  }

  static Mirror.Meta metaIfExists(Path p) throws IOException {
    try {
      return meta(p);
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  @Override
  public Mirror.Meta stat(String path) throws IOException {
    return metaIfExists(Path.of(path));
  }

  @Override
  public List<String> list(String dir) throws IOException {
    List<String> out = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(Path.of(dir))) {
      ds.forEach(p -> out.add(p.getFileName().toString()));
    }
    return out;
  }

  @Override
  public void mkdir(String path) throws IOException {
    Files.createDirectory(Path.of(path));
  }

  @Override
  public void mkdirs(String path) throws IOException {
    Files.createDirectories(Path.of(path));
  }

  @Override
  public void setAttributes(String path, Mirror.Meta sm, boolean owner, boolean link) throws IOException {
    Path p = Path.of(path);
    if (owner) {
      Files.setAttribute(p, "unix:uid", sm.uid(), NOFOLLOW);
      Files.setAttribute(p, "unix:gid", sm.gid(), NOFOLLOW);
    }
    if (!link) {
      Files.setAttribute(p, "unix:mode", sm.perms()); // after chown, which clears setuid bits
    }
    Files.getFileAttributeView(p, BasicFileAttributeView.class, NOFOLLOW).setTimes(sm.mtime(), null, null);
  }

  @Override
  public void setMode(String path, int perms) throws IOException {
    Files.setAttribute(Path.of(path), "unix:mode", perms);
  }

  @Override
  public String readLink(String path) throws IOException {
    return Files.readSymbolicLink(Path.of(path)).toString();
  }

  @Override
  public void symlink(String path, String target) throws IOException {
    Files.createSymbolicLink(Path.of(path), Path.of(target));
  }

  @Override
  public void hardLink(String path, String existing) throws IOException {
    Files.createLink(Path.of(path), Path.of(existing));
  }

  @Override
  public void write(String path, Path source) throws IOException {
    Files.copy(source, Path.of(path), NOFOLLOW); // copy_file_range in the kernel on Linux
  }

  /**
   * Copies with copy_file_range (FileChannel.transferTo between files) into a new file, with fewer
   * system calls per file than Files.copy plus setAttributes: no second stat of the source, no
   * access check, no read of the old times.
   */
  @Override
  public void writeFile(String path, Path source, Mirror.Meta sm, boolean owner) throws IOException {
    Path p = Path.of(path);
    int perms = sm.perms();
    try (FileChannel in = FileChannel.open(source, StandardOpenOption.READ, NOFOLLOW);
        FileChannel out = FileChannel.open(p, NEW_FILE, PosixFilePermissions.asFileAttribute(permissions(perms)))) {
      long pos = 0;
      for (long n; (n = in.transferTo(pos, Long.MAX_VALUE - pos, out)) > 0; ) {
        pos += n;
      }
    }
    if (owner) {
      Files.setAttribute(p, "unix:uid", sm.uid(), NOFOLLOW);
      Files.setAttribute(p, "unix:gid", sm.gid(), NOFOLLOW);
    }
    // always: the umask, a default ACL or chown (which clears set-user-ID bits) may have changed the mode
    Files.setAttribute(p, "unix:mode", perms);
    // with both times given the JDK skips reading the old ones; the access time is "now", as a copy makes it
    Files.getFileAttributeView(p, BasicFileAttributeView.class, NOFOLLOW)
        .setTimes(sm.mtime(), FileTime.from(Instant.now()), null);
  }

  private static Set<PosixFilePermission> permissions(int perms) {
    Set<PosixFilePermission> out = EnumSet.noneOf(PosixFilePermission.class);
    for (int i = 0; i < PERMISSION_BITS.length; i++) {
      if ((perms & (1 << i)) != 0) {
        out.add(PERMISSION_BITS[i]);
      }
    }
    return out;
  }

  @Override
  public boolean createsOwnedBy(int uid, int gid) {
    return creator.uid() == uid && creator.gid() == gid;
  }

  @Override
  public boolean concurrentWrites() {
    return true;
  }

  @Override
  public boolean sameContent(Path source, String path) throws IOException {
    return Files.mismatch(source, Path.of(path)) == -1;
  }

  @Override
  public void rename(String from, String to) throws IOException {
    Files.move(Path.of(from), Path.of(to), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  @Override
  public void delete(String path) throws IOException {
    Files.deleteIfExists(Path.of(path));
  }

  @Override
  public boolean hasInodes() {
    return true;
  }

  @Override
  public boolean setsLinkTimes() {
    return true;
  }

  @Override
  public boolean hasNanoTimes() {
    return true;
  }

  @Override
  public boolean hasXattrs() {
    return true;
  }

  @Override
  public Map<String, byte[]> xattrs(String path, boolean root) throws IOException {
    return Xattrs.read(Path.of(path), root);
  }

  /**
   * Sets them; a user attribute of a file or directory without its owner's write bit needs that bit
   * (root needs nothing), which it is lent for the call, as rsync does.
   */
  @Override
  public void setXattrs(String path, Map<String, byte[]> want, Map<String, byte[]> have) throws IOException {
    Path p = Path.of(path);
    try {
      Xattrs.write(p, want, have);
    } catch (IOException e) {
      if (!Xattrs.isAccessDenied(e)) {
        throw e;
      }
      int mode = (Integer) Files.getAttribute(p, "unix:mode", NOFOLLOW) & 07777;
      if ((mode & 0200) != 0) {
        throw e;
      }
      Files.setAttribute(p, "unix:mode", mode | 0200);
      try {
        Xattrs.write(p, want, have); // again from the start: what the first call set is set to the same
      } finally {
        Files.setAttribute(p, "unix:mode", mode);
      }
    }
  }

  @Override
  public void close() {}
}
