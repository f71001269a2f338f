package dev.holdfast.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.holdfast.archive.ArchiveCatalog;
import dev.holdfast.archive.OpenPgpDecryption;
import dev.holdfast.backend.Backend;
import dev.holdfast.error.HoldfastException;
import dev.holdfast.job.Job;
import dev.holdfast.job.RunListener;
import dev.holdfast.job.RunResult;
import dev.holdfast.state.RunRecord;
import dev.holdfast.repository.ObjectId;
import dev.holdfast.repository.Repository;
import dev.holdfast.repository.RepositoryCatalog;
import dev.holdfast.verify.ArchiveVerifier;
import dev.holdfast.verify.RepositoryVerifier;
import dev.holdfast.verify.VerifyLevel;
import dev.holdfast.verify.VerifyReport;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The daemon's dashboard: the pages (shipped in the jar under {@code web/}) and the JSON API under
 * {@code /api/} they use, behind the access rules of docs/dashboard.md. Mounted at "/" on the
 * daemon's metrics listener.
 */
public final class Dashboard implements HttpHandler {
  static final ObjectMapper JSON =
      new ObjectMapper()
          .registerModule(new JavaTimeModule())
          .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
  private static final int MAX_BODY = 64 * 1024;
  private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
      + "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
  private static final Map<String, String> PAGES = Map.of(
      "/", "index.html", "/index.html", "index.html", "/job.html", "job.html", "/browse.html", "browse.html",
      "/login.html", "login.html", "/app.js", "app.js", "/app.css", "app.css", "/favicon.svg", "favicon.svg");
  private static final DateTimeFormatter LOG_STAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

  /** Who may call a route: anyone (pages need it to log in), any authenticated caller, or admins only. */
  enum Need { NONE, READ, ADMIN }

  @FunctionalInterface
  interface Handler {
    void handle(Call c) throws IOException;
  }

  /** One API route; {@code template} uses {name} for path parameters, as in the OpenAPI file. */
  record Route(String method, String template, Need need, Handler handler, Pattern pattern) {
    static Route of(String method, String template, Need need, Handler h) {
      String regex = template.replaceAll("\\{[a-z]+}", "([^/]+)");
      return new Route(method, template, need, h, Pattern.compile(regex));
    }
  }

  private final DashboardContext ctx;
  private final Access access;
  private final LiveOps live;
  private final JobBoard board;
  private final VerifyHistory verifications;
  private final ArchiveBrowser browser = new ArchiveBrowser();
  private final Confirmations confirmations = new Confirmations();
  private final RestoreFlow restores;
  private final List<Route> routes = new ArrayList<>();
  private final java.util.Set<Thread> actions = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private volatile boolean stopping;

  public Dashboard(DashboardContext ctx, WebSettings settings) {
    this.ctx = ctx;
    this.access = new Access(settings, ctx.clock());
    this.live = new LiveOps(ctx.clock());
    this.verifications = new VerifyHistory(ctx.stateDir());
    this.board = new JobBoard(ctx, live, verifications);
    this.restores = new RestoreFlow(confirmations);
    route("GET", "/api/session", Need.NONE, this::session);
    route("POST", "/api/login", Need.NONE, this::login);
    route("POST", "/api/logout", Need.NONE, this::logout);
    route("GET", "/api/openapi.json", Need.NONE, c -> c.resource("openapi.json"));
    route("GET", "/api/overview", Need.READ, c -> c.json(200, board.overview()));
    route("GET", "/api/fleet", Need.READ, c -> c.json(200, Map.of("targets", board.fleet())));
    route("GET", "/api/live", Need.READ, c -> c.json(200, liveNow()));
    route("GET", "/api/live/stream", Need.READ, this::stream);
    route("GET", "/api/ops/{id}", Need.READ, c -> c.json(200, live.find(c.param(0))
        .orElseThrow(() -> new WebError(404, "no operation " + c.param(0)))));
    route("GET", "/api/jobs/{job}", Need.READ, c -> c.json(200, board.detail(c.param(0), c.intQuery("limit", 50, 1, 1000))));
    route("GET", "/api/jobs/{job}/runs/{id}/log", Need.READ, this::runLog);
    route("GET", "/api/jobs/{job}/retention", Need.READ, c -> c.json(200, board.retention(board.job(c.param(0)), false)));
    route("POST", "/api/jobs/{job}/run", Need.ADMIN, this::runNow);
    route("POST", "/api/jobs/{job}/verify", Need.ADMIN, this::verifyNow);
    route("POST", "/api/jobs/{job}/forget", Need.ADMIN, this::forget);
    route("GET", "/api/jobs/{job}/targets/{t}/tree", Need.READ, this::tree);
    route("GET", "/api/jobs/{job}/targets/{t}/download", Need.ADMIN, this::download);
    route("POST", "/api/jobs/{job}/restore/preview", Need.ADMIN, this::restorePreview);
    route("POST", "/api/jobs/{job}/restore", Need.ADMIN, this::restore);
  }

