package dev.holdfast.archive;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.api.OpenPGPKey;
import org.bouncycastle.openpgp.api.bc.BcOpenPGPApi;

/**
 * An OpenPGP key made by Bouncy Castle for unit tests that must not depend on gpg, written to a
 * public and a secret key file.
 */
record GeneratedKey(OpenPGPKey key, Path publicKeyFile, Path secretKeyFile) {

  /** An ed25519 primary with a cv25519 encryption subkey, unprotected, like gpg's future-default. */
  static GeneratedKey ed25519(Path dir, String name) throws IOException, PGPException {
    OpenPGPKey key = new BcOpenPGPApi().generateKey(4).ed25519x25519Key(name + " <" + name + "@example.org>").build();
    return write(dir, name, key);
  }

  /** A key that can only sign, so nothing may be encrypted to it. */
  static GeneratedKey signOnly(Path dir, String name) throws IOException, PGPException {
    OpenPGPKey key = new BcOpenPGPApi().generateKey(4).signOnlyKey().addUserId(name + " <" + name + "@example.org>").build();
    return write(dir, name, key);
  }

  private static GeneratedKey write(Path dir, String name, OpenPGPKey key) throws IOException {
    Path pub = dir.resolve(name + ".pub.asc");
    Path sec = dir.resolve(name + ".sec.asc");
    Files.writeString(pub, key.toCertificate().toAsciiArmoredString());
    Files.writeString(sec, key.toAsciiArmoredString());
    return new GeneratedKey(key, pub, sec);
  }
}
