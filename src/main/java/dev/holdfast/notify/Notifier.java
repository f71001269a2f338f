package dev.holdfast.notify;

import java.io.IOException;

/** Tells someone about a run: mail, a webhook, a healthchecks.io check, an ntfy topic. */
public interface Notifier {
  /** Whether this notifier is told about {@code kind} ({@code on:} in the config). */
  boolean wants(Notice.Kind kind);

  /** Sends {@code notice}; an exception means it was not delivered. */
  void send(Notice notice) throws IOException, InterruptedException;

  /** What this notifier talks to, for warnings: {@code webhook https://example.org/hook}; never a secret. */
  String describe();
}
