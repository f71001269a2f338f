package dev.holdfast.job;

import dev.holdfast.error.ExitCode;
import dev.holdfast.event.BackupEvent;
import dev.holdfast.format.BackupRef;
import dev.holdfast.state.RunRecord;
import java.util.List;

/** The outcome of one run: its record, what was stored, and the warnings met on the way. */
public record RunResult(RunRecord record, BackupRef backup, List<BackupEvent.Warning> warnings) {
  public ExitCode exitCode() {
    return warnings.isEmpty() ? ExitCode.OK : ExitCode.PARTIAL;
  }
}
