package dev.holdfast.metrics;

import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import java.io.IOException;

/** Serves {@link HoldfastMetrics} on {@code http://host:port/metrics} for Prometheus to scrape. */
public final class MetricsServer implements AutoCloseable {
  private final HTTPServer server;

  private MetricsServer(HTTPServer server) {
    this.server = server;
  }

  /** Starts serving on {@code host:port} (port 0: any free port, see {@link #port}). */
  public static MetricsServer start(HoldfastMetrics metrics, String host, int port) throws IOException {
    return new MetricsServer(HTTPServer.builder().hostname(host).port(port).registry(metrics.registry()).buildAndStart());
  }

  public int port() {
    return server.getPort();
  }

  @Override
  public void close() {
    server.close();
  }
}
