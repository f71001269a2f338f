package dev.holdfast.notify;

import java.io.IOException;
import java.net.URI;
import java.util.Map;

/**
 * Pings a healthchecks.io-style check: {@code BASE/start} when a run starts, {@code BASE} when it
 * succeeds (or is partial), {@code BASE/fail} when it fails; the body carries the report, so it
 * shows in the check's event log. A check that hears nothing alerts on its own: the dead man's switch.
 */
public final class HealthchecksNotifier implements Notifier {
  private final String base;

  public HealthchecksNotifier(URI base) {
    String b = base.toString();
    this.base = b.endsWith("/") ? b.substring(0, b.length() - 1) : b;
  }

  @Override
  public boolean wants(Notice.Kind kind) {
    return true;
  }

  @Override
  public void send(Notice n) throws IOException, InterruptedException {
    String url = switch (n.kind()) {
      case START -> base + "/start";
      // a skip within max_age is healthy by policy; a longer absence is recorded as FAILURE and pings /fail
      case SUCCESS, PARTIAL, SKIPPED -> base;
      case FAILURE -> base + "/fail";
    };
    Http.post(URI.create(url), "text/plain; charset=utf-8", n.text(), Map.of());
  }

  @Override
  public String describe() {
    return "healthchecks " + Http.redacted(URI.create(base));
  }
}
