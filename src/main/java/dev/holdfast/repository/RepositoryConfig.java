package dev.holdfast.repository;

import com.fasterxml.jackson.databind.JsonNode;
import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The repository's {@code config} file (design.rst "Repository Format"): format version, random
 * repository id, and the chunker polynomial every writer must use for deduplication to work.
 *
 * @param version 1 or 2; only 2 has compression
 * @param id 64 hex digits
 * @param chunkerPolynomial an irreducible polynomial of degree 53 over GF(2)
 */
public record RepositoryConfig(int version, String id, long chunkerPolynomial) {

  public RepositoryConfig {
    if (version != 1 && version != 2) {
      throw new HoldfastException(
          ExitCode.DAMAGED, "unsupported repository version " + version + " (this program reads 1 and 2)");
    }
    if (!ObjectId.isHex(id)) {
      throw new HoldfastException(ExitCode.DAMAGED, "config is damaged: invalid repository id");
    }
    var pol = new Polynomial(chunkerPolynomial);
    // restic refuses the repository otherwise ("invalid chunker polynomial")
    if (pol.degree() != Polynomial.CHUNKER_DEGREE || !pol.isIrreducible()) {
      throw new HoldfastException(
          ExitCode.DAMAGED, "invalid chunker polynomial " + pol + ": not irreducible of degree 53");
    }
  }

  public static RepositoryConfig create(long chunkerPolynomial) {
    byte[] id = new byte[32];
    new SecureRandom().nextBytes(id);
    return new RepositoryConfig(2, HexFormat.of().formatHex(id), chunkerPolynomial);
  }

  byte[] toJson() {
    return new GoJson()
        .beginObject()
        .name("version").value(version)
        .name("id").value(id)
        .name("chunker_polynomial").value(new Polynomial(chunkerPolynomial).toHex())
        .endObject()
        .toBytes();
  }

  static RepositoryConfig parse(byte[] json) {
    String what = "config";
    JsonNode root = GoJson.object(GoJson.parse(json, what), what);
    int version = (int) GoJson.number(root, "version", 0, Integer.MAX_VALUE, what);
    long p;
    try {
      p = Polynomial.parseHex(GoJson.text(root, "chunker_polynomial", what)).value();
    } catch (IllegalArgumentException e) {
      throw GoJson.damaged(what, "invalid chunker polynomial");
    }
    return new RepositoryConfig(version, GoJson.text(root, "id", what), p);
  }
}
