package dev.holdfast.job;

import dev.holdfast.archive.ArchiveCatalog;
import dev.holdfast.archive.Manifest;
import dev.holdfast.backend.Backend;
import dev.holdfast.error.HoldfastException;
import dev.holdfast.retention.Plan;
import dev.holdfast.retention.RetentionPlanner;
import dev.holdfast.retention.RetentionPolicy;
import java.io.IOException;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.function.Predicate;

/**
 * Applies a retention policy to the archives on a target: groups them by host and job (as restic
 * groups by host and paths), plans each group with the pure planner, and deletes what the plan
 * removes — the archive first, so an interrupted deletion never leaves an archive that looks
 * complete without its sidecars — logging every deletion.
 */
public final class Forget {
  /** One group's plan; {@code items} maps plan ids back to catalog items. */
  public record GroupPlan(String host, String job, Plan plan, Map<String, ArchiveCatalog.Item> items) {}

  private static final List<String> SIDECARS = List.of(".sha256", Manifest.ENTRIES_SUFFIX, Manifest.SUFFIX);

  private Forget() {}

  /** Plans every group that {@code include} accepts ("host/job" keys; "-" for unknown parts). */
  public static List<GroupPlan> plan(
      ArchiveCatalog catalog, RetentionPolicy policy, ZoneId zone, Predicate<ArchiveCatalog.Item> include) {
    List<ArchiveCatalog.Item> items = catalog.items().stream().filter(include).toList();
    SortedMap<String, List<ArchiveCatalog.Item>> groups =
        RetentionPlanner.group(items, i -> groupKey(i.ref().host(), i.ref().job()));
    List<GroupPlan> out = new ArrayList<>();
    for (var g : groups.entrySet()) {
      Map<String, ArchiveCatalog.Item> byId = new java.util.LinkedHashMap<>();
      List<RetentionPlanner.Item> planItems = new ArrayList<>();
      for (ArchiveCatalog.Item i : g.getValue()) {
        byId.put(i.ref().id(), i);
        planItems.add(new RetentionPlanner.Item(i.ref().id(), i.ref().time()));
      }
      Plan plan = RetentionPlanner.plan(planItems, policy, zone);
      ArchiveCatalog.Item first = g.getValue().get(0);
      out.add(new GroupPlan(first.ref().host(), first.ref().job(), plan, byId));
    }
    return out;
  }

  static String groupKey(String host, String job) {
    return (host.isEmpty() ? "-" : host) + "/" + (job.isEmpty() ? "-" : job);
  }

  /** Deletes what the plans remove; returns the removed ids. */
  public static List<String> apply(Backend backend, List<GroupPlan> plans, RunLog log) {
    List<String> removed = new ArrayList<>();
    for (GroupPlan g : plans) {
      Set<String> keep = new java.util.HashSet<>();
      g.plan().keep().forEach(i -> keep.add(i.id()));
      for (var item : g.plan().remove()) {
        if (keep.contains(item.id())) {
          continue;
        }
        String key = item.id();
        try {
          backend.delete(key);
          for (String s : SIDECARS) {
            backend.delete(key + s);
          }
        } catch (IOException e) {
          throw HoldfastException.io("removing " + key + " from " + backend.location(), e);
        }
        removed.add(key);
        log.line("REMOVED", key + " from " + backend.location() + " (retention: " + g.plan().policy().describe() + ")");
      }
    }
    return removed;
  }
}
