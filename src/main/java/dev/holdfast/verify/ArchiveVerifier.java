package dev.holdfast.verify;

import dev.holdfast.archive.ArchiveCatalog;
import dev.holdfast.archive.ArchiveEntry;
import dev.holdfast.archive.ArchiveReader;
import dev.holdfast.archive.Digests;
import dev.holdfast.archive.Manifest;
import dev.holdfast.archive.OpenPgpDecryption;
import dev.holdfast.backend.ObjectInfo;
import dev.holdfast.error.HoldfastException;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks an archive: the checksum sidecar against the stored object, then a full streaming read of
 * the tar with every file's SHA-256 compared to the manifest, then (restore-test) a test restore of
 * files and database dumps. Damage is reported, never repaired.
 */
public final class ArchiveVerifier {
  private final OpenPgpDecryption decryption;
  private final ScratchServers scratchServers;

  public ArchiveVerifier() {
    this(null);
  }

  /** {@code decryption} opens encrypted archives; without it they are checked by checksum only. */
  public ArchiveVerifier(OpenPgpDecryption decryption) {
    this(decryption, ScratchServers.NONE);
  }

  /** {@code scratchServers}: where a restore test loads database dumps (dumps of other kinds are skipped). */
  public ArchiveVerifier(OpenPgpDecryption decryption, ScratchServers scratchServers) {
    this.decryption = decryption;
    this.scratchServers = scratchServers;
  }

  public VerifyReport verify(ArchiveCatalog.Item item) {
    return verify(item, VerifyLevel.FULL);
  }

  public VerifyReport verify(ArchiveCatalog.Item item, VerifyLevel level) {
    String key = item.ref().id();
    List<VerifyReport.Problem> problems = new ArrayList<>();
    String sidecarSha = null;
    if (item.checksum().isPresent()) {
      sidecarSha = item.sidecarSha256();
      if (sidecarSha == null || !sidecarSha.matches("[0-9a-f]{64}")) {
        problems.add(new VerifyReport.Problem("", "checksum sidecar " + key + ".sha256 is not in sha256sum format"));
        sidecarSha = null;
      }
    } else if (item.manifest().isPresent()) {
      problems.add(new VerifyReport.Problem("", "checksum sidecar " + key + ".sha256 is missing"));
    }
    Map<String, Manifest.ManifestEntry> expected = new LinkedHashMap<>();
    if (item.manifest().isPresent()) {
      Manifest m = item.manifest().get();
      item.entries(decryption).forEach(e -> expected.put(e.path(), e));
      ObjectInfo obj = item.object();
      if (m.archive() != null) {
        if (m.archive().size() != obj.size()) {
          problems.add(new VerifyReport.Problem("", "stored size " + obj.size() + " bytes differs from the manifest's "
              + m.archive().size() + " bytes (truncated or replaced)"));
        }
        if (sidecarSha != null && !sidecarSha.equals(m.archive().sha256())) {
          problems.add(new VerifyReport.Problem("", "checksum sidecar and manifest disagree about the archive's SHA-256"));
        }
      }
    } else if (item.ref().managed()) {
      problems.add(new VerifyReport.Problem("", "manifest is missing or unreadable"));
    }
    if (level == VerifyLevel.QUICK) {
      long entries = item.manifest().map(m -> (long) m.entries().size()).orElse(0L);
      return new VerifyReport(key, entries, 0, problems);
    }
    if (key.endsWith(".gpg") && decryption == null) {
      // without the key, the stored bytes can still be checked against the checksum
      problems.addAll(checksumOnly(item, sidecarSha));
      return new VerifyReport(key, 0, item.object().size(), problems,
          "encrypted and no key given: checksum checked, content not decrypted");
    }
    long[] counts = {0, 0};
    Map<String, Boolean> seen = new LinkedHashMap<>();
    byte[] buf = new byte[1 << 16];
    try {
      ArchiveReader.Result result =
          ArchiveReader.read(
              item.backend(),
              key,
              decryption,
              (ArchiveEntry entry, InputStream content) -> {
                String name = entry.normalizedName();
                counts[0]++;
                seen.put(name, true);
                Manifest.ManifestEntry want = expected.get(name);
                if (entry.type() == ArchiveEntry.Type.FILE) {
                  MessageDigest md = Digests.sha256();
                  long total = 0;
                  int n;
                  while ((n = content.read(buf)) > 0) {
                    md.update(buf, 0, n);
                    total += n;
                  }
                  counts[1] += total;
                  if (!expected.isEmpty()) {
                    String got = HexFormat.of().formatHex(md.digest());
                    if (want == null) {
                      problems.add(new VerifyReport.Problem(name, "is in the archive but not in the manifest"));
                    } else if (want.sha256() != null && !want.sha256().equals(got)) {
                      problems.add(new VerifyReport.Problem(name, "content SHA-256 " + got + " differs from the manifest's " + want.sha256()));
                    } else if (want.size() != total) {
                      problems.add(new VerifyReport.Problem(name, "size " + total + " differs from the manifest's " + want.size()));
                    }
                  }
                } else if (!expected.isEmpty() && want == null) {
                  problems.add(new VerifyReport.Problem(name, "is in the archive but not in the manifest"));
                }
              });
      if (sidecarSha != null && !sidecarSha.equals(result.objectSha256())) {
        problems.add(new VerifyReport.Problem("", "SHA-256 of the stored archive is " + result.objectSha256()
            + ", the checksum sidecar says " + sidecarSha));
      }
      for (String path : expected.keySet()) {
        if (!seen.containsKey(path)) {
          problems.add(new VerifyReport.Problem(path, "is in the manifest but missing from the archive"));
        }
      }
    } catch (IOException e) {
      String why = e instanceof java.io.EOFException ? "it ends early (truncated)"
          : (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
      problems.add(new VerifyReport.Problem("", "the archive stream is damaged: " + why));
    } catch (RuntimeException e) {
      if (e instanceof HoldfastException) {
        throw e;
      }
      problems.add(new VerifyReport.Problem("", "the archive cannot be read: " + e));
    }
    if (level == VerifyLevel.RESTORE_TEST && problems.isEmpty()) {
      // only a backup that reads clean is worth restoring; the full read above names damaged entries
      List<VerifyReport.EntryCheck> checks = new ArrayList<>();
      problems.addAll(new RestoreTest(decryption).run(item, checks));
      if (problems.isEmpty()) {
        new ScratchDatabaseCheck(decryption, scratchServers).run(item, problems, checks);
      }
      return new VerifyReport(key, counts[0], counts[1], problems, null, checks);
    }
    return new VerifyReport(key, counts[0], counts[1], problems);
  }

  private static List<VerifyReport.Problem> checksumOnly(ArchiveCatalog.Item item, String sidecarSha) {
    String expected = item.expectedSha256();
    if (expected == null) {
      return List.of();
    }
    try (InputStream in = item.backend().open(item.ref().id())) {
      MessageDigest md = Digests.sha256();
      byte[] buf = new byte[1 << 16];
      int n;
      while ((n = in.read(buf)) > 0) {
        md.update(buf, 0, n);
      }
      String got = HexFormat.of().formatHex(md.digest());
      return got.equals(expected) ? List.of()
          : List.of(new VerifyReport.Problem("", "SHA-256 of the stored archive is " + got + ", expected " + expected));
    } catch (IOException e) {
      return List.of(new VerifyReport.Problem("", "cannot read the archive: " + e.getMessage()));
    }
  }

}
