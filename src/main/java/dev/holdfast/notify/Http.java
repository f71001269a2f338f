package dev.holdfast.notify;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/** The HTTP POST the web notifiers share: short timeouts, a 2xx answer or an IOException naming the status. */
final class Http {
  static final Duration TIMEOUT = Duration.ofSeconds(15);
  private static final HttpClient CLIENT =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).followRedirects(HttpClient.Redirect.NORMAL).build();

  private Http() {}

  static void post(URI uri, String contentType, String body, Map<String, String> headers)
      throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(TIMEOUT)
        .header("Content-Type", contentType)
        .header("User-Agent", "holdfast")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    headers.forEach(b::header);
    HttpResponse<String> r;
    try {
      r = CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new IOException("POST " + redacted(uri) + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
    }
    if (r.statusCode() / 100 != 2) {
      throw new IOException("POST " + redacted(uri) + " answered HTTP " + r.statusCode());
    }
  }

  /** The URL without user info or query (tokens often live there). */
  static String redacted(URI uri) {
    return uri.getScheme() + "://" + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort()) + uri.getRawPath();
  }
}
