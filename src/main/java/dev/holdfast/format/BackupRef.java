package dev.holdfast.format;

import java.time.Instant;

/**
 * One backup held by a target, as a listing shows it.
 *
 * @param id the name to pass to restore/verify (an archive's object key)
 * @param time when the backup was taken
 * @param job the job that wrote it ("" when unknown, e.g. an archive made by a script)
 * @param host the host that wrote it ("" when unknown)
 * @param size stored bytes
 * @param files number of files, or -1 when unknown
 * @param format "archive" or "repository"
 * @param managed true when Holdfast wrote it (manifest present); false for foreign archives
 * @param encrypted true when the content is encrypted
 */
public record BackupRef(
    String id,
    Instant time,
    String job,
    String host,
    long size,
    long files,
    String format,
    boolean managed,
    boolean encrypted) {}
