package dev.holdfast.web;

/** What a dashboard user may do: an admin everything, a read-only user look (never download, run or restore). */
public enum Role {
  ADMIN,
  READ_ONLY;

  public static Role parse(String s) {
    return switch (s) {
      case "admin" -> ADMIN;
      case "read-only" -> READ_ONLY;
      default -> throw new IllegalArgumentException("unknown role '" + s + "' (admin, read-only)");
    };
  }

  public String configName() {
    return this == ADMIN ? "admin" : "read-only";
  }
}
