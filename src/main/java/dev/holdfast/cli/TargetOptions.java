package dev.holdfast.cli;

import picocli.CommandLine.Option;

/** Which target to read: a configured job's, or one named directly. */
final class TargetOptions {
  @Option(names = "--from", paramLabel = "TARGET", description = "Target to read (a directory), instead of a job's.")
  String from;

  @Option(names = "--job", paramLabel = "JOB", description = "Use this configured job's target (and its backups only).")
  String job;
}
