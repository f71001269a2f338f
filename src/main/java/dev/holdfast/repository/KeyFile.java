package dev.holdfast.repository;

import com.fasterxml.jackson.databind.JsonNode;
import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.OffsetDateTime;
import java.util.Base64;
import java.util.Optional;

/**
 * A {@code keys/<id>} file: plain JSON holding scrypt parameters, a salt, and the master key sealed
 * with the key the password derives (design.rst "Keys, Encryption and MAC").
 *
 * @param created when the key was added
 * @param username who added it
 * @param hostname where it was added
 * @param kdf the scrypt cost
 * @param salt 64 random bytes
 * @param data {@code IV || sealed master key JSON || MAC}
 */
public record KeyFile(
    OffsetDateTime created, String username, String hostname, KdfParams kdf, byte[] salt, byte[] data) {

  /** Key files are a few hundred bytes; anything much larger is not one. */
  static final int MAX_SIZE = 64 * 1024;

  private static final int SALT_LENGTH = 64;
  private static final SecureRandom RANDOM = new SecureRandom();

  /** Wraps {@code master} for {@code password} with a fresh salt. */
  public static KeyFile create(
      CryptoKey master, String password, KdfParams kdf, String username, String hostname, OffsetDateTime created) {
    byte[] salt = new byte[SALT_LENGTH];
    RANDOM.nextBytes(salt);
    CryptoKey user = derive(password, salt, kdf);
    return new KeyFile(created, username, hostname, kdf, salt, user.seal(masterJson(master)));
  }

  /**
   * Unwraps the master key. A MAC failure means the password does not belong to this key file:
   * exit 12, as restic's "wrong password or no key found".
   */
  public CryptoKey unlock(String password, String keyName) {
    return tryUnlock(password, keyName)
        .orElseThrow(() -> new HoldfastException(ExitCode.WRONG_KEY, "wrong password for key " + keyName));
  }

  /** The master key, or empty when the password does not belong to this key file. */
  public Optional<CryptoKey> tryUnlock(String password, String keyName) {
    CryptoKey user = derive(password, salt, kdf);
    byte[] json;
    try {
      json = user.open(data);
    } catch (CryptoKey.CiphertextException e) {
      return Optional.empty();
    }
    String what = "master key in key file " + keyName;
    try {
      JsonNode root = GoJson.object(GoJson.parse(json, what), what);
      JsonNode mac = GoJson.object(root.get("mac"), what);
      return Optional.of(new CryptoKey(
          GoJson.base64(root, "encrypt", what), GoJson.base64(mac, "k", what), GoJson.base64(mac, "r", what)));
    } catch (HoldfastException e) {
      throw new HoldfastException(ExitCode.WRONG_KEY, e.getMessage());
    }
  }

  static CryptoKey derive(String password, byte[] salt, KdfParams kdf) {
    // Our own scrypt rather than Bouncy Castle's: theirs is slower on a cold JVM, and loading it
    // makes the JVM verify the signature of the whole signed bcprov jar (issue 9, re-run speed).
    byte[] dk = Scrypt.derive(password.getBytes(StandardCharsets.UTF_8), salt, kdf.n(), kdf.r(), kdf.p(), 64);
    return CryptoKey.fromDerived(dk);
  }

  static byte[] masterJson(CryptoKey master) {
    var b64 = Base64.getEncoder();
    return new GoJson()
        .beginObject()
        .name("mac")
        .beginObject()
        .name("k").value(b64.encodeToString(master.macK()))
        .name("r").value(b64.encodeToString(master.macR()))
        .endObject()
        .name("encrypt").value(b64.encodeToString(master.encryptKey()))
        .endObject()
        .toBytes();
  }

  /** The JSON restic writes (Go struct order: created, username, hostname, kdf, N, r, p, salt, data). */
  public byte[] toJson() {
    var b64 = Base64.getEncoder();
    return new GoJson()
        .beginObject()
        .name("created").value(GoJson.time(created))
        .name("username").value(username)
        .name("hostname").value(hostname)
        .name("kdf").value("scrypt")
        .name("N").value(kdf.n())
        .name("r").value(kdf.r())
        .name("p").value(kdf.p())
        .name("salt").value(b64.encodeToString(salt))
        .name("data").value(b64.encodeToString(data))
        .endObject()
        .toBytes();
  }

  /** Parses a key file; every problem is exit 12 (a key we cannot use). */
  public static KeyFile parse(byte[] json, String keyName) {
    String what = "key file " + keyName;
    try {
      if (json.length > MAX_SIZE) {
        throw GoJson.damaged(what, "too large (" + json.length + " bytes)");
      }
      JsonNode root = GoJson.object(GoJson.parse(json, what), what);
      String kdfName = GoJson.text(root, "kdf", what);
      if (!kdfName.equals("scrypt")) {
        throw GoJson.damaged(what, "unknown KDF " + GoJson.printable(kdfName));
      }
      var kdf =
          new KdfParams(
              (int) GoJson.number(root, "N", 2, 1 << 30, what),
              (int) GoJson.number(root, "r", 1, 1 << 20, what),
              (int) GoJson.number(root, "p", 1, 1 << 20, what));
      byte[] salt = GoJson.base64(root, "salt", what);
      if (salt.length != SALT_LENGTH) {
        throw GoJson.damaged(what, "salt has " + salt.length + " bytes, not 64");
      }
      byte[] data = GoJson.base64(root, "data", what);
      if (data.length < CryptoKey.OVERHEAD) {
        throw GoJson.damaged(what, "sealed master key too short");
      }
      String created = GoJson.optText(root, "created", what);
      return new KeyFile(
          created == null ? null : GoJson.parseTime(created, what),
          GoJson.optText(root, "username", what),
          GoJson.optText(root, "hostname", what),
          kdf,
          salt,
          data);
    } catch (HoldfastException e) {
      throw new HoldfastException(ExitCode.WRONG_KEY, e.getMessage());
    }
  }
}
