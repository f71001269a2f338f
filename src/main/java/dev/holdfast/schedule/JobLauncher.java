package dev.holdfast.schedule;

/**
 * Runs one due job to completion on the calling thread (the daemon gives each run its own virtual
 * thread). The job runner records the outcome itself; an exception here only means the run could
 * not be carried out, and is logged by the loop.
 */
@FunctionalInterface
public interface JobLauncher {
  void run(Due due) throws Exception;
}
