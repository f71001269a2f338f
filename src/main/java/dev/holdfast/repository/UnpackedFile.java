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
    // Compressed straight after the IV and the version byte, then sealed in place: an index file
    // of 150,000 blobs is about 20 MB of JSON, and JSON compresses several times, so the buffer
    // starts at half the input (the full bound only for data that compresses worse).
    int bound = (int) com.github.luben.zstd.Zstd.compressBound(json.length);
    int head = CryptoKey.IV + 1;
    byte[] buf = new byte[head + Math.min(bound, json.length / 2 + 65536) + CryptoKey.OVERHEAD];
    int z;
    try {
      z = ZstdFrames.compress(json, 0, json.length, buf, head, buf.length - head - CryptoKey.OVERHEAD);
    } catch (com.github.luben.zstd.ZstdException e) {
      buf = new byte[head + bound + CryptoKey.OVERHEAD];
      z = ZstdFrames.compress(json, 0, json.length, buf, head, bound);
    }
    buf[CryptoKey.IV] = 2;
    int sealed = key.sealInto(buf, CryptoKey.IV, z + 1, buf, 0);
    return java.util.Arrays.copyOf(buf, sealed);
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

  /**
   * The JSON of a sealed file held in {@code buf[0, len)}, decrypted in place and decompressed as
   * it is read: loading an index file of 150,000 blobs then holds its ciphertext only, not also its
   * plaintext and its 30 MB of JSON. The caller closes the stream.
   */
  static java.io.InputStream openStream(CryptoKey key, byte[] buf, int len, int repoVersion, String what) {
    int n;
    try {
      n = key.openInPlace(buf, 0, len);
    } catch (CryptoKey.CiphertextException e) {
      throw new HoldfastException(ExitCode.DAMAGED, what + " is damaged: " + e.getMessage());
    }
    int start = CryptoKey.IV;
    if (repoVersion < 2 || n == 0 || buf[start] == '{' || buf[start] == '[') {
      return new java.io.ByteArrayInputStream(buf, start, n);
    }
    if (buf[start] != 2) {
      throw GoJson.damaged(what, "unknown format version " + (buf[start] & 0xff));
    }
    try {
      return new com.github.luben.zstd.ZstdInputStream(new java.io.ByteArrayInputStream(buf, start + 1, n - 1));
    } catch (java.io.IOException e) {
      throw GoJson.damaged(what, "invalid zstd data");
    }
  }
}
