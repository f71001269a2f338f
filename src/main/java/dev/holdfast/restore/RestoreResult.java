package dev.holdfast.restore;

/** What a restore wrote. */
public record RestoreResult(String backup, long files, long directories, long links, long bytes, long skipped) {}
