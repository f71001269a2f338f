package dev.holdfast.backend;

import java.io.IOException;
import java.io.OutputStream;

/**
 * A streaming upload of an object whose key is known only once it is written (a pack file is named
 * by the hash of its content). Nothing is visible under any key until {@link #commit(String)}
 * returns; {@link #close()} without a commit discards everything written and never throws.
 */
public abstract class UnnamedWriter extends OutputStream {
  /** Makes the object visible under {@code key}, durably. Fails with FileAlreadyExistsException if the key exists. */
  public abstract void commit(String key) throws IOException;

  /** Reads back {@code len} bytes written at {@code position} (a blob of a pack not yet committed). */
  public abstract void readBack(long position, byte[] dst, int off, int len) throws IOException;

  /** Discards the upload unless it was committed. Never throws. */
  @Override
  public abstract void close();
}
