package dev.holdfast.mirror;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A destination directory on a local file system. */
public final class LocalTree implements DestTree {
  private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;
  private static final String ATTRS = "unix:mode,uid,gid,size,lastModifiedTime,dev,ino,nlink";
  private final Path root;

  public LocalTree(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  @Override
  public String location() {
    return root.toString();
  }

  @Override
  public String root() {
    return root.toString();
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
  public void close() {}
}