  private void route(String method, String template, Need need, Handler h) {
    routes.add(Route.of(method, template, need, h));
  }

  /** The API routes, for the OpenAPI check. */
  List<Route> routes() {
    return List.copyOf(routes);
  }

  /** Told about every run of the daemon, so scheduled runs show as running with their progress. */
  public RunListener runListener() {
    return live;
  }

  /** Progress of the job's current run, for the daemon's scheduled runs. */
  public dev.holdfast.event.EventSink eventsFor(String job) {
    return live.eventsFor(job);
  }

  /** Runs an action (run, verify) on its own thread, which {@link #stop} aborts. */
  private void background(String name, Runnable action) {
    Thread t = Thread.ofVirtual().name(name).unstarted(() -> {
      try {
        action.run();
      } finally {
        actions.remove(Thread.currentThread());
      }
    });
    actions.add(t);
    t.start();
  }

  /**
   * Aborts the runs and verifies started here, as the daemon aborts its scheduled ones on SIGTERM,
   * and waits up to {@code grace} for them to clean up (an aborted run publishes nothing).
   */
  public void stop(Duration grace) throws InterruptedException {
    stopping = true;
    List<Thread> running = List.copyOf(actions);
    running.forEach(Thread::interrupt);
    long end = System.nanoTime() + grace.toNanos();
    for (Thread t : running) {
      long left = end - System.nanoTime();
      if (left > 0) {
        t.join(Duration.ofNanos(left));
      }
    }
  }

  /**
   * Takes the {@code web:} settings of a reloaded config (users, token, session timeout); refused,
   * keeping the old ones, when they would leave a non-loopback {@code listenHost} without login.
   * Sessions the new settings would not let in end.
   */
  public void reload(WebSettings settings, String listenHost) {
    if (!safeToServe(listenHost, settings)) {
      throw HoldfastException.usage("the reloaded config has neither web.users nor web.token_file, and the dashboard"
          + " listens on " + listenHost + ", not a loopback address");
    }
    access.update(settings);
  }

  /** Refuses to serve on a non-loopback address without logins or a token (see docs/dashboard.md). */
  public static boolean safeToServe(String host, WebSettings settings) {
    return settings.authRequired() || isLoopback(host);
  }

  static boolean isLoopback(String host) {
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }

  // ---------------------------------------------------------------- dispatch

  /**
   * A response whose headers (200) went out before its body failed: the exchange is left unclosed,
   * so the server drops the connection without completing the body (no final chunk, fewer bytes
   * than Content-Length) and the client cannot take it for a whole file.
   */
  static final class CutShort extends IOException {
    CutShort(String message) {
      super(message);
    }
  }

  @Override
  public void handle(HttpExchange ex) throws IOException {
    boolean cut = false;
    try {
      serve(ex);
    } catch (CutShort e) {
      cut = true;
      throw e;
    } finally {
      if (!cut) {
        ex.close();
      }
    }
  }

  private void serve(HttpExchange ex) throws IOException {
    headers(ex);
    String path = ex.getRequestURI().getPath();
    String method = ex.getRequestMethod();
    if (!access.authRequired()) {
      InetSocketAddress remote = ex.getRemoteAddress();
      if (remote == null || !remote.getAddress().isLoopbackAddress()) {
        refuse(ex, 403, "not from loopback and no login is configured");
        return;
      }
      if (!loopbackHost(ex.getRequestHeaders().getFirst("Host"))) {
        refuse(ex, 403, "Host header is not a loopback name (DNS rebinding?)");
        return;
      }
    }
    if (!path.startsWith("/api/")) {
      page(ex, path, method);
      return;
    }
    String raw = ex.getRequestURI().getRawPath();
    for (Route r : routes) {
      Matcher m = r.pattern().matcher(raw);
      if (!m.matches()) {
        continue;
      }
      if (!r.method().equals(method)) {
        continue;
      }
      Call c = new Call(ex, m);
      if (!authorize(c, r)) {
        return;
      }
      try {
        r.handler().handle(c);
      } catch (WebError e) {
        c.error(e.status, e.getMessage());
      } catch (HoldfastException e) {
        c.error(statusOf(e), e.getMessage());
      } catch (IllegalArgumentException e) {
        c.error(400, e.getMessage());
      } catch (CutShort e) {
        throw e;
      } catch (IOException e) {
        if (c.ex.getResponseCode() == -1) {
          ctx.log().line("WARNING", "web: " + method + " " + clean(ex.getRequestURI().getRawPath()) + " failed: " + e);
        }
        c.error(502, "I/O error: " + e.getMessage());
      } catch (RuntimeException e) {
        ctx.log().line("WARNING", "web: " + method + " " + clean(ex.getRequestURI().getRawPath()) + " failed: " + e);
        c.error(500, "internal error: " + e.getClass().getSimpleName());
      }
      return;
    }
    boolean other = routes.stream().anyMatch(r -> r.pattern().matcher(raw).matches());
    sendJson(ex, other ? 405 : 404, Map.of("error", other ? "method not allowed" : "no such endpoint"));
  }

