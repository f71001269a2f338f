package dev.holdfast.repository;

/** A snapshot together with the id of the file that holds it. */
public record StoredSnapshot(ObjectId id, Snapshot snapshot) {}
