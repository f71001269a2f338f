package dev.holdfast.source;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectVolumeResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import dev.holdfast.event.EventSink;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Docker (or Podman) volumes — one named volume, or every volume carrying a label: the files under
 * each Mountpoint, stored as {@code docker-volumes/<name>/...}. Running containers that use the
 * volumes are stopped for the copy when the source says so or the container carries the label
 * {@code holdfast.stop-during-backup=true}, and are always started again when the copy ends,
 * whether it succeeded or not.
 */
public final class DockerVolumeSource implements Source {
  public static final String STOP_LABEL = "holdfast.stop-during-backup";
  /** Where a volume's files sit inside a backup: {@code docker-volumes/<name>/...}. */
  public static final String PREFIX = "docker-volumes/";
  private final String volume;
  private final String label;
  private final boolean stopAll;
  private final String dockerHost;

  /** One named volume. */
  public DockerVolumeSource(String volume, boolean stopAll, String dockerHost) {
    this(volume, null, stopAll, dockerHost);
  }

  /**
   * @param volume a volume's name, or null with {@code label}
   * @param label {@code key=value} or {@code key}: every volume carrying it, or null with {@code volume}
   */
  public DockerVolumeSource(String volume, String label, boolean stopAll, String dockerHost) {
    if ((volume == null) == (label == null)) {
      throw new IllegalArgumentException("a volume name or a label, exactly one");
    }
    this.volume = volume;
    this.label = label;
    this.stopAll = stopAll;
    this.dockerHost = dockerHost;
  }

