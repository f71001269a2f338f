package dev.holdfast.verify;

import dev.holdfast.repository.ObjectId;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Which packs of a repository a check reads in full: all of them, one slice of N ({@code 1/N}: the
 * packs whose id's first byte modulo N is the day's slice, the partition of restic's
 * {@code check --read-data-subset k/N}, so a daily job reads every pack once in N days), or a random
 * share ({@code P%}, as restic's {@code --read-data-subset P%}).
 */
public sealed interface PackSample {
  /** Every pack. */
  record All() implements PackSample {
    @Override
    public Set<ObjectId> choose(List<ObjectId> packs) {
      return new HashSet<>(packs);
    }

    @Override
    public String describe() {
      return "every pack read";
    }
  }

  /**
   * Slice {@code index} (1-based, as restic counts) of {@code of}: the packs whose id's first byte
   * modulo {@code of} is {@code index - 1}.
   */
  record Slice(int index, int of) implements PackSample {
    public Slice {
      if (of < 1 || of > 256 || index < 1 || index > of) {
        throw new IllegalArgumentException("slice " + index + "/" + of + " is not one of 1/1 to 256/256");
      }
    }

    @Override
    public Set<ObjectId> choose(List<ObjectId> packs) {
      Set<ObjectId> out = new HashSet<>();
      for (ObjectId p : packs) {
        if ((p.bytes()[0] & 0xff) % of == index - 1) {
          out.add(p);
        }
      }
      return out;
    }

    @Override
    public String describe() {
      return "slice " + index + "/" + of + " of the packs read (restic check --read-data-subset " + index + "/" + of + ")";
    }
  }

  /** A random {@code percent} of the packs, at least one when there are any. */
  record Share(double percent, Random random) implements PackSample {
    @Override
    public Set<ObjectId> choose(List<ObjectId> packs) {
      List<ObjectId> shuffled = new ArrayList<>(packs);
      Collections.shuffle(shuffled, random);
      int n = (int) Math.min(packs.size(), Math.max(packs.isEmpty() ? 0 : 1, Math.ceil(packs.size() * percent / 100 - 1e-9)));
      return new HashSet<>(shuffled.subList(0, n));
    }

    @Override
    public String describe() {
      return "a random " + (percent == Math.rint(percent) ? Long.toString((long) percent) : Double.toString(percent))
          + "% of the packs read";
    }
  }

  /** The packs to read in full among {@code packs}. */
  Set<ObjectId> choose(List<ObjectId> packs);

  /** What was read, for the report. */
  String describe();

  /**
   * Parses {@code 1/N} (today's slice: the day number modulo N picks it) or {@code P%} (random);
   * anything else is an IllegalArgumentException with a message for the user.
   */
  static PackSample parse(String s, LocalDate today, Random random) {
    String t = s.trim();
    try {
      if (t.endsWith("%")) {
        double p = Double.parseDouble(t.substring(0, t.length() - 1));
        if (p > 0 && p <= 100) {
          return p >= 100 ? new All() : new Share(p, random);
        }
      } else if (t.startsWith("1/")) {
        int n = Integer.parseInt(t.substring(2));
        if (n >= 1 && n <= 256) {
          return n == 1 ? new All() : new Slice((int) Math.floorMod(today.toEpochDay(), (long) n) + 1, n);
        }
      }
    } catch (NumberFormatException e) {
      // falls through to the message below
    }
    throw new IllegalArgumentException("'" + s + "' is not a sample of a repository's packs: use 1/N (N from 1 to 256, "
        + "a different slice each day) or P% (random packs)");
  }
}
