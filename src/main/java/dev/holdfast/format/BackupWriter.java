package dev.holdfast.format;

import dev.holdfast.source.Entry;

/**
 * Writes one backup in some storage format. Nothing becomes visible on the target until {@link
 * #finish()} returns; {@link #close()} without finishing discards the backup and never throws.
 */
public interface BackupWriter extends AutoCloseable {
  void add(Entry entry);

  /** Completes the backup and publishes it; returns what was stored. */
  BackupRef finish();

  @Override
  void close();
}
