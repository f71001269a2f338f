package dev.holdfast.archive;

import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipException;
import org.bouncycastle.bcpg.KeyIdentifier;
import org.bouncycastle.bcpg.SecretKeyPacket;
import org.bouncycastle.bcpg.SymmetricKeyAlgorithmTags;
import org.bouncycastle.openpgp.PGPCompressedData;
import org.bouncycastle.openpgp.PGPEncryptedData;
import org.bouncycastle.openpgp.PGPEncryptedDataList;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPLiteralData;
import org.bouncycastle.openpgp.PGPMarker;
import org.bouncycastle.openpgp.PGPObjectFactory;
import org.bouncycastle.openpgp.PGPOnePassSignatureList;
import org.bouncycastle.openpgp.PGPPBEEncryptedData;
import org.bouncycastle.openpgp.PGPKeyPair;
import org.bouncycastle.openpgp.PGPPublicKeyEncryptedData;
import org.bouncycastle.openpgp.PGPSecretKey;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.bouncycastle.openpgp.PGPSessionKey;
import org.bouncycastle.openpgp.PGPSignatureList;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.api.OpenPGPCertificate;
import org.bouncycastle.openpgp.api.OpenPGPKey;
import org.bouncycastle.openpgp.operator.SessionKeyDataDecryptorFactory;
import org.bouncycastle.openpgp.operator.bc.BcKeyFingerprintCalculator;
import org.bouncycastle.openpgp.operator.bc.BcPBEDataDecryptorFactory;
import org.bouncycastle.openpgp.operator.bc.BcPBESecretKeyDecryptorBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPublicKeyDataDecryptorFactory;
import org.bouncycastle.openpgp.operator.bc.BcSessionKeyDataDecryptorFactory;
import org.bouncycastle.openpgp.operator.jcajce.JceSessionKeyDataDecryptorFactoryBuilder;

/**
 * Decrypts OpenPGP archives, ours or stock gpg's ({@code gpg --encrypt}, {@code gpg --symmetric},
 * compressed or not, armored or binary), with a secret key file, a passphrase, or both.
 *
 * <p>Integrity is only known at the end: the plaintext streams out as it is decrypted, and the
 * modification detection code (RFC 4880 §5.13-5.14) is checked when the returned stream reaches its
 * end. Until {@code read} has returned -1 the bytes must be treated as untrusted; a restore stages
 * them and commits only after the end was reached without an exception.
 */
public final class OpenPgpDecryption {
  private static final int BUFFER = 1 << 16;
  private static final String NOT_ENCRYPTED_HINT =
      "check that this is the encrypted archive (gpg --list-packets shows what a file holds); "
          + "otherwise restore from another copy of this backup";
  private static final String DAMAGED_HINT =
      "do not trust what was already read from it; restore from another copy of this backup";

  private final Path secretKeyFile;
  private final List<PGPSecretKeyRing> secretKeys;
  private final char[] keyPassphrase;
  private final char[] messagePassphrase;

  private OpenPgpDecryption(
      Path secretKeyFile, List<PGPSecretKeyRing> secretKeys, char[] keyPassphrase,
      char[] messagePassphrase) {
    this.secretKeyFile = secretKeyFile;
    this.secretKeys = secretKeys;
    this.keyPassphrase = keyPassphrase == null ? null : keyPassphrase.clone();
    this.messagePassphrase = messagePassphrase == null ? null : messagePassphrase.clone();
  }

  /** Decrypts archives encrypted to a key in the file; {@code keyPassphrase} is null for an unprotected key. */
  public static OpenPgpDecryption withSecretKey(Path secretKeyFile, char[] keyPassphrase) {
    return create(secretKeyFile, keyPassphrase, null);
  }

  /** Decrypts archives encrypted with a passphrase ({@code gpg --symmetric} or ours). */
  public static OpenPgpDecryption withPassphrase(char[] passphrase) {
    return create(null, null, passphrase);
  }

