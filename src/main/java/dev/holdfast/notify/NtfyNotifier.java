package dev.holdfast.notify;

import java.io.IOException;
import java.net.URI;
import java.util.Map;
import java.util.Set;

/** Publishes to an ntfy topic (https://ntfy.sh/mytopic): the report as the message, with Title, Priority and Tags headers. */
public final class NtfyNotifier implements Notifier {
  private final URI topic;
  private final Set<Notice.Kind> on;

  public NtfyNotifier(URI topic, Set<Notice.Kind> on) {
    this.topic = topic;
    this.on = Set.copyOf(on);
  }

  @Override
  public boolean wants(Notice.Kind kind) {
    return on.contains(kind);
  }

  @Override
  public void send(Notice n) throws IOException, InterruptedException {
    String priority = switch (n.kind()) {
      case FAILURE -> "high";
      case PARTIAL -> "default";
      default -> "low";
    };
    String tags = switch (n.kind()) {
      case FAILURE -> "rotating_light";
      case PARTIAL -> "warning";
      case SUCCESS -> "white_check_mark";
      case START -> "hourglass";
      case SKIPPED -> "fast_forward";
    };
    // header values must be ASCII; job names are (config validation)
    Http.post(topic, "text/plain; charset=utf-8", n.text(),
        Map.of("Title", "holdfast: " + n.job() + " " + n.kind().name(), "Priority", priority, "Tags", tags));
  }

  @Override
  public String describe() {
    return "ntfy " + Http.redacted(topic);
  }
}
