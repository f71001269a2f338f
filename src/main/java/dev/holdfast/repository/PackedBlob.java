package dev.holdfast.repository;

/**
 * Where one blob lies inside a pack, as both the pack header and the index state it.
 *
 * @param type data or tree
 * @param id SHA-256 of the blob's uncompressed plaintext
 * @param offset byte offset of the sealed blob in the pack
 * @param length sealed length (IV, ciphertext and MAC)
 * @param uncompressedLength plaintext length for a compressed blob, 0 for an uncompressed one
 */
public record PackedBlob(BlobType type, ObjectId id, long offset, int length, int uncompressedLength) {
  public boolean compressed() {
    return uncompressedLength != 0;
  }

  /** Plaintext length: what {@code loadBlob} returns. */
  public int plaintextLength() {
    return compressed() ? uncompressedLength : length - CryptoKey.OVERHEAD;
  }
}
