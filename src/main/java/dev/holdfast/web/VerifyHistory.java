package dev.holdfast.web;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The verifies and restore tests asked for on the dashboard, kept across restarts: one JSON line
 * per result in {@code <state>/web-verifications.jsonl}, trimmed to the newest {@value #KEEP}.
 */
final class VerifyHistory {
  static final int KEEP = 500;
  private final Path file;

  VerifyHistory(Path stateDir) {
    this.file = stateDir.resolve("web-verifications.jsonl");
  }

  synchronized void add(LiveOps.View v) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Files.writeString(file, Dashboard.JSON.writeValueAsString(v) + "\n", StandardCharsets.UTF_8,
          StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      if (lines.size() > 2 * KEEP) {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(tmp, lines.subList(lines.size() - KEEP, lines.size()), StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("cannot record a verify result in " + file + ": " + e.getMessage(), e);
    }
  }

  /** The job's results, newest first, at most {@code limit}. */
  synchronized List<JsonNode> of(String job, int limit) {
    List<JsonNode> out = new ArrayList<>();
    if (!Files.isRegularFile(file)) {
      return out;
    }
    try {
      List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      for (int i = lines.size() - 1; i >= 0 && out.size() < limit; i--) {
        try {
          JsonNode n = Dashboard.JSON.readTree(lines.get(i));
          if (n != null && job.equals(n.path("job").asText())) {
            out.add(n);
          }
        } catch (com.fasterxml.jackson.core.JacksonException torn) {
          // a line cut short by a crash: skip it
        }
      }
      return out;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }
}
