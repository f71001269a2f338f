package dev.holdfast.retention;

import dev.holdfast.retention.RetentionPlanner.Item;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * The outcome of applying a policy to one group: every backup of the group, newest first, each
 * with the reasons it is kept (none means it is removed).
 */
public record Plan(RetentionPolicy policy, List<Decision> decisions) {

  public Plan {
    Objects.requireNonNull(policy, "policy");
    decisions = List.copyOf(decisions);
  }

  /** One backup and why it is kept; an empty reason list means it is removed. */
  public record Decision(Item item, List<KeepReason> reasons) {
    public Decision {
      Objects.requireNonNull(item, "item");
      reasons = List.copyOf(reasons);
    }

    public boolean keep() {
      return !reasons.isEmpty();
    }
  }

  /** The kept backups, newest first. */
  public List<Item> keep() {
    return decisions.stream().filter(Decision::keep).map(Decision::item).toList();
  }

  /** The backups to remove, newest first. */
  public List<Item> remove() {
    return decisions.stream().filter(d -> !d.keep()).map(Decision::item).toList();
  }

  /** The reasons as text, e.g. "within 30d, daily, weekly", or "remove". */
  public String describe(Decision decision) {
    if (!decision.keep()) {
      return "remove";
    }
    return decision.reasons().stream()
        .map(r -> r == KeepReason.WITHIN ? "within " + policy.keepWithin() : r.label())
        .collect(Collectors.joining(", "));
  }
}
