package dev.holdfast.backend;

import java.time.Instant;

/** An object stored in a {@link Backend}: its key, size in bytes and last modification time. */
public record ObjectInfo(String key, long size, Instant modified) {}