  private static int statusOf(HoldfastException e) {
    return switch (e.exitCode()) {
      case LOCKED -> 409;
      case TARGET_MISSING -> 404;
      case USAGE -> 400;
      case WRONG_KEY -> 422;
      case UNREACHABLE -> 502;
      // the operation failed for a reason its message gives (a file in the way, damage): not a server bug
      default -> 422;
    };
  }

  private boolean authorize(Call c, Route r) throws IOException {
    HttpExchange ex = c.ex;
    Optional<Access.Principal> who;
    if (access.authRequired()) {
      who = access.principal(ex.getRequestHeaders().getFirst("Authorization"), ex.getRequestHeaders().getFirst("Cookie"));
    } else {
      Optional<Access.Session> s = access.session(ex.getRequestHeaders().getFirst("Cookie"));
      who = Optional.of(new Access.Principal("local", Role.ADMIN, s.orElse(null)));
    }
    c.principal = who.orElse(null);
    boolean post = r.method().equals("POST");
    if (post) {
      String type = ex.getRequestHeaders().getFirst("Content-Type");
      if (type == null || !type.toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
        refuse(ex, 415, "a POST must send application/json");
        return false;
      }
    }
    if (r.need() == Need.NONE) {
      return true;
    }
    if (c.principal == null) {
      refuse(ex, 401, "no valid credentials");
      return false;
    }
    if (post) {
      Access.Session s = c.principal.session();
      boolean bearer = access.authRequired() && s == null;
      if (!bearer && (s == null || !Access.sameToken(s.csrf, ex.getRequestHeaders().getFirst("X-CSRF-Token")))) {
        refuse(ex, 403, "missing or wrong CSRF token");
        return false;
      }
    }
    if (r.need() == Need.ADMIN && c.principal.role() != Role.ADMIN) {
      refuse(ex, 403, "user '" + c.principal.user() + "' is read-only");
      return false;
    }
    return true;
  }

  private void refuse(HttpExchange ex, int status, String why) throws IOException {
    InetSocketAddress remote = ex.getRemoteAddress();
    ctx.log().line("WARNING", "web: refused " + ex.getRequestMethod() + " " + clean(ex.getRequestURI().getRawPath())
        + " from " + (remote == null ? "?" : remote.getAddress().getHostAddress()) + ": " + status + " " + why);
    sendJson(ex, status, Map.of("error", why));
  }

  private static String clean(String s) {
    return s == null ? "" : s.replaceAll("[\\p{Cntrl}]", "?");
  }

  private static boolean loopbackHost(String host) {
    if (host == null) {
      return false;
    }
    String h = host.startsWith("[") ? host.substring(1, Math.max(1, host.indexOf(']')))
        : host.contains(":") ? host.substring(0, host.lastIndexOf(':')) : host;
    return h.equals("localhost") || h.equals("127.0.0.1") || h.equals("::1") || h.startsWith("127.");
  }

  private static void headers(HttpExchange ex) {
    var h = ex.getResponseHeaders();
    h.set("Content-Security-Policy", CSP);
    h.set("X-Frame-Options", "DENY");
    h.set("X-Content-Type-Options", "nosniff");
    h.set("Referrer-Policy", "no-referrer");
    h.set("Cross-Origin-Opener-Policy", "same-origin");
    h.set("Cross-Origin-Resource-Policy", "same-origin");
    h.set("Cache-Control", "no-store");
  }

