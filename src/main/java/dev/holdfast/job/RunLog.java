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

  public RunLog(PrintWriter console, Path file, Clock clock, ZoneId zone, boolean quiet) {
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
    if (!quiet || !level.equals("INFO")) {
      console.println(line);
      console.flush();
    }
    if (file != null) {
      try {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, line + "\n", StandardCharsets.UTF_8,
            StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
      } catch (IOException e) {
        console.println("warning: cannot append to log file " + file + ": " + e.getMessage());
      }
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

  public static String seconds(long millis) {
    return millis < 10_000 ? String.format(Locale.ROOT, "%.1f s", millis / 1000.0) : (millis / 1000) + " s";
  }
}
