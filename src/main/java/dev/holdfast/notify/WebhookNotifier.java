package dev.holdfast.notify;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** POSTs a JSON document per notice to a URL; the schema is documented in docs/notifications.md. */
public final class WebhookNotifier implements Notifier {
  static final int SCHEMA_VERSION = 1;
  private static final ObjectMapper JSON = new ObjectMapper();
  private final URI url;
  private final Set<Notice.Kind> on;

  public WebhookNotifier(URI url, Set<Notice.Kind> on) {
    this.url = url;
    this.on = Set.copyOf(on);
  }

  @Override
  public boolean wants(Notice.Kind kind) {
    return on.contains(kind);
  }

  @Override
  public void send(Notice n) throws IOException, InterruptedException {
    Http.post(url, "application/json", json(n), Map.of());
  }

  static String json(Notice n) throws JsonProcessingException {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("version", SCHEMA_VERSION);
    m.put("event", n.kind().configName());
    m.put("job", n.job());
    m.put("host", n.host());
    m.put("time", n.at().toString());
    if (n.record() != null) {
      var r = n.record();
      m.put("status", r.status());
      m.put("exit_code", r.exitCode());
      m.put("target", r.target());
      m.put("backup", r.backup());
      m.put("size_bytes", r.size());
      m.put("files", r.files());
      m.put("warnings", r.warnings());
      m.put("started", r.started().toString());
      m.put("finished", r.finished().toString());
      m.put("duration_seconds", n.duration().toMillis() / 1000.0);
      m.put("error", r.error());
      m.put("log_tail", n.logTail());
    }
    return JSON.writeValueAsString(m);
  }

  @Override
  public String describe() {
    return "webhook " + Http.redacted(url);
  }
}
