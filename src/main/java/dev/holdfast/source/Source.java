package dev.holdfast.source;

import dev.holdfast.event.EventSink;
import java.util.stream.Stream;

/**
 * Something to back up: files, a database, a command's output. Produces its entries lazily, in a
 * stable order; unreadable items are reported as warnings to the sink and skipped.
 */
public interface Source {
  /** A short description for messages, e.g. "/var/log/app" or "postgresql://db/shop". */
  String name();

  /** Fails with a clear message if the source cannot be backed up at all (missing path). */
  void check();

  /** The caller closes the stream. */
  Stream<Entry> entries(EventSink events);
}
