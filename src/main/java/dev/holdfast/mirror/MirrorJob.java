package dev.holdfast.mirror;

import java.time.Duration;

/**
 * A named mirror run: what to sync, and the mount the destination needs (or null).
 *
 * @param target the destination as the user wrote it (for messages and records)
 * @param maxAge how long the destination may be absent (skipped runs) before a skip counts as a failure
 */
public record MirrorJob(String name, MirrorRequest request, String target, MountRequirement mount, Duration maxAge) {}
