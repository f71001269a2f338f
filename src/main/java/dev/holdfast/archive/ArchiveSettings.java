package dev.holdfast.archive;

/**
 * How a job's archives are written.
 *
 * @param compression gzip (default), zstd or none
 * @param level compression level within the compression's range
 * @param threads compressor threads (1 = single-threaded)
 * @param name the archive name template
 * @param encryption OpenPGP encryption of the archive, or null for none
 */
public record ArchiveSettings(
    Compression compression, int level, int threads, ArchiveName name, OpenPgpEncryption encryption) {
  public ArchiveSettings(Compression compression, int level, int threads, ArchiveName name) {
    this(compression, level, threads, name, null);
  }

  public ArchiveSettings withEncryption(OpenPgpEncryption e) {
    return new ArchiveSettings(compression, level, threads, name, e);
  }

  public static ArchiveSettings defaults() {
    return new ArchiveSettings(
        Compression.GZIP,
        Compression.GZIP.defaultLevel(),
        Runtime.getRuntime().availableProcessors(),
        ArchiveName.of(ArchiveName.DEFAULT_TEMPLATE));
  }

  public String extension() {
    return compression.extension() + (encryption == null ? "" : ".gpg");
  }
}
