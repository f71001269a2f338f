package dev.holdfast.retention;

import java.util.List;

/** Why the planner kept a backup; a kept backup has one or more reasons. */
public enum KeepReason {
  /** Newer than the newest backup's time minus {@code keepWithin}. */
  WITHIN("within"),
  /** One of the {@code keepLast} newest backups. */
  LAST("last"),
  /** The newest backup of one of the {@code keepHourly} newest hours that have a backup. */
  HOURLY("hourly"),
  DAILY("daily"),
  /** Weeks are ISO-8601 weeks (Monday to Sunday, week-based year), as Go's ISOWeek. */
  WEEKLY("weekly"),
  MONTHLY("monthly"),
  YEARLY("yearly"),
  /**
   * Our safety net, not a restic rule: the newest backup of a group is never removed. Every
   * non-empty policy possible today already keeps it; this guards rules added later (restic's
   * keep-tag alone, for one, can remove the newest).
   */
  NEWEST("newest"),
  /** The policy sets no rule, so everything is kept. */
  POLICY_EMPTY("policy is empty");

  /** The counted rules in the order restic evaluates them. */
  static final List<KeepReason> COUNTED = List.of(LAST, HOURLY, DAILY, WEEKLY, MONTHLY, YEARLY);

  private final String label;

  KeepReason(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }
}
