package dev.holdfast.error;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Things to undo if the process ends before their owner does (SIGTERM from systemd or a timeout,
 * Ctrl-C): the owner's own cleanup never runs then, as the JVM only runs its shutdown hooks. Items
 * are added while they exist and removed when their owner has dealt with them; one shutdown hook,
 * installed with the first item, applies {@code cleanup} to those still there. Best effort: a
 * failing cleanup does not stop the others, and SIGKILL runs no hook at all.
 */
public final class ExitCleanup<T> {
  private final Set<T> items = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean hooked = new AtomicBoolean();
  private final String name;
  private final Consumer<T> cleanup;

  public ExitCleanup(String name, Consumer<T> cleanup) {
    this.name = name;
    this.cleanup = cleanup;
  }

  /**
   * Registers {@code item}; fails (exit 130) once the process is shutting down, when nothing would
   * undo it: the caller must not go on to create it.
   */
  public void add(T item) {
    if (hooked.compareAndSet(false, true)) {
      try {
        Runtime.getRuntime().addShutdownHook(new Thread(this::runAll, name));
      } catch (IllegalStateException e) {
        stopping = true;
      }
    }
    items.add(item);
    if (stopping) { // after add: a hook that started meanwhile may have passed it
      items.remove(item);
      throw new HoldfastException(ExitCode.INTERRUPTED, "stopped by a signal before it began");
    }
  }

  private volatile boolean stopping;

  public void remove(T item) {
    items.remove(item);
  }

  /** Whether {@code item} is registered (its owner has not dealt with it yet). */
  public boolean contains(T item) {
    return items.contains(item);
  }

  private void runAll() {
    stopping = true;
    for (T item : items) {
      try {
        cleanup.accept(item);
      } catch (RuntimeException e) {
        // the process is ending: on to the next
      }
    }
  }
}
