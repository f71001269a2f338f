package dev.holdfast.job;

/**
 * Which lifecycle steps a run performs after the backup (each defaults to what the job config
 * says; {@code run --no-verify} and friends turn one off, {@code --verify} turns one on).
 */
public record RunSteps(boolean verify, boolean offsite, boolean cleanup) {
  public static final RunSteps BACKUP_ONLY = new RunSteps(false, false, false);
  public static final RunSteps ALL = new RunSteps(true, true, true);
}
