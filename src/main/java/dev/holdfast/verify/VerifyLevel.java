package dev.holdfast.verify;

import java.util.Locale;

/** How deep a verification goes. */
public enum VerifyLevel {
  /** Objects and sidecars present; stored size and recorded checksums agree. Reads no archive data. */
  QUICK,
  /** Also downloads and reads the whole archive: object checksum, every entry against the manifest. */
  FULL,
  /** Also restores into a scratch directory and checks every restored file on disk. */
  RESTORE_TEST;

  public static VerifyLevel parse(String s) {
    return switch (s.toLowerCase(Locale.ROOT).replace('_', '-')) {
      case "quick" -> QUICK;
      case "full" -> FULL;
      case "restore-test" -> RESTORE_TEST;
      default -> throw new IllegalArgumentException("unknown verify level '" + s + "' (quick, full, restore-test)");
    };
  }

  public String configName() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }
}
