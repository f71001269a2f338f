package dev.holdfast.restore;

import java.nio.file.Path;
import java.util.List;

/**
 * What to restore and where.
 *
 * @param target the directory to restore into (created if missing)
 * @param includes glob patterns of backup paths; empty restores everything
 * @param overwrite replace existing files instead of refusing
 */
public record RestoreRequest(Path target, List<String> includes, boolean overwrite) {}
