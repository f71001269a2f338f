package dev.holdfast.archive;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The archive name template, e.g. {@code {job}/{yyyy-MM-dd_HHmmss}-{job}.tar.gz}: {@code {job}} and
 * {@code {host}} are replaced by the job and host names; any other {@code {...}} is a date-time
 * pattern ({@link DateTimeFormatter}) applied to the run's start time in the configured zone. The
 * extension is appended when the template has none.
 */
public final class ArchiveName {
  /** No extension: {@link #render} appends the one of the job's compression. */
  public static final String DEFAULT_TEMPLATE = "{job}/{yyyy-MM-dd_HHmmss}-{job}";
  private static final Pattern PLACEHOLDER = Pattern.compile("\\{([^{}]+)}");
  private static final List<String> ARCHIVE_EXTENSIONS =
      List.of(".tar.gz.gpg", ".tar.zst.gpg", ".tar.gpg", ".tar.gz", ".tgz", ".tar.zst", ".tzst", ".tar");

  private final String template;

  private ArchiveName(String template) {
    this.template = template;
  }

  /** Parses a template; returns the problems found (empty when valid). */
  public static List<String> problems(String template, Compression compression) {
    List<String> problems = new ArrayList<>();
    if (template.isBlank()) {
      problems.add("must not be empty");
      return problems;
    }
    if (template.startsWith("/") || template.contains("..") || template.contains("//")) {
      problems.add("must be a relative name without '..' or empty components");
    }
    Matcher m = PLACEHOLDER.matcher(template);
    boolean hasTime = false;
    while (m.find()) {
      String p = m.group(1);
      if (p.equals("job") || p.equals("host")) {
        continue;
      }
      try {
        DateTimeFormatter.ofPattern(p);
        hasTime = true;
      } catch (IllegalArgumentException e) {
        problems.add("'{" + p + "}' is neither {job}, {host} nor a date-time pattern: " + e.getMessage());
      }
    }
    if (!hasTime) {
      problems.add("needs a date-time placeholder such as {yyyy-MM-dd_HHmmss} so runs get distinct names");
    }
    String ext = extensionOf(template);
    String plain = ext != null && ext.endsWith(".gpg") ? ext.substring(0, ext.length() - ".gpg".length()) : ext;
    if (ext != null && compression != null && !plain.equals(compression.extension())
        && !(ext.equals(".tgz") && compression == Compression.GZIP)
        && !(ext.equals(".tzst") && compression == Compression.ZSTD)) {
      problems.add("ends in '" + ext + "' but compression is " + compression.configName()
          + " (use '" + compression.extension() + "' or leave the extension out)");
    }
    return problems;
  }

  public static ArchiveName of(String template) {
    return new ArchiveName(template);
  }

  public String template() {
    return template;
  }

  /** The object key for a run of {@code job} on {@code host} started at {@code time}. */
  public String render(String job, String host, ZonedDateTime time, String extension) {
    Matcher m = PLACEHOLDER.matcher(template);
    StringBuilder sb = new StringBuilder();
    while (m.find()) {
      String p = m.group(1);
      String value =
          switch (p) {
            case "job" -> job;
            case "host" -> host;
            default -> DateTimeFormatter.ofPattern(p).format(time);
          };
      m.appendReplacement(sb, Matcher.quoteReplacement(value));
    }
    m.appendTail(sb);
    String name = sb.toString();
    String ext = extensionOf(name);
    if (ext == null) {
      return name + extension;
    }
    // the template's extension names the compression; encryption adds its own suffix
    return extension.endsWith(".gpg") && !ext.endsWith(".gpg") ? name + ".gpg" : name;
  }

  /** The archive extension a name ends with, or null. */
  public static String extensionOf(String name) {
    for (String ext : ARCHIVE_EXTENSIONS) {
      if (name.endsWith(ext)) {
        return ext;
      }
    }
    return null;
  }

  public static boolean isArchive(String key) {
    return extensionOf(key) != null;
  }

  private static final Pattern STAMP =
      Pattern.compile("(\\d{4})-?(\\d{2})-?(\\d{2})(?:[_T -]?(\\d{2}):?(\\d{2})(?::?(\\d{2}))?)?");

  /** The date-time a name carries ("2025-06-12_0200-backup.tar.gz"), read in {@code zone}. */
  public static Optional<Instant> timeIn(String key, ZoneId zone) {
    String base = key.substring(key.lastIndexOf('/') + 1);
    Matcher m = STAMP.matcher(base);
    while (m.find()) {
      try {
        int y = Integer.parseInt(m.group(1));
        int mo = Integer.parseInt(m.group(2));
        int d = Integer.parseInt(m.group(3));
        if (y < 1970 || y > 2999) {
          continue;
        }
        LocalDate date = LocalDate.of(y, mo, d);
        int h = m.group(4) == null ? 0 : Integer.parseInt(m.group(4));
        int mi = m.group(5) == null ? 0 : Integer.parseInt(m.group(5));
        int s = m.group(6) == null ? 0 : Integer.parseInt(m.group(6));
        if (h > 23 || mi > 59 || s > 59) {
          h = 0;
          mi = 0;
          s = 0;
        }
        return Optional.of(LocalDateTime.of(date, java.time.LocalTime.of(h, mi, s)).atZone(zone).toInstant());
      } catch (java.time.DateTimeException | NumberFormatException e) {
        // not a date after all; keep looking
      }
    }
    return Optional.empty();
  }
}