  /**
   * Decrypts with whichever of the secret key and the archive passphrase the archive allows. The
   * key file is read now, the key unlocked only when an archive needs it. The passphrases are
   * copied; the caller may wipe its arrays.
   *
   * @param secretKeyFile as {@code gpg --export-secret-keys [--armor]} writes it, or null
   * @param keyPassphrase the secret key's passphrase, or null when it has none
   * @param messagePassphrase the archive passphrase, or null
   * @throws HoldfastException (USAGE) when the key file is unreadable, holds no secret key, or
   *     neither a key nor a passphrase is given
   */
  public static OpenPgpDecryption create(Path secretKeyFile, char[] keyPassphrase, char[] messagePassphrase) {
    List<PGPSecretKeyRing> rings = new ArrayList<>();
    if (secretKeyFile != null) {
      String hint = "export the secret key where it lives: gpg --export-secret-keys --armor KEYID > secret.asc";
      for (OpenPGPCertificate certificate : KeyFile.read(secretKeyFile, hint).certificates()) {
        if (certificate instanceof OpenPGPKey key) {
          rings.add(key.getPGPSecretKeyRing());
        }
      }
      if (rings.isEmpty()) {
        throw HoldfastException.usage(
            "key file " + secretKeyFile + " holds only public keys; decrypting needs the secret key", hint);
      }
    } else if (messagePassphrase == null) {
      throw HoldfastException.usage("decrypting an archive needs a secret key file or a passphrase");
    }
    return new OpenPgpDecryption(secretKeyFile, List.copyOf(rings), keyPassphrase, messagePassphrase);
  }

  /**
   * Reads the message header from {@code in} and returns the plaintext as a stream. {@code in} is
   * not closed, neither here nor by closing the returned stream: its opener closes it.
   *
   * <p>The returned stream throws {@link HoldfastException} ({@link ExitCode#DAMAGED}) when the
   * data turns out modified, truncated or corrupt, at the latest when it reaches its end; I/O
   * failures of {@code in} itself come out unchanged as {@link IOException}s. A reader that stops
   * early must drain it (e.g. {@code transferTo(OutputStream.nullOutputStream())}) to get the check.
   *
   * @throws HoldfastException {@link ExitCode#WRONG_KEY} when neither the key nor the passphrase
   *     opens the archive; {@link ExitCode#DAMAGED} when it is not an OpenPGP encrypted message
   * @throws IOException when reading {@code in} fails
   */
  public InputStream decrypt(InputStream in) throws IOException {
    var source = new SourceStream(in);
    PGPObjectFactory packets;
    PGPEncryptedDataList methods;
    try {
      // Detects ASCII armor by itself, so gpg --armor output needs no flag.
      InputStream decoded = PGPUtil.getDecoderStream(new BufferedInputStream(source, BUFFER));
      packets = new PGPObjectFactory(decoded, new BcKeyFingerprintCalculator());
      Object first = packets.nextObject();
      while (first instanceof PGPMarker) {
        first = packets.nextObject();
      }
      if (!(first instanceof PGPEncryptedDataList list)) {
        throw notEncrypted("it is not an OpenPGP encrypted message", null);
      }
      methods = list;
    } catch (IOException | RuntimeException e) {
      if (e instanceof HoldfastException h) {
        throw h;
      }
      source.rethrowFailure();
      throw notEncrypted("it is not a readable OpenPGP encrypted message", e);
    }
    Opening opening = open(methods);
    PGPEncryptedData data = opening.method();
    if (!data.isIntegrityProtected() && !data.isAEAD()) {
      // gpg 2.2 refuses these too: without an MDC, modified ciphertext decrypts to silent garbage.
      throw new HoldfastException(ExitCode.DAMAGED,
          "the encrypted archive has no integrity protection (no MDC), so changes to it cannot be detected",
          "it was not written by Holdfast or a current gpg; if you trust its origin, "
              + "gpg --decrypt --ignore-mdc-error can still read it");
    }
    try {
      InputStream clear = openData(opening);
      var content = new PGPObjectFactory(clear, new BcKeyFingerprintCalculator());
      Object next = content.nextObject();
      InputStream decompressed = null;
      if (next instanceof PGPCompressedData compressed) {
        // gpg compresses by default (ZLIB for --encrypt, ZIP for --symmetric).
        decompressed = compressed.getDataStream();
        content = new PGPObjectFactory(decompressed, new BcKeyFingerprintCalculator());
        next = content.nextObject();
      }
      // gpg --sign --encrypt puts signatures around the data; they are not checked here.
      while (next instanceof PGPOnePassSignatureList || next instanceof PGPSignatureList) {
        next = content.nextObject();
      }
      if (!(next instanceof PGPLiteralData literal)) {
        throw damaged("it holds no data packet", null);
      }
      return new PlaintextStream(literal.getInputStream(), decompressed, clear, data, packets, source);
    } catch (IOException | PGPException | RuntimeException e) {
      if (e instanceof HoldfastException h) {
        throw h;
      }
      source.rethrowFailure();
      throw damaged("its encrypted data cannot be read", e);
    }
  }

