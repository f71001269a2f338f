package dev.holdfast.backend;

import dev.holdfast.error.HoldfastException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.UUID;

/**
 * Checks that a target works before a backup depends on it: it can be listed (reachable,
 * authenticated), written, read back and cleaned up, and how much space is free.
 */
public final class TargetProbe {
  /** One check and its outcome; {@code detail} says why it failed or what was found. */
  public record Check(String name, boolean ok, String detail) {}

  private TargetProbe() {}

  public static List<Check> run(Backend backend) {
    List<Check> checks = new ArrayList<>();
    try (var s = backend.list(".holdfast-probe")) {
      s.count();
      checks.add(new Check("reachable", true, backend.location()));
    } catch (java.nio.file.NoSuchFileException e) {
      checks.add(new Check("reachable", true, backend.location() + " (does not exist yet; created on first write)"));
    } catch (Exception e) {
      checks.add(new Check("reachable", false, message(e)));
      return checks;
    }
    String key = ".holdfast-probe-" + UUID.randomUUID();
    byte[] probe = ("holdfast probe " + key).getBytes(StandardCharsets.UTF_8);
    try {
      backend.put(key, probe);
      checks.add(new Check("writable", true, "wrote " + probe.length + " bytes"));
    } catch (Exception e) {
      checks.add(new Check("writable", false, message(e)));
      return checks;
    }
    try {
      byte[] back = backend.readAll(key);
      boolean same = java.util.Arrays.equals(back, probe);
      checks.add(new Check("read back", same, same ? "content matches" : "content differs from what was written"));
    } catch (Exception e) {
      checks.add(new Check("read back", false, message(e)));
    }
    try {
      backend.delete(key);
      checks.add(new Check("delete", backend.stat(key).isEmpty(), "probe removed"));
    } catch (Exception e) {
      checks.add(new Check("delete", false, message(e)));
    }
    OptionalLong free = backend.freeSpace();
    checks.add(new Check("free space", true, free.isPresent() ? free.getAsLong() + " bytes" : "unknown for this kind of target"));
    return checks;
  }

  private static String message(Exception e) {
    if (e instanceof HoldfastException he) {
      return he.getMessage();
    }
    return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
  }
}