  /**
   * {@code docker-volume:<name>?stop=true&docker_host=unix:///run/podman/podman.sock}, or
   * {@code docker-volume:?label=holdfast.backup=true} for every volume with that label.
   */
  public static DockerVolumeSource parse(String uri, Map<String, String> env) {
    String rest = uri.substring("docker-volume:".length());
    int q = rest.indexOf('?');
    String name = URLDecoder.decode(q < 0 ? rest : rest.substring(0, q), StandardCharsets.UTF_8);
    boolean stop = false;
    String host = null;
    String label = null;
    for (String kv : q < 0 ? new String[0] : rest.substring(q + 1).split("&")) {
      int eq = kv.indexOf('=');
      String k = eq < 0 ? kv : kv.substring(0, eq);
      String v = eq < 0 ? "" : URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8);
      switch (k) {
        case "stop" -> stop = Boolean.parseBoolean(v);
        case "docker_host" -> host = v;
        case "label" -> label = v;
        default -> throw HoldfastException.usage(uri + ": unknown parameter " + k, "known: stop, docker_host, label");
      }
    }
    if (label != null) {
      if (!name.isEmpty() || label.isEmpty() || label.startsWith("=")) {
        throw HoldfastException.usage(uri + ": give a volume name or ?label=KEY=VALUE, not both",
            "e.g. docker-volume:?label=holdfast.backup=true");
      }
    } else if (name.isEmpty() || name.contains("/")) {
      throw HoldfastException.usage(uri + ": name a volume, e.g. docker-volume:n8n_data, or select by label: "
          + "docker-volume:?label=holdfast.backup=true");
    }
    return new DockerVolumeSource(label == null ? name : null, label, stop, dockerHost(host, env));
  }

  /** The engine to talk to: the one given, else {@code $DOCKER_HOST}, else the local Docker socket. */
  public static String dockerHost(String given, Map<String, String> env) {
    return given != null ? given : env.getOrDefault("DOCKER_HOST", "unix:///var/run/docker.sock");
  }

  /** The engine this source talks to. */
  public String dockerHost() {
    return dockerHost;
  }

  @Override
  public String name() {
    return volume != null ? "docker volume " + volume : "docker volumes labelled " + label;
  }

  /** A client for the engine at {@code dockerHost}; the caller closes it. */
  public static DockerClient client(String dockerHost) {
    var config = DefaultDockerClientConfig.createDefaultConfigBuilder().withDockerHost(dockerHost).build();
    var http = new ApacheDockerHttpClient.Builder().dockerHost(config.getDockerHost())
        .connectionTimeout(Duration.ofSeconds(10)).responseTimeout(Duration.ofMinutes(2)).build();
    return DockerClientImpl.getInstance(config, http);
  }

  private DockerClient client() {
    return client(dockerHost);
  }

  /** Wraps a failure to talk to the engine at {@code dockerHost}. */
  public static HoldfastException unreachable(String dockerHost, RuntimeException e) {
    return new HoldfastException(ExitCode.UNREACHABLE, "cannot reach the Docker API at " + dockerHost + ": "
        + e.getMessage(), "start the engine, or set docker_host (podman: podman system service)");
  }

  private InspectVolumeResponse inspect(DockerClient c, String name) {
    try {
      return c.inspectVolumeCmd(name).exec();
    } catch (NotFoundException e) {
      throw new HoldfastException(ExitCode.FAILED, "docker volume " + name + " does not exist on " + dockerHost,
          "list them with: docker volume ls");
    } catch (RuntimeException e) {
      throw unreachable(dockerHost, e);
    }
  }

  /** The volumes to copy, by name, with their Mountpoints: the named one, or every labelled one. */
  private SortedMap<String, String> volumes(DockerClient c) {
    SortedMap<String, String> out = new TreeMap<>();
    if (volume != null) {
      out.put(volume, inspect(c, volume).getMountpoint());
      return out;
    }
    int eq = label.indexOf('=');
    String key = eq < 0 ? label : label.substring(0, eq);
    String value = eq < 0 ? null : label.substring(eq + 1);
    List<InspectVolumeResponse> all;
    try {
      all = c.listVolumesCmd().exec().getVolumes();
    } catch (RuntimeException e) {
      throw unreachable(dockerHost, e);
    }
    // filtered here rather than by the engine's label filter, whose handling of "key=value" differs between
    // Docker and Podman versions
    for (InspectVolumeResponse v : all == null ? List.<InspectVolumeResponse>of() : all) {
      Map<String, String> labels = v.getLabels() == null ? Map.of() : v.getLabels();
      if (labels.containsKey(key) && (value == null || value.equals(labels.get(key)))) {
        out.put(v.getName(), v.getMountpoint());
      }
    }
    if (out.isEmpty()) {
      throw new HoldfastException(ExitCode.FAILED, "no docker volume on " + dockerHost + " has the label " + label,
          "label a volume when creating it: docker volume create --label " + label + " NAME");
    }
    return out;
  }

  @Override
  public void check() {
    try (DockerClient c = client()) {
      volumes(c);
    } catch (IOException e) {
      throw HoldfastException.io("closing the Docker API client", e);
    }
  }

  @Override
  public Stream<Entry> entries(EventSink events) {
    DockerClient c = client();
    StoppedContainers stopped = null;
    try {
      SortedMap<String, String> volumes = volumes(c);
      stopped = StoppedContainers.stop(c, volumes.keySet(), stopAll, "backing up " + name());
      StoppedContainers restart = stopped;
      // each volume's stream is opened only when the previous one is done, and closed by flatMap
      return volumes.entrySet().stream()
          .flatMap(v -> files(v.getKey(), v.getValue(), events))
          .onClose(() -> restart(c, restart));
    } catch (RuntimeException e) {
      restart(c, stopped);
      throw e;
    }
  }

  /** The Mountpoint itself (as {@code docker-volumes/<name>}, keeping its owner and mode) and everything below. */
  private static Stream<Entry> files(String name, String mount, EventSink events) {
    String prefix = PathSource.entryPath(java.nio.file.Path.of(mount));
    return new PathSource(List.of(mount), List.of(), List.of(), true).entries(events)
        .filter(e -> e.path().equals(prefix) || e.path().startsWith(prefix + "/")) // not the Mountpoint's parents
        .map(e -> rename(e, name, prefix));
  }

  private static Entry rename(Entry e, String volume, String prefix) {
    String base = PREFIX + volume;
    String path = base + e.path().substring(prefix.length());
    String link = e.kind() == Entry.Kind.HARDLINK && e.linkTarget() != null && e.linkTarget().startsWith(prefix)
        ? base + e.linkTarget().substring(prefix.length()) : e.linkTarget();
    return new Entry(path, e.kind(), e.size(), e.mode(), e.mtime(), e.uid(), e.gid(), e.owner(), e.group(), link,
        e.content());
  }

  /** Starts what was stopped (raising the first failure) and closes the client. */
  private static void restart(DockerClient c, StoppedContainers stopped) {
    try (c) {
      if (stopped != null) {
        stopped.close();
      }
    } catch (IOException ignored) {
      // the HTTP client is going away anyway
    }
  }
}
