package dev.holdfast.mirror;

import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * One-way sync of local trees to a {@link DestTree}, like {@code rsync -aH [--delete] SRC/ DEST/}:
 * content, modes, mtimes, ownership (as root), symlinks as links and hard links within the set.
 * Every file is written under a temporary name in its directory and renamed, so a killed run never
 * leaves a half-written file under a real name; leftovers of such a run are removed by the next.
 * Each change is reported as an rsync-style itemized line ({@code >f+++++++++ path}).
 */
public final class Mirror {
  private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;
  private static final String TMP_MARK = ".holdfast-tmp-";
  private static final SecureRandom RANDOM = new SecureRandom();

  private final MirrorRequest req;
  private final DestTree tree;
  private final Consumer<String> itemized;
  private final boolean root = "root".equals(System.getProperty("user.name"));
  private final Map<List<Long>, String> linkGroups = new HashMap<>();
  private final Map<List<Long>, String> linkGroupRels = new HashMap<>();
  private final String backupRoot;
  private long copied;
  private long updated;
  private long deleted;
  private long bytes;

  /** File metadata as lstat(2) reports it (dev, ino and nlink are 0 where a tree does not know them). */
  public record Meta(int mode, int uid, int gid, long size, FileTime mtime, long dev, long ino, int nlink) {
    boolean isDir() {
      return (mode & 0170000) == 0040000;
    }

    boolean isFile() {
      return (mode & 0170000) == 0100000;
    }

    boolean isLink() {
      return (mode & 0170000) == 0120000;
    }

    int perms() {
      return mode & 07777;
    }

    char kind() {
      return isDir() ? 'd' : isLink() ? 'L' : isFile() ? 'f' : 'S';
    }
  }

  public Mirror(MirrorRequest req, DestTree tree, Consumer<String> itemized) {
    this.req = req;
    this.tree = tree;
    this.itemized = itemized;
    String b = req.backupDir() == null ? null : req.backupDir().toString();
    this.backupRoot = b == null ? null : Path.of(b.startsWith("/") ? b : tree.root() + "/" + b).normalize().toString();
  }

  /** Temporary files of an interrupted run: {@code .<name>.holdfast-tmp-<random>}. */
  public static boolean isTempName(String name) {
    return name.startsWith(".") && name.contains(TMP_MARK);
  }

  public MirrorResult run() {
    List<Path> sources = req.sources();
    for (Path s : sources) {
      if (!Files.exists(s, NOFOLLOW)) {
        throw new HoldfastException(ExitCode.USAGE, "source path does not exist: " + s, "check the path");
      }
    }
    String dest = tree.root();
    try {
      if (sources.size() == 1 && Files.isDirectory(sources.get(0), NOFOLLOW)) {
        syncEntry(sources.get(0), LocalTree.meta(sources.get(0)), dest, "", "");
      } else {
        Meta dm = tree.stat(dest);
        if (dm == null && !req.dryRun()) {
          tree.mkdirs(dest);
        } else if (dm != null && !dm.isDir()) {
          throw HoldfastException.usage("destination " + tree.location() + " is not a directory");
        }
        for (Path s : sources) {
          String name = s.toAbsolutePath().normalize().getFileName().toString();
          syncEntry(s, LocalTree.meta(s), child(dest, name), name, name);
        }
      }
    } catch (IOException e) {
      throw HoldfastException.io("mirroring to " + tree.location(), e);
    } catch (UncheckedIOException e) {
      throw HoldfastException.io("mirroring to " + tree.location(), e.getCause());
    }
    return new MirrorResult(copied, updated, deleted, bytes);
  }

  /**
   * Brings {@code dest} in line with {@code src}.
   *
   * @param srcRel path relative to the source root (for excludes); "" for the root itself
   * @param rel path relative to the destination (for itemized lines and the backup directory)
   */
  private void syncEntry(Path src, Meta sm, String dest, String srcRel, String rel) throws IOException {
    Meta dm = tree.stat(dest);
    if (dm != null && dm.kind() != sm.kind()) {
      remove(dest, dm, rel);
      dm = null;
    }
    if (sm.isDir()) {
      syncDir(src, sm, dest, dm, srcRel, rel);
    } else if (sm.isLink()) {
      syncLink(src, sm, dest, dm, rel);
    } else if (sm.isFile()) {
      syncFile(src, sm, dest, dm, rel);
    }
    // sockets, fifos and devices are skipped, as rsync -a does without --specials/--devices
  }

