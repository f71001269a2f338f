package dev.holdfast.verify;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Spreads full verification of a long history over several runs: with {@code percent} P, the
 * items are split by a stable hash of their id into ceil(100 / P) groups and each day checks the
 * next group, so every backup is read once per cycle. The newest item is always checked.
 */
public final class Sampling {
  private Sampling() {}

  /** Parses "10%" or "1/7" (one seventh) into a percentage in (0, 100]. */
  public static double parse(String s) {
    String t = s.trim();
    try {
      double p;
      if (t.endsWith("%")) {
        p = Double.parseDouble(t.substring(0, t.length() - 1));
      } else if (t.contains("/")) {
        String[] parts = t.split("/");
        p = 100.0 * Double.parseDouble(parts[0]) / Double.parseDouble(parts[1]);
      } else {
        p = Double.parseDouble(t);
      }
      if (!(p > 0 && p <= 100)) {
        throw new IllegalArgumentException();
      }
      return p;
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("'" + s + "' is not a sample such as 10% or 1/7");
    }
  }

  public static <T> List<T> select(List<T> items, double percent, LocalDate day, Function<T, String> id) {
    if (percent >= 100 || items.isEmpty()) {
      return items;
    }
    // the tolerance keeps "1/29" (100 / 3.448…% = 29.000000000000004) a cycle of 29 days, not 30
    int groups = (int) Math.ceil(100.0 / percent - 1e-9);
    int today = (int) Math.floorMod(day.toEpochDay(), (long) groups);
    List<T> out = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      T item = items.get(i);
      boolean newest = i == items.size() - 1;
      if (newest || Math.floorMod(stableHash(id.apply(item)), groups) == today) {
        out.add(item);
      }
    }
    return out;
  }

  private static int stableHash(String s) {
    int h = 0x811c9dc5; // FNV-1a: stable across JVMs, unlike nothing else needed here
    for (byte b : s.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
      h ^= b & 0xff;
      h *= 0x01000193;
    }
    return h;
  }
}