  private void page(HttpExchange ex, String path, String method) throws IOException {
    String name = PAGES.get(path);
    if (name == null || !(method.equals("GET") || method.equals("HEAD"))) {
      sendText(ex, name == null ? 404 : 405, "text/plain; charset=utf-8", name == null ? "not found\n" : "method not allowed\n");
      return;
    }
    try (InputStream in = Dashboard.class.getResourceAsStream("/web/" + name)) {
      if (in == null) {
        sendText(ex, 404, "text/plain; charset=utf-8", "not found\n");
        return;
      }
      byte[] body = in.readAllBytes();
      ex.getResponseHeaders().set("Content-Type", contentType(name));
      ex.getResponseHeaders().set("Cache-Control", "no-cache");
      ex.sendResponseHeaders(200, method.equals("HEAD") ? -1 : body.length);
      if (!method.equals("HEAD")) {
        ex.getResponseBody().write(body);
      }
    }
  }

  private static String contentType(String name) {
    return name.endsWith(".html") ? "text/html; charset=utf-8"
        : name.endsWith(".js") ? "text/javascript; charset=utf-8"
        : name.endsWith(".css") ? "text/css; charset=utf-8"
        : name.endsWith(".svg") ? "image/svg+xml"
        : name.endsWith(".json") ? "application/json" : "application/octet-stream";
  }

