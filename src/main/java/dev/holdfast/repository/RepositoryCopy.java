package dev.holdfast.repository;

import dev.holdfast.event.BackupEvent;
import dev.holdfast.event.EventSink;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Copies snapshots from one repository into another as restic's {@code copy} does: every tree and
 * data blob the destination lacks is read, checked, and stored again under the destination's key
 * (never re-chunked, so blobs deduplicate against later backups only when both repositories share
 * a chunker polynomial), then the snapshot is saved with {@code original} naming the source's.
 */
public final class RepositoryCopy {
  private final Repository from;
  private final Repository to;
  private final EventSink events;
  private final Set<ObjectId> visitedTrees = new HashSet<>();

  /**
   * What a copy did.
   *
   * @param copied source snapshot id → id of its new copy in the destination
   * @param skipped source snapshot id → id of the destination snapshot that already is its copy
   * @param blobs blobs stored in the destination
   * @param bytes their plaintext bytes
   */
  public record Result(Map<String, String> copied, Map<String, String> skipped, long blobs, long bytes) {}

  public RepositoryCopy(Repository from, Repository to, EventSink events) {
    this.from = from;
    this.to = to;
    this.events = events;
  }

  /** Copies {@code snapshots} of the source (oldest first, say) that the destination does not hold yet. */
  public Result copy(List<StoredSnapshot> snapshots) {
    try (RepositoryLock readLock = from.lock(false);
        RepositoryLock writeLock = to.lock(false)) {
      Map<ObjectId, List<StoredSnapshot>> byOriginal = new HashMap<>();
      for (StoredSnapshot s : to.readableSnapshots()) {
        if (s.snapshot().original() != null) {
          byOriginal.computeIfAbsent(s.snapshot().original(), k -> new ArrayList<>()).add(s);
        }
        byOriginal.computeIfAbsent(s.id(), k -> new ArrayList<>()).add(s); // an identical copy made some other way
      }
      var copied = new java.util.LinkedHashMap<String, String>();
      var skipped = new java.util.LinkedHashMap<String, String>();
      long[] moved = {0, 0};
      for (StoredSnapshot s : snapshots) {
        Snapshot sn = s.snapshot();
        ObjectId original = sn.original() != null ? sn.original() : s.id();
        StoredSnapshot present = byOriginal.getOrDefault(original, List.of()).stream()
            .filter(d -> similar(d.snapshot(), sn)).findFirst().orElse(null);
        if (present != null) {
          skipped.put(s.id().hex(), present.id().hex());
          continue;
        }
        copyTree(sn.tree(), moved);
        writeLock.ensureHeld();
        readLock.ensureHeld();
        // the parent means nothing in the destination; original keeps the snapshot's identity across copies
        Snapshot copy = new Snapshot(sn.time(), null, sn.tree(), sn.paths(), sn.hostname(), sn.username(), sn.uid(),
            sn.gid(), sn.excludes(), sn.tags(), original, sn.programVersion());
        ObjectId id = to.saveSnapshot(copy);
        copied.put(s.id().hex(), id.hex());
        byOriginal.computeIfAbsent(original, k -> new ArrayList<>()).add(new StoredSnapshot(id, copy));
        events.publish(new BackupEvent.Note("copied snapshot " + s.id().shortHex() + " to " + id.shortHex()));
      }
      return new Result(copied, skipped, moved[0], moved[1]);
    }
  }

  /** restic's similarSnapshots: everything but parent and original must match. */
  static boolean similar(Snapshot a, Snapshot b) {
    return a.time().toInstant().equals(b.time().toInstant())
        && a.tree().equals(b.tree())
        && Objects.equals(nz(a.hostname()), nz(b.hostname()))
        && Objects.equals(nz(a.username()), nz(b.username()))
        && a.uid() == b.uid()
        && a.gid() == b.gid()
        && a.excludes().equals(b.excludes())
        && new HashSet<>(a.paths()).equals(new HashSet<>(b.paths())) && a.paths().size() == b.paths().size()
        && new HashSet<>(a.tags()).equals(new HashSet<>(b.tags())) && a.tags().size() == b.tags().size();
  }

  private static String nz(String s) {
    return s == null ? "" : s;
  }

  /**
   * Walks every tree below {@code root} (even ones the destination has: an interrupted copy may
   * have stored a tree without all it refers to) and stores each blob the destination lacks, raw
   * tree bytes included, so tree ids stay the same.
   */
  private void copyTree(ObjectId root, long[] moved) {
    var todo = new ArrayDeque<ObjectId>();
    todo.push(root);
    while (!todo.isEmpty()) {
      ObjectId id = todo.pop();
      if (!visitedTrees.add(id)) {
        continue;
      }
      byte[] raw = from.loadBlob(BlobType.TREE, id);
      Tree tree = Tree.parse(raw, "tree " + id.shortHex());
      for (Node n : tree.nodes()) {
        if (n.content() != null) {
          for (ObjectId blob : n.content()) {
            if (!to.hasBlob(BlobType.DATA, blob)) {
              byte[] data = from.loadBlob(BlobType.DATA, blob);
              to.saveBlob(BlobType.DATA, data);
              moved[0]++;
              moved[1] += data.length;
              events.publish(new BackupEvent.BytesMoved(data.length));
            }
          }
        }
        if (n.subtree() != null) {
          todo.push(n.subtree());
        }
      }
      if (!to.hasBlob(BlobType.TREE, id)) {
        to.saveBlob(BlobType.TREE, raw);
        moved[0]++;
        moved[1] += raw.length;
      }
    }
  }
}
