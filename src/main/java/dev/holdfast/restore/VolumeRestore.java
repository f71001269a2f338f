package dev.holdfast.restore;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Volume;
import dev.holdfast.archive.ArchiveCatalog;
import dev.holdfast.archive.ArchiveEntry;
import dev.holdfast.archive.ArchiveReader;
import dev.holdfast.archive.Digests;
import dev.holdfast.archive.Manifest;
import dev.holdfast.archive.OpenPgpDecryption;
import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import dev.holdfast.source.DockerVolumeSource;
import dev.holdfast.source.StoppedContainers;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Restores a Docker (or Podman) volume from a backup through the engine's API, never through its
 * Mountpoint (which a rootless or remote engine does not let holdfast write): the volume is
 * mounted into a short-lived helper container, and its files ({@code docker-volumes/<name>/...} in
 * the backup) are streamed as a tar into the archive-upload endpoint, which the engine extracts
 * with owners, modes, times and links as stored.
 */
public final class VolumeRestore {
  /** The helper's image when none is given: it needs {@code sh}, {@code sleep}, {@code ls} and {@code rm}. */
  public static final String DEFAULT_HELPER_IMAGE = "docker.io/library/busybox:latest";
  private static final String MOUNT = "/holdfast-volume";
  private final OpenPgpDecryption decryption;

  /** {@code decryption} opens encrypted archives; null when none is expected. */
  public VolumeRestore(OpenPgpDecryption decryption) {
    this.decryption = decryption;
  }

  /**
   * @param volume the volume's name in the backup
   * @param into the volume to restore into (created when missing), or null for {@code volume}
   * @param dockerHost the engine, e.g. {@code unix:///var/run/docker.sock}
   * @param helperImage the helper container's image, or null for {@link #DEFAULT_HELPER_IMAGE}
   * @param clean empty a volume that holds files before restoring
   * @param overwrite restore over the files of a volume that holds files
   * @param stopAll stop every running container that uses the volume, not only those labelled
   *     {@code holdfast.stop-during-backup=true}
   */
  public record Request(String volume, String into, String dockerHost, String helperImage, boolean clean,
      boolean overwrite, boolean stopAll) {}

  /**
   * What was restored; {@code created} when the volume did not exist before, {@code skipped} the
   * special files (FIFOs, devices) not restored, {@code stopped} the containers stopped for the
   * restore and started again.
   */
  public record Result(String backup, String volume, String into, boolean created, long files, long directories,
      long links, long bytes, long skipped, List<String> stopped) {}