  // BC 1.86 deprecates getDataStream(SessionKeyDataDecryptorFactory) on the key and passphrase
  // packets in favour of PGPEncryptedDataList.extractSessionKeyEncryptedData(), which skips the
  // quick check (RFC 4880 §5.7, dropped by RFC 9580 against oracle attacks on interactive
  // decryptors). We keep it: for gpg --symmetric messages it is the only sign of a wrong passphrase;
  // without it the wrong key decrypts to garbage that fails as damage, or worse, parses.
  @SuppressWarnings("deprecation")
  private InputStream openData(Opening opening) throws IOException {
    PGPSessionKey sessionKey = opening.sessionKey();
    SessionKeyDataDecryptorFactory factory = switch (sessionKey.getAlgorithm()) {
      // The JCA path uses AES-NI: 2-3 times the lightweight engine's speed.
      case SymmetricKeyAlgorithmTags.AES_128, SymmetricKeyAlgorithmTags.AES_192,
           SymmetricKeyAlgorithmTags.AES_256 ->
          new JceSessionKeyDataDecryptorFactoryBuilder().build(sessionKey);
      // CAST5, Twofish, Camellia and friends from old keys: only Bouncy Castle has them.
      default -> new BcSessionKeyDataDecryptorFactory(sessionKey);
    };
    try {
      return switch (opening.method()) {
        case PGPPublicKeyEncryptedData pk -> pk.getDataStream(factory);
        case PGPPBEEncryptedData pbe -> pbe.getDataStream(factory);
        default -> throw new IllegalStateException("only key and passphrase packets open messages");
      };
    } catch (PGPException e) {
      // Typically PGPDataValidationException: the session key fails the quick check (RFC 4880
      // §5.7). For gpg's passphrase messages, whose session key is the S2K output itself, this is
      // the only way a wrong passphrase shows.
      throw wrongKey(opening.key());
    }
  }

