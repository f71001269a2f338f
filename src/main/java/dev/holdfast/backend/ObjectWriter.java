package dev.holdfast.backend;

import java.io.IOException;
import java.io.OutputStream;

/**
 * A streaming upload of one object. Nothing is visible under the object's key until {@link
 * #commit()} returns; {@link #close()} without a commit discards everything written, never throws,
 * and leaves no object that a reader could take for a complete one.
 */
public abstract class ObjectWriter extends OutputStream {
  /** Makes the object visible under its key, durably. Fails if the key already exists. */
  public abstract void commit() throws IOException;

  /** Discards the upload unless it was committed. Never throws. */
  @Override
  public abstract void close();
}
