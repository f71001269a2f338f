package dev.holdfast.restore;

import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import dev.holdfast.event.BackupEvent;
import dev.holdfast.event.EventSink;
import dev.holdfast.repository.FileMode;
import dev.holdfast.repository.Node;
import dev.holdfast.repository.ObjectId;
import dev.holdfast.repository.Repository;
import dev.holdfast.repository.BlobLocation;
import dev.holdfast.repository.BlobStream;
import dev.holdfast.repository.BlobType;
import dev.holdfast.repository.PackedBlob;
import dev.holdfast.source.Xattrs;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Restores a repository snapshot into a directory, as {@code restic restore} lays it out (the
 * snapshot's absolute paths below the target). Like an archive restore, everything is written into
 * a staging directory inside the target first (every blob checked against its id on the way), and
 * renamed into place only when the whole snapshot has been read: a damaged snapshot leaves the
 * target as it was.
 */
public final class RepositoryRestore {
  private final EventSink events;
  /** --partial: files whose data could not be read intact, by index, with the first reason. */
  private final Map<Integer, String> damagedFiles = new java.util.concurrent.ConcurrentHashMap<>();
  private volatile boolean partial;
  private final boolean asRoot;
  private final java.util.concurrent.atomic.AtomicBoolean xattrsUnavailableSaid = new java.util.concurrent.atomic.AtomicBoolean();
  /** Names staged so far in this restore, and staging directories made (each made once). */
  private final java.util.Set<String> names = new java.util.HashSet<>();
  private final java.util.Set<Path> madeDirs = new java.util.HashSet<>();
  /**
   * Directories of the target found missing while staging: nothing below them exists either, so
   * their entries need no check for conflicts or links in the target, and commit moves each whole.
   */
  private final java.util.Set<Path> absentDirs = new java.util.HashSet<>();
  /** The owner and group of this restore's staging directory, which every file created in it gets. */
  private int stagingUid = -1;
  private int stagingGid = -1;

  public RepositoryRestore(EventSink events) {
    this.events = events;
    this.asRoot = "root".equals(System.getProperty("user.name"));
  }

  private record Staged(String name, Node node) {}

  /** A file whose content is still to be written into the staging directory. */
  private record PendingFile(String name, Node node, Path stagedPath) {}

  /**
   * The names of hard-linked files (nodes with st_nlink above 1) met so far, by device and inode: the first
   * is written, later ones become links to it once it is ({@code pending}, as {link, existing file}).
   */
  private record HardLinks(Map<String, Path> first, List<Path[]> pending) {
    HardLinks() {
      this(new HashMap<>(), new ArrayList<>());
    }
  }

  /** Restores snapshot {@code snapshotId} of {@code repo}; {@code label} names it in messages. */
  public RestoreResult restore(Repository repo, ObjectId snapshotId, RestoreRequest request) {
    String label = "snapshot " + snapshotId.shortHex();
    Path target = request.target().toAbsolutePath().normalize();
    IncludePatterns includes = new IncludePatterns(request.includes());
    ObjectId root = repo.loadSnapshot(snapshotId).tree();
    Repository.dropKeyDerivationGarbage(); // before the workers' blob buffers are made
    names.clear();
    madeDirs.clear();
    absentDirs.clear();
    damagedFiles.clear();
    partial = request.partial();
    Path staging = PathRules.makeStaging(target);
    if (asRoot) {
      try {
        Map<String, Object> owner = Files.readAttributes(staging, "unix:uid,gid", LinkOption.NOFOLLOW_LINKS);
        stagingUid = (Integer) owner.get("uid");
        stagingGid = (Integer) owner.get("gid");
      } catch (IOException e) {
        throw HoldfastException.io("preparing restore target " + target, e);
      }
    }
    List<Staged> staged = new ArrayList<>();
    List<PendingFile> files = new ArrayList<>();
    HardLinks links = new HardLinks();
    long[] skipped = {0};
    try {
      stageTree(repo, label, root, "", target, staging, includes, request, staged, files, links, skipped);
      java.util.Set<String> lost = new java.util.TreeSet<>();
      try {
        writeFiles(repo, label, files);
        for (int i : damagedFiles.keySet()) { // --partial: what could not be written stays out of the target
          Files.deleteIfExists(files.get(i).stagedPath());
          lost.add(files.get(i).name());
        }
        for (Path[] link : links.pending()) {
          if (!lost.isEmpty() && !Files.exists(link[1], LinkOption.NOFOLLOW_LINKS)) {
            lost.add(staging.relativize(link[0]).toString()); // another name of a lost file
            continue;
          }
          Files.createLink(link[0], link[1]);
        }
      } catch (IOException e) {
        throw HoldfastException.io("restoring the files of " + label + " into " + target, e);
      }
      if (!includes.isEmpty() && staged.isEmpty()) {
        throw HoldfastException.usage("nothing in " + label + " matches " + String.join(", ", request.includes()),
            "a pattern with a leading '/' is matched from the root (/home/me/notes), one without at any depth (*.txt, notes); "
                + "list the paths with: holdfast ls --from "
                + repo.backend().targetUrl() + " " + snapshotId.shortHex());
      }
      if (!lost.isEmpty()) {
        staged.removeIf(st -> lost.contains(st.name()));
      }
      RestoreResult result = commit(label, target, staging, staged, skipped[0]);
      if (!lost.isEmpty()) {
        String first = damagedFiles.values().iterator().next();
        throw new HoldfastException(ExitCode.DAMAGED, "restored " + result.files() + " files of " + label + " into " + target
            + ", without " + lost.size() + " whose data is damaged or missing: " + String.join(", ", lost.stream().limit(20).toList())
            + (lost.size() > 20 ? " and " + (lost.size() - 20) + " more" : "") + " (first problem: " + first + ")",
            "holdfast verify --from " + repo.backend().targetUrl() + " names every damaged pack and blob");
      }
      return result;
    } catch (UncheckedIOException e) {
      throw HoldfastException.io("restoring " + label + " into " + target, e.getCause());
    } finally {
      PathRules.dropStaging(staging);
    }
  }

  private void stageTree(Repository repo, String label, ObjectId treeId, String prefix, Path target, Path staging,
      IncludePatterns includes, RestoreRequest request, List<Staged> staged, List<PendingFile> files, HardLinks links,
      long[] skipped) {
    for (Node node : repo.loadTree(treeId).nodes()) {
      String n = node.name();
      if (n.equals(".") || n.equals("..") || n.contains("/") || n.indexOf('\0') >= 0) {
        throw new HoldfastException(ExitCode.FAILED,
            "refusing to restore '" + prefix + n + "' from " + label + ": a name in a tree may not be '.', '..' "
                + "or contain '/' or NUL; it could be written outside the target",
            "this repository was not written by Holdfast or restic, or was tampered with");
      }
      String name = prefix + n;
      PathRules.unsafe(name).ifPresent(why -> {
        throw new HoldfastException(ExitCode.FAILED, "refusing to restore '" + name + "' from " + label + ": " + why);
      });
      boolean wanted = includes.includes(name);
      try {
        if (wanted) {
          stage(label, name, node, target, staging, request, staged, files, links, skipped);
        }
      } catch (IOException e) {
        throw HoldfastException.io("restoring '" + name + "' of " + label + " into " + target, e);
      }
      if (node.type() == dev.holdfast.repository.NodeType.DIR && node.subtree() != null) {
        stageTree(repo, label, node.subtree(), name + "/", target, staging, includes, request, staged, files, links,
            skipped);
      }
    }
  }

  private void stage(String label, String name, Node node, Path target, Path staging,
      RestoreRequest request, List<Staged> staged, List<PendingFile> files, HardLinks links, long[] skipped)
      throws IOException {
    Path stagedPath = staging.resolve(name);
    Path finalPath = target.resolve(name);
    if (!stagedPath.normalize().startsWith(staging) || !finalPath.normalize().startsWith(target)) {
      throw new HoldfastException(ExitCode.FAILED,
          "refusing to restore '" + name + "' from " + label + ": it would be written outside the target");
    }
    boolean dir = node.type() == dev.holdfast.repository.NodeType.DIR;
    if (!absentDirs.contains(finalPath.getParent())) { // below a missing directory nothing can be in the way
      PathRules.linkInParents(target, finalPath).ifPresent(link -> {
        throw new HoldfastException(ExitCode.FAILED,
            "refusing to restore '" + name + "': '" + link + "' in the target is a symbolic link",
            "restore into an empty directory, or remove the link");
      });
      boolean exists = PathRules.exists(finalPath);
      if (exists && !request.overwrite() && (!dir || !Files.isDirectory(finalPath, LinkOption.NOFOLLOW_LINKS))) {
        throw new HoldfastException(ExitCode.FAILED,
            "refusing to overwrite " + finalPath + " (restoring " + label + "); nothing was restored",
            "restore into an empty directory, or pass --overwrite");
      }
      if (dir && !exists) {
        absentDirs.add(finalPath);
      }
    } else if (dir) {
      absentDirs.add(finalPath);
    }
    if (!names.add(name)) {
      // the staging directory is ours alone, so files are created without O_EXCL: a name twice
      // in one tree is caught here instead
      throw new HoldfastException(ExitCode.FAILED, "refusing to restore '" + name + "' from " + label
          + ": the name appears twice in its directory", "this repository was not written by Holdfast or restic, or was tampered with");
    }
    if (madeDirs.add(stagedPath.getParent())) {
      Files.createDirectories(stagedPath.getParent());
    }
    switch (node.type()) {
      case DIR -> {
        Files.createDirectories(stagedPath);
        madeDirs.add(stagedPath);
      }
      case FILE -> {
        if (node.content() == null) {
          throw new HoldfastException(ExitCode.DAMAGED, "file " + name + " in " + label + " has no content list");
        }
        Path sameInode = node.links() > 1 && node.inode() != 0
            ? links.first().putIfAbsent(node.deviceId() + ":" + node.inode(), stagedPath) : null;
        if (sameInode != null) {
          links.pending().add(new Path[] {stagedPath, sameInode}); // linked once its first name is written
        } else {
          files.add(new PendingFile(name, node, stagedPath)); // created and written by writeFiles, after the walk
        }
      }
      case SYMLINK -> {
        Files.createSymbolicLink(stagedPath, Path.of(node.linkTarget()));
        try {
          Files.getFileAttributeView(stagedPath, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
              .setTimes(FileTime.from(node.mtime()), null, null);
        } catch (IOException ignored) {
          // link times are cosmetic
        }
      }
      default -> {
        events.publish(new BackupEvent.Warning(name, "special file (" + node.type().json() + ") not restored"));
        skipped[0]++;
        return;
      }
    }
    staged.add(new Staged(name, node));
  }

  /** A blob some files need, with every place it goes (a file and an offset in it). */
  private static final class BlobUse {
    final PackedBlob blob;
    int[] files = new int[1];
    long[] offsets = new long[1];
    int count;

    BlobUse(PackedBlob blob) {
      this.blob = blob;
    }

    void add(int file, long offset) {
      if (count == files.length) {
        files = Arrays.copyOf(files, count * 2);
        offsets = Arrays.copyOf(offsets, count * 2);
      }
      files[count] = file;
      offsets[count++] = offset;
    }
  }

  /**
   * Writes every file's content pack by pack, as restic's restorer does: each pack is read once
   * (in runs of the blobs needed, in offset order), on one worker thread per core (four to eight),
   * each of which decrypts, decompresses and checks a blob against its id and writes it
   * at its offsets in every file that holds it. A file gets its mode and times from the worker that
   * writes its last blob. Offsets come from the index's plaintext lengths, so a node whose size
   * disagrees with its blobs is refused before anything is written.
   */
  private void writeFiles(Repository repo, String label, List<PendingFile> files) throws IOException {
    Map<ObjectId, Map<ObjectId, BlobUse>> packs = new LinkedHashMap<>(); // in the order files first need them
    AtomicInteger[] remaining = new AtomicInteger[files.size()];
    List<Integer> empty = new ArrayList<>();
    int maxCompressed = 0; // the largest sealed compressed blob: each worker reads those whole (BlobStream)
    files:
    for (int i = 0; i < files.size(); i++) {
      PendingFile f = files.get(i);
      long offset = 0;
      List<BlobLocation> located = new ArrayList<>();
      for (ObjectId id : f.node().content()) {
        Optional<BlobLocation> where = repo.locate(BlobType.DATA, id);
        if (where.isEmpty()) {
          String why = "data blob " + id.shortHex() + " of file " + f.name() + " in " + label + " is not in the repository's index";
          if (!partial) {
            throw new HoldfastException(ExitCode.DAMAGED, why);
          }
          damagedFiles.put(i, why); // lost whole: none of its blobs is read
          remaining[i] = new AtomicInteger(0);
          continue files;
        }
        located.add(where.get());
      }
      for (int nth = 0; nth < located.size(); nth++) {
        ObjectId id = f.node().content().get(nth);
        BlobLocation loc = located.get(nth);
        PackedBlob b = loc.blob();
        if (b.length() > MAX_SEALED || b.plaintextLength() > MAX_SEALED) {
          throw Repository.damagedBlob(loc.pack(), b, "the index gives it an impossible length");
        }
        if (b.compressed()) {
          maxCompressed = Math.max(maxCompressed, b.length());
        }
        packs.computeIfAbsent(loc.pack(), k -> new LinkedHashMap<>())
            .computeIfAbsent(id, k -> new BlobUse(b))
            .add(i, offset);
        offset += loc.blob().plaintextLength();
      }
      if (offset != f.node().size()) {
        throw new HoldfastException(ExitCode.DAMAGED, "file " + f.name() + " in " + label + " has " + offset
            + " bytes of content, its node says " + f.node().size());
      }
      remaining[i] = new AtomicInteger(f.node().content().size());
      if (f.node().content().isEmpty()) {
        empty.add(i);
      }
    }
    for (int i : empty) {
      Files.newByteChannel(files.get(i).stagedPath(), StandardOpenOption.CREATE, StandardOpenOption.WRITE).close();
      finishFile(files.get(i));
    }
    // More workers than cores: creating and opening files blocks in the kernel (on a busy ext4
    // journal, for milliseconds), and a read from a cold cache or a remote target blocks too.
    int threads = Math.max(4, Math.min(8, Runtime.getRuntime().availableProcessors()));
    ExecutorService pool = Executors.newFixedThreadPool(threads, r -> Thread.ofPlatform().daemon()
        .name("holdfast-restore-" + THREADS.incrementAndGet()).unstarted(r));
    var queue = new java.util.concurrent.ConcurrentLinkedQueue<>(packs.entrySet());
    int compressedSize = maxCompressed;
    AtomicBoolean failed = new AtomicBoolean();
    List<Future<?>> workers = new ArrayList<>();
    try {
      for (int t = 0; t < threads; t++) {
        workers.add(pool.submit(() -> {
          try (var w = new Worker(repo, files, remaining, compressedSize)) {
            Map.Entry<ObjectId, Map<ObjectId, BlobUse>> pack;
            while (!failed.get() && (pack = queue.poll()) != null) {
              w.restorePack(pack.getKey(), pack.getValue().values());
            }
          } catch (IOException e) {
            failed.set(true);
            throw new UncheckedIOException(e);
          } catch (RuntimeException | Error e) {
            failed.set(true);
            throw e;
          }
          return null;
        }));
      }
      RuntimeException first = null;
      for (Future<?> f : workers) {
        try {
          HoldfastException.await(f, "restore");
        } catch (UncheckedIOException e) {
          if (first == null) {
            first = e;
          }
        } catch (RuntimeException e) {
          // damage explains more than an I/O error a worker hit while the others stopped
          if (first == null || (first instanceof UncheckedIOException && e instanceof HoldfastException)) {
            first = e;
          }
        }
      }
      if (first instanceof UncheckedIOException u) {
        throw u.getCause();
      } else if (first != null) {
        throw first;
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private static final AtomicInteger THREADS = new AtomicInteger();

  /** Largest sealed blob a pack may hold (restic's 8 MiB chunk limit, with room for trees), as the index bounds it. */
  private static final int MAX_SEALED = 64 << 20;

  /** Blobs closer than this in a pack are read in one stream, the bytes between them discarded. */
  private static final long MAX_GAP = 1 << 20;

  /** One restore thread: its blob reader (and buffers) and the one output file it keeps open. */
  private final class Worker implements AutoCloseable {
    private final Repository repo;
    private final List<PendingFile> files;
    private final AtomicInteger[] remaining;
    /**
     * Hands out each blob's plaintext in pieces of at most 256 KiB: the worker holds no buffer of a
     * blob's size (up to 8 MiB) but for compressed blobs, which are read whole before decompressing.
     */
    private final BlobStream stream;
    private int openIndex = -1;
    private FileChannel open;

    Worker(Repository repo, List<PendingFile> files, AtomicInteger[] remaining, int compressedSize) {
      this.repo = repo;
      this.files = files;
      this.remaining = remaining;
      this.stream = repo.blobStream(compressedSize);
    }

    void restorePack(ObjectId pack, java.util.Collection<BlobUse> uses) throws IOException {
      List<BlobUse> sorted = new ArrayList<>(uses);
      sorted.sort(Comparator.comparingLong(u -> u.blob.offset()));
      String key = Repository.packKeyOf(pack);
      int i = 0;
      while (i < sorted.size()) {
        int j = i + 1; // blobs i..j-1 form one run
        long runEnd = sorted.get(i).blob.offset() + sorted.get(i).blob.length();
        while (j < sorted.size() && sorted.get(j).blob.offset() - runEnd <= MAX_GAP && sorted.get(j).blob.offset() >= runEnd) {
          runEnd = sorted.get(j).blob.offset() + sorted.get(j).blob.length();
          j++;
        }
        long runStart = sorted.get(i).blob.offset();
        InputStream opened;
        try {
          opened = repo.backend().open(key, runStart, runEnd - runStart);
        } catch (java.nio.file.NoSuchFileException e) {
          String why = "pack " + pack.shortHex() + " is missing from the repository (the index lists "
              + sorted.size() + " blobs this restore needs in it)";
          if (!partial) {
            throw new HoldfastException(ExitCode.DAMAGED, why, null, e);
          }
          for (BlobUse u : sorted.subList(i, sorted.size())) { // the pack is gone: every file the rest of it feeds
            lose(u, why);
          }
          return;
        }
        try (InputStream in = opened) {
          long pos = runStart;
          for (int k = i; k < j; k++) {
            restoreBlob(pack, sorted.get(k), in, pos);
            pos = sorted.get(k).blob.offset() + sorted.get(k).blob.length();
          }
        }
        i = j;
      }
    }

    private void restoreBlob(ObjectId pack, BlobUse use, InputStream in, long pos) throws IOException {
      PackedBlob b = use.blob; // its lengths were checked against MAX_SEALED in writeFiles
      int first = -1; // the first file (of those not lost already) the blob goes to
      for (int t = 0; t < use.count && first < 0; t++) {
        if (!lost(use.files[t])) {
          first = t;
        }
      }
      try {
        in.skipNBytes(b.offset() - pos);
        if (first < 0) {
          stream.read(pack, b, in, BlobStream.DISCARD); // read past it all the same
        } else {
          FileChannel out = channel(use.files[first]);
          long[] at = {use.offsets[first]};
          stream.read(pack, b, in, (buf, off, len) -> {
            ByteBuffer piece = ByteBuffer.wrap(buf, off, len);
            long p = at[0];
            while (piece.hasRemaining()) {
              p += out.write(piece, p);
            }
            at[0] = p;
          });
          // Other files (or other places in the same file) with this content get it copied from
          // the first once it is checked: one output file open at a time, however many hold it
          // (thousands of identical files, or the zero chunks of a disk image).
          copyToOtherUses(use, first);
        }
      } catch (java.io.EOFException e) {
        String why = "pack " + pack.shortHex() + " ends before blob " + b.id().shortHex() + " (truncated)";
        if (!partial) {
          throw new HoldfastException(ExitCode.DAMAGED, why, null, e);
        }
        lose(use, why);
        return;
      } catch (HoldfastException e) {
        // what was written of it stays in the staging directory: a failed restore removes that,
        // a partial one leaves the blob's files out of the target
        if (!partial || e.exitCode() != ExitCode.DAMAGED) {
          throw e;
        }
        lose(use, e.getMessage());
        return;
      }
      for (int t = 0; t < use.count; t++) {
        int file = use.files[t];
        if (!lost(file)) {
          publish(new BackupEvent.BytesMoved(b.plaintextLength()));
        }
        done(file);
      }
    }

    private void copyToOtherUses(BlobUse use, int first) throws IOException {
      if (use.count == 1) {
        return;
      }
      long n = use.blob.plaintextLength();
      long from = use.offsets[first];
      try (FileChannel src = FileChannel.open(files.get(use.files[first]).stagedPath(), StandardOpenOption.READ)) {
        for (int t = first + 1; t < use.count; t++) {
          int file = use.files[t];
          if (lost(file)) {
            continue; // lost already: not worth writing
          }
          FileChannel dst = channel(file);
          for (long done = 0; done < n; ) {
            long k = src.transferTo(from + done, n - done, dst.position(use.offsets[t] + done));
            if (k <= 0) {
              throw new IOException("copying " + n + " bytes within the staging directory stopped after " + done);
            }
            done += k;
          }
        }
      }
    }

    /** --partial: whether {@code file} is lost already (its data damaged), so not worth writing. */
    private boolean lost(int file) {
      return partial && damagedFiles.containsKey(file);
    }

    /** One blob of {@code file} dealt with: after its last, the file is closed and finished (unless lost). */
    private void done(int file) throws IOException {
      if (remaining[file].decrementAndGet() == 0) {
        if (openIndex == file) {
          closeOpen();
        }
        if (!damagedFiles.containsKey(file)) {
          finishFile(files.get(file));
        }
      }
    }

    /** --partial: a blob that cannot be read intact; the files it belongs to are left out of the restore. */
    private void lose(BlobUse use, String why) throws IOException {
      for (int t = 0; t < use.count; t++) {
        int file = use.files[t];
        damagedFiles.putIfAbsent(file, why);
        done(file);
      }
    }

    private FileChannel channel(int file) throws IOException {
      if (openIndex != file) {
        closeOpen();
        open = FileChannel.open(files.get(file).stagedPath(), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        openIndex = file;
      }
      return open;
    }

    private void closeOpen() throws IOException {
      if (open != null) {
        FileChannel c = open;
        open = null;
        openIndex = -1;
        c.close();
      }
    }

    @Override
    public void close() throws IOException {
      stream.close();
      closeOpen();
    }
  }

  /** Sets a file's mode and times once its content is written, and reports it. */
  private void finishFile(PendingFile f) throws IOException {
    applyMetadata(f.stagedPath(), f.node(), true);
    publish(new BackupEvent.EntryDone(f.name(), f.node().size()));
  }

  private void publish(BackupEvent e) {
    synchronized (events) {
      events.publish(e);
    }
  }

  private RestoreResult commit(String label, Path target, Path staging, List<Staged> staged, long skipped) {
    long files = 0;
    long dirs = 0;
    long links = 0;
    long bytes = 0;
    List<Staged> directories = new ArrayList<>();
    String movedWhole = null; // "name/" of the directory last moved in one rename, with all it holds
    try {
      for (Staged s : staged) { // in tree order: a directory comes before everything in it
        Path finalPath = target.resolve(s.name());
        Path stagedPath = staging.resolve(s.name());
        boolean inside = movedWhole != null && s.name().startsWith(movedWhole);
        if (!inside) {
          movedWhole = null;
        }
        switch (s.node().type()) {
          case DIR -> {
            if (!inside) {
              if (absentDirs.contains(finalPath) && PathRules.moveDirectoryIntoTarget(target, stagedPath, s.name())) {
                movedWhole = s.name() + "/";
              } else {
                PathRules.replaceWithDirectory(finalPath);
              }
            }
            directories.add(s);
            dirs++;
          }
          default -> {
            if (!inside) {
              PathRules.moveIntoTarget(target, stagedPath, s.name());
            }
            if (s.node().type() == dev.holdfast.repository.NodeType.FILE) {
              files++;
              bytes += s.node().size();
            } else {
              links++;
            }
          }
        }
      }
      // directories last, deepest first, so a read-only mode cannot block their contents
      for (int i = directories.size() - 1; i >= 0; i--) {
        Staged d = directories.get(i);
        applyMetadata(target.resolve(d.name()), d.node(), false);
      }
    } catch (IOException e) {
      throw HoldfastException.io("moving restored files of " + label + " into " + target, e);
    }
    return new RestoreResult(label, files, dirs, links, bytes, skipped);
  }

  /**
   * Gives {@code p} the node's extended attributes and POSIX ACLs, before its mode (a user attribute
   * needs the write bit a read-only mode would take away). Those only root may set ({@code trusted.*},
   * {@code security.*}) are left out when not restoring as root; a failure (a file system without
   * extended attributes) is a warning, the file is restored all the same.
   */
  private void restoreXattrs(Path p, Node n) {
    java.util.Map<String, byte[]> want = n.extendedAttributeMap(); // a copy of its own
    want.keySet().removeIf(name -> !Xattrs.copied(name, asRoot));
    if (Xattrs.unavailable() != null) {
      if (!xattrsUnavailableSaid.getAndSet(true)) {
        publish(new BackupEvent.Warning(p.toString(), "extended attributes and ACLs are not restored: " + Xattrs.unavailable()));
      }
      return;
    }
    try {
      Xattrs.write(p, want, Xattrs.read(p, asRoot));
    } catch (IOException | RuntimeException | LinkageError e) {
      publish(new BackupEvent.Warning(p.toString(), "extended attributes not restored: " + e.getMessage()));
    }
  }

  /**
   * Sets an entry's owner (as root), extended attributes, mode and times. {@code inStaging}: {@code p} was created in the
   * staging directory by this restore, so it has the staging directory's owner and group already,
   * and a chown to those would change nothing. Both times are set from the node, as restic does,
   * without following a link.
   */
  private void applyMetadata(Path p, Node n, boolean inStaging) throws IOException {
    if (asRoot) {
      try {
        if (!inStaging || n.uid() != stagingUid) {
          Files.setAttribute(p, "unix:uid", (int) n.uid(), LinkOption.NOFOLLOW_LINKS);
        }
        if (!inStaging || n.gid() != stagingGid) {
          Files.setAttribute(p, "unix:gid", (int) n.gid(), LinkOption.NOFOLLOW_LINKS);
        }
      } catch (IOException | UnsupportedOperationException | IllegalArgumentException ignored) {
        // ownership is best effort (e.g. restoring onto a file system without owners)
      }
    }
    if (n.extendedAttributes() != null) {
      restoreXattrs(p, n);
    }
    // times before the mode: the JDK opens the file to set them, which a mode such as 0200 would
    // refuse to a restore that does not run as root (a chmod leaves the times alone)
    FileTime mtime = FileTime.from(n.mtime());
    Files.getFileAttributeView(p, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
        .setTimes(mtime, n.atime() == null ? mtime : FileTime.from(n.atime()), null);
    int mode = FileMode.toPosixPermissions(n.mode());
    try {
      Files.setAttribute(p, "unix:mode", mode);
    } catch (UnsupportedOperationException | IllegalArgumentException ex) {
      Files.setPosixFilePermissions(p, ArchiveRestore.permissions(mode));
    }
  }

}
