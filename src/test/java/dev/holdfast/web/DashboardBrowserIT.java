package dev.holdfast.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.testkit.Cli;
import dev.holdfast.testkit.Processes;
import dev.holdfast.testkit.Trees;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard of a real {@code holdfast daemon} (child JVM) in Debian's headless Chromium,
 * driven by Selenium through Debian's chromedriver: the overview, a run started with the button
 * that finishes and shows in the history, browsing a backup and downloading a file whose bytes
 * match, and a restore through its confirmation step. Screenshots of each page, at desktop and
 * phone widths, go to target/screenshots/.
 */
class DashboardBrowserIT {
  private static final Path SHOTS = Path.of("target", "screenshots");
  private static final Duration WAIT = Duration.ofSeconds(60);
  @TempDir Path tmp;
  private Process daemon;
  private ChromeDriver browser;
  private Path source;
  private Path downloads;
  private String base;

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @BeforeEach
  void start() throws Exception {
    source = tmp.resolve("src");
    Random r = new Random(7);
    Trees.randomFile(source.resolve("notes/todo.txt"), r, 4_321);
    Trees.randomFile(source.resolve("notes/deep/data.bin"), r, 150_000);
    Trees.randomFile(source.resolve("photos/beach.jpg"), r, 90_000);
    browser = chromium();
    Files.createDirectories(SHOTS);
  }

  /** Runs the job once, then starts the daemon with {@code web} (YAML) in its config. */
  private void startDaemon(String web) throws Exception {
    Path config = tmp.resolve("holdfast.yaml");
    Files.writeString(config, web + """
        time_zone: UTC
        jobs:
          docs:
            sources: [%s]
            target: %s
            offsite: [%s]
            retention: {keep_last: 10}
            schedule: "0 3 1 1 *"
        """.formatted(source, tmp.resolve("target"), tmp.resolve("offsite")));
    Cli cli = new Cli(tmp.resolve("state"));
    Cli.Result first = cli.run("--config", config.toString(), "run", "docs");
    assertThat(first.exitCode()).as(first.toString()).isZero();
    launch(cli, config);
  }

  /** Starts the daemon on {@code config} and waits for its dashboard. */
  private void launch(Cli cli, Path config) throws Exception {
    int port = freePort();
    base = "http://127.0.0.1:" + port;
    daemon = Processes.startHoldfast(cli, tmp.resolve("daemon"), List.of(),
        "--config", config.toString(), "daemon", "--metrics-listen", "127.0.0.1:" + port);
    long end = System.nanoTime() + WAIT.toNanos();
    while (!stdout().contains("serving the dashboard")) {
      assertThat(daemon.isAlive()).as("daemon died: " + stdout() + Files.readString(tmp.resolve("daemon/stderr.txt"))).isTrue();
      assertThat(System.nanoTime()).as("the dashboard did not start: " + stdout()).isLessThan(end);
      Thread.sleep(50);
    }
  }

