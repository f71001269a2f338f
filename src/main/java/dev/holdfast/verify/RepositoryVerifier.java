package dev.holdfast.verify;

import dev.holdfast.backend.Backend;
import dev.holdfast.backend.ObjectInfo;
import dev.holdfast.error.HoldfastException;
import dev.holdfast.repository.BlobType;
import dev.holdfast.repository.IndexFile;
import dev.holdfast.repository.Node;
import dev.holdfast.repository.NodeType;
import dev.holdfast.repository.ObjectId;
import dev.holdfast.repository.PackedBlob;
import dev.holdfast.repository.Repository;
import dev.holdfast.repository.StoredSnapshot;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Checks a whole repository as {@code restic check} does. Quick: every pack the index names exists
 * and its header lists the blobs the index says it holds, and every snapshot's trees load and
 * refer only to indexed blobs. Full: also every blob of every pack read, decrypted, decompressed
 * and hashed against its id ({@code restic check --read-data}). Problems name the pack and blob.
 */
public final class RepositoryVerifier {
  private final Repository repo;

  public RepositoryVerifier(Repository repo) {
    this.repo = repo;
  }

  public VerifyReport verify(VerifyLevel level) {
    if (level == VerifyLevel.RESTORE_TEST) {
      throw HoldfastException.usage("--level restore-test is not supported for repositories; use quick or full");
    }
    List<VerifyReport.Problem> problems = new ArrayList<>();
    long[] blobs = {0};
    long bytes = 0;
    Backend backend = repo.backend();
    List<IndexFile.Pack> packs = repo.readIndex();
    for (IndexFile.Pack pack : packs) {
      String entry = "pack " + pack.id().hex();
      String key = Repository.packKeyOf(pack.id());
      Optional<ObjectInfo> info;
      try {
        info = backend.stat(key);
      } catch (IOException e) {
        throw HoldfastException.io("checking " + key + " on " + backend.location(), e);
      }
      if (info.isEmpty()) {
        problems.add(new VerifyReport.Problem(entry, "missing; the index lists " + pack.blobs().size() + " blobs in it"));
        continue;
      }
      try {
        Set<PackedBlob> listed = new HashSet<>(repo.readPackHeader(pack.id(), info.get().size()));
        for (PackedBlob b : pack.blobs()) {
          if (!listed.contains(b)) {
            problems.add(new VerifyReport.Problem(entry, b.type().json() + " blob " + b.id().hex()
                + " is in the index but not where the pack's header says"));
          }
        }
      } catch (HoldfastException e) {
        problems.add(new VerifyReport.Problem(entry, e.getMessage()));
        continue;
      }
      if (level == VerifyLevel.FULL) {
        for (PackedBlob b : pack.blobs()) {
          try {
            repo.loadBlob(pack.id(), b);
            blobs[0]++;
            bytes += b.length();
          } catch (HoldfastException e) {
            problems.add(new VerifyReport.Problem(entry, "blob " + b.id().hex() + ": " + e.getMessage()));
          }
        }
      }
    }
    List<StoredSnapshot> snapshots = repo.listSnapshots();
    Set<ObjectId> seenTrees = new HashSet<>();
    for (StoredSnapshot s : snapshots) {
      String entry = "snapshot " + s.id().shortHex();
      try {
        walk(s.snapshot().tree(), "", entry, seenTrees, problems);
      } catch (HoldfastException e) {
        problems.add(new VerifyReport.Problem(entry, e.getMessage()));
      }
    }
    long total = level == VerifyLevel.FULL ? blobs[0] : packs.stream().mapToLong(p -> p.blobs().size()).sum();
    String note = snapshots.size() + " snapshots, " + packs.size() + " packs, " + seenTrees.size() + " trees"
        + (level == VerifyLevel.FULL ? ", every blob read" : ", structure only");
    return new VerifyReport("repository " + backend.location(), total, bytes, problems, note);
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
