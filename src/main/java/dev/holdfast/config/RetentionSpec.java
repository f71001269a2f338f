package dev.holdfast.config;

/**
 * A retention policy as written in the config; counts are 0 when unset, {@code keepWithin} is a
 * duration such as "30d" or null.
 */
public record RetentionSpec(
    int keepLast, int keepHourly, int keepDaily, int keepWeekly, int keepMonthly, int keepYearly,
    String keepWithin) {
  public boolean isEmpty() {
    return keepLast == 0 && keepHourly == 0 && keepDaily == 0 && keepWeekly == 0 && keepMonthly == 0
        && keepYearly == 0 && keepWithin == null;
  }

  public static RetentionSpec none() {
    return new RetentionSpec(0, 0, 0, 0, 0, 0, null);
  }
}
