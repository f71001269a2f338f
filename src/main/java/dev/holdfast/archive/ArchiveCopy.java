package dev.holdfast.archive;

import dev.holdfast.backend.Backend;
import dev.holdfast.backend.ObjectInfo;
import dev.holdfast.backend.ObjectWriter;
import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * Copies archives with their sidecars from one target to another (off-site copies). Each archive
 * is streamed, hashed on the way, and committed on the destination only when its SHA-256 matches
 * the source's sidecar; the checksum and manifest follow, the manifest last. Archives the
 * destination already holds completely are skipped, so a repeated copy transfers nothing.
 */
public final class ArchiveCopy {
  /** What one copy did. */
  public record Result(List<String> copied, List<String> skipped, long bytes) {}

  private final Backend destination;

  public ArchiveCopy(Backend destination) {
    this.destination = destination;
  }

  public Result copy(List<ArchiveCatalog.Item> items) {
    List<String> copied = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    long bytes = 0;
    for (ArchiveCatalog.Item item : items) {
      if (complete(item)) {
        skipped.add(item.ref().id());
        continue;
      }
      bytes += copyOne(item);
      copied.add(item.ref().id());
    }
    return new Result(copied, skipped, bytes);
  }

  /** The destination has the object (same size) and, where the source has them, both sidecars. */
  private boolean complete(ArchiveCatalog.Item item) {
    String key = item.ref().id();
    try {
      Optional<ObjectInfo> obj = destination.stat(key);
      if (obj.isEmpty() || obj.get().size() != item.object().size()) {
        return false;
      }
      if (item.checksum().isPresent() && destination.stat(key + ".sha256").isEmpty()) {
        return false;
      }
      return item.manifest().isEmpty() || destination.stat(key + Manifest.SUFFIX).isPresent();
    } catch (IOException e) {
      throw HoldfastException.io("checking " + key + " on " + destination.location(), e);
    }
  }

  private long copyOne(ArchiveCatalog.Item item) {
    Backend source = item.backend();
    String key = item.ref().id();
    String expected = item.expectedSha256();
    long size = 0;
    try {
      if (destination.stat(key).isEmpty()) {
        MessageDigest md = Digests.sha256();
        try (InputStream in = source.open(key); ObjectWriter out = destination.create(key)) {
          byte[] buf = new byte[1 << 20];
          int n;
          while ((n = in.read(buf)) > 0) {
            out.write(buf, 0, n);
            md.update(buf, 0, n);
            size += n;
          }
          String got = HexFormat.of().formatHex(md.digest());
          if (expected != null && !expected.equals(got)) {
            throw new HoldfastException(ExitCode.DAMAGED,
                "not copying " + key + ": its SHA-256 on " + source.location() + " is " + got
                    + " but its checksum says " + expected,
                "run: holdfast verify --from " + source.location() + " " + key);
          }
          out.commit();
        }
      }
      // sidecars: copied as they are, the manifest last so the copy is marked complete only now
      copySidecar(source, key + ".sha256");
      copySidecar(source, key + Manifest.ENTRIES_SUFFIX);
      if (item.manifest().isPresent()) {
        copySidecar(source, key + Manifest.SUFFIX);
      }
      return size;
    } catch (IOException e) {
      throw HoldfastException.io("copying " + key + " from " + source.location() + " to " + destination.location(), e);
    }
  }

  private void copySidecar(Backend source, String key) throws IOException {
    if (source.stat(key).isPresent() && destination.stat(key).isEmpty()) {
      destination.put(key, source.readAll(key));
    }
  }
}
