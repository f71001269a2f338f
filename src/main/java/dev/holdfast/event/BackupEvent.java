package dev.holdfast.event;

/**
 * What the core reports while it works. Front ends (progress display, run log, metrics) subscribe;
 * the core itself never prints.
 */
public sealed interface BackupEvent {
  /** A source entry could not be read or changed while being read; the run goes on without it. */
  record Warning(String path, String message) implements BackupEvent {}

  /** An entry was written to the backup (or restored from it). */
  record EntryDone(String path, long bytes) implements BackupEvent {}

  /** Content bytes moved since the last such event (for rate display). */
  record BytesMoved(long bytes) implements BackupEvent {}

  /** A line worth logging about the run (hooks started, retries, skipped steps). */
  record Note(String message) implements BackupEvent {}

  /**
   * Something the operator should know that cost no data, such as a stale repository lock that
   * was removed: logged as a WARNING, but the run is not partial because of it.
   */
  record Attention(String message) implements BackupEvent {}
}
