package dev.holdfast.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The password of a repository target; never on the command line itself. */
final class RepositoryOptions {
  @Option(names = "--password-file", paramLabel = "FILE",
      description = "File holding the repository password (first line). Else $HOLDFAST_PASSWORD, $RESTIC_PASSWORD, "
          + "$RESTIC_PASSWORD_FILE.")
  Path passwordFile;
}
