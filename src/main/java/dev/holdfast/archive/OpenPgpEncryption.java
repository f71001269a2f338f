package dev.holdfast.archive;

import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.bcpg.SymmetricKeyAlgorithmTags;
import org.bouncycastle.openpgp.PGPEncryptedDataGenerator;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPLiteralData;
import org.bouncycastle.openpgp.PGPLiteralDataGenerator;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.operator.bc.BcPBEKeyEncryptionMethodGenerator;
import org.bouncycastle.openpgp.operator.bc.BcPublicKeyKeyEncryptionMethodGenerator;
import org.bouncycastle.openpgp.operator.jcajce.JcePGPDataEncryptorBuilder;

/**
 * Encrypts an archive stream into binary OpenPGP that stock {@code gpg --decrypt} (2.2 and later)
 * opens, to public keys, a passphrase, or both.
 *
 * <p>The message is one session key wrapped once per recipient (RFC 4880 §5.1 PKESK v3) and once
 * for the passphrase (§5.3 SKESK v4, iterated and salted SHA-256 S2K), then a literal data packet
 * inside a symmetrically encrypted integrity protected data packet (§5.13 SEIPD v1, AES-256, with
 * the §5.14 modification detection code). AEAD (SEIPD v2) and Argon2 are avoided on purpose: gpg 2.2
 * cannot read them. The payload is not compressed again, since archives arrive compressed.
 *
 * <p>Everything streams through partial-length packets (§4.2.2.4): memory stays bounded whatever the
 * archive size, and nothing is written to temporary files.
 */
public final class OpenPgpEncryption {
  // 64 KiB partial packets: small enough to bound memory, large enough that headers cost nothing.
  private static final int PACKET_BUFFER = 1 << 16;
  // S2K count byte 0xff = 65,011,712 hashed bytes, the most RFC 4880 §3.7.1.3 can express and what
  // gpg 2.2 calibrates itself to on current machines; about 0.2 s per archive.
  private static final int S2K_COUNT = 0xff;

  private final List<PGPPublicKey> recipients;
  private final List<String> recipientFingerprints;
  private final char[] passphrase;
  private final SecureRandom random = new SecureRandom();

  private OpenPgpEncryption(List<KeyReadiness.Recipient> recipients, char[] passphrase) {
    this.recipients = recipients.stream().map(KeyReadiness.Recipient::encryptionKey).toList();
    this.recipientFingerprints = recipients.stream()
        .map(r -> r.report().encryptionSubkey().orElseThrow())
        .toList();
    this.passphrase = passphrase == null ? null : passphrase.clone();
  }

  /** Encrypts to every key in the given public key files (armored or binary). */
  public static OpenPgpEncryption toRecipients(List<Path> publicKeyFiles) {
    return create(publicKeyFiles, null, Clock.systemUTC());
  }

  /** Encrypts with a passphrase only; {@code gpg --decrypt} asks for it. */
  public static OpenPgpEncryption withPassphrase(char[] passphrase) {
    return create(List.of(), passphrase, Clock.systemUTC());
  }

  /**
   * Encrypts so that any one of the recipients' secret keys, or the passphrase, opens the archive.
   * The keys are checked now, against the clock: an expired, revoked or signing-only key is refused
   * here rather than producing an archive nobody can open. The passphrase is copied; the caller may
   * wipe its array.
   *
   * @param publicKeyFiles key files as {@code gpg --export [--armor]} writes them; may be empty
   * @param passphrase the passphrase, or null for none
   * @throws HoldfastException (USAGE) when a key cannot encrypt, or neither keys nor passphrase are given
   */
  public static OpenPgpEncryption create(List<Path> publicKeyFiles, char[] passphrase, Clock clock) {
    if (passphrase != null && passphrase.length == 0) {
      throw HoldfastException.usage("the archive passphrase is empty",
          "set a passphrase, or encrypt to public keys only");
    }
    var keyReadiness = new KeyReadiness(clock);
    List<KeyReadiness.Recipient> recipients = new ArrayList<>();
    for (Path file : publicKeyFiles) {
      recipients.addAll(keyReadiness.recipients(file));
    }
    if (recipients.isEmpty() && passphrase == null) {
      throw HoldfastException.usage("archive encryption needs a public key or a passphrase",
          "give a recipient's public key file (gpg --export --armor KEYID > pub.asc) or a passphrase");
    }
    return new OpenPgpEncryption(recipients, passphrase);
  }

