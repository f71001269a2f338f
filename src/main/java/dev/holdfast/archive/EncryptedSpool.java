package dev.holdfast.archive;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.CipherInputStream;
import javax.crypto.CipherOutputStream;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Holds a stream of unknown length (a database dump) until its length is known, because a tar
 * header needs the size before the content. The bytes go to a temporary file encrypted with
 * AES-256-CTR under a random key that exists only in memory, so no plaintext reaches the disk;
 * reading back checks the SHA-256 taken on the way in. The file is deleted on close.
 */
final class EncryptedSpool implements AutoCloseable {
  private final Path file;
  private final byte[] key = new byte[32];
  private final byte[] iv = new byte[16];
  private long size;
  private byte[] sha256;

  EncryptedSpool(Path dir) throws IOException {
    Files.createDirectories(dir);
    file = Files.createTempFile(dir, "holdfast-spool-", ".bin",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    file.toFile().deleteOnExit();
    SecureRandom random = new SecureRandom();
    random.nextBytes(key);
    random.nextBytes(iv);
  }

  private Cipher cipher(int mode) throws IOException {
    try {
      Cipher c = Cipher.getInstance("AES/CTR/NoPadding");
      c.init(mode, new SecretKeySpec(key, "AES"), new IvParameterSpec(iv));
      return c;
    } catch (GeneralSecurityException e) {
      throw new IOException("AES-CTR is not available", e);
    }
  }

  /** Copies {@code in} to the spool; returns its length. The caller closes {@code in}. */
  long fill(InputStream in, byte[] buffer) throws IOException {
    MessageDigest md = HashingOutputStream.sha256();
    try (OutputStream out = new CipherOutputStream(Files.newOutputStream(file), cipher(Cipher.ENCRYPT_MODE))) {
      int n;
      while ((n = in.read(buffer)) > 0) {
        out.write(buffer, 0, n);
        md.update(buffer, 0, n);
        size += n;
      }
    }
    sha256 = md.digest();
    return size;
  }

  /** The spooled bytes, decrypted; the SHA-256 is checked when the stream reaches its end. */
  InputStream open() throws IOException {
    InputStream raw = new CipherInputStream(Files.newInputStream(file), cipher(Cipher.DECRYPT_MODE));
    MessageDigest md = HashingOutputStream.sha256();
    return new java.io.FilterInputStream(raw) {
      private boolean checked;

      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        int n = in.read(b, off, len);
        if (n > 0) {
          md.update(b, off, n);
        } else if (n < 0 && !checked) {
          checked = true;
          if (!Arrays.equals(md.digest(), sha256)) {
            throw new IOException("spool file " + file + " changed on disk while the backup ran");
          }
        }
        return n;
      }
    };
  }

  @Override
  public void close() {
    Arrays.fill(key, (byte) 0);
    try {
      Files.deleteIfExists(file);
    } catch (IOException ignored) {
      // encrypted under a key that is now gone: the leftover is unreadable noise
    }
  }
}
