package dev.holdfast.repository;

import dev.holdfast.backend.ObjectInfo;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Reads a list of small files (index files, snapshots) a few at a time on their own threads and
 * hands them to the caller in list order. On a local disk one read takes microseconds, but on
 * SFTP or S3 each is a round trip: a repository that has grown hundreds of index files and
 * snapshots over the years took hundreds of round trips, one after the other, before its first
 * backup byte or its snapshot list (restic reads them in parallel too). At most {@code window}
 * files are fetched or held at a time, so memory stays bounded.
 */
final class Prefetch {
  private Prefetch() {}

  interface Fetch<T> {
    T fetch(ObjectInfo file) throws IOException;
  }

  interface Use<T> {
    void use(ObjectInfo file, T fetched) throws IOException;
  }

  static <T> void inOrder(List<ObjectInfo> files, int window, Fetch<T> fetch, Use<T> use) throws IOException {
    if (files.size() <= 1 || window <= 1) {
      for (ObjectInfo f : files) {
        use.use(f, fetch.fetch(f));
      }
      return;
    }
    ExecutorService pool = Executors.newFixedThreadPool(Math.min(window, files.size()),
        Thread.ofPlatform().daemon().name("holdfast-fetch-", 0).factory());
    try {
      ArrayDeque<Future<T>> ahead = new ArrayDeque<>();
      int next = 0;
      for (ObjectInfo f : files) {
        // the file just used has given its buffer back: one more may be fetched
        while (next < files.size() && ahead.size() < window) {
          ObjectInfo n = files.get(next++);
          ahead.add(pool.submit(() -> fetch.fetch(n)));
        }
        use.use(f, await(ahead.poll()));
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private static <T> T await(Future<T> f) throws IOException {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while reading");
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof IOException io) {
        throw io;
      } else if (c instanceof UncheckedIOException u) {
        throw u.getCause();
      } else if (c instanceof RuntimeException r) {
        throw r;
      } else if (c instanceof Error err) {
        throw err;
      }
      throw new IllegalStateException(c);
    }
  }
}
