package dev.holdfast.archive;

/** The running tool's version, as recorded in manifests. */
public final class Version {
  private Version() {}

  public static String current() {
    String v = Version.class.getPackage().getImplementationVersion();
    return "holdfast " + (v == null ? "dev" : v);
  }
}