  public Result restore(ArchiveCatalog.Item item, Request req) {
    String key = item.ref().id();
    String base = DockerVolumeSource.PREFIX + req.volume();
    List<Manifest.ManifestEntry> listed = item.entries(decryption);
    if (!listed.isEmpty() && listed.stream().noneMatch(e -> under(e.path(), base))) {
      TreeSet<String> volumes = new TreeSet<>();
      for (Manifest.ManifestEntry e : listed) {
        if (e.path().startsWith(DockerVolumeSource.PREFIX)) {
          volumes.add(e.path().substring(DockerVolumeSource.PREFIX.length()).split("/")[0]);
        }
      }
      throw HoldfastException.usage("backup " + key + " holds no docker volume '" + req.volume() + "'",
          volumes.isEmpty() ? "it holds no docker volumes" : "volumes in it: " + String.join(", ", volumes));
    }
    Map<String, String> expected = new HashMap<>();
    for (Manifest.ManifestEntry e : listed) {
      if (e.sha256() != null && under(e.path(), base)) {
        expected.put(e.path(), e.sha256());
      }
    }
    String into = req.into() == null ? req.volume() : req.into();
    String image = req.helperImage() == null ? DEFAULT_HELPER_IMAGE : req.helperImage();
    try (DockerClient c = DockerVolumeSource.client(req.dockerHost())) {
      boolean created = false;
      try {
        c.inspectVolumeCmd(into).exec();
      } catch (NotFoundException e) {
        try {
          c.createVolumeCmd().withName(into).exec();
        } catch (DockerException ce) {
          throw new HoldfastException(ExitCode.FAILED, "creating docker volume " + into + ": " + ce.getMessage());
        }
        created = true;
      } catch (RuntimeException e) {
        throw DockerVolumeSource.unreachable(req.dockerHost(), e);
      }
      String helper = null;
      boolean done = false;
      StoppedContainers stopped = null;
      try {
        stopped = StoppedContainers.stop(c, Set.of(into), req.stopAll(), "restoring docker volume " + into);
        helper = startHelper(c, into, image);
        if (!created) {
          String present = exec(c, helper, "ls -A " + MOUNT, "looking into docker volume " + into).strip();
          if (!present.isEmpty()) {
            if (req.clean()) {
              exec(c, helper, "rm -rf " + MOUNT + "/..?* " + MOUNT + "/.[!.]* " + MOUNT + "/*",
                  "emptying docker volume " + into);
            } else if (!req.overwrite()) {
              List<String> names = present.lines().toList();
              throw new HoldfastException(ExitCode.FAILED, "docker volume " + into + " is not empty (it holds "
                  + String.join(", ", names.subList(0, Math.min(3, names.size())))
                  + (names.size() > 3 ? ", …" : "") + "); nothing was restored",
                  "pass --clean to empty it first, --overwrite to write over its files, or restore into a new "
                      + "volume with --into NAME");
            }
          }
        }
        Counts n = upload(c, helper, item, key, base, expected, into);
        done = true;
        List<String> names = stopped.names();
        stopped.close();
        return new Result(key, req.volume(), into, created, n.files, n.directories, n.links, n.bytes, n.skipped,
            names);
      } catch (RuntimeException e) {
        if (!done && stopped != null) {
          try {
            stopped.close(); // started again after a failed restore too
          } catch (HoldfastException restart) {
            HoldfastException he = e instanceof HoldfastException h ? h
                : new HoldfastException(ExitCode.FAILED, e.getMessage(), null, e);
            throw new HoldfastException(he.exitCode(), he.getMessage() + "; and " + restart.getMessage(),
                restart.hint(), he);
          }
        }
        throw e;
      } finally {
        if (helper != null) {
          try {
            c.removeContainerCmd(helper).withForce(true).withRemoveVolumes(false).exec();
          } catch (RuntimeException ignored) {
            // the helper is labelled holdfast.helper=restore and sleeps for a day at most
          }
        }
        if (!done && created) {
          try {
            c.removeVolumeCmd(into).exec(); // a volume this restore created holds nothing worth keeping
          } catch (RuntimeException ignored) {
            // it stays, empty or partial; the error being raised says what went wrong
          }
        }
      }
    } catch (IOException e) {
      throw HoldfastException.io("closing the Docker API client", e);
    }
  }

  static boolean under(String path, String base) {
    return path.equals(base) || path.startsWith(base + "/");
  }

  private static String startHelper(DockerClient c, String volume, String image) {
    String name = "holdfast-restore-" + UUID.randomUUID().toString().substring(0, 8);
    var create = c.createContainerCmd(image).withName(name).withUser("0")
        .withEntrypoint("sleep").withCmd("86400")
        .withLabels(Map.of("holdfast.helper", "restore"))
        .withHostConfig(HostConfig.newHostConfig().withBinds(new Bind(volume, new Volume(MOUNT)))
            .withNetworkMode("none"));
    String id;
    try {
      id = create.exec().getId();
    } catch (NotFoundException e) {
      try {
        c.pullImageCmd(image).start().awaitCompletion(10, TimeUnit.MINUTES);
        id = create.exec().getId();
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
        throw new HoldfastException(ExitCode.INTERRUPTED, "pulling helper image " + image + ": interrupted");
      } catch (RuntimeException pe) {
        throw new HoldfastException(ExitCode.FAILED, "the helper image " + image + " is not on the engine and "
            + "could not be pulled: " + pe.getMessage(),
            "pull it (docker pull " + image + "), or name a local image with sh, ls and rm: --helper-image IMAGE");
      }
    } catch (DockerException e) {
      throw new HoldfastException(ExitCode.FAILED, "creating a helper container from " + image + " to write volume "
          + volume + ": " + e.getMessage());
    }
    try {
      c.startContainerCmd(id).exec();
    } catch (RuntimeException e) {
      c.removeContainerCmd(id).withForce(true).exec();
      throw new HoldfastException(ExitCode.FAILED, "starting a helper container from " + image + " to write volume "
          + volume + ": " + e.getMessage(), "the image needs sleep, sh, ls and rm: --helper-image IMAGE");
    }
    return id;
  }

