package dev.holdfast.event;

import java.util.List;

/** Receives {@link BackupEvent}s. Implementations must be cheap and must not throw. */
@FunctionalInterface
public interface EventSink {
  void publish(BackupEvent event);

  EventSink NONE = e -> {};

  static EventSink all(List<EventSink> sinks) {
    List<EventSink> copy = List.copyOf(sinks);
    return e -> copy.forEach(s -> s.publish(e));
  }
}