  private void syncDir(Path src, Meta sm, String dest, Meta dm, String srcRel, String rel) throws IOException {
    String shown = rel.isEmpty() ? "./" : rel + "/";
    boolean exists = dm != null;
    if (!exists) {
      item("cd+++++++++", shown, "");
      copied++;
      if (!req.dryRun()) {
        if (rel.isEmpty()) {
          tree.mkdirs(dest);
        } else {
          tree.mkdir(dest);
        }
        // writable for us until its contents are in; the real mode is set afterwards
        tree.setMode(dest, 0700);
      }
    }
    List<String> names = new ArrayList<>();
    Map<String, Meta> metas = new HashMap<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(src)) {
      for (Path c : ds) {
        String n = c.getFileName().toString();
        Meta m = LocalTree.metaIfExists(c);
        if (m == null || req.excludes().excludes(child(srcRel, n), m.isDir())) {
          continue;
        }
        names.add(n);
        metas.put(n, m);
      }
    }
    names.sort(null);
    if (exists) {
      cleanAndDelete(dest, new HashSet<>(names), srcRel, rel);
    }
    boolean madeWritable = false;
    if (exists && !req.dryRun() && (dm.perms() & 0200) == 0 && !root) {
      tree.setMode(dest, dm.perms() | 0700);
      madeWritable = true;
    }
    for (String n : names) {
      syncEntry(src.resolve(n), metas.get(n), child(dest, n), child(srcRel, n), child(rel, n));
    }
    // after the contents, whose creation changed the directory's mtime
    Meta now = exists ? (req.dryRun() ? dm : tree.stat(dest)) : null;
    if (madeWritable) {
      now = new Meta(dm.mode(), now.uid(), now.gid(), now.size(), now.mtime(), now.dev(), now.ino(), now.nlink());
    }
    applyAttrs(dest, sm, now, shown, 'd', !exists);
  }

  private void cleanAndDelete(String dest, Set<String> keep, String srcRel, String rel) throws IOException {
    List<String> children = tree.list(dest);
    children.sort(null);
    for (String n : children) {
      if (keep.contains(n)) {
        continue;
      }
      String c = child(dest, n);
      Meta m = tree.stat(c);
      if (m == null) {
        continue;
      }
      if (isTempName(n) && m.isFile()) {
        if (!req.dryRun()) {
          tree.delete(c); // left by a killed run
        }
        continue;
      }
      if (!req.delete() || req.excludes().excludes(child(srcRel, n), m.isDir())) {
        continue;
      }
      if (backupRoot != null && (backupRoot.equals(c) || backupRoot.startsWith(c + "/"))) {
        continue; // the backup directory lives inside the destination
      }
      remove(c, m, child(rel, n));
    }
  }

  private void syncLink(Path src, Meta sm, String dest, Meta dm, String rel) throws IOException {
    String target = Files.readSymbolicLink(src).toString();
    if (dm != null && tree.readLink(dest).equals(target)) {
      applyAttrs(dest, sm, dm, rel, 'L', false);
      return;
    }
    item("cL+++++++++", rel, " -> " + target);
    copied++;
    if (req.dryRun()) {
      return;
    }
    String tmp = tempFor(dest);
    tree.symlink(tmp, target);
    tree.setAttributes(tmp, sm, root, true);
    replace(tmp, dest, dm, rel);
  }

  private void syncFile(Path src, Meta sm, String dest, Meta dm, String rel) throws IOException {
    // a tree without inode numbers (SFTP) gets separate copies: it could not recognise its links
    List<Long> key = sm.nlink() > 1 && tree.hasInodes() ? List.of(sm.dev(), sm.ino()) : null;
    String firstCopy = key == null ? null : linkGroups.get(key);
    if (firstCopy != null) {
      Meta first = tree.stat(firstCopy);
      if (dm != null && first != null && dm.ino() == first.ino() && dm.dev() == first.dev()) {
        return;
      }
      item("hf+++++++++", rel, " => " + linkGroupRels.get(key));
      copied++;
      if (!req.dryRun()) {
        String tmp = tempFor(dest);
        tree.hardLink(tmp, firstCopy);
        replace(tmp, dest, dm, rel);
      }
      return;
    }
    if (key != null) {
      linkGroups.put(key, dest);
      linkGroupRels.put(key, rel);
    }
    boolean sameSize = dm != null && dm.size() == sm.size();
    boolean sameTime = dm != null && sameTime(dm.mtime(), sm.mtime());
    boolean same = req.checksum() ? sameSize && tree.sameContent(src, dest) : sameSize && sameTime;
    if (same) {
      applyAttrs(dest, sm, dm, rel, 'f', false);
      return;
    }
    String flags;
    if (dm == null) {
      flags = ">f+++++++++";
    } else {
      flags = ">f" + (req.checksum() ? 'c' : '.') + (sameSize ? '.' : 's') + (sameTime ? '.' : 't')
          + (dm.perms() == sm.perms() ? '.' : 'p') + (root && dm.uid() != sm.uid() ? 'o' : '.')
          + (dm.gid() != sm.gid() ? 'g' : '.') + "...";
    }
    item(flags, rel, "");
    copied++;
    bytes += sm.size();
    if (req.dryRun()) {
      return;
    }
    String tmp = tempFor(dest);
    try {
      tree.write(tmp, src);
      tree.setAttributes(tmp, sm, root, false);
    } catch (IOException | RuntimeException e) {
      tree.delete(tmp);
      throw e;
    }
    replace(tmp, dest, dm, rel);
  }

  private boolean sameTime(FileTime dest, FileTime src) {
    if (tree.hasNanoTimes()) {
      return dest.equals(src);
    }
    return dest.toInstant().getEpochSecond() == src.toInstant().getEpochSecond();
  }

  /** Renames {@code tmp} over {@code dest}, first moving the old {@code dest} to the backup directory. */
  private void replace(String tmp, String dest, Meta old, String rel) throws IOException {
    if (old != null && backupRoot != null) {
      backup(dest, rel);
    }
    tree.rename(tmp, dest);
  }

  private void remove(String p, Meta m, String rel) throws IOException {
    item("*deleting  ", m.isDir() ? rel + "/" : rel, "");
    deleted++;
    if (req.dryRun()) {
      return;
    }
    if (backupRoot != null) {
      backup(p, rel);
    } else {
      deleteTree(p, m);
    }
  }

  private void backup(String p, String rel) throws IOException {
    String to = backupRoot + "/" + rel;
    tree.mkdirs(to.substring(0, to.lastIndexOf('/')));
    Meta existing = tree.stat(to);
    if (existing != null) {
      deleteTree(to, existing);
    }
    tree.rename(p, to);
  }

  private void deleteTree(String p, Meta m) throws IOException {
    if (m.isDir()) {
      if ((m.perms() & 0700) != 0700) {
        tree.setMode(p, m.perms() | 0700);
      }
      for (String n : tree.list(p)) {
        String c = child(p, n);
        Meta cm = tree.stat(c);
        if (cm != null) {
          deleteTree(c, cm);
        }
      }
    }
    tree.delete(p);
  }

  /** Sets ownership, mode and mtime of an entry where they differ, itemizing the change of an existing one. */
  private void applyAttrs(String dest, Meta sm, Meta dm, String shown, char kind, boolean isNew) throws IOException {
    boolean link = kind == 'L';
    boolean timeDiff = (dm == null || !sameTime(dm.mtime(), sm.mtime())) && (!link || tree.setsLinkTimes());
    boolean permDiff = !link && (dm == null || dm.perms() != sm.perms());
    boolean ownerDiff = root && (dm == null || dm.uid() != sm.uid());
    boolean groupDiff = root && (dm == null || dm.gid() != sm.gid());
    if (!isNew && (timeDiff || permDiff || ownerDiff || groupDiff)) {
      item("." + kind + ".." + (timeDiff ? 't' : '.') + (permDiff ? 'p' : '.') + (ownerDiff ? 'o' : '.')
          + (groupDiff ? 'g' : '.') + "...", shown, "");
      updated++;
    }
    if (req.dryRun() || !(timeDiff || permDiff || ownerDiff || groupDiff)) {
      return;
    }
    tree.setAttributes(dest, sm, ownerDiff || groupDiff, link);
  }

  private static String tempFor(String dest) {
    int slash = dest.lastIndexOf('/');
    String name = dest.substring(slash + 1);
    if (name.length() > 100) {
      name = name.substring(0, 100); // stay under NAME_MAX with the suffix
    }
    String suffix = Long.toString(RANDOM.nextLong() & Long.MAX_VALUE, 36);
    return dest.substring(0, slash + 1) + "." + name + TMP_MARK + suffix;
  }

  private void item(String flags, String rel, String extra) {
    itemized.accept(flags + " " + rel + extra);
  }

  private static String child(String rel, String name) {
    return rel.isEmpty() ? name : rel.endsWith("/") ? rel + name : rel + "/" + name;
  }
}