  static void sendJson(HttpExchange ex, int status, Object body) throws IOException {
    byte[] b = JSON.writeValueAsBytes(body);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, b.length);
    ex.getResponseBody().write(b);
  }

  private static void sendText(HttpExchange ex, int status, String type, String text) throws IOException {
    byte[] b = text.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", type);
    ex.sendResponseHeaders(status, b.length);
    ex.getResponseBody().write(b);
  }

  /** One API request: its path parameters, query, body, and caller. */
  final class Call {
    final HttpExchange ex;
    final Matcher m;
    Access.Principal principal;
    private Map<String, String> query;

    Call(HttpExchange ex, Matcher m) {
      this.ex = ex;
      this.m = m;
    }

    /** A path parameter, percent-decoded once ('+' is a plus in a path). */
    String param(int i) {
      return URLDecoder.decode(m.group(i + 1).replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    String query(String name) {
      if (query == null) {
        query = new LinkedHashMap<>();
        String raw = ex.getRequestURI().getRawQuery();
        if (raw != null) {
          for (String kv : raw.split("&")) {
            int eq = kv.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? kv : kv.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8);
            query.putIfAbsent(k, v);
          }
        }
      }
      return query.get(name);
    }

    int intQuery(String name, int def, int min, int max) {
      String v = query(name);
      if (v == null || v.isEmpty()) {
        return def;
      }
      try {
        int n = Integer.parseInt(v);
        if (n < min || n > max) {
          throw new WebError(400, name + " must be between " + min + " and " + max);
        }
        return n;
      } catch (NumberFormatException e) {
        throw new WebError(400, name + " must be a whole number");
      }
    }

    JsonNode body() throws IOException {
      byte[] b = ex.getRequestBody().readNBytes(MAX_BODY + 1);
      if (b.length > MAX_BODY) {
        throw new WebError(413, "request body too large");
      }
      if (b.length == 0) {
        return JSON.createObjectNode();
      }
      try {
        JsonNode n = JSON.readTree(b);
        if (n == null || !n.isObject()) {
          throw new WebError(400, "the body must be a JSON object");
        }
        return n;
      } catch (com.fasterxml.jackson.core.JacksonException e) {
        throw new WebError(400, "the body is not valid JSON");
      }
    }

    void json(int status, Object body) throws IOException {
      sendJson(ex, status, body);
    }

    void error(int status, String message) throws IOException {
      if (ex.getResponseCode() != -1) {
        // a download failed after its headers went out: all that is left is to cut the stream short
        ctx.log().line("WARNING", "web: " + ex.getRequestMethod() + " " + clean(ex.getRequestURI().getRawPath())
            + " failed while sending, response cut short: " + message);
        throw new CutShort(message);
      }
      sendJson(ex, status, Map.of("error", message == null ? "error" : message));
    }

    void resource(String name) throws IOException {
      try (InputStream in = Dashboard.class.getResourceAsStream("/web/" + name)) {
        if (in == null) {
          throw new WebError(404, "missing " + name);
        }
        byte[] b = in.readAllBytes();
        ex.getResponseHeaders().set("Content-Type", contentType(name));
        ex.sendResponseHeaders(200, b.length);
        ex.getResponseBody().write(b);
      }
    }
  }

  // ---------------------------------------------------------------- session

  private void session(Call c) throws IOException {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("auth_required", access.authRequired());
    Optional<Access.Session> s = access.session(c.ex.getRequestHeaders().getFirst("Cookie"));
    if (s.isEmpty() && !access.authRequired()) {
      Access.Session anon = access.anonymous();
      c.ex.getResponseHeaders().add("Set-Cookie", access.cookieFor(anon, https(c.ex)));
      s = Optional.of(anon);
    }
    out.put("authenticated", s.isPresent());
    s.ifPresent(x -> {
      out.put("user", x.user);
      out.put("role", x.role.configName());
      out.put("csrf", x.csrf);
    });
    out.put("host", ctx.host());
    c.json(200, out);
  }

  private void login(Call c) throws IOException {
    JsonNode b = c.body();
    String user = b.path("user").asText(null);
    String password = b.path("password").asText("");
    if (!access.authRequired()) {
      throw new WebError(400, "no logins are configured; this dashboard serves loopback only");
    }
    String from = c.ex.getRemoteAddress().getAddress().getHostAddress();
    if (access.throttled(from)) {
      refuse(c.ex, 429, "too many failed logins from this address; wait " + Access.FAILURE_WINDOW.toMinutes() + " minutes");
      return;
    }
    Optional<Access.Session> s = access.login(user, password.toCharArray());
    if (s.isEmpty()) {
      access.failed(from);
      refuse(c.ex, 401, "wrong user or password");
      return;
    }
    c.ex.getResponseHeaders().add("Set-Cookie", access.cookieFor(s.get(), https(c.ex)));
    c.json(200, Map.of("user", s.get().user, "role", s.get().role.configName(), "csrf", s.get().csrf));
  }

  /** Whether the browser talks HTTPS to a TLS proxy in front (then the cookie is Secure). */
  private static boolean https(HttpExchange ex) {
    return "https".equalsIgnoreCase(ex.getRequestHeaders().getFirst("X-Forwarded-Proto"));
  }

  private void logout(Call c) throws IOException {
    access.session(c.ex.getRequestHeaders().getFirst("Cookie")).ifPresent(access::logout);
    c.ex.getResponseHeaders().add("Set-Cookie", Access.clearedCookie());
    c.json(200, Map.of("ok", true));
  }

  // ---------------------------------------------------------------- live

  private Map<String, Object> liveNow() {
    List<LiveOps.View> recent = live.finished(null, null);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("running", live.running());
    out.put("finished", recent.subList(0, Math.min(10, recent.size())));
    return out;
  }

  /** Server-sent events: the live operations twice a second, for up to ten minutes (EventSource reconnects). */
  private void stream(Call c) throws IOException {
    c.ex.getResponseHeaders().set("Content-Type", "text/event-stream");
    c.ex.sendResponseHeaders(200, 0);
    OutputStream out = c.ex.getResponseBody();
    long end = System.nanoTime() + Duration.ofMinutes(10).toNanos();
    try {
      while (System.nanoTime() < end) {
        out.write(("data: " + JSON.writeValueAsString(liveNow()) + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        Thread.sleep(500);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException gone) {
      // the page went away
    }
  }

  // ---------------------------------------------------------------- actions

  private void refuseWhenStopping() {
    if (stopping) {
      throw new WebError(503, "the daemon is stopping");
    }
  }

  private void runNow(Call c) throws IOException {
    refuseWhenStopping();
    Job j = board.job(c.param(0));
    if (live.runningRun(j.name()).isPresent()) {
      throw new WebError(409, "job '" + j.name() + "' is already running");
    }
    LiveOps.Op op = live.begin(j.name(), "run", "dashboard (" + c.principal.user() + ")");
    ctx.log().line("INFO", "web: " + c.principal.user() + " started " + j.name());
    background("web-run-" + j.name(), () -> {
      try {
        RunResult r = ctx.runNow(j.name(), op);
        live.end(op, "done", r.record().status(), r.record());
      } catch (HoldfastException e) {
        live.end(op, "failed", e.getMessage(), null);
      } catch (RuntimeException e) {
        live.end(op, "failed", String.valueOf(e.getMessage()), null);
      }
    });
    c.json(202, live.find(op.id).orElseThrow());
  }

  private ArchiveCatalog.Item item(Backend b, String id) {
    if (id == null || id.isEmpty()) {
      throw new WebError(400, "say which backup");
    }
    return new ArchiveCatalog(b, ctx.zone()).items().stream().filter(i -> i.ref().id().equals(id)).findFirst()
        .orElseThrow(() -> new WebError(404, "no backup '" + id + "' on " + b.location()));
  }

  /** The job's newest backup on the target: archive key or snapshot id. */
  private String latest(Backend b, String target, Job j) {
    List<String> mine;
    if (RepositoryTree.holdsRepository(b)) {
      try (Repository repo = Repository.open(b, board.repositoryPassword(target))) {
        mine = new RepositoryCatalog(repo).list().stream().filter(r -> r.job().equals(j.name())).map(r -> r.id()).toList();
      }
    } else {
      mine = new ArchiveCatalog(b, ctx.zone()).items().stream().filter(i -> i.ref().job().equals(j.name()))
          .map(i -> i.ref().id()).toList();
    }
    if (mine.isEmpty()) {
      throw new WebError(404, "no backups of job '" + j.name() + "' on " + b.location());
    }
    return mine.get(mine.size() - 1);
  }

  /** Backup {@code id} on the job's target, opened for browsing whatever its format; the caller closes it. */
  private BackupTree open(Job j, String target, Backend b, String id) {
    if (id == null || id.isEmpty()) {
      throw new WebError(400, "say which backup");
    }
    if (RepositoryTree.holdsRepository(b)) {
      return RepositoryTree.open(b, board.repositoryPassword(target), id);
    }
    return new ArchiveTree(browser, item(b, id), ctx.decryption(j.name()));
  }

  private void verifyNow(Call c) throws IOException {
    refuseWhenStopping();
    Job j = board.job(c.param(0));
    JsonNode b = c.body();
    int t = b.path("target").asInt(0);
    String target = JobBoard.target(j, t);
    String backup = b.path("backup").asText(null);
    VerifyLevel level;
    try {
      level = VerifyLevel.parse(b.path("level").asText("full"));
    } catch (IllegalArgumentException e) {
      throw new WebError(400, e.getMessage());
    }
    LiveOps.Op op = live.begin(j.name(), "verify", "dashboard (" + c.principal.user() + ")");
    OpenPgpDecryption key = ctx.decryption(j.name());
    background("web-verify-" + j.name(), () -> {
      try (Backend be = ctx.openBackend(target)) {
        String id = backup == null ? latest(be, target, j) : backup;
        op.message = "verifying " + id + " (" + level.configName() + ")";
        VerifyReport r;
        if (RepositoryTree.holdsRepository(be)) {
          if (!ObjectId.isHex(id) || id.length() != 2 * ObjectId.LENGTH) {
            throw new WebError(404, "no snapshot '" + id + "' (give its full id)");
          }
          try (Repository repo = Repository.open(be, board.repositoryPassword(target));
              var lock = repo.lock(false)) { // shared: a concurrent prune would look like missing packs
            r = new RepositoryVerifier(repo).verifySnapshot(ObjectId.parse(id), level);
          }
        } else {
          r = new ArchiveVerifier(key).verify(item(be, id), level);
        }
        ctx.log().line(r.ok() ? "INFO" : "FAILURE", "web: verify (" + level.configName() + ") of " + id + ": "
            + (r.ok() ? "ok" : "DAMAGED: " + r.problems().get(0).message()));
        live.end(op, r.ok() ? "done" : "failed", (r.ok() ? "ok: " : "damaged: ") + id + " ("
            + level.configName() + ")", r, this::keepVerification);
      } catch (RuntimeException e) {
        live.end(op, "failed", String.valueOf(e.getMessage()), null, this::keepVerification);
      }
    });
    c.json(202, live.find(op.id).orElseThrow());
  }

  private void keepVerification(LiveOps.View v) {
    try {
      verifications.add(v);
    } catch (RuntimeException e) {
      ctx.log().line("WARNING", e.getMessage());
    }
  }

  private void forget(Call c) throws IOException {
    Job j = board.job(c.param(0));
    if (j.repository() != null) {
      throw new WebError(400, "job '" + j.name() + "' keeps snapshots in a repository: thin them out with"
          + " holdfast forget (see docs/repository.md), not from the dashboard");
    }
    JsonNode b = c.body();
    boolean dryRun = b.path("dry_run").asBoolean(true);
    JobBoard.RetentionView plan = board.retention(j, false);
    List<String> shown = new ArrayList<>(List.of(j.name(), "forget"));
    plan.decisions().forEach(d -> shown.add(d.target() + "\u0000" + d.backup() + "\u0000" + d.keep()));
    String token = confirmations.token(shown);
    if (dryRun) {
      ObjectNode out = JSON.valueToTree(plan);
      out.put("dry_run", true);
      out.put("confirm", token);
      c.json(200, out);
      return;
    }
    if (!Access.sameToken(token, b.path("confirm").asText(null))) {
      throw new WebError(409, "the retention plan differs from the dry run you confirmed (or none was confirmed);"
          + " run the dry run again");
    }
    List<RunRecord> last = ctx.state().history(j.name(), 1);
    if (!j.forgetAfterFailure() && !last.isEmpty() && last.get(0).status().equals("FAILURE")) {
      throw new WebError(409, "not applying retention to job " + j.name() + ": its latest run failed;"
          + " set forget_after_failure: true to change this");
    }
    ctx.log().line("INFO", "web: " + c.principal.user() + " applied retention to " + j.name());
    JobBoard.RetentionView applied = board.retention(j, true);
    ObjectNode out = JSON.valueToTree(applied);
    out.put("dry_run", false);
    out.put("removed", applied.remove());
    c.json(200, out);
  }

  // ---------------------------------------------------------------- browse, download, restore

  private void tree(Call c) throws IOException {
    Job j = board.job(c.param(0));
    String target = JobBoard.target(j, targetIndex(c.param(1)));
    String path = ArchiveBrowser.checkPath(c.query("path"));
    try (Backend b = ctx.openBackend(target); BackupTree backup = open(j, target, b, c.query("backup"))) {
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("backup", backup.id());
      out.put("format", backup instanceof RepositoryTree ? "repository" : "archive");
      out.put("path", path);
      out.put("entries", backup.children(path));
      c.json(200, out);
    }
  }

  private static int targetIndex(String s) {
    try {
      return Integer.parseInt(s);
    } catch (NumberFormatException e) {
      throw new WebError(404, "targets are numbered: 0 is the primary, 1... the off-site ones");
    }
  }

  private void download(Call c) throws IOException {
    Job j = board.job(c.param(0));
    String target = JobBoard.target(j, targetIndex(c.param(1)));
    String path = ArchiveBrowser.checkPath(c.query("path"));
    try (Backend b = ctx.openBackend(target); BackupTree backup = open(j, target, b, c.query("backup"))) {
      String id = backup.id();
      ArchiveBrowser.Listed what = backup.find(path).orElseThrow(() -> new WebError(404, "no '" + path + "' in " + id));
      ctx.log().line("INFO", "web: " + c.principal.user() + " downloaded " + (path.isEmpty() ? "everything" : path)
          + " from " + id);
      String base = path.isEmpty()
          ? (backup instanceof RepositoryTree ? "snapshot-" + id.substring(0, 8) : id.replaceAll(".*/", "").replaceAll("\\.tar.*$", ""))
          : path.substring(path.lastIndexOf('/') + 1);
      if (what.type().equals("dir")) {
        c.ex.getResponseHeaders().set("Content-Type", "application/gzip");
        c.ex.getResponseHeaders().set("Content-Disposition", disposition(base + ".tar.gz"));
        c.ex.sendResponseHeaders(200, 0);
        backup.directory(path, c.ex.getResponseBody());
        return;
      }
      if (!what.type().equals("file")) {
        throw new WebError(400, "'" + path + "' is a " + what.type() + ", not a file or directory");
      }
      HeldBack[] body = {null};
      boolean found = backup.file(path, size -> {
        c.ex.getResponseHeaders().set("Content-Type", "application/octet-stream");
        c.ex.getResponseHeaders().set("Content-Disposition", disposition(base));
        body[0] = new HeldBack(c.ex, size);
        return body[0];
      });
      if (!found) {
        throw new WebError(404, "no file '" + path + "' in " + id);
      }
      body[0].release(); // every end check passed: now the response may be complete
    }
  }

  /**
   * A file's response body that keeps back its last byte (and, for an empty file, the headers)
   * until {@link #release}: a download whose end checks fail is cut short, never complete.
   */
  static final class HeldBack extends OutputStream {
    private final HttpExchange ex;
    private final long size;
    private long written;
    private int held = -1;

    HeldBack(HttpExchange ex, long size) throws IOException {
      this.ex = ex;
      this.size = size;
      if (size > 0) {
        ex.sendResponseHeaders(200, size);
      }
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      if (written + len > size) {
        throw new IOException("the file has more bytes than its entry says (" + size + ")");
      }
      int now = (int) Math.min(len, size - 1 - written);
      ex.getResponseBody().write(b, off, now);
      if (now < len) {
        held = b[off + now] & 0xff;
      }
      written += len;
    }

    @Override
    public void flush() throws IOException {
      if (written > 0) {
        ex.getResponseBody().flush();
      }
    }

    void release() throws IOException {
      if (written != size) {
        throw new IOException("the file has " + written + " bytes, its entry says " + size);
      }
      if (size == 0) {
        ex.sendResponseHeaders(200, -1);
        return;
      }
      ex.getResponseBody().write(held);
      ex.getResponseBody().flush();
    }
  }

  /** An attachment header safe for any name: ASCII fallback plus RFC 5987 UTF-8. */
  static String disposition(String name) {
    String ascii = name.replaceAll("[^A-Za-z0-9._-]", "_");
    String utf8 = java.net.URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20");
    return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" + utf8;
  }

  private RestoreFlow.Request restoreRequest(JsonNode b) {
    return new RestoreFlow.Request(b.path("kind").asText("files"), b.path("target").asInt(0), b.path("backup").asText(null),
        b.path("path").asText(""), b.path("into").asText(null), b.path("overwrite").asBoolean(false),
        b.path("database").asText(null), b.path("create").asBoolean(false), b.path("clean").asBoolean(false));
  }

  private void restorePreview(Call c) throws IOException {
    Job j = board.job(c.param(0));
    RestoreFlow.Request r = restoreRequest(c.body());
    String target = JobBoard.target(j, r.target());
    try (Backend b = ctx.openBackend(target); BackupTree backup = open(j, target, b, r.backup())) {
      c.json(200, restores.preview(j.name(), backup, r));
    }
  }

  private void restore(Call c) throws IOException {
    Job j = board.job(c.param(0));
    JsonNode body = c.body();
    RestoreFlow.Request r = restoreRequest(body);
    String target = JobBoard.target(j, r.target());
    LiveOps.Op op = live.begin(j.name(), "restore", "dashboard (" + c.principal.user() + ")");
    try (Backend b = ctx.openBackend(target); BackupTree backup = open(j, target, b, r.backup())) {
      Object result = restores.restore(j.name(), backup, r, ctx.env(), body.path("confirm").asText(null), op);
      ctx.log().line("INFO", "web: " + c.principal.user() + " restored " + (r.path().isEmpty() ? "everything" : r.path())
          + " from " + backup.id() + ("database".equals(r.kind()) ? " (database " + r.database() + ")"
              : " into " + r.into()));
      live.end(op, "done", "restored from " + backup.id(), result);
      c.json(200, Map.of("operation", op.id, "result", result));
    } catch (RuntimeException e) {
      live.end(op, "failed", e.getMessage(), null);
      throw e;
    }
  }

  // ---------------------------------------------------------------- run log

  /** The run log's lines written while the run went (the log is shared, so a concurrent job's lines may show). */
  private void runLog(Call c) throws IOException {
    String job = board.anyJob(c.param(0));
    long id;
    try {
      id = Long.parseLong(c.param(1));
    } catch (NumberFormatException e) {
      throw new WebError(404, "no run " + c.param(1));
    }
    RunRecord run = ctx.state().history(job, 10_000).stream().filter(r -> r.id() == id).findFirst()
        .orElseThrow(() -> new WebError(404, "no run " + id + " of job " + job));
    LocalDateTime from = LocalDateTime.ofInstant(run.started().minusSeconds(1), ctx.zone()).withNano(0);
    LocalDateTime to = LocalDateTime.ofInstant(run.finished().plusSeconds(1), ctx.zone());
    List<String> lines = new ArrayList<>();
    java.nio.file.Path file = ctx.log().file();
    if (file != null) {
      for (java.nio.file.Path f : List.of(file.resolveSibling(file.getFileName() + ".1"), file)) {
        if (!java.nio.file.Files.isRegularFile(f)) {
          continue;
        }
        try (var in = java.nio.file.Files.lines(f, StandardCharsets.UTF_8)) {
          in.forEach(l -> {
            if (l.length() > 21 && l.charAt(0) == '[') {
              try {
                LocalDateTime at = LocalDateTime.parse(l.substring(1, 20), LOG_STAMP);
                if (!at.isBefore(from) && !at.isAfter(to)) {
                  lines.add(l);
                }
              } catch (java.time.format.DateTimeParseException ignored) {
                // not a log line of ours
              }
            }
          });
        } catch (java.io.UncheckedIOException e) {
          throw new WebError(500, "cannot read the run log");
        }
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("run", run);
    out.put("lines", lines);
    c.json(200, out);
  }
}
