package dev.holdfast.web;

import dev.holdfast.event.EventSink;
import dev.holdfast.restore.DatabaseRestore;
import dev.holdfast.restore.RestoreResult;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One backup opened for the browse, download and restore pages, whatever its format: an archive
 * ({@link ArchiveTree}) or a repository snapshot ({@link RepositoryTree}). Paths are relative,
 * '/'-separated and already checked by {@link ArchiveBrowser#checkPath}; "" is the root.
 */
interface BackupTree extends AutoCloseable {
  /** The backup's id as the job page lists it (an archive's key, a snapshot's full id). */
  String id();

  /** The children of directory {@code dir}: directories first, then by name; 404 when there is no such directory. */
  List<ArchiveBrowser.Node> children(String dir);

  /** What {@code path} is: a file, a directory, a link, or absent. */
  Optional<ArchiveBrowser.Listed> find(String path);

  /** {@code path} and everything below it ("" for all), as a restore of it would write them. */
  List<ArchiveBrowser.Listed> below(String path);

  /**
   * Streams one regular file's content into the stream {@code sink} opens, then does the format's
   * end checks; returns normally only when they passed (false: no such file). A failed check throws
   * after bytes may have gone out, so the caller must not let the response look complete.
   */
  boolean file(String path, ArchiveBrowser.FileSink sink) throws IOException;

  /** Writes {@code dir} and everything below it as a gzip'd tar, named from the directory's own name down. */
  void directory(String dir, OutputStream out) throws IOException;

  /** Restores {@code path} (everything for "") into {@code into}, with the format's staged, checked restore. */
  RestoreResult restore(String path, Path into, boolean overwrite, EventSink events);

  /** Loads a dumped database into a server. */
  DatabaseRestore.Result restoreDatabase(DatabaseRestore.Request request, Map<String, String> env);

  @Override
  void close();
}
