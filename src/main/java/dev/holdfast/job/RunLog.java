package dev.holdfast.job;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The run log, one line per outcome in the format operators' scripts already grep for:
 * {@code [2026-01-02 03:00:01] SUCCESS: daily/2026-01-02_030000-daily.tar.gz stored (120 MB, 35 s)}.
 * Lines go to the console stream and are appended to the log file.
 */
public final class RunLog {
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");
  private final PrintWriter console;
  private final Path file;
  private final Clock clock;
  private final ZoneId zone;
  private final boolean quiet;
  private final long maxSize;
  private final int keep;

  public RunLog(PrintWriter console, Path file, Clock clock, ZoneId zone, boolean quiet) {
    this(console, file, clock, zone, quiet, Long.MAX_VALUE, 0);
  }

  /**
   * @param maxSize the log file is rotated before a line would take it past this many bytes
   * @param keep how many rotated files to keep ({@code holdfast.log.1} is the newest); 0 drops old lines
   */
  public RunLog(PrintWriter console, Path file, Clock clock, ZoneId zone, boolean quiet, long maxSize, int keep) {
    this.maxSize = maxSize;
    this.keep = keep;
    this.console = console;
    this.file = file;
    this.clock = clock;
    this.zone = zone;
    this.quiet = quiet;
  }

  public Path file() {
    return file;
  }

  public synchronized void line(String level, String message) {
    String line = "[" + STAMP.format(clock.instant().atZone(zone)) + "] " + level + ": " + message;
    // -q: only what needs attention (a cron job that prints nothing mails nothing); the file gets every line
    if (!quiet || level.equals("FAILURE") || level.equals("WARNING") || level.equals("PARTIAL")) {
      console.println(line);
      console.flush();
    }
    if (file != null) {
      try {
        Files.createDirectories(file.toAbsolutePath().getParent());
        rotateIfFull(line.getBytes(StandardCharsets.UTF_8).length + 1L);
        Files.writeString(file, line + "\n", StandardCharsets.UTF_8,
            StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
      } catch (IOException e) {
        console.println("warning: cannot append to log file " + file + ": " + e.getMessage());
      }
    }
  }

  /** Shifts holdfast.log to .1, .1 to .2 ... dropping the oldest, when {@code adding} bytes would pass the limit. */
  private void rotateIfFull(long adding) throws IOException {
    long size = Files.exists(file) ? Files.size(file) : 0;
    if (size == 0 || size + adding <= maxSize) {
      return;
    }
    Files.deleteIfExists(rotated(keep));
    for (int i = keep - 1; i >= 1; i--) {
      if (Files.exists(rotated(i))) {
        Files.move(rotated(i), rotated(i + 1), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
    }
    if (keep > 0) {
      Files.move(file, rotated(1), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    } else {
      Files.delete(file);
    }
  }

  private Path rotated(int i) {
    return file.resolveSibling(file.getFileName() + "." + i);
  }

  /** The last {@code n} lines of the log file (for notifications); empty when there is none. */
  public synchronized java.util.List<String> tail(int n) {
    if (file == null || !Files.isRegularFile(file)) {
      return java.util.List.of();
    }
    try (var lines = Files.lines(file, StandardCharsets.UTF_8)) {
      java.util.ArrayDeque<String> last = new java.util.ArrayDeque<>(n);
      lines.forEach(l -> {
        if (last.size() == n) {
          last.removeFirst();
        }
        last.addLast(l);
      });
      return java.util.List.copyOf(last);
    } catch (IOException | java.io.UncheckedIOException e) {
      return java.util.List.of("(cannot read " + file + ": " + e.getMessage() + ")");
    }
  }

  /** "120 MB", "3.4 GB", "512 B" (decimal units, as the seeds' logs show). */
  public static String human(long bytes) {
    if (bytes < 1000) {
      return bytes + " B";
    }
    String[] units = {"kB", "MB", "GB", "TB", "PB"};
    double v = bytes;
    int i = -1;
    while (v >= 1000 && i < units.length - 1) {
      v /= 1000;
      i++;
    }
    return (v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v)) + " " + units[i];
  }

  /** A duration as the config writes it: 25h, 7d, 90s (the largest unit that divides it). */
  public static String duration(java.time.Duration d) {
    long s = d.toSeconds();
    if (s != 0 && s % 86400 == 0) {
      return s / 86400 + "d";
    } else if (s != 0 && s % 3600 == 0) {
      return s / 3600 + "h";
    } else if (s != 0 && s % 60 == 0) {
      return s / 60 + "m";
    }
    return s + "s";
  }

  public static String seconds(long millis) {
    return millis < 10_000 ? String.format(Locale.ROOT, "%.1f s", millis / 1000.0) : (millis / 1000) + " s";
  }
}
