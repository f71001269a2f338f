package dev.holdfast.job;

import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Records a run that a signal ends. SIGTERM (a systemd stop, {@code kill}, a cron timeout) and
 * Ctrl-C end a CLI process through its shutdown hooks, so the run's own code never reaches the
 * place where it records its outcome; without this the run would be missing from history and the
 * run log, as if it had never started. While a run lasts, a shutdown hook stands ready to record it
 * as interrupted; whichever of the hook and the run settles first records, the other does nothing.
 * (SIGKILL runs no hook: such a run is still missing.)
 */
public final class SignalGuard implements AutoCloseable {
  private final AtomicBoolean settled = new AtomicBoolean();
  private final Thread hook;

  public SignalGuard(String job, Runnable onSignal) {
    Thread h = new Thread(() -> {
      if (settled.compareAndSet(false, true)) {
        onSignal.run();
      }
    }, "holdfast-interrupted-" + job);
    try {
      Runtime.getRuntime().addShutdownHook(h);
    } catch (IllegalStateException e) {
      // the process is stopping (a multi-job run on its way to the next job): start nothing more
      throw new HoldfastException(ExitCode.INTERRUPTED, "stopped by a signal before the run of " + job + " began");
    }
    this.hook = h;
  }

  /** True for the first caller: the run records its own outcome, and the hook will not. */
  public boolean settle() {
    return settled.compareAndSet(false, true);
  }

  @Override
  public void close() {
    if (hook != null) {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // shutting down: the hook runs or has run, and finds the run settled
      }
    }
  }
}
