package dev.holdfast.repository;

/** Where the index says a blob is stored: its pack and its entry there. */
public record BlobLocation(ObjectId pack, PackedBlob blob) {}
