package dev.holdfast.archive;

import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import org.bouncycastle.openpgp.api.OpenPGPCertificate;
import org.bouncycastle.openpgp.api.OpenPGPKeyReader;

/**
 * The OpenPGP certificates or secret keys in one file, armored or binary, as {@code gpg --export}
 * or {@code gpg --export-secret-keys} writes them.
 *
 * @param path where the keys were read from, for messages
 * @param certificates every key in the file, in file order; never empty
 */
record KeyFile(Path path, List<OpenPGPCertificate> certificates) {
  // Key files are a few KiB; the cap keeps a mistyped path (an archive, a disk image) from filling the heap.
  private static final int MAX_BYTES = 16 << 20;

  KeyFile {
    certificates = List.copyOf(certificates);
  }

  /** Reads every key block in the file; several concatenated armored blocks are all read. */
  static KeyFile read(Path path, String exportHint) {
    byte[] bytes;
    try (InputStream in = Files.newInputStream(path)) {
      bytes = in.readNBytes(MAX_BYTES + 1);
    } catch (NoSuchFileException e) {
      throw new HoldfastException(ExitCode.USAGE, "key file " + path + " does not exist", exportHint, e);
    } catch (IOException e) {
      throw new HoldfastException(ExitCode.USAGE,
          "cannot read key file " + path + ": " + describe(e), exportHint, e);
    }
    if (bytes.length > MAX_BYTES) {
      throw new HoldfastException(ExitCode.USAGE,
          "key file " + path + " is larger than 16 MiB, so it is not an OpenPGP key file", exportHint);
    }
    List<OpenPGPCertificate> certificates;
    try {
      certificates = new OpenPGPKeyReader().parseKeysOrCertificates(bytes);
    } catch (IOException | RuntimeException e) {
      // BC reports malformed keys with assorted runtime exceptions as well as IOExceptions.
      throw new HoldfastException(ExitCode.USAGE,
          "key file " + path + " is not a readable OpenPGP key: " + describe(e), exportHint, e);
    }
    if (certificates.isEmpty()) {
      throw new HoldfastException(ExitCode.USAGE,
          "key file " + path + " holds no OpenPGP key", exportHint);
    }
    return new KeyFile(path, certificates);
  }

  /** The fingerprint in gpg's spelling: upper-case hex without spaces. */
  static String fingerprint(byte[] fingerprint) {
    return HexFormat.of().withUpperCase().formatHex(fingerprint);
  }

  /** A 64-bit key ID in gpg's {@code --keyid-format long} spelling. */
  static String keyId(long keyId) {
    return String.format("%016X", keyId);
  }

  private static String describe(Exception e) {
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }
}
