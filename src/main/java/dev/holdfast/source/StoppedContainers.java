package dev.holdfast.source;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import dev.holdfast.error.ExitCode;
import dev.holdfast.error.HoldfastException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Running containers stopped while their volumes are copied (backed up or restored), started again
 * by {@link #close()} whatever happened in between. Those stopped are the ones that mount one of
 * the volumes and carry the label {@code holdfast.stop-during-backup=true}, or every one that
 * mounts them when asked.
 */
public final class StoppedContainers implements AutoCloseable {
  private final DockerClient client;
  private final String doing;
  private final List<Container> stopped = new ArrayList<>();

  private StoppedContainers(DockerClient client, String doing) {
    this.client = client;
    this.doing = doing;
  }

  /**
   * Stops them (30 s grace each); when one cannot be stopped, those already stopped are started
   * again before the failure is raised.
   *
   * @param doing what the copy is, for messages: "backing up docker volume x"
   */
  public static StoppedContainers stop(DockerClient client, Set<String> volumes, boolean all, String doing) {
    StoppedContainers s = new StoppedContainers(client, doing);
    try {
      for (Container k : client.listContainersCmd().exec()) {
        boolean uses = k.getMounts() != null && k.getMounts().stream().anyMatch(m -> volumes.contains(m.getName()));
        boolean labelled = k.getLabels() != null
            && "true".equalsIgnoreCase(k.getLabels().get(DockerVolumeSource.STOP_LABEL));
        if (uses && (all || labelled)) {
          client.stopContainerCmd(k.getId()).withTimeout(30).exec();
          s.stopped.add(k);
        }
      }
    } catch (RuntimeException e) {
      HoldfastException failure = new HoldfastException(ExitCode.FAILED, doing + ": stopping the containers that use "
          + "the volume: " + e.getMessage());
      try {
        s.close();
      } catch (HoldfastException restart) {
        failure.addSuppressed(restart);
      }
      throw failure;
    }
    return s;
  }

  /** The names of the containers stopped, as the engine lists them. */
  public List<String> names() {
    List<String> out = new ArrayList<>();
    for (Container k : stopped) {
      out.add(k.getNames() == null || k.getNames().length == 0 ? k.getId() : k.getNames()[0].replaceFirst("^/", ""));
    }
    return out;
  }

  /** Starts every container stopped; all are tried, the first failure is raised. Does not close the client. */
  @Override
  public void close() {
    HoldfastException first = null;
    for (Container k : stopped) {
      try {
        client.startContainerCmd(k.getId()).exec();
      } catch (RuntimeException e) {
        if (first == null) {
          first = new HoldfastException(ExitCode.FAILED, "could not start container "
              + String.join(",", k.getNames()) + " again after " + doing + ": " + e.getMessage(),
              "start it by hand: docker start " + k.getId());
        }
      }
    }
    stopped.clear();
    if (first != null) {
      throw first;
    }
  }
}