  private ChromeDriver chromium() throws IOException {
    System.setProperty("webdriver.chrome.driver", "/usr/bin/chromedriver");
    downloads = Files.createDirectories(tmp.resolve("downloads"));
    ChromeOptions o = new ChromeOptions();
    o.setBinary("/usr/bin/chromium");
    o.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--no-first-run",
        "--user-data-dir=" + Files.createDirectories(tmp.resolve("chrome-profile")), "--window-size=1280,900");
    Map<String, Object> prefs = new HashMap<>();
    prefs.put("download.default_directory", downloads.toString());
    prefs.put("download.prompt_for_download", false);
    o.setExperimentalOption("prefs", prefs);
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(Path.of("/usr/bin/chromedriver").toFile()).usingAnyFreePort().build();
    return new ChromeDriver(service, o);
  }

  @AfterEach
  void stop() throws Exception {
    if (browser != null) {
      browser.quit();
    }
    if (daemon != null && daemon.isAlive()) {
      daemon.destroy();
      if (!daemon.waitFor(30, TimeUnit.SECONDS)) {
        daemon.destroyForcibly();
      }
    }
  }

  private String stdout() throws IOException {
    Path f = tmp.resolve("daemon/stdout.txt");
    return Files.exists(f) ? Files.readString(f) : "";
  }

  private WebDriverWait waiting() {
    return new WebDriverWait(browser, WAIT);
  }

  private void open(String path) {
    browser.get(base + path);
    waiting().until(d -> "true".equals(d.findElement(By.tagName("body")).getDomAttribute("data-ready"))
        || !d.findElement(By.id("message")).getText().isEmpty());
    assertThat(browser.findElement(By.id("message")).getText()).as("an error on " + path).isEmpty();
  }

  /** Saves the whole page at desktop width, and at a phone's. */
  private void shoot(String name) throws IOException {
    shoot(name + "-desktop.png", 1280, 900);
    shoot(name + "-phone.png", 390, 844);
    browser.manage().window().setSize(new Dimension(1280, 900));
  }

  /** The whole page at this viewport width (a phone's emulated as mobile), through the DevTools protocol. */
  private void shoot(String file, int width, int minHeight) throws IOException {
    boolean mobile = width < 600;
    browser.executeCdpCommand("Emulation.setDeviceMetricsOverride",
        Map.of("width", width, "height", minHeight, "deviceScaleFactor", 1, "mobile", mobile));
    long h = ((Number) browser.executeScript("return document.documentElement.scrollHeight")).longValue();
    browser.executeCdpCommand("Emulation.setDeviceMetricsOverride",
        Map.of("width", width, "height", (int) Math.min(5000, Math.max(minHeight, h)), "deviceScaleFactor", 1, "mobile", mobile));
    Map<String, Object> shot = browser.executeCdpCommand("Page.captureScreenshot", Map.of("format", "png"));
    Files.write(SHOTS.resolve(file), java.util.Base64.getDecoder().decode((String) shot.get("data")));
    browser.executeCdpCommand("Emulation.clearDeviceMetricsOverride", Map.of());
  }

  @Test
  void overviewRunNowBrowseDownloadAndRestore() throws Exception {
    startDaemon("");
    // the overview: the job, its state, its charts, the targets
    open("/");
    WebElement card = browser.findElement(By.cssSelector("article.card[data-job='docs']"));
    assertThat(card.findElement(By.cssSelector(".badge")).getText()).isEqualTo("ok");
    assertThat(card.findElements(By.cssSelector("svg.spark rect.bar"))).hasSize(2); // one run: size and duration
    assertThat(browser.findElements(By.cssSelector("#targets tbody tr"))).hasSize(2);
    shoot("overview");

    // run now with the button; the run finishes and the overview and history show it
    card.findElement(By.cssSelector("button.run-now")).click();
    waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.id("message"), "docs run: done"));
    waiting().until(d -> d.findElements(By.cssSelector("article.card[data-job='docs'] svg.spark rect.bar")).size() == 4);
    assertThat(stdout()).contains("starting docs (asked for on the dashboard)");

    open("/job.html?job=docs");
    List<WebElement> runs = browser.findElements(By.cssSelector("#runs tbody tr[data-run]"));
    assertThat(runs).hasSize(2);
    assertThat(runs.get(0).getText()).contains("success");
    runs.get(0).findElement(By.cssSelector("button.link")).click();
    waiting().until(d -> d.findElement(By.cssSelector("#runs tbody tr.log pre")).getText().contains("SUCCESS: docs/"));
    assertThat(browser.findElements(By.cssSelector("#targets table.backups"))).hasSize(2);
    shoot("job");

    // verify now: the result shows on the job page
    browser.findElement(By.id("verify-now")).click();
    waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.id("verifications"), "ok: docs/"));
    // forget shows its dry run first; with keep_last 10 nothing would go, so there is nothing to confirm
    browser.findElement(By.id("forget-dry")).click();
    waiting().until(ExpectedConditions.visibilityOfElementLocated(By.id("forget-panel")));
    assertThat(browser.findElement(By.id("forget-summary")).getText())
        .contains("Dry run", "0 backup(s) would be removed", "Nothing has been removed yet");
    assertThat(browser.findElements(By.cssSelector("#forget-table tbody tr"))).hasSize(4); // 2 backups on 2 targets
    assertThat(browser.findElement(By.id("forget-apply")).isEnabled()).isFalse();
    browser.executeScript("document.getElementById('forget-panel').scrollIntoView()");
    shoot("job-forget-dry-run");
    browser.findElement(By.id("forget-cancel")).click();

    // browse the newest backup down to the source directory
    browser.findElement(By.cssSelector("#targets table.backups tbody a")).click();
    waiting().until(d -> "true".equals(d.findElement(By.tagName("body")).getDomAttribute("data-ready")));
    String dir = "";
    for (Path part : source) {
      dir = dir.isEmpty() ? part.toString() : dir + "/" + part;
      String want = dir;
      waiting().until(d -> !d.findElements(By.cssSelector("tr[data-path='" + want + "'] a")).isEmpty());
      browser.findElement(By.cssSelector("tr[data-path='" + want + "'] a")).click();
      waiting().until(d -> "true".equals(d.findElement(By.tagName("body")).getDomAttribute("data-ready")));
    }
    String notes = dir + "/notes";
    browser.findElement(By.cssSelector("tr[data-path='" + notes + "'] a")).click();
    waiting().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("tr[data-path='" + notes + "/todo.txt']")));
    shoot("browse");

    // download one file: the bytes match the source
    browser.findElement(By.cssSelector("tr[data-path='" + notes + "/todo.txt'] a.download")).click();
    Path got = downloads.resolve("todo.txt");
    waiting().until(d -> Files.exists(got) && sizeOf(got) == 4_321);
    assertThat(Files.readAllBytes(got)).isEqualTo(Files.readAllBytes(source.resolve("notes/todo.txt")));

    // restore one file through the confirmation step
    Path into = tmp.resolve("restored");
    browser.findElement(By.cssSelector("tr[data-path='" + notes + "/deep'] a")).click();
    waiting().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("tr[data-path='" + notes + "/deep/data.bin']")));
    browser.findElement(By.cssSelector("tr[data-path='" + notes + "/deep/data.bin'] button.pick")).click();
    browser.findElement(By.id("restore-into")).sendKeys(into.toString());
    browser.findElement(By.id("restore-preview")).click();
    waiting().until(ExpectedConditions.visibilityOfElementLocated(By.id("confirm")));
    String summary = browser.findElement(By.id("confirm-summary")).getText();
    assertThat(summary).contains("write 1 file", into.toString());
    assertThat(browser.findElement(By.cssSelector("#confirm-table tbody")).getText())
        .contains(into.resolve(notes + "/deep/data.bin").toString());
    assertThat(Files.exists(into)).as("nothing is written before the confirmation").isFalse();
    browser.executeScript("document.getElementById('confirm').scrollIntoView()");
    shoot("restore-confirm");
    browser.findElement(By.id("confirm-restore")).click();
    waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.id("restore-result"), "Restored 1 file"));
    assertThat(Files.readAllBytes(into.resolve(notes + "/deep/data.bin")))
        .isEqualTo(Files.readAllBytes(source.resolve("notes/deep/data.bin")));
    browser.executeScript("document.getElementById('restore-result').scrollIntoView()");
    shoot("restore-done");

    browser.get(base + "/login.html");
    shoot("login");
  }

  @Test
  void aRepositorySnapshotIsBrowsedAndDownloadedAndAMirrorJobShowsItsHistory() throws Exception {
    Path config = tmp.resolve("holdfast.yaml");
    Path password = tmp.resolve("repo-password");
    Files.writeString(password, "a long repository password\n");
    Files.writeString(config, """
        time_zone: UTC
        jobs:
          nightly:
            format: repository
            sources: [%s]
            target: %s
            password_file: %s
            schedule: "0 3 1 1 *"
          usb:
            format: mirror
            sources: [%s]
            target: %s
            schedule: "0 4 1 1 *"
        """.formatted(source, tmp.resolve("repo"), password, source, tmp.resolve("usb")));
    Cli cli = new Cli(tmp.resolve("state"));
    for (String[] args : List.of(
        new String[] {"init", "--to", tmp.resolve("repo").toString(), "--format", "repository", "--password-file", password.toString()},
        new String[] {"backup", "nightly"}, new String[] {"run", "usb"})) {
      List<String> all = new java.util.ArrayList<>(List.of("--config", config.toString()));
      all.addAll(List.of(args));
      Cli.Result r = cli.run(all.toArray(String[]::new));
      assertThat(r.exitCode()).as(r.toString()).isZero();
    }
    launch(cli, config);

    // the overview: the repository job and the mirror job, each with its state
    open("/");
    WebElement nightly = browser.findElement(By.cssSelector("article.card[data-job='nightly']"));
    assertThat(nightly.findElement(By.cssSelector(".badge")).getText()).isEqualTo("ok");
    assertThat(nightly.getDomAttribute("data-kind")).isEqualTo("repository");
    WebElement usb = browser.findElement(By.cssSelector("article.card[data-job='usb']"));
    assertThat(usb.getDomAttribute("data-kind")).isEqualTo("mirror");
    assertThat(usb.findElement(By.cssSelector(".badge")).getText()).isEqualTo("ok");
    assertThat(usb.getText()).contains("Last good run", "success");
    assertThat(usb.findElements(By.cssSelector("button.run-now"))).isEmpty();
    shoot("overview-repository-mirror");

    // the mirror job's page: its run history, and no backups to browse
    open("/job.html?job=usb");
    List<WebElement> runs = browser.findElements(By.cssSelector("#runs tbody tr[data-run]"));
    assertThat(runs).hasSize(1);
    assertThat(runs.get(0).getText()).contains("success");
    assertThat(browser.findElement(By.id("backups-section")).isDisplayed()).isFalse();
    assertThat(browser.findElement(By.id("run-now")).isDisplayed()).isFalse();
    shoot("job-mirror");

    // the repository job's page lists its snapshot; browse it down to a file and download it
    open("/job.html?job=nightly");
    WebElement snapshot = browser.findElement(By.cssSelector("#targets table.backups tbody a"));
    assertThat(snapshot.getText()).matches("[0-9a-f]{64}");
    assertThat(browser.findElement(By.cssSelector("#targets table.backups tbody")).getText()).contains("snapshot");
    shoot("job-repository");
    snapshot.click();
    waiting().until(d -> "true".equals(d.findElement(By.tagName("body")).getDomAttribute("data-ready")));
    String dir = "";
    for (Path part : source) {
      dir = dir.isEmpty() ? part.toString() : dir + "/" + part;
      String want = dir;
      waiting().until(d -> !d.findElements(By.cssSelector("tr[data-path='" + want + "'] a")).isEmpty());
      browser.findElement(By.cssSelector("tr[data-path='" + want + "'] a")).click();
      waiting().until(d -> "true".equals(d.findElement(By.tagName("body")).getDomAttribute("data-ready")));
    }
    String deep = dir + "/notes/deep";
    browser.findElement(By.cssSelector("tr[data-path='" + dir + "/notes'] a")).click();
    waiting().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("tr[data-path='" + deep + "']")));
    browser.findElement(By.cssSelector("tr[data-path='" + deep + "'] a")).click();
    waiting().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("tr[data-path='" + deep + "/data.bin']")));
    assertThat(browser.findElement(By.cssSelector("tr[data-path='" + deep + "/data.bin']")).getText()).contains("150 kB");
    shoot("browse-repository");
    browser.findElement(By.cssSelector("tr[data-path='" + deep + "/data.bin'] a.download")).click();
    Path got = downloads.resolve("data.bin");
    waiting().until(d -> Files.exists(got) && sizeOf(got) == 150_000);
    assertThat(Files.readAllBytes(got)).isEqualTo(Files.readAllBytes(source.resolve("notes/deep/data.bin")));
  }

  @Test
  void loginThenAReadOnlyUserSeesNoActionsAndLogsOut() throws Exception {
    String alice = PasswordHash.create("alice pass".toCharArray()).toString();
    String ops = PasswordHash.create("ops pass".toCharArray()).toString();
    startDaemon("""
        web:
          users:
            - {name: alice, password_hash: "%s"}
            - {name: ops, password_hash: "%s", role: read-only}
        """.formatted(alice, ops));
    browser.get(base + "/job.html?job=docs");
    waiting().until(ExpectedConditions.urlContains("/login.html?next="));
    browser.findElement(By.id("user")).sendKeys("ops");
    browser.findElement(By.id("password")).sendKeys("wrong");
    browser.findElement(By.cssSelector("#login-form button")).click();
    waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.id("message"), "Wrong user or password"));
    shoot("login-failed");
    browser.findElement(By.id("password")).clear();
    browser.findElement(By.id("password")).sendKeys("ops pass");
    browser.findElement(By.cssSelector("#login-form button")).click();
    waiting().until(ExpectedConditions.urlContains("/job.html?job=docs"));
    waiting().until(d -> "true".equals(d.findElement(By.tagName("body")).getDomAttribute("data-ready")));
    assertThat(browser.findElement(By.id("who")).getText()).contains("ops (read-only)");
    assertThat(browser.findElement(By.id("run-now")).isDisplayed()).as("no Run now for a read-only user").isFalse();
    assertThat(browser.findElements(By.cssSelector("#runs tbody tr[data-run]"))).hasSize(1);
    shoot("job-read-only");
    open("/");
    assertThat(browser.findElement(By.cssSelector("button.run-now")).isDisplayed()).isFalse();
    browser.findElement(By.cssSelector("#who button")).click();
    waiting().until(ExpectedConditions.urlContains("/login.html"));
    browser.get(base + "/");
    waiting().until(ExpectedConditions.urlContains("/login.html?next="));
    assertThat(stdout()).contains("refused POST /api/login from 127.0.0.1: 401 wrong user or password");
  }

  private static long sizeOf(Path p) {
    try {
      return Files.size(p);
    } catch (IOException e) {
      return -1;
    }
  }
}