  /** Fingerprints of the (sub)keys archives are encrypted to, for logs and manifests. */
  public List<String> recipients() {
    return recipientFingerprints;
  }

  /** Same as {@link #encrypt(OutputStream, String)} with no file name in the literal packet. */
  public OutputStream encrypt(OutputStream out) throws IOException {
    return encrypt(out, "");
  }

  /**
   * Starts an encrypted message on {@code out} and returns the stream to write the plaintext to.
   *
   * <p>Closing the returned stream finishes the OpenPGP packets (the last partial packet and the
   * MDC) and flushes {@code out}, but does <b>not</b> close {@code out}: the caller still owns it,
   * so an object upload beneath can be committed (or aborted) afterwards. A message whose stream was
   * not closed is incomplete, and gpg rejects it.
   *
   * @param fileName the name stored in the literal data packet ({@code gpg --use-embedded-filename})
   */
  public OutputStream encrypt(OutputStream out, String fileName) throws IOException {
    var encryptor = new JcePGPDataEncryptorBuilder(SymmetricKeyAlgorithmTags.AES_256)
        // Stated although it is BC's default since 1.74: without it gpg fails the message.
        .setWithIntegrityPacket(true)
        .setSecureRandom(random);
    var generator = new PGPEncryptedDataGenerator(encryptor);
    for (PGPPublicKey key : recipients) {
      // The Bc generator handles cv25519 (ECDH) with no JCA provider installed; the Jce one does not.
      generator.addMethod(new BcPublicKeyKeyEncryptionMethodGenerator(key).setSecureRandom(random));
    }
    if (passphrase != null) {
      try {
        generator.addMethod(new BcPBEKeyEncryptionMethodGenerator(passphrase,
                new OpenPgpDigests().get(HashAlgorithmTags.SHA256), S2K_COUNT)
            .setSecureRandom(random));
      } catch (PGPException e) {
        throw new IllegalStateException("SHA-256 is always available", e);
      }
    }
    OutputStream kept = new UnclosableOutputStream(out);
    OutputStream encrypted;
    try {
      encrypted = generator.open(kept, new byte[PACKET_BUFFER]);
    } catch (PGPException e) {
      throw new IOException("starting the OpenPGP message: " + e.getMessage(), e);
    }
    var literal = new PGPLiteralDataGenerator();
    OutputStream plaintext = literal.open(
        encrypted, PGPLiteralData.BINARY, fileName, new Date(), new byte[PACKET_BUFFER]);
    return new MessageStream(plaintext, literal, generator, kept);
  }

  /** The plaintext side of one message; closing it ends the packets, innermost first. */
  private static final class MessageStream extends OutputStream {
    private final OutputStream plaintext;
    private final PGPLiteralDataGenerator literal;
    private final PGPEncryptedDataGenerator encryption;
    private final OutputStream out;
    private boolean closed;

    MessageStream(
        OutputStream plaintext, PGPLiteralDataGenerator literal, PGPEncryptedDataGenerator encryption,
        OutputStream out) {
      this.plaintext = plaintext;
      this.literal = literal;
      this.encryption = encryption;
      this.out = out;
    }

    @Override
    public void write(int b) throws IOException {
      ensureOpen();
      plaintext.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      ensureOpen();
      plaintext.write(b, off, len);
    }

    /** Flushes what the packet buffers let through; a partial packet is only written when full. */
    @Override
    public void flush() throws IOException {
      ensureOpen();
      plaintext.flush();
    }

    @Override
    public void close() throws IOException {
      if (closed) {
        return;
      }
      closed = true;
      literal.close();
      encryption.close();
      out.flush();
    }

    private void ensureOpen() throws IOException {
      if (closed) {
        throw new IOException("the OpenPGP message is already finished");
      }
    }
  }

  /** Passes writes through and turns close into flush, so no layer above can close the upload. */
  private static final class UnclosableOutputStream extends FilterOutputStream {
    UnclosableOutputStream(OutputStream out) {
      super(out);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
    }

    @Override
    public void close() throws IOException {
      out.flush();
    }
  }
}
