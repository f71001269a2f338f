package dev.holdfast.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** Options every command accepts, before or after the verb. */
public final class GlobalOptions {
  @Option(names = "--config", scope = ScopeType.INHERIT, paramLabel = "FILE",
      description = "Config file (default: $HOLDFAST_CONFIG, $XDG_CONFIG_HOME/holdfast/holdfast.yaml, /etc/holdfast/holdfast.yaml).")
  Path config;

  @Option(names = "--json", scope = ScopeType.INHERIT, description = "Print machine-readable JSON.")
  boolean json;

  @Option(names = {"-q", "--quiet"}, scope = ScopeType.INHERIT, description = "Print only warnings and errors.")
  boolean quiet;

  @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT, description = "Print more (repeat for more).")
  boolean[] verbose = new boolean[0];

  @Option(names = "--stacktrace", scope = ScopeType.INHERIT, description = "Print stack traces of errors.")
  boolean stacktrace;

  @Option(names = "-o", scope = ScopeType.INHERIT, paramLabel = "KEY=VALUE",
      description = "Target option, e.g. -o sftp.identity-file=~/.ssh/backup -o s3.endpoint=http://127.0.0.1:9000 (repeatable; see docs/targets.md).")
  java.util.Map<String, String> options = new java.util.LinkedHashMap<>();

  @Option(names = "--limit-upload", scope = ScopeType.INHERIT, paramLabel = "RATE",
      description = "Limit upload bandwidth to remote targets, e.g. 5MiB/s.")
  String limitUpload;

  @Option(names = "--retry-lock", scope = ScopeType.INHERIT, paramLabel = "DURATION",
      description = "When another run holds a conflicting repository lock, retry for this long (e.g. 10m) before exit 11.")
  String retryLock;

  boolean stacktrace() {
    return stacktrace || verbose.length >= 2;
  }
}
