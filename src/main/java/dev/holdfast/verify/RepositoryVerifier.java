package dev.holdfast.verify;

import dev.holdfast.backend.Backend;
import dev.holdfast.backend.ObjectInfo;
import dev.holdfast.error.HoldfastException;
import dev.holdfast.repository.BlobStream;
import dev.holdfast.repository.BlobType;
import dev.holdfast.repository.IndexFile;
import dev.holdfast.repository.Node;
import dev.holdfast.repository.NodeType;
import dev.holdfast.repository.ObjectId;
import dev.holdfast.repository.PackedBlob;
import dev.holdfast.repository.Repository;
import dev.holdfast.repository.StoredSnapshot;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * Checks a whole repository as {@code restic check} does: structure (index, packs, trees,
 * snapshots) at quick, and at full also the data of every pack or of a sample of them
 * ({@code restic check --read-data[-subset]}). Problems name the pack and blob.
 */
public final class RepositoryVerifier {
  private final Repository repo;

  public RepositoryVerifier(Repository repo) {
    this.repo = repo;
  }

  public VerifyReport verify(VerifyLevel level) {
    return verify(level, new PackSample.All());
  }

  /**
   * Checks the whole repository. Structure, always: every pack an index file names exists with the
   * size its index entries add up to, every tree and data blob the snapshots refer to is indexed,
   * and packs no index names are counted (an interrupted backup leaves them; prune removes them).
   * At {@code FULL}, the packs {@code sample} chooses are also read whole, in one stream each: the
   * pack's SHA-256 against its name, its header against the index, and every blob decrypted,
   * decompressed and hashed against its id ({@code restic check --read-data[-subset]}).
   */
  public VerifyReport verify(VerifyLevel level, PackSample sample) {
    if (level == VerifyLevel.RESTORE_TEST) {
      throw HoldfastException.usage("--level restore-test is not supported for repositories; use quick or full");
    }
    List<VerifyReport.Problem> problems = new ArrayList<>();
    Backend backend = repo.backend();
    Map<ObjectId, IndexFile.Pack> packs = new LinkedHashMap<>();
    for (IndexFile.Pack p : repo.readIndex()) {
      packs.putIfAbsent(p.id(), p); // the same pack in two index files (restic tolerates it too)
    }
    Map<ObjectId, Long> stored = storedPacks(backend);
    Set<ObjectId> toRead = level == VerifyLevel.FULL ? sample.choose(new ArrayList<>(packs.keySet())) : Set.of();
    if (!toRead.isEmpty()) {
      Repository.dropKeyDerivationGarbage(); // before the workers' blob buffers are made
    }
    List<PackResult> done = new ArrayList<>(); // in the index's order
    // Packs are read on worker threads, a few ahead of the one whose problems are reported next, so
    // that the report keeps the index's order; each worker holds at most two blob buffers.
    int threads = Math.max(2, Math.min(4, Runtime.getRuntime().availableProcessors()));
    ExecutorService pool = Executors.newFixedThreadPool(threads, r -> Thread.ofPlatform().daemon()
        .name("holdfast-verify-" + THREADS.incrementAndGet()).unstarted(r));
    // Each worker's blob reader (BlobStream: 256 KiB pieces; only compressed blobs are held whole),
    // closed (its zstd context is native memory) once the workers are done.
    java.util.Queue<BlobStream> readers = new java.util.concurrent.ConcurrentLinkedQueue<>();
    ThreadLocal<BlobStream> reader = ThreadLocal.withInitial(() -> {
      BlobStream r = repo.blobStream(1 << 20);
      readers.add(r);
      return r;
    });
    Deque<Future<PackResult>> ahead = new ArrayDeque<>();
    try {
      for (IndexFile.Pack pack : packs.values()) {
        String entry = "pack " + pack.id().hex();
        Long size = stored.get(pack.id());
        List<VerifyReport.Problem> own = new ArrayList<>();
        if (size == null) {
          own.add(new VerifyReport.Problem(entry, "missing; the index lists " + pack.blobs().size() + " blobs in it"));
        } else if (size != expectedSize(pack)) {
          own.add(new VerifyReport.Problem(entry, "has " + size + " bytes, its index entries add up to " + expectedSize(pack)));
        } else if (toRead.contains(pack.id())) {
          ahead.add(pool.submit(() -> {
            List<VerifyReport.Problem> found = new ArrayList<>();
            long[] counts = readPack(pack, size, entry, found, reader.get());
            return new PackResult(found, counts[0], counts[1]);
          }));
        }
        if (!own.isEmpty()) {
          ahead.add(java.util.concurrent.CompletableFuture.completedFuture(new PackResult(own, 0, 0)));
        }
        while (ahead.size() > 2 * threads || (!ahead.isEmpty() && ahead.peek().isDone())) {
          done.add(HoldfastException.await(ahead.poll(), "verify"));
        }
      }
      while (!ahead.isEmpty()) {
        done.add(HoldfastException.await(ahead.poll(), "verify"));
      }
    } finally {
      pool.shutdownNow();
      try {
        if (pool.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS)) {
          readers.forEach(BlobStream::close); // not while a worker may still use one
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    long blobs = 0;
    long bytes = 0;
    for (PackResult r : done) {
      problems.addAll(r.problems());
      blobs += r.blobs();
      bytes += r.bytes();
    }
    List<ObjectId> unindexed = stored.keySet().stream().filter(id -> !packs.containsKey(id)).sorted().toList();
    Repository.SnapshotListing listing = repo.readSnapshots();
    for (String d : listing.damaged()) {
      int i = d.indexOf(" is damaged: ");
      problems.add(i < 0 ? new VerifyReport.Problem("snapshots", d)
          : new VerifyReport.Problem(d.substring(0, i), "damaged: " + d.substring(i + " is damaged: ".length())));
    }
    List<StoredSnapshot> snapshots = listing.snapshots();
    Set<ObjectId> seenTrees = new HashSet<>();
    for (StoredSnapshot s : snapshots) {
      String entry = "snapshot " + s.id().shortHex();
      try {
        walk(s.snapshot().tree(), "", entry, seenTrees, problems);
      } catch (HoldfastException e) {
        problems.add(new VerifyReport.Problem(entry, e.getMessage()));
      }
    }
    long total = level == VerifyLevel.FULL ? blobs : packs.values().stream().mapToLong(p -> p.blobs().size()).sum();
    String note = snapshots.size() + " snapshots, " + packs.size() + " packs, " + seenTrees.size() + " trees"
        + (level == VerifyLevel.FULL ? ", " + (sample instanceof PackSample.All ? "every blob read"
            : sample.describe() + " (" + toRead.size() + " of " + packs.size() + ")") : ", structure only")
        + (unindexed.isEmpty() ? "" : "; " + unindexed.size() + " pack" + (unindexed.size() == 1 ? "" : "s")
            + " not in any index (left by an interrupted backup; prune removes them): "
            + String.join(", ", unindexed.stream().limit(3).map(ObjectId::shortHex).toList())
            + (unindexed.size() > 3 ? ", …" : ""));
    return new VerifyReport("repository " + backend.location(), total, bytes, problems, note);
  }

  /** Every pack file under data/ by id, with its size, from one listing. */
  private static Map<ObjectId, Long> storedPacks(Backend backend) {
    Map<ObjectId, Long> out = new HashMap<>();
    try (Stream<ObjectInfo> s = backend.list("data/")) {
      s.forEach(o -> {
        String name = o.key().substring(o.key().lastIndexOf('/') + 1);
        if (ObjectId.isHex(name)) {
          out.put(ObjectId.parse(name), o.size());
        }
      });
    } catch (IOException e) {
      throw HoldfastException.io("listing the packs of " + backend.location(), e);
    }
    return out;
  }

  /** A pack's size as design.rst "Pack Format" implies from its blobs: blobs, encrypted header, header length. */
  static long expectedSize(IndexFile.Pack pack) {
    long size = 4 + 32; // header length field, and the header's IV and MAC
    for (PackedBlob b : pack.blobs()) {
      size += b.length() + (b.compressed() ? 1 + 4 + 4 + 32 : 1 + 4 + 32);
    }
    return size;
  }

  private record PackResult(List<VerifyReport.Problem> problems, long blobs, long bytes) {}

  private static final AtomicInteger THREADS = new AtomicInteger();

  /**
   * Reads one pack whole, once: its header (a ranged read of the tail) against the index, then the
   * file from the start, each blob checked as it streams past (by {@code reader}, the calling
   * thread's) and the whole hashed against the pack's name.
   * Returns the blobs and bytes read.
   */
  private long[] readPack(IndexFile.Pack pack, long size, String entry, List<VerifyReport.Problem> problems,
      BlobStream reader) {
    List<PackedBlob> header;
    try {
      header = new ArrayList<>(repo.readPackHeader(pack.id(), size));
    } catch (HoldfastException e) {
      problems.add(new VerifyReport.Problem(entry, e.getMessage()));
      return new long[] {0, 0};
    }
    Set<PackedBlob> listed = new HashSet<>(header);
    for (PackedBlob b : pack.blobs()) {
      if (!listed.contains(b)) {
        problems.add(new VerifyReport.Problem(entry, b.type().json() + " blob " + b.id().hex()
            + " is in the index but not where the pack's header says"));
      }
    }
    header.sort(Comparator.comparingLong(PackedBlob::offset));
    long blobs = 0;
    MessageDigest sha = sha256();
    String key = Repository.packKeyOf(pack.id());
    try (InputStream raw = repo.backend().open(key, 0, size);
        DigestInputStream in = new DigestInputStream(new BufferedInputStream(raw, 1 << 16), sha)) {
      long pos = 0;
      for (PackedBlob b : header) {
        if (b.offset() < pos) {
          problems.add(new VerifyReport.Problem(entry, "blobs overlap at offset " + b.offset()));
          break;
        }
        if (b.offset() > pos) {
          problems.add(new VerifyReport.Problem(entry, "a gap of " + (b.offset() - pos) + " bytes before blob " + b.id().hex()));
          discard(in, b.offset() - pos); // read, not skipped: the digest must see every byte
        }
        // the header's lengths are bounded when it is parsed (PackFile.MAX_BLOB)
        try {
          reader.read(pack.id(), b, in, BlobStream.DISCARD);
          blobs++;
        } catch (java.io.EOFException e) {
          problems.add(new VerifyReport.Problem(entry, "ends inside blob " + b.id().hex()));
          break;
        } catch (HoldfastException e) {
          problems.add(new VerifyReport.Problem(entry, "blob " + b.id().hex() + ": " + e.getMessage()));
        }
        pos = b.offset() + b.length(); // a damaged blob too is read to its end
      }
      in.transferTo(OutputStream.nullOutputStream());
    } catch (IOException e) {
      throw HoldfastException.io("reading pack " + pack.id().shortHex() + " from " + repo.backend().location(), e);
    }
    ObjectId actual = ObjectId.of(sha.digest());
    if (!actual.equals(pack.id())) {
      problems.add(new VerifyReport.Problem(entry, "content does not match its name (SHA-256 " + actual.hex() + ")"));
    }
    return new long[] {blobs, size};
  }

  private static void discard(InputStream in, long n) throws IOException {
    byte[] buf = new byte[8192];
    while (n > 0) {
      int r = in.read(buf, 0, (int) Math.min(buf.length, n));
      if (r < 0) {
        return;
      }
      n -= r;
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Checks one snapshot: its trees load, every data blob it refers to is indexed and its pack
   * exists (quick); at full, every one of those blobs is also read, decrypted and hashed. Cheaper
   * than the whole repository when only the newest backup matters (a job's verify step).
   */
  public VerifyReport verifySnapshot(ObjectId snapshot, VerifyLevel level) {
    if (level == VerifyLevel.RESTORE_TEST) {
      throw HoldfastException.usage("--level restore-test is not supported for repositories; use quick or full");
    }
    String entry = "snapshot " + snapshot.shortHex();
    List<VerifyReport.Problem> problems = new ArrayList<>();
    Set<ObjectId> trees = new HashSet<>();
    java.util.Map<ObjectId, String> blobs = new java.util.LinkedHashMap<>();
    try {
      collect(repo.loadSnapshot(snapshot).tree(), "", entry, trees, blobs, problems);
    } catch (HoldfastException e) {
      problems.add(new VerifyReport.Problem(entry, e.getMessage()));
    }
    java.util.Map<ObjectId, ObjectId> packOf = new java.util.HashMap<>();
    for (IndexFile.Pack p : repo.readIndex()) {
      for (PackedBlob b : p.blobs()) {
        if (b.type() == BlobType.DATA) {
          packOf.putIfAbsent(b.id(), p.id());
        }
      }
    }
    Set<ObjectId> packsSeen = new HashSet<>();
    long bytes = 0;
    for (var e : blobs.entrySet()) {
      ObjectId pack = packOf.get(e.getKey());
      if (pack == null) {
        problems.add(new VerifyReport.Problem(entry, "file " + e.getValue() + ": data blob " + e.getKey().hex()
            + " is not in the index"));
        continue;
      }
      if (packsSeen.add(pack)) {
        try {
          if (repo.backend().stat(Repository.packKeyOf(pack)).isEmpty()) {
            problems.add(new VerifyReport.Problem("pack " + pack.hex(), "missing; it holds data blob " + e.getKey().hex()
                + " of " + e.getValue() + " (" + entry + ")"));
          }
        } catch (IOException ex) {
          throw HoldfastException.io("checking pack " + pack.shortHex() + " on " + repo.backend().location(), ex);
        }
      }
      if (level == VerifyLevel.FULL) {
        try {
          bytes += repo.loadBlob(BlobType.DATA, e.getKey()).length;
        } catch (HoldfastException ex) {
          problems.add(new VerifyReport.Problem("pack " + pack.hex(), "blob " + e.getKey().hex() + " of " + e.getValue()
              + ": " + ex.getMessage()));
        }
      }
    }
    String note = trees.size() + " trees, " + blobs.size() + " data blobs in " + packsSeen.size() + " packs"
        + (level == VerifyLevel.FULL ? ", every blob read" : ", structure only");
    return new VerifyReport(entry, blobs.size(), bytes, problems, note);
  }

  private void collect(ObjectId tree, String prefix, String entry, Set<ObjectId> trees, java.util.Map<ObjectId, String> blobs,
      List<VerifyReport.Problem> problems) {
    if (!trees.add(tree)) {
      return;
    }
    for (Node n : repo.loadTree(tree).nodes()) {
      String path = prefix + "/" + n.name();
      if (n.type() == NodeType.DIR && n.subtree() != null) {
        collect(n.subtree(), path, entry, trees, blobs, problems);
      } else if (n.type() == NodeType.FILE) {
        if (n.content() == null) {
          problems.add(new VerifyReport.Problem(entry, "file " + path + " has no content list"));
          continue;
        }
        n.content().forEach(id -> blobs.putIfAbsent(id, path));
      }
    }
  }

  private void walk(ObjectId tree, String prefix, String entry, Set<ObjectId> seen, List<VerifyReport.Problem> problems) {
    if (!seen.add(tree)) {
      return;
    }
    if (!repo.hasBlob(BlobType.TREE, tree)) {
      problems.add(new VerifyReport.Problem(entry, "tree " + tree.hex() + " of " + (prefix.isEmpty() ? "/" : prefix)
          + " is not in the index"));
      return;
    }
    for (Node n : repo.loadTree(tree).nodes()) {
      String path = prefix + "/" + n.name();
      if (n.type() == NodeType.DIR) {
        if (n.subtree() == null) {
          problems.add(new VerifyReport.Problem(entry, "directory " + path + " has no subtree"));
        } else {
          walk(n.subtree(), path, entry, seen, problems);
        }
      } else if (n.type() == NodeType.FILE) {
        if (n.content() == null) {
          problems.add(new VerifyReport.Problem(entry, "file " + path + " has no content list"));
          continue;
        }
        for (ObjectId id : n.content()) {
          if (!repo.hasBlob(BlobType.DATA, id)) {
            problems.add(new VerifyReport.Problem(entry, "file " + path + ": data blob " + id.hex() + " is not in the index"));
          }
        }
      }
    }
  }
}
