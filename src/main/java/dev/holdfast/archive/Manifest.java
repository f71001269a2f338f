package dev.holdfast.archive;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.time.Instant;
import java.util.List;

/**
 * The JSON sidecar {@code <archive>.manifest.json}, written last: job, host, times, tool version,
 * the archive's size and SHA-256, and every entry with its size and SHA-256. Its presence marks an
 * archive as complete and written by Holdfast.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Manifest(
    String format,
    int version,
    String job,
    String host,
    Instant started,
    Instant finished,
    String toolVersion,
    ArchiveInfo archive,
    Totals totals,
    List<ManifestEntry> entries,
    Boolean entriesEncrypted) {

  public static final String FORMAT = "holdfast-archive";
  public static final String SUFFIX = ".manifest.json";
  /**
   * Encrypted archives keep their entry list (file names) in this encrypted sidecar instead of the
   * plain manifest, so the manifest leaks no names.
   */
  public static final String ENTRIES_SUFFIX = ".entries.json.gpg";

  public boolean hasEncryptedEntries() {
    return Boolean.TRUE.equals(entriesEncrypted);
  }

  /** The same manifest with the entry list given. */
  public Manifest withEntries(List<ManifestEntry> list) {
    return new Manifest(format, version, job, host, started, finished, toolVersion, archive, totals, list, entriesEncrypted);
  }

  static byte[] entriesJson(List<ManifestEntry> entries) {
    return ManifestJson.entryList(entries);
  }

  static List<ManifestEntry> parseEntries(byte[] json) throws IOException {
    return Reader.JSON.readValue(json, Reader.JSON.getTypeFactory().constructCollectionType(List.class, ManifestEntry.class));
  }

  @JsonIgnoreProperties(ignoreUnknown = true)
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record ArchiveInfo(String name, long size, String sha256, String compression, boolean encrypted) {}

  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Totals(long files, long directories, long links, long bytes, long warnings) {}

  /** One archive entry; {@code sha256} only for regular files, {@code link} for links. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record ManifestEntry(String path, String type, long size, String sha256, String mode, Instant mtime, String link) {}

  /** Jackson, for reading manifests; in a holder so that a backup, which only writes one, never builds it. */
  static final class Reader {
    static final ObjectMapper JSON =
        new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private Reader() {}
  }

  /** The sidecar's bytes (see {@link ManifestJson}: Jackson's pretty-printed form, written without it). */
  public byte[] toJson() {
    return ManifestJson.manifest(this);
  }

  public static Manifest parse(byte[] json) throws IOException {
    Manifest m = Reader.JSON.readValue(json, Manifest.class);
    if (!FORMAT.equals(m.format())) {
      throw new IOException("not a Holdfast manifest (format '" + m.format() + "')");
    }
    return m;
  }
}
