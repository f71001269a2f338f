package dev.holdfast.repository;

import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;

/**
 * The encryption of a file that is not a pack: index, snapshot and lock files (design.rst
 * "Compression": in version 2 the plaintext is {@code 0x02 || zstd frame}, and a plaintext that
 * starts with '{' or '[' is uncompressed JSON); the config file is never compressed.
 */
final class UnpackedFile {
  /**
   * restic starts a new index file at 150 000 blobs (about 30 MB of JSON), so this bound only
   * stops damaged or hostile files from exhausting memory.
   */
  static final int MAX_PLAINTEXT = 128 << 20;

  private UnpackedFile() {}

  static byte[] seal(CryptoKey key, byte[] json, int repoVersion) {
    if (repoVersion < 2) {
      return key.seal(json);
    }
    byte[] z = ZstdFrames.compress(json, 0, json.length);
    byte[] plain = new byte[z.length + 1];
    plain[0] = 2;
    System.arraycopy(z, 0, plain, 1, z.length);
    return key.seal(plain);
  }

  static byte[] open(CryptoKey key, byte[] sealed, int repoVersion, String what) {
    byte[] plain;
    try {
      plain = key.open(sealed);
    } catch (CryptoKey.CiphertextException e) {
      throw new HoldfastException(ExitCode.DAMAGED, what + " is damaged: " + e.getMessage());
    }
    if (repoVersion < 2 || plain.length == 0 || plain[0] == '{' || plain[0] == '[') {
      return plain;
    }
    if (plain[0] != 2) {
      throw GoJson.damaged(what, "unknown format version " + (plain[0] & 0xff));
    }
    byte[] json = ZstdFrames.decompressBounded(plain, 1, plain.length - 1, MAX_PLAINTEXT);
    if (json == null) {
      throw GoJson.damaged(what, "invalid zstd data");
    }
    return json;
  }
}
