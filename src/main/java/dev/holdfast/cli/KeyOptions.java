package dev.holdfast.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Keys for reading encrypted backups: a secret key file and/or a passphrase file. */
final class KeyOptions {
  @Option(names = "--identity", paramLabel = "FILE",
      description = "OpenPGP secret key file (armored or binary) for encrypted backups; its passphrase, if any, from --passphrase-file or HOLDFAST_PASSPHRASE.")
  Path identity;

  @Option(names = "--passphrase-file", paramLabel = "FILE",
      description = "File holding the passphrase (of --identity, or of a passphrase-encrypted backup). HOLDFAST_PASSPHRASE also works.")
  Path passphraseFile;
}
