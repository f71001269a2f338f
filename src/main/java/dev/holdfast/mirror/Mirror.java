package dev.holdfast.mirror;

import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import dev.holdfast.source.Xattrs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * One-way sync of local trees to a {@link DestTree}, like {@code rsync -aH [--delete] SRC/ DEST/}:
 * content, modes, mtimes, ownership (as root), symlinks as links and hard links within the set.
 * Every file is written under a temporary name in its directory and renamed, so a killed run never
 * leaves a half-written file under a real name; leftovers of such a run are removed by the next.
 * Each change is reported as an rsync-style itemized line ({@code >f+++++++++ path}). The walk and
 * its decisions stay on the calling thread; on trees that allow it, file contents are copied by a
 * few worker threads, and a directory's own attributes are set only after its files are in place.
 */
public final class Mirror {
  private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;
  private static final String TMP_MARK = ".holdfast-tmp-";
  /** Copies in flight at most: bounds memory however many files a directory holds. */
  private static final int MAX_PENDING = 64;

  private final MirrorRequest req;
  private final DestTree tree;
  private final Consumer<String> itemized;
  private final boolean root;
  private final Map<List<Long>, String> linkGroups = new HashMap<>();
  private final Map<List<Long>, String> linkGroupRels = new HashMap<>();
  private final String backupRoot;
  private long copied;
  private long updated;
  private long deleted;
  private long bytes;
  private ExecutorService pool;
  private final Semaphore slots = new Semaphore(MAX_PENDING);
  /** Copies started for entries of the directory being walked; awaited before its attributes are set. */
  private List<Future<?>> pending = new ArrayList<>();
  private final Map<List<Long>, Future<?>> linkGroupCopies = new HashMap<>();
  /** Link groups whose first copy this run rewrites: their other names get linked anew (a dry run's prediction). */
  private final Set<List<Long>> rewrittenGroups = new HashSet<>();
  /** An entry of the directory being synced was created, replaced or deleted (its mtime changes). */
  private boolean touched;
  /** Whether the destination directory being filled passes its group to new files (set-group-ID). */
  private boolean dirSetsGroup;
  /** Changes made so far (itemized ones and removed leftovers): a directory none touched need not be stat'ed again. */
  private long changes;
  /** Source directories not to copy: the destination, where it lies inside a source. */
  private Set<Path> skipped = Set.of();

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
    this(req, tree, itemized, "root".equals(System.getProperty("user.name")));
  }

  /** {@code root}: whether to act as root does (set ownership; write into read-only directories as they are). */
  Mirror(MirrorRequest req, DestTree tree, Consumer<String> itemized, boolean root) {
    this.root = root;
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
    if (req.xattrs() && !tree.hasXattrs()) {
      throw HoldfastException.usage("copying extended attributes (--xattrs, xattrs: true) needs a local destination: "
          + tree.location() + " keeps none (SFTP has none)", "mirror without them, or to a local or mounted directory");
    }
    String dest = tree.root();
    try {
      skipped = overlaps(sources, tree.localRoot());
      Meta dm = tree.stat(dest);
      if (dm != null && !dm.isDir()) {
        // rsync refuses this too; replacing the file (or link) with a directory would lose it
        throw HoldfastException.usage("destination " + tree.location() + " exists and is not a directory"
            + (dm.isLink() ? " (a symbolic link)" : ""), "give the path of a directory, or of one to create");
      }
      if (sources.size() == 1 && Files.isDirectory(sources.get(0), NOFOLLOW)) {
        syncEntry(sources.get(0), LocalTree.meta(sources.get(0)), dest, "", "");
      } else {
        if (dm == null && !req.dryRun()) {
          tree.mkdirs(dest);
        }
        dirSetsGroup = dm != null && (dm.perms() & 02000) != 0;
        for (Path s : sources) {
          String name = s.toAbsolutePath().normalize().getFileName().toString();
          syncEntry(s, LocalTree.meta(s), child(dest, name), name, name);
        }
      }
      await(pending);
    } catch (IOException e) {
      throw HoldfastException.io("mirroring to " + tree.location(), e);
    } catch (UncheckedIOException e) {
      throw HoldfastException.io("mirroring to " + tree.location(), e.getCause());
    } finally {
      stopPool();
    }
    return new MirrorResult(copied, updated, deleted, bytes);
  }

  /**
   * Refuses a destination that is a source or holds one (mirroring, with --delete above all, would
   * write over or delete the source), and returns the source paths, as the walk meets them, of a
   * destination that lies inside a source: the walk leaves it out, or each run would copy the
   * previous copy into itself again. Remote destinations cannot overlap.
   */
  private static Set<Path> overlaps(List<Path> sources, Path localDest) throws IOException {
    if (localDest == null) {
      return Set.of();
    }
    Path destReal = realPath(localDest);
    Set<Path> skip = new HashSet<>();
    for (Path s : sources) {
      // a source that is a link is copied as a link: where the link itself lies is what counts
      Path srcReal = Files.isSymbolicLink(s)
          ? realPath(s.toAbsolutePath().normalize().getParent()).resolve(s.getFileName())
          : s.toRealPath();
      if (srcReal.startsWith(destReal)) {
        throw HoldfastException.usage("source " + s + (srcReal.equals(destReal) ? " is the destination " : " lies inside the destination ")
            + localDest + "; mirroring would write over it (and --delete delete it)", "mirror into a directory outside the source");
      }
      if (destReal.startsWith(srcReal) && Files.isDirectory(s, NOFOLLOW)) {
        skip.add(s.toAbsolutePath().normalize().resolve(srcReal.relativize(destReal)));
      }
    }
    return skip;
  }

  /** {@code p} with symbolic links resolved as far as it exists (a destination may not exist yet). */
  private static Path realPath(Path p) throws IOException {
    Path abs = p.toAbsolutePath().normalize();
    Path existing = abs;
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    return existing == null ? abs : existing.toRealPath().resolve(existing.relativize(abs));
  }

  /**
   * Runs {@code copy} on the worker pool where the tree allows concurrent writes (a copy is a few
   * syscalls that each wait on the file system, so several in flight beat one), else right here.
   */
  private Future<?> submit(IoAction copy) throws IOException {
    if (!tree.concurrentWrites()) {
      copy.run();
      return null;
    }
    if (pool == null) {
      int n = Math.clamp(Runtime.getRuntime().availableProcessors(), 2, 4);
      pool = Executors.newFixedThreadPool(n, r -> {
        Thread t = new Thread(r, "holdfast-mirror-copy");
        t.setDaemon(true);
        return t;
      });
    }
    try {
      slots.acquire();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new HoldfastException(ExitCode.INTERRUPTED, "interrupted while mirroring to " + tree.location());
    }
    try {
      Future<?> f = pool.submit(() -> {
        try {
          copy.run();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        } finally {
          slots.release();
        }
      });
      pending.add(f);
      return f;
    } catch (RuntimeException e) {
      slots.release();
      throw e;
    }
  }

  /** Waits for copies, rethrowing the first failure as it would have been thrown on this thread. */
  private static void await(List<Future<?>> copies) throws IOException {
    for (Future<?> f : copies) {
      await(f);
    }
    copies.clear();
  }

  private static void await(Future<?> f) throws IOException {
    if (f == null) {
      return;
    }
    try {
      f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new HoldfastException(ExitCode.INTERRUPTED, "interrupted while waiting for file copies");
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof UncheckedIOException u) {
        throw u.getCause();
      }
      if (c instanceof RuntimeException r) {
        throw r;
      }
      if (c instanceof Error err) {
        throw err;
      }
      throw new IOException(c);
    }
  }

  /** Lets copies under way finish (each removes its temporary file on failure) and ends the workers. */
  private void stopPool() {
    if (pool == null) {
      return;
    }
    pool.shutdown();
    HoldfastException.awaitTermination(pool, () -> {});
  }

  @FunctionalInterface
  private interface IoAction {
    void run() throws IOException;
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
    // from here, items are this directory's own entries (its creation above was its parent's)
    boolean outerTouched = touched;
    boolean touchedHere;
    touched = false;
    List<String> names = new ArrayList<>();
    Map<String, Meta> metas = new HashMap<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(src)) {
      for (Path c : ds) {
        String n = c.getFileName().toString();
        Meta m = LocalTree.metaIfExists(c);
        if (m == null || req.excludes().excludes(child(srcRel, n), m.isDir())) {
          continue;
        }
        if (!skipped.isEmpty() && skipped.contains(c.toAbsolutePath().normalize())) {
          continue; // the destination itself, inside the source
        }
        names.add(n);
        metas.put(n, m);
      }
    }
    names.sort(null);
    long changesBefore = changes; // deletions below change the directory's mtime too
    if (exists) {
      cleanAndDelete(dest, new HashSet<>(names), srcRel, rel);
    }
    boolean madeWritable = false;
    // read before the walk's chmod below, which rewrites the owner entry of an ACL the directory has
    Map<String, byte[]> destXattrs = req.xattrs() && exists ? tree.xattrs(dest, root) : null;
    if (exists && !req.dryRun() && (dm.perms() & 0200) == 0 && !root) {
      tree.setMode(dest, dm.perms() | 0700);
      madeWritable = true;
    }
    List<Future<?>> outerPending = pending;
    boolean outerSetsGroup = dirSetsGroup;
    pending = new ArrayList<>();
    // a new directory is mode 0700 until its contents are in, so it passes no group on
    dirSetsGroup = exists && (dm.perms() & 02000) != 0;
    try {
      for (String n : names) {
        syncEntry(src.resolve(n), metas.get(n), child(dest, n), child(srcRel, n), child(rel, n));
      }
      await(pending); // their renames change the directory's mtime, and it may be made read-only next
    } finally {
      pending = outerPending;
      dirSetsGroup = outerSetsGroup;
      touchedHere = touched;
      touched = outerTouched;
    }
    // after the contents, whose creation changed the directory's mtime
    Meta now = exists ? (req.dryRun() || changes == changesBefore ? dm : tree.stat(dest)) : null;
    if (exists && req.dryRun() && touchedHere) {
      // what a real run would find: the entries changed, so did the mtime, which is then set back
      now = new Meta(dm.mode(), dm.uid(), dm.gid(), dm.size(), FileTime.from(java.time.Instant.now()), dm.dev(), dm.ino(),
          dm.nlink());
    }
    if (madeWritable) {
      now = new Meta(dm.mode(), now.uid(), now.gid(), now.size(), now.mtime(), now.dev(), now.ino(), now.nlink());
    }
    applyAttrs(src, dest, sm, now, shown, 'd', !exists, destXattrs);
    if (madeWritable) {
      // back from the owner-writable mode the walk gave it (which "now" leaves out, so that it is not
      // itemized): applyAttrs sets the mode only when something else differs (and the chmod puts an
      // ACL's owner entry back as it was)
      tree.setMode(dest, sm.perms());
    }
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
        touched = true; // not itemized, but the directory's mtime changes all the same (a dry run predicts it)
        if (!req.dryRun()) {
          tree.delete(c); // left by a killed run
          changes++;
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
      applyAttrs(src, dest, sm, dm, rel, 'L', false, null);
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
      await(linkGroupCopies.get(key));
      Meta first = tree.stat(firstCopy);
      if (dm != null && first != null && dm.ino() == first.ino() && dm.dev() == first.dev()
          && !(req.dryRun() && rewrittenGroups.contains(key))) {
        return; // (a dry run rewrote nothing, but the real run's new first copy would need the link again)
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
      applyAttrs(src, dest, sm, dm, rel, 'f', false, null);
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
    if (key != null) {
      rewrittenGroups.add(key);
    }
    if (req.dryRun()) {
      return;
    }
    // a new file is created as this process's user and group (or the directory's group)
    boolean owner = root && (dirSetsGroup || !tree.createsOwnedBy(sm.uid(), sm.gid()));
    Future<?> f = submit(() -> {
      String tmp = tempFor(dest);
      try {
        tree.writeFile(tmp, src, sm, owner);
        if (req.xattrs()) {
          // what the new file has: the ACL its directory's default ACL gave it, which the source's replaces
          Map<String, byte[]> want = Xattrs.read(src, root);
          Map<String, byte[]> have = tree.xattrs(tmp, root);
          if (!want.isEmpty() || !have.isEmpty()) {
            tree.setXattrs(tmp, want, have);
          }
        }
      } catch (IOException | RuntimeException e) {
        tree.delete(tmp);
        throw e;
      }
      replace(tmp, dest, dm, rel);
    });
    if (key != null) {
      linkGroupCopies.put(key, f);
    }
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

  /**
   * Sets ownership, mode, mtime and (with --xattrs) extended attributes of an entry where they
   * differ, itemizing the change of an existing one ('a' for ACLs, 'x' for other extended attributes).
   */
  private void applyAttrs(Path src, String dest, Meta sm, Meta dm, String shown, char kind, boolean isNew,
      Map<String, byte[]> destXattrs) throws IOException {
    boolean link = kind == 'L';
    boolean timeDiff = (dm == null || !sameTime(dm.mtime(), sm.mtime())) && (!link || tree.setsLinkTimes());
    boolean permDiff = !link && (dm == null || dm.perms() != sm.perms());
    boolean ownerDiff = root && (dm == null || dm.uid() != sm.uid());
    boolean groupDiff = root && (dm == null || dm.gid() != sm.gid());
    // links have none to copy: Linux allows user attributes on files and directories only
    Map<String, byte[]> wantX = req.xattrs() && !link ? Xattrs.read(src, root) : Map.of();
    Map<String, byte[]> haveX = destXattrs != null ? destXattrs
        : req.xattrs() && !link && !(req.dryRun() && dm == null) ? tree.xattrs(dest, root) : Map.of();
    boolean aclDiff = !Xattrs.same(wantX, haveX, true);
    boolean xattrDiff = !Xattrs.same(wantX, haveX, false);
    if (!isNew && (timeDiff || permDiff || ownerDiff || groupDiff || aclDiff || xattrDiff)) {
      item("." + kind + ".." + (timeDiff ? 't' : '.') + (permDiff ? 'p' : '.') + (ownerDiff ? 'o' : '.')
          + (groupDiff ? 'g' : '.') + '.' + (aclDiff ? 'a' : '.') + (xattrDiff ? 'x' : '.'), shown, "");
      updated++;
    }
    if (req.dryRun()) {
      return;
    }
    // a user sets attributes first (a mode set below may take away the write bit user attributes
    // need); root last, as a chown takes a file's security.capability away
    if ((aclDiff || xattrDiff) && !root) {
      tree.setXattrs(dest, wantX, haveX);
    }
    if (timeDiff || permDiff || ownerDiff || groupDiff) {
      tree.setAttributes(dest, sm, ownerDiff || groupDiff, link);
    }
    if ((aclDiff || xattrDiff) && root) {
      tree.setXattrs(dest, wantX, ownerDiff || groupDiff ? tree.xattrs(dest, root) : haveX);
    }
  }

  private static String tempFor(String dest) {
    int slash = dest.lastIndexOf('/');
    String name = dest.substring(slash + 1);
    if (name.length() > 100) {
      name = name.substring(0, 100); // stay under NAME_MAX with the suffix
    }
    // unguessable is not needed: the file is created exclusively, a clash fails rather than overwrites
    String suffix = Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
    return dest.substring(0, slash + 1) + "." + name + TMP_MARK + suffix;
  }

  private void item(String flags, String rel, String extra) {
    changes++;
    if (flags.charAt(0) != '.') {
      touched = true; // created, transferred, linked or deleted: the directory's entries change
    }
    itemized.accept(flags + " " + rel + extra);
  }

  private static String child(String rel, String name) {
    return rel.isEmpty() ? name : rel.endsWith("/") ? rel + name : rel + "/" + name;
  }
}
