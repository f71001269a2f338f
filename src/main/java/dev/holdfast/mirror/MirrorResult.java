package dev.holdfast.mirror;

/**
 * What a mirror pass did (or, in a dry run, would do).
 *
 * @param copied files, links and directories created or whose content was replaced
 * @param updated entries whose metadata only was brought in line
 * @param deleted entries removed from (or moved out of) the destination
 * @param bytes content bytes copied
 */
public record MirrorResult(long copied, long updated, long deleted, long bytes) {}