  /** Runs {@code sh -c script} in the helper; returns its output, or throws with it. */
  private static String exec(DockerClient c, String helper, String script, String doing) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      String id = c.execCreateCmd(helper).withCmd("sh", "-c", script).withUser("0")
          .withAttachStdout(true).withAttachStderr(true).exec().getId();
      c.execStartCmd(id).exec(new ResultCallback.Adapter<Frame>() {
        @Override
        public void onNext(Frame frame) {
          synchronized (out) {
            out.writeBytes(frame.getPayload());
          }
        }
      }).awaitCompletion(10, TimeUnit.MINUTES);
      Long code = c.inspectExecCmd(id).exec().getExitCodeLong();
      String said;
      synchronized (out) {
        said = out.toString(StandardCharsets.UTF_8);
      }
      if (code == null || code != 0) {
        throw new HoldfastException(ExitCode.FAILED, doing + ": '" + script + "' in the helper container exited with "
            + code + (said.isBlank() ? "" : ": " + said.strip()));
      }
      return said;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new HoldfastException(ExitCode.INTERRUPTED, doing + ": interrupted");
    } catch (DockerException e) {
      throw new HoldfastException(ExitCode.FAILED, doing + ": " + e.getMessage());
    }
  }

  private static final class Counts {
    long files;
    long directories;
    long links;
    long bytes;
    long skipped;
  }

  /**
   * Streams the volume's entries as a tar into the helper: a producer thread reads the backup and
   * writes the tar into a pipe that the upload reads. A damaged backup ends the tar early (without
   * its end-of-archive blocks) and is reported as such.
   */
  private Counts upload(DockerClient c, String helper, ArchiveCatalog.Item item, String key, String base,
      Map<String, String> expected, String into) {
    Counts n = new Counts();
    String doing = "restoring docker volume " + base.substring(DockerVolumeSource.PREFIX.length()) + " from " + key
        + " into volume " + into;
    PipedInputStream in = new PipedInputStream(1 << 20);
    PipedOutputStream pipe;
    try {
      pipe = new PipedOutputStream(in);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    boolean[] uploadEnded = {false};
    RuntimeException[] producerError = {null};
    boolean[] producerFirst = {false};
    Thread producer = Thread.ofVirtual().start(() -> {
      try {
        produce(item, key, base, expected, pipe, n);
      } catch (RuntimeException e) {
        synchronized (uploadEnded) {
          producerError[0] = e;
          producerFirst[0] = !uploadEnded[0];
        }
      } finally {
        try {
          pipe.close();
        } catch (IOException ignored) {
          // the reading side is gone already
        }
      }
    });
    RuntimeException uploadError = null;
    try {
      c.copyArchiveToContainerCmd(helper).withRemotePath(MOUNT).withTarInputStream(in)
          .withNoOverwriteDirNonDir(false).exec();
    } catch (RuntimeException e) {
      uploadError = e;
    } finally {
      synchronized (uploadEnded) {
        uploadEnded[0] = true;
      }
      try {
        in.close(); // a producer still writing gets "pipe closed" and stops
      } catch (IOException ignored) {
        // nothing to release
      }
    }
    try {
      producer.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new HoldfastException(ExitCode.INTERRUPTED, doing + ": interrupted");
    }
    if (producerError[0] != null && (producerFirst[0] || uploadError == null)) {
      throw producerError[0];
    }
    if (uploadError != null) {
      throw new HoldfastException(ExitCode.FAILED, doing + ": the engine refused the upload: "
          + uploadError.getMessage() + "; the volume may hold a partial restore");
    }
    return n;
  }

  private void produce(ArchiveCatalog.Item item, String key, String base, Map<String, String> expected,
      PipedOutputStream pipe, Counts n) {
    TarArchiveOutputStream tar = new TarArchiveOutputStream(pipe, 1 << 16);
    tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
    tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
    tar.setAddPaxHeadersForNonAsciiNames(true);
    String partial = "; the volume may hold a partial restore";
    ArchiveReader.Result read;
    try {
      read = ArchiveReader.read(item.backend(), key, decryption, (entry, content) -> {
        String name = entry.normalizedName();
        if (!under(name, base)) {
          return;
        }
        String rel = name.equals(base) ? "." : name.substring(base.length() + 1);
        PathRules.unsafe(rel).ifPresent(why -> {
          throw new HoldfastException(ExitCode.FAILED, "refusing to restore '" + entry.name() + "' from " + key
              + ": " + why, "this archive was not written by Holdfast or was tampered with; inspect it with: tar -tvf");
        });
        TarArchiveEntry t = switch (entry.type()) {
          case DIRECTORY -> new TarArchiveEntry(rel.equals(".") ? "./" : "./" + rel + "/");
          case FILE -> new TarArchiveEntry("./" + rel);
          case SYMLINK -> {
            TarArchiveEntry s = new TarArchiveEntry("./" + rel, TarConstants.LF_SYMLINK);
            s.setLinkName(entry.linkTarget());
            yield s;
          }
          case HARDLINK -> {
            String target = new ArchiveEntry(entry.linkTarget(), ArchiveEntry.Type.FILE, 0, 0, entry.mtime(), 0, 0,
                "", "", null).normalizedName();
            if (!target.startsWith(base + "/") || PathRules.unsafe(target).isPresent()) {
              throw new HoldfastException(ExitCode.FAILED, "refusing to restore hard link '" + name + "' from " + key
                  + " to '" + entry.linkTarget() + "': it points outside the volume");
            }
            TarArchiveEntry h = new TarArchiveEntry("./" + rel, TarConstants.LF_LINK);
            h.setLinkName("./" + target.substring(base.length() + 1));
            yield h;
          }
          case OTHER -> null;
        };
        if (t == null) {
          n.skipped++;
          return;
        }
        t.setMode(entry.mode() & 07777 | (t.getMode() & ~07777));
        t.setModTime(entry.mtime().toEpochMilli());
        t.setUserId(entry.uid());
        t.setGroupId(entry.gid());
        t.setUserName(entry.owner() == null ? "" : entry.owner());
        t.setGroupName(entry.group() == null ? "" : entry.group());
        if (entry.type() == ArchiveEntry.Type.FILE) {
          t.setSize(entry.size());
        }
        tar.putArchiveEntry(t);
        if (entry.type() == ArchiveEntry.Type.FILE) {
          MessageDigest md = Digests.sha256();
          byte[] buf = new byte[1 << 16];
          long total = 0;
          int r;
          while ((r = content.read(buf)) > 0) {
            tar.write(buf, 0, r);
            md.update(buf, 0, r);
            total += r;
          }
          String want = expected.get(name);
          String got = HexFormat.of().formatHex(md.digest());
          if (total != entry.size() || want != null && !want.equals(got)) {
            throw new HoldfastException(ExitCode.DAMAGED, "backup " + key + " failed its integrity check: '" + name
                + "' has SHA-256 " + got + " but the manifest says " + want + partial, ArchiveRestore.verifyHint(item, key));
          }
          n.files++;
          n.bytes += total;
        } else if (entry.type() == ArchiveEntry.Type.DIRECTORY) {
          n.directories++;
        } else {
          n.links++;
        }
        tar.closeArchiveEntry();
      });
    } catch (HoldfastException e) {
      throw e;
    } catch (IOException e) {
      throw new HoldfastException(ExitCode.DAMAGED, "backup " + key + " is damaged or unreadable, or the upload "
          + "stopped: " + e.getMessage() + partial, ArchiveRestore.verifyHint(item, key), e);
    }
    String sidecar = item.expectedSha256();
    if (sidecar != null && !sidecar.equals(read.objectSha256())) {
      // the tar is left unfinished, so the engine sees a truncated stream
      throw new HoldfastException(ExitCode.DAMAGED, "backup " + key + " does not match its checksum" + partial,
          ArchiveRestore.verifyHint(item, key));
    }
    try {
      tar.finish();
      tar.flush();
    } catch (IOException e) {
      throw new HoldfastException(ExitCode.FAILED, "streaming the volume to the engine: " + e.getMessage() + partial, null, e);
    }
  }
}
