package dev.holdfast.repository;

import dev.holdfast.error.HoldfastException;
import dev.holdfast.retention.Plan;
import dev.holdfast.retention.RetentionPlanner;
import dev.holdfast.retention.RetentionPolicy;
import java.io.IOException;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * Applies a retention policy to the snapshots of a repository: groups them by host, job (first
 * tag) and paths, plans each group with the retention planner, and deletes the snapshot files the
 * plans remove (restic's {@code forget}); their data stays until a prune.
 */
public final class SnapshotRetention {
  /** One group's plan; {@code snapshots} maps plan ids (full hex ids) back to the snapshots. */
  public record Group(String host, String job, List<String> paths, Plan plan, Map<String, StoredSnapshot> snapshots) {}

  private SnapshotRetention() {}

  /** The job a snapshot belongs to: its first tag, as the catalog reports it; "" without tags. */
  public static String job(Snapshot s) {
    return s.tags().isEmpty() ? "" : s.tags().get(0);
  }

  public static String host(Snapshot s) {
    return s.hostname() == null ? "" : s.hostname();
  }

  /** Plans every group of the snapshots that {@code include} accepts. */
  public static List<Group> plan(
      List<StoredSnapshot> all, RetentionPolicy policy, ZoneId zone, Predicate<StoredSnapshot> include) {
    List<StoredSnapshot> chosen = all.stream().filter(include).toList();
    // '\0' cannot occur in a host, tag or path, so the key cannot be ambiguous.
    SortedMap<String, List<StoredSnapshot>> groups = RetentionPlanner.group(chosen,
        s -> host(s.snapshot()) + '\0' + job(s.snapshot()) + '\0' + String.join("\0", sortedPaths(s.snapshot())));
    List<Group> out = new ArrayList<>();
    for (List<StoredSnapshot> members : groups.values()) {
      Map<String, StoredSnapshot> byId = new LinkedHashMap<>();
      List<RetentionPlanner.Item> items = new ArrayList<>();
      for (StoredSnapshot s : members) {
        byId.put(s.id().hex(), s);
        items.add(new RetentionPlanner.Item(s.id().hex(), s.snapshot().time().toInstant()));
      }
      Snapshot first = members.get(0).snapshot();
      out.add(new Group(host(first), job(first), sortedPaths(first), RetentionPlanner.plan(items, policy, zone), byId));
    }
    return out;
  }

  private static List<String> sortedPaths(Snapshot s) {
    return List.copyOf(new TreeSet<>(s.paths()));
  }

  /**
   * Deletes the snapshot files the plans remove and returns their ids. The caller holds an
   * exclusive lock. Deleting a snapshot file is atomic, so an interruption leaves some snapshots
   * forgotten and the rest intact; {@code removed} is told about each one as it goes.
   */
  public static List<ObjectId> apply(Repository repo, List<Group> groups, java.util.function.Consumer<StoredSnapshot> removed) {
    List<ObjectId> out = new ArrayList<>();
    for (Group g : groups) {
      for (RetentionPlanner.Item item : g.plan().remove()) {
        StoredSnapshot s = g.snapshots().get(item.id());
        try {
          repo.backend().delete("snapshots/" + s.id().hex());
        } catch (IOException e) {
          throw HoldfastException.io("removing snapshot " + s.id().shortHex() + " from " + repo.backend().location(), e);
        }
        out.add(s.id());
        removed.accept(s);
      }
    }
    return out;
  }
}
