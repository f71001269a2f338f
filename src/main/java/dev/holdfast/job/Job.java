package dev.holdfast.job;

import dev.holdfast.archive.ArchiveSettings;
import dev.holdfast.source.Source;
import java.util.List;

/**
 * A resolved job, ready to run: what to back up, where, in which format, and the hooks around it.
 *
 * @param target the target URL or path, as the user wrote it (for messages and records)
 */
public record Job(
    String name, List<Source> sources, String target, ArchiveSettings archive, Hooks hooks) {}
