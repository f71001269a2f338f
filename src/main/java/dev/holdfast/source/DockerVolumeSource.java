package dev.holdfast.source;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectVolumeResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
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
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * A named Docker (or Podman) volume: the files under its Mountpoint, stored as
 * {@code docker-volumes/<name>/...}. Running containers that use the volume are stopped for the copy
 * when the source says so or the container carries the label
 * {@code holdfast.stop-during-backup=true}, and are always started again when the copy ends,
 * whether it succeeded or not.
 */
public final class DockerVolumeSource implements Source {
  public static final String STOP_LABEL = "holdfast.stop-during-backup";
  private final String volume;
  private final boolean stopAll;
  private final String dockerHost;

  public DockerVolumeSource(String volume, boolean stopAll, String dockerHost) {
    this.volume = volume;
    this.stopAll = stopAll;
    this.dockerHost = dockerHost;
  }

  /** {@code docker-volume:<name>?stop=true&docker_host=unix:///run/podman/podman.sock}. */
  public static DockerVolumeSource parse(String uri, java.util.Map<String, String> env) {
    String rest = uri.substring("docker-volume:".length());
    int q = rest.indexOf('?');
    String name = URLDecoder.decode(q < 0 ? rest : rest.substring(0, q), StandardCharsets.UTF_8);
    boolean stop = false;
    String host = null;
    for (String kv : q < 0 ? new String[0] : rest.substring(q + 1).split("&")) {
      int eq = kv.indexOf('=');
      String k = eq < 0 ? kv : kv.substring(0, eq);
      String v = eq < 0 ? "" : URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8);
      switch (k) {
        case "stop" -> stop = Boolean.parseBoolean(v);
        case "docker_host" -> host = v;
        default -> throw HoldfastException.usage(uri + ": unknown parameter " + k, "known: stop, docker_host");
      }
    }
    if (name.isEmpty() || name.contains("/")) {
      throw HoldfastException.usage(uri + ": name a volume, e.g. docker-volume:n8n_data");
    }
    if (host == null) {
      host = env.getOrDefault("DOCKER_HOST", "unix:///var/run/docker.sock");
    }
    return new DockerVolumeSource(name, stop, host);
  }

  @Override
  public String name() {
    return "docker volume " + volume;
  }

  private DockerClient client() {
    var config = DefaultDockerClientConfig.createDefaultConfigBuilder().withDockerHost(dockerHost).build();
    var http = new ApacheDockerHttpClient.Builder().dockerHost(config.getDockerHost())
        .connectionTimeout(Duration.ofSeconds(10)).responseTimeout(Duration.ofMinutes(2)).build();
    return DockerClientImpl.getInstance(config, http);
  }

  private InspectVolumeResponse inspect(DockerClient c) {
    try {
      return c.inspectVolumeCmd(volume).exec();
    } catch (NotFoundException e) {
      throw new HoldfastException(ExitCode.FAILED, "docker volume " + volume + " does not exist on " + dockerHost,
          "list them with: docker volume ls");
    } catch (RuntimeException e) {
      throw new HoldfastException(ExitCode.UNREACHABLE, "cannot reach the Docker API at " + dockerHost + ": "
          + e.getMessage(), "start the engine, or set docker_host (podman: podman system service)");
    }
  }

  @Override
  public void check() {
    try (DockerClient c = client()) {
      inspect(c);
    } catch (IOException e) {
      throw HoldfastException.io("closing the Docker API client", e);
    }
  }

  /** Running containers that mount this volume and are to be stopped for the copy. */
  private List<Container> toStop(DockerClient c) {
    List<Container> out = new ArrayList<>();
    for (Container k : c.listContainersCmd().exec()) {
      boolean uses = k.getMounts() != null && k.getMounts().stream().anyMatch(m -> volume.equals(m.getName()));
      boolean labelled = k.getLabels() != null && "true".equalsIgnoreCase(k.getLabels().get(STOP_LABEL));
      if (uses && (stopAll || labelled)) {
        out.add(k);
      }
    }
    return out;
  }

  @Override
  public Stream<Entry> entries(EventSink events) {
    DockerClient c = client();
    List<Container> stopped = new ArrayList<>();
    try {
      String mount = inspect(c).getMountpoint();
      for (Container k : toStop(c)) {
        c.stopContainerCmd(k.getId()).withTimeout(30).exec();
        stopped.add(k);
      }
      String prefix = PathSource.entryPath(java.nio.file.Path.of(mount));
      Stream<Entry> files = new PathSource(List.of(mount), List.of(), List.of(), true).entries(events);
      return files
          .filter(e -> e.path().startsWith(prefix + "/")) // not the Mountpoint's parents
          .map(e -> rename(e, prefix))
          .onClose(() -> restart(c, stopped, events));
    } catch (RuntimeException e) {
      restart(c, stopped, events);
      throw e;
    }
  }

  private Entry rename(Entry e, String prefix) {
    String base = "docker-volumes/" + volume;
    String path = base + e.path().substring(prefix.length());
    String link = e.kind() == Entry.Kind.HARDLINK && e.linkTarget() != null && e.linkTarget().startsWith(prefix)
        ? base + e.linkTarget().substring(prefix.length()) : e.linkTarget();
    return new Entry(path, e.kind(), e.size(), e.mode(), e.mtime(), e.uid(), e.gid(), e.owner(), e.group(), link,
        e.content());
  }

  /** Starts every container stopped for the copy; all are tried, the first failure is raised. */
  private void restart(DockerClient c, List<Container> stopped, EventSink events) {
    RuntimeException first = null;
    for (Container k : stopped) {
      try {
        c.startContainerCmd(k.getId()).exec();
      } catch (RuntimeException e) {
        if (first == null) {
          first = new HoldfastException(ExitCode.FAILED, "could not start container "
              + String.join(",", k.getNames()) + " again after backing up volume " + volume + ": " + e.getMessage(),
              "start it by hand: docker start " + k.getId());
        }
      }
    }
    stopped.clear();
    try {
      c.close();
    } catch (IOException ignored) {
      // the HTTP client is going away anyway
    }
    if (first != null) {
      throw first;
    }
  }
}
