package dev.holdfast.web;

import dev.holdfast.archive.ArchiveCatalog;
import dev.holdfast.archive.OpenPgpDecryption;
import dev.holdfast.event.EventSink;
import dev.holdfast.restore.ArchiveRestore;
import dev.holdfast.restore.DatabaseRestore;
import dev.holdfast.restore.RestoreRequest;
import dev.holdfast.restore.RestoreResult;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** An archive as a {@link BackupTree}: listed from its manifest (or read once), read as one stream for contents. */
final class ArchiveTree implements BackupTree {
  private final ArchiveBrowser browser;
  private final ArchiveCatalog.Item item;
  private final OpenPgpDecryption key;

  ArchiveTree(ArchiveBrowser browser, ArchiveCatalog.Item item, OpenPgpDecryption key) {
    this.browser = browser;
    this.item = item;
    this.key = key;
  }

  ArchiveCatalog.Item item() {
    return item;
  }

  @Override
  public String id() {
    return item.ref().id();
  }

  private List<ArchiveBrowser.Listed> listing() {
    return browser.listing(item, key);
  }

  @Override
  public List<ArchiveBrowser.Node> children(String dir) {
    return browser.children(listing(), dir);
  }

  @Override
  public Optional<ArchiveBrowser.Listed> find(String path) {
    return browser.find(listing(), path);
  }

  @Override
  public List<ArchiveBrowser.Listed> below(String path) {
    return listing().stream()
        .filter(l -> path.isEmpty() || l.path().equals(path) || l.path().startsWith(path + "/"))
        .toList();
  }

  @Override
  public boolean file(String path, ArchiveBrowser.FileSink sink) throws IOException {
    return browser.file(item, key, path, sink);
  }

  @Override
  public void directory(String dir, OutputStream out) throws IOException {
    browser.directory(item, key, dir, out);
  }

  @Override
  public RestoreResult restore(String path, Path into, boolean overwrite, EventSink events) {
    List<String> includes = path.isEmpty() ? List.of() : List.of(RestoreFlow.escapeGlob(path));
    return new ArchiveRestore(events, key).restore(item, new RestoreRequest(into, includes, overwrite));
  }

  @Override
  public DatabaseRestore.Result restoreDatabase(DatabaseRestore.Request request, Map<String, String> env) {
    return new DatabaseRestore(key, env).restore(item, request);
  }

  @Override
  public void close() {
    // the backend is the caller's
  }
}
