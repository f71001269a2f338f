package dev.holdfast.restore;

import java.nio.file.Path;
import java.util.List;

/**
 * What to restore and where.
 *
 * @param target the directory to restore into (created if missing)
 * @param includes glob patterns of backup paths; empty restores everything
 * @param overwrite replace existing files instead of refusing
 * @param partial from a repository: restore the intact files when some data is damaged or
 *     missing, and report the others, instead of restoring nothing
 */
public record RestoreRequest(Path target, List<String> includes, boolean overwrite, boolean partial) {
  public RestoreRequest(Path target, List<String> includes, boolean overwrite) {
    this(target, includes, overwrite, false);
  }
}
