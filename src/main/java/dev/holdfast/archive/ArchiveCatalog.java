package dev.holdfast.archive;

import dev.holdfast.backend.Backend;
import dev.holdfast.backend.ObjectInfo;
import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import dev.holdfast.format.BackupRef;
import dev.holdfast.format.Catalog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The archives a target holds: Holdfast's own (with manifest) and plain tar archives written by
 * other tools or scripts, which are listed by the time in their name, else their modification time.
 */
public final class ArchiveCatalog implements Catalog {
  private final Backend backend;
  private final ZoneId zone;
  private List<Item> cache;

  /** An archive and what is known of it. */
  public record Item(
      Backend backend, BackupRef ref, ObjectInfo object, Optional<ObjectInfo> checksum, Optional<Manifest> manifest) {
    /** The SHA-256 the stored object must have: the manifest's, else the sidecar's, else null. */
    public String expectedSha256() {
      if (manifest.isPresent() && manifest.get().archive() != null) {
        return manifest.get().archive().sha256();
      }
      return sidecarSha256();
    }

    /**
     * The manifest's entries; for an encrypted archive they are read from the encrypted entries
     * sidecar, which needs {@code decryption} (empty list without it).
     */
    public List<Manifest.ManifestEntry> entries(OpenPgpDecryption decryption) {
      if (manifest.isEmpty()) {
        return List.of();
      }
      Manifest m = manifest.get();
      if (!m.hasEncryptedEntries()) {
        return m.entries();
      }
      if (decryption == null) {
        return List.of();
      }
      try (java.io.InputStream in = decryption.decrypt(backend.open(ref.id() + Manifest.ENTRIES_SUFFIX))) {
        return Manifest.parseEntries(in.readAllBytes());
      } catch (java.nio.file.NoSuchFileException e) {
        throw new HoldfastException(ExitCode.DAMAGED, "the encrypted entry list of " + ref.id() + " is missing");
      } catch (IOException e) {
        throw HoldfastException.io("reading the entry list of " + ref.id(), e);
      }
    }

    /** The hash written in the {@code .sha256} sidecar, or null when there is none. */
    public String sidecarSha256() {
      if (checksum.isEmpty()) {
        return null;
      }
      try {
        String text = new String(backend.readAll(checksum.get().key()), java.nio.charset.StandardCharsets.UTF_8).trim();
        return text.split("\\s+", 2)[0];
      } catch (IOException e) {
        throw HoldfastException.io("reading checksum of " + ref.id(), e);
      }
    }
  }

  public ArchiveCatalog(Backend backend, ZoneId zone) {
    this.backend = backend;
    this.zone = zone;
  }

  public Backend backend() {
    return backend;
  }

  @Override
  public List<BackupRef> list() {
    return items().stream().map(Item::ref).toList();
  }

  /** Every archive, oldest first; manifests are read to learn job, host and time. */
  public List<Item> items() {
    if (cache != null) {
      return cache;
    }
    Map<String, ObjectInfo> all = new HashMap<>();
    try (Stream<ObjectInfo> s = backend.list("")) {
      s.forEach(o -> all.put(o.key(), o));
    } catch (NoSuchFileException e) {
      throw new HoldfastException(ExitCode.TARGET_MISSING, "target does not exist: " + backend.location(),
          "check the path, or run a backup to create it");
    } catch (java.nio.file.NotDirectoryException e) {
      throw new HoldfastException(ExitCode.TARGET_MISSING, "target is not a directory: " + backend.location(),
          "give the directory that holds the backups");
    } catch (IOException | UncheckedIOException e) {
      throw HoldfastException.io("listing " + backend.location(), e instanceof UncheckedIOException u ? u.getCause() : e);
    }
    List<Item> items = new ArrayList<>();
    for (ObjectInfo o : all.values()) {
      if (!ArchiveName.isArchive(o.key())) {
        continue;
      }
      Optional<ObjectInfo> checksum = Optional.ofNullable(all.get(o.key() + ".sha256"));
      Optional<Manifest> manifest = Optional.empty();
      if (all.containsKey(o.key() + Manifest.SUFFIX)) {
        manifest = readManifest(o.key());
      }
      items.add(toItem(o, checksum, manifest));
    }
    items.sort(Comparator.comparing((Item i) -> i.ref().time()).thenComparing(i -> i.ref().id()));
    cache = List.copyOf(items);
    return cache;
  }

  private Optional<Manifest> readManifest(String key) {
    try {
      return Optional.of(Manifest.parse(backend.readAll(key + Manifest.SUFFIX)));
    } catch (IOException e) {
      return Optional.empty(); // a damaged manifest is reported by verify, not by listing
    }
  }

  private Item toItem(ObjectInfo o, Optional<ObjectInfo> checksum, Optional<Manifest> manifest) {
    boolean encrypted = o.key().endsWith(".gpg");
    if (manifest.isPresent()) {
      Manifest m = manifest.get();
      return new Item(backend,
          new BackupRef(o.key(), m.started(), m.job(), m.host(), o.size(), m.totals().files(),
              "archive", true, encrypted || m.archive().encrypted()),
          o, checksum, manifest);
    }
    Instant time = ArchiveName.timeIn(o.key(), zone).orElse(o.modified());
    String job = o.key().contains("/") ? o.key().substring(0, o.key().indexOf('/')) : "";
    return new Item(backend, new BackupRef(o.key(), time, job, "", o.size(), -1, "archive", false, encrypted),
        o, checksum, Optional.empty());
  }

  public Item item(String selector) {
    BackupRef ref = find(selector);
    return items().stream().filter(i -> i.ref().id().equals(ref.id())).findFirst().orElseThrow();
  }

  @Override
  public BackupRef find(String selector) {
    List<Item> items = items();
    if (items.isEmpty()) {
      throw new HoldfastException(ExitCode.TARGET_MISSING, "no backups on " + backend.location());
    }
    if (selector == null || selector.equals("latest")) {
      return items.get(items.size() - 1).ref();
    }
    List<BackupRef> exact = items.stream().map(Item::ref).filter(r -> r.id().equals(selector)).toList();
    if (exact.size() == 1) {
      return exact.get(0);
    }
    List<BackupRef> partial =
        items.stream().map(Item::ref)
            .filter(r -> r.id().endsWith("/" + selector) || r.id().startsWith(selector)
                || r.id().contains(selector))
            .toList();
    if (partial.size() == 1) {
      return partial.get(0);
    }
    if (partial.isEmpty()) {
      throw new HoldfastException(ExitCode.TARGET_MISSING,
          "no backup named '" + selector + "' on " + backend.location(), "list them with: holdfast list");
    }
    throw HoldfastException.usage("'" + selector + "' matches " + partial.size() + " backups on "
        + backend.location(), "give more of the name; list them with: holdfast list");
  }

  /** The latest backup of one job, if any. */
  public Optional<BackupRef> latestOf(String job) {
    List<Item> items = items();
    for (int i = items.size() - 1; i >= 0; i--) {
      if (items.get(i).ref().job().equals(job)) {
        return Optional.of(items.get(i).ref());
      }
    }
    return Optional.empty();
  }
}