  /** Finds the first method our key or passphrase opens: named key IDs, then hidden ones, then passphrases. */
  private Opening open(PGPEncryptedDataList methods) {
    Set<String> keyIds = new LinkedHashSet<>();
    boolean hiddenRecipient = false;
    boolean passphraseMethod = false;
    HoldfastException failure = null;
    List<PGPPublicKeyEncryptedData> hidden = new ArrayList<>();
    // Each unlock costs an S2K derivation (0.1-0.3 s); hidden recipients would repeat them.
    Map<Long, PGPKeyPair> unlocked = new HashMap<>();
    for (PGPEncryptedData method : methods) {
      if (method instanceof PGPPublicKeyEncryptedData pk) {
        KeyIdentifier recipient = pk.getKeyIdentifier();
        if (recipient.isWildcard()) {
          hiddenRecipient = true;
          hidden.add(pk);
          continue;
        }
        keyIds.add(KeyFile.keyId(recipient.getKeyId()));
        PGPSecretKey secretKey = secretKey(recipient);
        if (secretKey == null) {
          continue;
        }
        try {
          PGPKeyPair keyPair = unlock(secretKey, unlocked);
          return new Opening(pk, pk.getSessionKey(new BcPublicKeyDataDecryptorFactory(keyPair)), secretKey);
        } catch (HoldfastException e) {
          failure = failure == null ? e : failure;
        } catch (PGPException | RuntimeException e) {
          failure = failure == null ? wrongKey(secretKey) : failure;
        }
      } else if (method instanceof PGPPBEEncryptedData) {
        passphraseMethod = true;
      }
    }
    for (PGPPublicKeyEncryptedData pk : hidden) {
      // gpg --throw-keyids: the packet does not say which key, so try each key of the right kind.
      for (PGPSecretKeyRing ring : secretKeys) {
        for (PGPSecretKey secretKey : ring) {
          if (secretKey.getPublicKey().getAlgorithm() != pk.getAlgorithm() || secretKey.isPrivateKeyEmpty()) {
            continue;
          }
          try {
            PGPKeyPair keyPair = unlock(secretKey, unlocked);
            return new Opening(pk, pk.getSessionKey(new BcPublicKeyDataDecryptorFactory(keyPair)), secretKey);
          } catch (HoldfastException e) {
            failure = failure == null ? e : failure;
          } catch (PGPException | RuntimeException e) {
            // A wrong key of the same algorithm fails its checksum; other shapes throw
            // ClassCastException or DataLengthException. Either way: not this key.
          }
        }
      }
    }
    if (messagePassphrase != null) {
      for (PGPEncryptedData method : methods) {
        if (method instanceof PGPPBEEncryptedData pbe) {
          try {
            return new Opening(pbe, pbe.getSessionKey(
                new BcPBEDataDecryptorFactory(messagePassphrase, new OpenPgpDigests())), null);
          } catch (PGPException | RuntimeException e) {
            // A wrong passphrase decrypts the wrapped session key to garbage: an unknown cipher
            // number most of the time, a failed check otherwise. BC's message is no help to the user.
            failure = failure == null ? wrongKey(null) : failure;
          }
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
    throw noKey(keyIds, hiddenRecipient, passphraseMethod);
  }

  private HoldfastException noKey(Set<String> keyIds, boolean hiddenRecipient, boolean passphraseMethod) {
    List<String> ways = new ArrayList<>();
    if (!keyIds.isEmpty()) {
      ways.add("key ID" + (keyIds.size() > 1 ? "s " : " ") + String.join(", ", keyIds));
    }
    if (hiddenRecipient) {
      ways.add("a hidden recipient key");
    }
    if (passphraseMethod) {
      ways.add("a passphrase");
    }
    String encryptedTo = ways.isEmpty() ? "it names no key or passphrase" : "it is encrypted to " + String.join(" or ", ways);
    String have;
    if (secretKeyFile == null) {
      have = "no secret key was given";
    } else {
      List<String> ours = new ArrayList<>();
      for (PGPSecretKeyRing ring : secretKeys) {
        ring.forEach(k -> ours.add(KeyFile.keyId(k.getKeyID())));
      }
      have = "key file " + secretKeyFile + " holds key IDs " + String.join(", ", ours);
    }
    if (messagePassphrase == null && passphraseMethod) {
      have += ", and no passphrase was given";
    }
    String hint = passphraseMethod && messagePassphrase == null
        ? "give the archive passphrase"
        : "use the secret key of one of those key IDs (gpg --list-secret-keys --keyid-format long lists yours) "
            + "and export it: gpg --export-secret-keys --armor KEYID > secret.asc";
    return new HoldfastException(ExitCode.WRONG_KEY,
        "no configured key opens this archive: " + encryptedTo + "; " + have, hint);
  }

  private PGPSecretKey secretKey(KeyIdentifier keyId) {
    for (PGPSecretKeyRing ring : secretKeys) {
      PGPSecretKey key = ring.getSecretKey(keyId);
      if (key != null) {
        return key;
      }
    }
    return null;
  }

  private PGPKeyPair unlock(PGPSecretKey secretKey, Map<Long, PGPKeyPair> unlocked) {
    PGPKeyPair known = unlocked.get(secretKey.getKeyID());
    if (known != null) {
      return known;
    }
    String key = "secret key " + KeyFile.keyId(secretKey.getKeyID()) + " in " + secretKeyFile;
    String fingerprint = KeyFile.fingerprint(secretKey.getFingerprint());
    if (secretKey.isPrivateKeyEmpty()) {
      throw new HoldfastException(ExitCode.WRONG_KEY,
          key + " is only a stub: its secret part is not in the file (a smartcard key, or exported without it)",
          "export the secret key where its secret part lives: gpg --export-secret-keys --armor " + fingerprint
              + " > secret.asc");
    }
    boolean passphraseProtected = secretKey.getS2KUsage() != SecretKeyPacket.USAGE_NONE;
    if (passphraseProtected && keyPassphrase == null) {
      throw new HoldfastException(ExitCode.WRONG_KEY,
          key + " is protected by a passphrase, and none was given",
          "give the secret key's passphrase (the one gpg asks for when using it)");
    }
    try {
      PGPKeyPair keyPair = secretKey.extractKeyPair(passphraseProtected
          ? new BcPBESecretKeyDecryptorBuilder(new OpenPgpDigests()).build(keyPassphrase)
          : null);
      if (keyPair == null || keyPair.getPrivateKey() == null) {
        throw new HoldfastException(ExitCode.WRONG_KEY, key + " holds no secret key material",
            "export the secret key again: gpg --export-secret-keys --armor " + fingerprint + " > secret.asc");
      }
      unlocked.put(secretKey.getKeyID(), keyPair);
      return keyPair;
    } catch (PGPException e) {
      // BC says "checksum mismatch": the passphrase unwrapped the key to garbage.
      throw new HoldfastException(ExitCode.WRONG_KEY, "wrong passphrase for " + key,
          "give the secret key's passphrase (the one gpg asks for when using it)", e);
    }
  }

  /** Damage found before any plaintext was released. */
  private static HoldfastException notEncrypted(String why, Throwable cause) {
    return new HoldfastException(ExitCode.DAMAGED,
        "the encrypted archive is damaged or was modified: " + why, NOT_ENCRYPTED_HINT, cause);
  }

  private static HoldfastException damaged(String why, Throwable cause) {
    return new HoldfastException(ExitCode.DAMAGED,
        "the encrypted archive is damaged or was modified: " + why, DAMAGED_HINT, cause);
  }

  /** A session key that did not fit: a wrong secret key (or damage), or a wrong passphrase when {@code key} is null. */
  private HoldfastException wrongKey(PGPSecretKey key) {
    if (key == null) {
      return new HoldfastException(ExitCode.WRONG_KEY, "wrong passphrase for this archive",
          "give the passphrase the archive was encrypted with");
    }
    return new HoldfastException(ExitCode.WRONG_KEY,
        "secret key " + KeyFile.keyId(key.getKeyID()) + " in " + secretKeyFile
            + " does not open this archive (wrong key, or the archive is damaged)",
        "check which keys the archive is encrypted to: gpg --list-packets shows their key IDs");
  }

  /**
   * The key or passphrase packet that opened the message, and the session key it gave.
   *
   * @param key the secret key that unwrapped it, or null for the passphrase
   */
  private record Opening(PGPEncryptedData method, PGPSessionKey sessionKey, PGPSecretKey key) {}

  /**
   * The decrypted literal data; at its end, drains what follows the data and checks the MDC, so
   * the caller's last {@code read} fails if anything was modified.
   */
  private static final class PlaintextStream extends InputStream {
    private final InputStream literal;
    private final InputStream decompressed;
    private final InputStream clear;
    private final PGPEncryptedData data;
    private final PGPObjectFactory packets;
    private final SourceStream source;
    private boolean verified;
    private boolean closed;

    PlaintextStream(
        InputStream literal, InputStream decompressed, InputStream clear, PGPEncryptedData data,
        PGPObjectFactory packets, SourceStream source) {
      this.literal = literal;
      this.decompressed = decompressed;
      this.clear = clear;
      this.data = data;
      this.packets = packets;
      this.source = source;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n;
      do {
        n = read(one, 0, 1);
      } while (n == 0);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (closed) {
        throw new IOException("the decrypted archive stream is closed");
      }
      if (verified) {
        return -1;
      }
      if (len == 0) {
        return 0;
      }
      try {
        int n = literal.read(b, off, len);
        if (n < 0) {
          verify();
          verified = true;
        }
        return n;
      } catch (IOException | PGPException | RuntimeException e) {
        if (e instanceof HoldfastException h) {
          throw h;
        }
        source.rethrowFailure();
        throw damaged(describe(e), e);
      }
    }

    private void verify() throws IOException, PGPException {
      if (decompressed != null) {
        // ZLIB's Adler-32 sits after the literal packet; reading to the end checks it.
        decompressed.transferTo(OutputStream.nullOutputStream());
      }
      if (data.isAEAD()) {
        // AEAD checks its tags while reading; the final tag comes at the end.
        clear.transferTo(OutputStream.nullOutputStream());
      } else if (!data.verify()) {
        throw damaged("its integrity check (MDC) failed", null);
      }
      // Reading on also checks an armor's CRC; anything after the message is not ours.
      if (packets.nextObject() != null) {
        throw damaged("unexpected data follows the encrypted message", null);
      }
    }

    private static String describe(Exception e) {
      if (e instanceof EOFException) {
        return "it ends early (truncated)";
      }
      if (e instanceof ZipException) {
        return "its compressed data is corrupt (" + e.getMessage() + ")";
      }
      return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /** Does not close the source: whoever opened it closes it. */
    @Override
    public void close() {
      closed = true;
    }
  }

  /**
   * The caller's stream, remembering whether it failed, so a read error of the source is reported
   * as the I/O failure it is and not as damage; never closes it.
   */
  private static final class SourceStream extends FilterInputStream {
    private IOException failure;

    SourceStream(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      try {
        return in.read();
      } catch (IOException e) {
        failure = e;
        throw e;
      }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      try {
        return in.read(b, off, len);
      } catch (IOException e) {
        failure = e;
        throw e;
      }
    }

    @Override
    public long skip(long n) throws IOException {
      try {
        return in.skip(n);
      } catch (IOException e) {
        failure = e;
        throw e;
      }
    }

    @Override
    public void close() {
      // The opener of the stream closes it.
    }

    /** Throws the source's own failure if it had one, which BC may have wrapped on the way up. */
    void rethrowFailure() throws IOException {
      if (failure != null) {
        throw failure;
      }
    }
  }
}
