package dev.holdfast.repository;

import dev.holdfast.backend.ObjectInfo;
import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileAlreadyExistsException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Removes the data no snapshot refers to any more (restic's {@code prune}): finds the blobs used by
 * every snapshot, deletes packs without a used blob, repacks packs whose unused share is too high or
 * that hold a second copy of a blob, and rewrites the index.
 *
 * <p>The order of writes keeps the repository valid if the process dies at any point (restic's
 * order, {@code internal/repository/prune.go}): new packs are uploaded and indexed first; then a new
 * index covering every pack that stays is written; only then are the old index files deleted, and
 * only after that the packs nothing refers to. Until the last step every blob a snapshot uses stays
 * reachable through some index file, and afterwards a pack that is left behind is just an unindexed
 * file, which restic's check reports as harmless and the next prune deletes.
 *
 * <p>The caller must hold an exclusive lock ({@link Repository#lock(boolean)}): packs that no index
 * file names are deleted as leftovers of interrupted runs.
 */
public final class Pruner {
  /**
   * A test hook: with this environment variable set to N, the process halts (as if killed) right
   * after the N-th change prune makes to the repository, so tests can stop it at every step.
   */
  public static final String HALT_AFTER_ENV = "HOLDFAST_TEST_PRUNE_HALT_AFTER";

  /** restic's default {@code --max-unused}. */
  public static final double DEFAULT_MAX_UNUSED_PERCENT = 5;

  /** restic starts a new index file after this many blobs; so do we. */
  private static final int BLOBS_PER_INDEX = 150_000;

  private final Repository repo;
  private final CryptoKey master;
  private final double maxUnusedPercent;
  private final int packSize;
  private final Consumer<String> progress;
  private final long haltAfter;
  private final Map<ObjectId, Long> packSizes = new HashMap<>(); // of the packs repacking wrote
  private long changes;

  /**
   * @param maxUnusedPercent unused space (of the used data) tolerated in packs that are kept as they
   *     are, 0 to 100; duplicates and packs without a used blob are removed regardless
   * @param packSize target size of the packs repacking writes
   * @param progress told what each phase is doing (for a verbose CLI), never null
   */
  public Pruner(Repository repo, double maxUnusedPercent, int packSize, Consumer<String> progress) {
    if (!(maxUnusedPercent >= 0 && maxUnusedPercent <= 100)) {
      throw new IllegalArgumentException("max unused must be between 0 and 100%, got " + maxUnusedPercent);
    }
    this.repo = repo;
    this.master = repo.masterKey();
    this.maxUnusedPercent = maxUnusedPercent;
    this.packSize = packSize;
    this.progress = progress;
    String halt = System.getenv(HALT_AFTER_ENV);
    this.haltAfter = halt == null || halt.isBlank() ? -1 : Long.parseLong(halt.strip());
  }

  /** Checks {@code lock} is still held before each deleting step; without it, nothing is checked. */
  public Pruner guardedBy(RepositoryLock lock) {
    this.lockCheck = lock::ensureHeld;
    return this;
  }

  private Runnable lockCheck = () -> {};

  public Pruner(Repository repo, double maxUnusedPercent) {
    this(repo, maxUnusedPercent, Repository.DEFAULT_PACK_SIZE, s -> {});
  }

  /** What a prune found and did (or, in a dry run, would do). */
  public record Result(
      boolean dryRun,
      int snapshots,
      int packs,
      long packBytes,
      int usedBlobs,
      int unusedBlobs,
      int duplicateBlobs,
      int packsRemoved,
      int packsRepacked,
      int unindexedPacks,
      int packsWritten,
      long repackedBytes,
      int indexFilesWritten,
      int indexFilesRemoved,
      long bytesAfter,
      long unusedBytesAfter) {

    /** Pack bytes the repository holds less afterwards (estimated in a dry run). */
    public long freedBytes() {
      return packBytes - bytesAfter;
    }

    /** Whether prune changed, or would change, anything. */
    public boolean changes() {
      return packsRemoved + packsRepacked + unindexedPacks > 0;
    }
  }

  /** One pack as the index and the data directory describe it. */
  private static final class PackInfo {
    final ObjectId id;
    final List<PackedBlob> blobs;
    long size = -1; // from the listing of data/
    long ownedBytes; // sealed bytes of the blobs this pack keeps the one copy of
    int owned;
    boolean holdsDuplicate; // a used blob whose kept copy is in another pack
    Action action;

    PackInfo(ObjectId id, List<PackedBlob> blobs) {
      this.id = id;
      this.blobs = blobs;
    }

    long unusedBytes() {
      return size - ownedBytes;
    }
  }

  private enum Action { KEEP, REPACK, REMOVE }

  /** Runs prune; in a dry run, only plans and reports. The caller holds an exclusive lock. */
  public Result prune(boolean dryRun) {
    return run(dryRun, java.util.Set.of());
  }

  /** A dry run as if the snapshots {@code forgotten} were gone already (for {@code forget --prune --dry-run}). */
  public Result dryRunWithout(java.util.Set<ObjectId> forgotten) {
    return run(true, forgotten);
  }

  private Result run(boolean dryRun, java.util.Set<ObjectId> forgotten) {
    try {
      return plan(dryRun, forgotten);
    } catch (IOException e) {
      throw HoldfastException.io("pruning the repository at " + repo.backend().location(), e);
    }
  }

  private Result plan(boolean dryRun, java.util.Set<ObjectId> forgotten) throws IOException {
    var backend = repo.backend();
    // 1. What is stored: the pack files and every index file (read afresh: the repository's own
    //    index was loaded before the lock was taken).
    progress.accept("listing packs");
    Map<ObjectId, Long> packFiles = new HashMap<>();
    try (Stream<ObjectInfo> s = backend.list("data/")) {
      s.forEach(i -> {
        String name = i.key().substring(i.key().lastIndexOf('/') + 1);
        if (ObjectId.isHex(name)) {
          packFiles.put(ObjectId.parse(name), i.size());
        }
      });
    }
    progress.accept("loading index files");
    List<ObjectId> oldIndexFiles = new ArrayList<>();
    Map<ObjectId, PackInfo> packs = new LinkedHashMap<>();
    List<ObjectInfo> indexInfos;
    try (Stream<ObjectInfo> s = backend.list("index/")) {
      indexInfos = s.toList();
    }
    for (ObjectInfo f : indexInfos) {
      String name = f.key().substring("index/".length());
      if (!ObjectId.isHex(name)) {
        continue;
      }
      oldIndexFiles.add(ObjectId.parse(name));
      for (IndexFile.Pack p : loadIndexFile(f, name).packs()) {
        packs.putIfAbsent(p.id(), new PackInfo(p.id(), p.blobs()));
      }
    }
    var where = new BlobIndex();
    List<ObjectId> missingPacks = new ArrayList<>();
    long packBytes = 0;
    for (PackInfo p : packs.values()) {
      Long size = packFiles.get(p.id);
      if (size == null) {
        missingPacks.add(p.id);
        continue;
      }
      p.size = size;
      for (PackedBlob b : p.blobs) {
        where.add(p.id, b);
      }
    }
    if (!missingPacks.isEmpty()) {
      throw new HoldfastException(ExitCode.DAMAGED,
          "the index of the repository at " + backend.location() + " names " + missingPacks.size()
              + " pack(s) that do not exist (e.g. " + missingPacks.get(0).shortHex() + "); nothing was pruned",
          "run 'restic rebuild-index' on the repository, then prune again");
    }
    List<ObjectId> unindexed = packFiles.keySet().stream().filter(id -> !packs.containsKey(id)).sorted().toList();
    for (ObjectId id : unindexed) {
      packBytes += packFiles.get(id);
    }
    for (PackInfo p : packs.values()) {
      packBytes += p.size;
    }

    // 2. What is used: every tree reachable from a snapshot and the data blobs of its files.
    List<StoredSnapshot> all;
    try {
      all = repo.listSnapshots();
    } catch (HoldfastException e) {
      if (e.exitCode() != ExitCode.DAMAGED) {
        throw e;
      }
      // without that snapshot's trees, its data would look unused and be deleted
      throw new HoldfastException(ExitCode.DAMAGED, "cannot prune: " + e.getMessage() + "; nothing was changed",
          "prune must read every snapshot to know which data is still used. Restore the file from a copy, or "
              + "remove its file from snapshots/ in the repository (that snapshot is lost; holdfast verify lists the damaged "
              + "files) and prune again", e);
    }
    List<StoredSnapshot> snapshots = all.stream().filter(s -> !forgotten.contains(s.id())).toList();
    progress.accept("finding the data of " + snapshots.size() + " snapshot(s)");
    BlobIndex used = findUsedBlobs(snapshots, where);

    // 3. Who keeps the one copy of each used blob: the packs with the least unused data first, so
    //    a duplicate copy lands in the pack that goes anyway.
    Map<PackInfo, Long> naiveUnused = new HashMap<>();
    for (PackInfo p : packs.values()) {
      long usedBytes = 0;
      for (PackedBlob b : p.blobs) {
        if (used.contains(b.type(), b.id())) {
          usedBytes += b.length();
        }
      }
      naiveUnused.put(p, p.size - usedBytes);
    }
    List<PackInfo> byUse = new ArrayList<>(packs.values());
    byUse.sort(Comparator.comparingLong((PackInfo p) -> naiveUnused.get(p)).thenComparing(p -> p.id));
    var owners = new BlobIndex();
    int unusedBlobs = 0;
    int duplicates = 0;
    for (PackInfo p : byUse) {
      for (PackedBlob b : p.blobs) {
        if (!used.contains(b.type(), b.id())) {
          unusedBlobs++;
        } else if (owners.add(p.id, b)) {
          p.owned++;
          p.ownedBytes += b.length();
        } else {
          duplicates++;
          p.holdsDuplicate = true;
        }
      }
    }

    // 4. Decide per pack (restic's decidePackAction): no kept copy: remove; everything kept: keep;
    //    a duplicate: repack; otherwise repack the emptiest packs until the unused space that stays
    //    is within the limit.
    long usedBytes = 0;
    List<PackInfo> candidates = new ArrayList<>();
    for (PackInfo p : packs.values()) {
      usedBytes += p.ownedBytes;
      if (p.owned == 0) {
        p.action = Action.REMOVE;
      } else if (p.holdsDuplicate) {
        p.action = Action.REPACK;
      } else if (p.owned == p.blobs.size()) {
        p.action = Action.KEEP;
      } else {
        candidates.add(p);
      }
    }
    long maxUnused = maxUnusedPercent >= 100 ? Long.MAX_VALUE
        : (long) (usedBytes * maxUnusedPercent / (100 - maxUnusedPercent));
    long unusedLeft = 0;
    for (PackInfo p : candidates) {
      unusedLeft += p.unusedBytes();
    }
    candidates.sort(Comparator.comparingDouble((PackInfo p) -> -(double) p.unusedBytes() / p.size).thenComparing(p -> p.id));
    for (PackInfo p : candidates) {
      if (unusedLeft > maxUnused) {
        p.action = Action.REPACK;
        unusedLeft -= p.unusedBytes();
      } else {
        p.action = Action.KEEP;
      }
    }

    List<PackInfo> keep = packs.values().stream().filter(p -> p.action == Action.KEEP).toList();
    List<PackInfo> repack = packs.values().stream().filter(p -> p.action == Action.REPACK).toList();
    List<PackInfo> remove = packs.values().stream().filter(p -> p.action == Action.REMOVE).toList();
    long keptBytes = keep.stream().mapToLong(p -> p.size).sum();
    long repackedBytes = repack.stream().mapToLong(p -> p.ownedBytes).sum();
    int usedCount = owners.size();

    if (!dryRun) {
      // Under the exclusive lock no backup is writing: a pack's temporary file under data/ (a local
      // target's .<random>.partial, an SFTP upload's <name>.<hex>.partial; never listed as packs) is
      // what a killed run left, up to a pack size each.
      lockCheck.run();
      try {
        int leftovers = repo.backend().deleteLeftovers("data");
        if (leftovers > 0) {
          progress.accept("deleted " + leftovers + " temporary pack file(s) left by interrupted runs");
        }
      } catch (IOException | RuntimeException e) {
        // housekeeping only: the prune itself goes on
        repo.attention("could not delete the temporary files interrupted runs left in " + repo.backend().location() + ": " + e.getMessage());
      }
    }
    if (dryRun || (repack.isEmpty() && remove.isEmpty() && unindexed.isEmpty())) {
      return new Result(dryRun, snapshots.size(), packs.size() + unindexed.size(), packBytes, usedCount, unusedBlobs,
          duplicates, remove.size(), repack.size(), unindexed.size(), 0, repackedBytes, 0, 0,
          dryRun ? keptBytes + repackedBytes : packBytes, unusedLeft);
    }

    // 5. Copy the kept blobs out of the packs to repack into new packs, and index the new packs,
    //    before anything is deleted.
    progress.accept("repacking " + repack.size() + " pack(s)");
    List<IndexFile.Pack> written = repack(repack, owners);
    long writtenBytes = 0;
    List<ObjectId> supersede = new ArrayList<>(oldIndexFiles);
    if (!written.isEmpty()) {
      supersede.addAll(writeIndex(List.of(), written));
    }
    for (IndexFile.Pack p : written) {
      writtenBytes += packSizes.get(p.id());
    }

    // 6. One index for every pack that stays, then the old index files go.
    progress.accept("writing the new index");
    List<IndexFile.Pack> remaining = new ArrayList<>();
    for (PackInfo p : keep) {
      remaining.add(new IndexFile.Pack(p.id, p.blobs));
    }
    remaining.addAll(written);
    List<ObjectId> newIndex = writeIndex(supersede, remaining);
    // A prune that lost its exclusive lock (not refreshed in time, or removed by `unlock
    // --remove-all`) may have a backup beside it now: delete nothing then.
    lockCheck.run();
    int indexRemoved = 0;
    for (ObjectId id : supersede) {
      if (!newIndex.contains(id)) {
        delete("index/" + id.hex());
        indexRemoved++;
      }
    }

    // 7. Only now that no index names them: the packs nothing needs.
    lockCheck.run();
    progress.accept("deleting " + (repack.size() + remove.size() + unindexed.size()) + " pack(s)");
    for (PackInfo p : repack) {
      delete(Repository.packKeyOf(p.id));
    }
    for (PackInfo p : remove) {
      delete(Repository.packKeyOf(p.id));
    }
    for (ObjectId id : unindexed) {
      delete(Repository.packKeyOf(id));
    }
    return new Result(false, snapshots.size(), packs.size() + unindexed.size(), packBytes, usedCount, unusedBlobs,
        duplicates, remove.size(), repack.size(), unindexed.size(), written.size(), repackedBytes,
        newIndex.size() + (supersede.size() - oldIndexFiles.size()), indexRemoved,
        keptBytes + writtenBytes, unusedLeft);
  }

  private IndexFile loadIndexFile(ObjectInfo f, String name) throws IOException {
    String what = "index " + name;
    if (f.size() > UnpackedFile.MAX_PLAINTEXT) {
      throw GoJson.damaged(what, "too large (" + f.size() + " bytes)");
    }
    byte[] sealed = repo.backend().readAll(f.key());
    if (!ObjectId.hash(sealed).hex().equals(name)) {
      throw GoJson.damaged(what, "content does not match its name");
    }
    return IndexFile.parse(UnpackedFile.open(master, sealed, repo.config().version(), what), what);
  }

  /**
   * Walks every snapshot's trees (each shared subtree once) and collects the used tree and data
   * blobs. A snapshot that refers to a blob no index knows stops prune before it changes anything:
   * deleting data is wrong when we cannot tell what the damaged snapshot still needs.
   */
  private BlobIndex findUsedBlobs(List<StoredSnapshot> snapshots, BlobIndex where) {
    var used = new BlobIndex();
    var dummy = ObjectId.of(new byte[ObjectId.LENGTH]);
    var todo = new ArrayDeque<ObjectId>();
    for (StoredSnapshot s : snapshots) {
      if (used.add(dummy, new PackedBlob(BlobType.TREE, s.snapshot().tree(), 0, 0, 0))) {
        todo.push(s.snapshot().tree());
      }
      while (!todo.isEmpty()) {
        ObjectId treeId = todo.pop();
        Optional<BlobIndex.Location> loc = where.lookup(BlobType.TREE, treeId);
        if (loc.isEmpty()) {
          throw missing("tree " + treeId.shortHex(), s);
        }
        Tree tree = Tree.parse(repo.loadBlob(loc.get().pack(), loc.get().blob()), "tree " + treeId.shortHex());
        for (Node n : tree.nodes()) {
          if (n.content() != null) {
            for (ObjectId d : n.content()) {
              if (used.add(dummy, new PackedBlob(BlobType.DATA, d, 0, 0, 0)) && !where.contains(BlobType.DATA, d)) {
                throw missing("data blob " + d.shortHex() + " of " + n.name(), s);
              }
            }
          }
          if (n.subtree() != null && used.add(dummy, new PackedBlob(BlobType.TREE, n.subtree(), 0, 0, 0))) {
            todo.push(n.subtree());
          }
        }
      }
    }
    return used;
  }

  private HoldfastException missing(String what, StoredSnapshot s) {
    return new HoldfastException(ExitCode.DAMAGED,
        "snapshot " + s.id().shortHex() + " refers to " + what + ", which is in no index of the repository at "
            + repo.backend().location() + "; nothing was pruned",
        "check the repository ('holdfast verify' or 'restic check'); forget the damaged snapshot or repair the index first");
  }

  /**
   * Copies each blob the packs own into new packs, checked on the way (MAC, then SHA-256 against its
   * id); returns the new packs. A blob is copied as it is stored: sealed on its own (IV, ciphertext,
   * MAC), it is valid in any pack, so nothing is compressed or encrypted again for the copy. Each
   * pack is read in one stream, its blobs in offset order; a blob's bytes go to the new pack as the
   * check reads them ({@link BlobStream}, 256 KiB at a time). Into a local target the new packs are
   * written as they are built ({@link PackSpool}), so a prune holds no pack in memory.
   */
  private List<IndexFile.Pack> repack(List<PackInfo> repack, BlobIndex owners) {
    var out = new ArrayList<IndexFile.Pack>();
    Repository.dropKeyDerivationGarbage(); // before the pack buffers are made
    Map<BlobType, PackFile.DataPack> writers = new java.util.EnumMap<>(BlobType.class);
    try (BlobStream check = repo.blobStream(1 << 20)) {
      for (PackInfo p : repack) {
        List<PackedBlob> own = new ArrayList<>();
        for (PackedBlob b : p.blobs) {
          Optional<BlobIndex.Location> owner = owners.lookup(b.type(), b.id());
          if (owner.isPresent() && owner.get().pack().equals(p.id)) {
            own.add(b); // not unused, nor a copy kept elsewhere
          }
        }
        if (own.isEmpty()) {
          continue;
        }
        own.sort(java.util.Comparator.comparingLong(PackedBlob::offset));
        String key = Repository.packKeyOf(p.id);
        InputStream in = null;
        try {
          long pos = 0;
          for (PackedBlob b : own) {
            if (b.offset() < pos || b.offset() + b.length() > p.size) {
              throw GoJson.damaged(Repository.blobName(p.id, b),
                  (b.offset() < pos ? "overlaps the blob before it" : "lies beyond the end of the pack") + "; nothing was deleted");
            }
            PackFile.DataPack w = writers.computeIfAbsent(b.type(), t -> PackFile.DataPack.on(repo.backend(), master, packSize));
            if (!w.fitsSealed(b.length())) {
              out.add(upload(w));
              closeQuietly(in); // an upload may take long: S3 and proxies drop an idle read
              in = null;
            }
            if (in == null) { // the rest of the pack from this blob on
              in = repo.backend().open(key, b.offset(), p.size - b.offset());
              pos = b.offset();
            }
            in.skipNBytes(b.offset() - pos);
            InputStream tee = new CopyingInputStream(in, w);
            try {
              w.addSealed(b, () -> check.read(p.id, b, tee, BlobStream.DISCARD));
            } catch (java.io.EOFException e) {
              throw new HoldfastException(ExitCode.DAMAGED, "pack " + p.id.shortHex() + " ends inside blob "
                  + b.id().shortHex() + "; nothing was deleted", CHECK_HINT, e);
            } catch (HoldfastException e) {
              throw new HoldfastException(e.exitCode(), e.getMessage() + "; nothing was deleted",
                  CHECK_HINT, e);
            }
            pos = b.offset() + b.length();
            if (w.bytes() >= packSize) {
              out.add(upload(w));
              closeQuietly(in);
              in = null;
            }
          }
        } catch (java.io.EOFException e) {
          throw new HoldfastException(ExitCode.DAMAGED, "pack " + p.id.shortHex() + " is shorter than its listing says"
              + "; nothing was deleted", CHECK_HINT, e);
        } catch (IOException e) {
          throw HoldfastException.io("reading pack " + p.id.shortHex() + " from " + repo.backend().location(), e);
        } finally {
          closeQuietly(in);
        }
      }
      for (PackFile.DataPack w : writers.values()) {
        if (w.count() > 0) {
          out.add(upload(w));
        }
      }
    } finally {
      writers.values().forEach(PackFile.DataPack::reset); // after a failure: a pack being written is deleted
    }
    return out;
  }

  private static final String CHECK_HINT = "check the repository ('holdfast verify --level full' or 'restic check --read-data')";

  private static void closeQuietly(InputStream in) {
    if (in != null) {
      try {
        in.close();
      } catch (IOException e) {
        // only read from: nothing is lost
      }
    }
  }

  /** Hands every byte read through it to a pack being copied into (a blob's sealed bytes, as its check reads them). */
  private static final class CopyingInputStream extends java.io.FilterInputStream {
    private final PackFile.DataPack into;

    CopyingInputStream(InputStream in, PackFile.DataPack into) {
      super(in);
      this.into = into;
    }

    @Override
    public int read() throws IOException {
      int b = in.read();
      if (b >= 0) {
        into.append(new byte[] {(byte) b}, 0, 1);
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = in.read(b, off, len);
      if (n > 0) {
        into.append(b, off, n);
      }
      return n;
    }

    @Override
    public long skip(long n) {
      throw new UnsupportedOperationException("every byte of a copied blob is read");
    }
  }

  private IndexFile.Pack upload(PackFile.DataPack w) {
    PackFile.Stored stored = w.store();
    packSizes.put(stored.id(), stored.length());
    changed();
    return new IndexFile.Pack(stored.id(), stored.blobs());
  }

  /** Writes index files for {@code packs}, split as restic splits them; returns their ids. */
  private List<ObjectId> writeIndex(List<ObjectId> supersedes, List<IndexFile.Pack> packs) {
    List<ObjectId> ids = new ArrayList<>();
    List<IndexFile.Pack> batch = new ArrayList<>();
    int blobs = 0;
    for (IndexFile.Pack p : packs) {
      if (!batch.isEmpty() && blobs + p.blobs().size() > BLOBS_PER_INDEX) {
        ids.add(saveIndex(supersedes, batch));
        batch = new ArrayList<>();
        blobs = 0;
      }
      batch.add(p);
      blobs += p.blobs().size();
    }
    if (!batch.isEmpty() || ids.isEmpty()) {
      ids.add(saveIndex(supersedes, batch));
    }
    return ids;
  }

  private ObjectId saveIndex(List<ObjectId> supersedes, List<IndexFile.Pack> packs) {
    byte[] sealed = UnpackedFile.seal(master, new IndexFile(supersedes, packs).toJson(), repo.config().version());
    ObjectId id = ObjectId.hash(sealed);
    put("index/" + id.hex(), sealed);
    return id;
  }

  private void put(String key, byte[] bytes) {
    put(key, bytes, bytes.length);
  }

  private void put(String key, byte[] bytes, int length) {
    try {
      repo.backend().put(key, bytes, 0, length);
    } catch (FileAlreadyExistsException e) {
      // named by its hash: the same bytes are there already
    } catch (IOException e) {
      throw HoldfastException.io("storing " + key + " in " + repo.backend().location(), e);
    }
    changed();
  }

  private void delete(String key) {
    try {
      repo.backend().delete(key);
    } catch (IOException e) {
      throw HoldfastException.io("deleting " + key + " from " + repo.backend().location(), e);
    }
    changed();
  }

  private void changed() {
    changes++;
    if (changes == haltAfter) {
      Runtime.getRuntime().halt(137);
    }
  }
}
