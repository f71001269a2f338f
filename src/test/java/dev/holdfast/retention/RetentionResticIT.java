package dev.holdfast.retention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.holdfast.retention.Plan.Decision;
import dev.holdfast.retention.RetentionPlanner.Item;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Cross-checks the planner against the real restic binary (Debian's restic 0.14): the same
 * snapshot times, the same policy, the same keep/remove split and the same reasons.
 *
 * <p>One repository, three hosts (restic groups by host): "utc", 40 snapshots from Dec 2020 to
 * Mar 2022 (ISO week 53, month ends, same-hour and same-day duplicates, 22 of them from a seeded
 * random generator); "autumn" and "spring", 10 and 8 snapshots around the Europe/Berlin DST
 * changes of 2021. restic computes periods in the offset stored with each snapshot and reads a
 * stored offset as local time when it matches TZ, so the Berlin snapshots are written with the
 * fixed offset Berlin had at that instant (Etc/GMT-1 or Etc/GMT-2, which also reaches the second
 * 02:xx hour of the autumn change) and forgotten with TZ=Europe/Berlin.
 */
class RetentionResticIT {

  private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");
  private static final DateTimeFormatter RESTIC_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int PARALLEL_BACKUPS = 4;

  @TempDir static Path tmp;
  private static Path repo;
  private static Path data;
  private static final Map<String, List<Item>> SNAPSHOTS_BY_HOST = new HashMap<>();

  @BeforeAll
  static void createRepositoryWithSnapshots() throws Exception {
    String version = run(List.of("restic", "version"), "UTC");
    assumeTrue(version.matches("(?s)restic 0\\.1[45]\\..*"),
        "these semantics are restic 0.14/0.15's; 0.16 changed forget (-1 = unlimited, keeps the"
            + " oldest snapshot while a count is left), found: " + version.strip());
    repo = tmp.resolve("repo");
    data = Files.createDirectories(tmp.resolve("data"));
    Files.writeString(data.resolve("file.txt"), "retention cross-check\n");
    run(List.of("restic", "init", "-q"), "UTC");

    var backups = new ArrayList<List<String>>();
    var tzs = new ArrayList<String>();
    for (Instant t : utcTimeline()) {
      backups.add(backupCommand("utc", t, ZoneOffset.UTC));
      tzs.add("UTC");
    }
    for (var host : Map.of("autumn", autumnTimeline(), "spring", springTimeline()).entrySet()) {
      for (Instant t : host.getValue()) {
        ZoneOffset offset = BERLIN.getRules().getOffset(t);
        backups.add(backupCommand(host.getKey(), t, offset));
        tzs.add("Etc/GMT-" + offset.getTotalSeconds() / 3600); // POSIX sign: GMT-2 is UTC+2
      }
    }
    runParallel(backups, tzs);

    for (String host : List.of("utc", "autumn", "spring")) {
      String tz = host.equals("utc") ? "UTC" : "Europe/Berlin";
      var items = new ArrayList<Item>();
      for (JsonNode sn : JSON.readTree(
          run(List.of("restic", "snapshots", "--no-lock", "--json", "--host", host), tz))) {
        items.add(new Item(sn.get("id").asText(), time(sn)));
      }
      SNAPSHOTS_BY_HOST.put(host, items);
    }
    assertThat(SNAPSHOTS_BY_HOST.get("utc")).hasSize(40);
  }

  @ParameterizedTest(name = "utc: {0}")
  @ValueSource(strings = {
    "--keep-last 5",
    "--keep-hourly 10",
    "--keep-daily 10",
    "--keep-weekly 8",
    "--keep-monthly 14",
    "--keep-yearly 5",
    "--keep-daily 7 --keep-weekly 4 --keep-monthly 6 --keep-yearly 2",
    "--keep-within 1m",
    "--keep-within 1y2m3d4h",
    "--keep-within 36h --keep-last 2 --keep-hourly 3",
    "--keep-within 2d --keep-weekly 3 --keep-monthly 100",
    "--keep-last 100 --keep-yearly 1",
  })
  void utcTimelineMatchesRestic(String flags) throws Exception {
    assertSameAsRestic("utc", ZoneOffset.UTC, "UTC", flags);
  }

  @ParameterizedTest(name = "Berlin autumn DST: {0}")
  @ValueSource(strings = {
    "--keep-hourly 8",
    "--keep-daily 3",
    "--keep-within 1d",
    "--keep-within 25h",
    "--keep-last 1 --keep-weekly 2 --keep-monthly 2",
  })
  void berlinAutumnMatchesRestic(String flags) throws Exception {
    assertSameAsRestic("autumn", BERLIN, "Europe/Berlin", flags);
  }

  @ParameterizedTest(name = "Berlin spring DST: {0}")
  @ValueSource(strings = {
    "--keep-hourly 10",
    "--keep-daily 2",
    "--keep-within 1d",
    "--keep-within 24h",
  })
  void berlinSpringMatchesRestic(String flags) throws Exception {
    assertSameAsRestic("spring", BERLIN, "Europe/Berlin", flags);
  }

  @Test
  void emptyPolicyRemovesNothingInEither() throws Exception {
    String out = run(forgetCommand("utc", ""), "UTC");

    assertThat(out).isBlank(); // restic: "no policy was specified, no snapshots will be removed"
    assertThat(RetentionPlanner.plan(SNAPSHOTS_BY_HOST.get("utc"), RetentionPolicy.none(),
        ZoneOffset.UTC).remove()).isEmpty();
  }

  @Test
  void keepWithinMonthRollsOverLikeResticNotLikeJavaTime() throws Exception {
    // Newest is 2022-03-31 12:00Z: one month back is "31 Feb" = 3 March in Go. java.time's
    // minusMonths(1) would say 28 Feb and also keep the 2 and 3 March (11:00) snapshots.
    JsonNode group = JSON.readTree(run(forgetCommand("utc", "--keep-within 1m"), "UTC")).get(0);
    var keptTimes = new TreeSet<Instant>();
    group.get("keep").forEach(sn -> keptTimes.add(time(sn)));

    assertThat(keptTimes.first()).isEqualTo(Instant.parse("2022-03-03T13:00:00Z"));
  }

  // --- the comparison ------------------------------------------------------------------------

  private static void assertSameAsRestic(String host, ZoneId zone, String tz, String flags)
      throws Exception {
    List<Item> items = SNAPSHOTS_BY_HOST.get(host);
    JsonNode groups = JSON.readTree(run(forgetCommand(host, flags), tz));
    assertThat(groups).as("restic forget groups").hasSize(1);
    JsonNode group = groups.get(0);

    var resticReasons = new HashMap<Instant, String>();
    for (JsonNode reason : group.get("reasons")) {
      var matches = new ArrayList<String>();
      reason.get("matches").forEach(m -> matches.add(m.asText()));
      resticReasons.put(time(reason.get("snapshot")), String.join(", ", matches));
    }
    var restic = new HashMap<String, String>();
    group.get("keep").forEach(sn -> restic.put(sn.get("id").asText(), resticReasons.get(time(sn))));
    group.get("remove").forEach(sn -> restic.put(sn.get("id").asText(), "remove"));

    Plan plan = RetentionPlanner.plan(items, policyFrom(flags), zone, Instant.now());
    var ours = new LinkedHashMap<String, String>();
    var theirs = new LinkedHashMap<String, String>();
    for (Decision d : plan.decisions()) {
      String key = d.item().time().atZone(zone).toOffsetDateTime() + " " + d.item().id().substring(0, 8);
      ours.put(key, d.keep() ? resticWording(d, plan) : "remove");
      theirs.put(key, restic.get(d.item().id()));
    }
    assertThat(ours).as("%s %s: ours vs restic", host, flags).isEqualTo(theirs);
  }

  /** restic's KeepReason.matches spelling. */
  private static String resticWording(Decision d, Plan plan) {
    return d.reasons().stream()
        .map(r -> switch (r) {
          case WITHIN -> "within " + plan.policy().keepWithin();
          case LAST -> "last snapshot";
          case HOURLY, DAILY, WEEKLY, MONTHLY, YEARLY -> r.label() + " snapshot";
          case NEWEST, POLICY_EMPTY -> r.label();
        })
        .collect(Collectors.joining(", "));
  }

  private static RetentionPolicy policyFrom(String flags) {
    var p = RetentionPolicy.none();
    String[] words = flags.split(" ");
    for (int i = 0; i < words.length; i += 2) {
      String v = words[i + 1];
      p = switch (words[i]) {
        case "--keep-last" -> p.withKeepLast(Integer.parseInt(v));
        case "--keep-hourly" -> p.withKeepHourly(Integer.parseInt(v));
        case "--keep-daily" -> p.withKeepDaily(Integer.parseInt(v));
        case "--keep-weekly" -> p.withKeepWeekly(Integer.parseInt(v));
        case "--keep-monthly" -> p.withKeepMonthly(Integer.parseInt(v));
        case "--keep-yearly" -> p.withKeepYearly(Integer.parseInt(v));
        case "--keep-within" -> p.withKeepWithin(v);
        default -> throw new IllegalArgumentException(words[i]);
      };
    }
    return p;
  }

  // --- timelines -----------------------------------------------------------------------------

  private static List<Instant> utcTimeline() {
    var times = new TreeSet<Instant>();
    for (String t : List.of(
        "2020-12-20T10:00:00", // Sun, 2020-W51
        "2020-12-27T10:00:00", // Sun, 2020-W52
        "2020-12-28T09:00:00", // Mon, 2020-W53
        "2020-12-31T23:59:59",
        "2021-01-01T00:00:00",
        "2021-01-03T23:00:00", // Sun, still 2020-W53
        "2021-01-04T00:30:00", // Mon, 2021-W01
        "2021-01-04T00:45:00", // same hour
        "2021-01-04T13:00:00", // same day
        "2021-02-28T23:00:00",
        "2021-03-01T01:00:00",
        "2021-12-31T22:00:00",
        "2022-01-02T12:00:00", // Sun, 2021-W52
        "2022-01-03T12:00:00", // Mon, 2022-W01
        "2022-02-28T12:00:00",
        "2022-03-02T12:00:00",
        "2022-03-03T11:00:00", // one Go-month before the newest is 2022-03-03T12:00
        "2022-03-03T13:00:00",
        "2022-03-30T08:00:00",
        "2022-03-30T08:20:00",
        "2022-03-30T09:10:00",
        "2022-03-31T12:00:00")) { // newest
      times.add(LocalDateTime.parse(t).toInstant(ZoneOffset.UTC));
    }
    // 18 more between 5 Jan 2021 and 27 Feb 2022, some two on one day, all on distinct seconds.
    var r = new Random(20240102L);
    LocalDate first = LocalDate.parse("2021-01-05");
    while (times.size() < 40) {
      LocalDate day = first.plusDays(r.nextInt(418));
      int doubles = 1 + r.nextInt(2);
      for (int i = 0; i < doubles && times.size() < 40; i++) {
        times.add(day.atStartOfDay().plusSeconds(r.nextInt(86_400)).toInstant(ZoneOffset.UTC));
      }
    }
    return List.copyOf(times);
  }

  /** 31 Oct 2021: Berlin local 02:00-03:00 happens twice, 00:00-01:00Z (CEST) and 01:00-02:00Z (CET). */
  private static List<Instant> autumnTimeline() {
    return instants(
        "2021-10-30T21:50:00Z", // 30 Oct 23:50 CEST
        "2021-10-30T22:30:00Z", // 31 Oct 00:30 CEST
        "2021-10-31T00:20:00Z", // 02:20 CEST
        "2021-10-31T00:40:00Z", // 02:40 CEST
        "2021-10-31T01:20:00Z", // 02:20 CET
        "2021-10-31T01:40:00Z", // 02:40 CET
        "2021-10-31T02:10:00Z", // 03:10 CET
        "2021-10-31T22:30:00Z", // 23:30 CET
        "2021-10-31T23:30:00Z", // 1 Nov 00:30 CET
        "2021-11-01T01:30:00Z"); // 1 Nov 02:30 CET, newest: 1d back is the ambiguous 02:30
  }

  /** 28 Mar 2021: Berlin local 02:00-03:00 does not exist; that day has 23 hours. */
  private static List<Instant> springTimeline() {
    return instants(
        "2021-03-27T10:00:00Z", // 27 Mar 11:00 CET
        "2021-03-27T10:30:00Z", // 11:30 CET: within 24h of the newest, not within 1d
        "2021-03-27T11:30:00Z", // 12:30 CET
        "2021-03-27T23:30:00Z", // 28 Mar 00:30 CET
        "2021-03-28T00:30:00Z", // 01:30 CET
        "2021-03-28T01:30:00Z", // 03:30 CEST
        "2021-03-28T09:00:00Z", // 11:00 CEST
        "2021-03-28T10:00:00Z"); // 12:00 CEST, newest
  }

  private static List<Instant> instants(String... utc) {
    return Arrays.stream(utc).map(Instant::parse).toList();
  }

  // --- restic --------------------------------------------------------------------------------

  private static List<String> backupCommand(String host, Instant t, ZoneOffset offset) {
    return List.of("restic", "backup", "-q", "--host", host, "--time",
        RESTIC_TIME.format(t.atOffset(offset)), data.toString());
  }

  private static List<String> forgetCommand(String host, String flags) {
    var cmd = new ArrayList<>(List.of("restic", "forget", "--no-lock", "--dry-run", "--json",
        "--host", host));
    if (!flags.isBlank()) {
      cmd.addAll(List.of(flags.split(" ")));
    }
    return cmd;
  }

  private static Instant time(JsonNode snapshot) {
    return OffsetDateTime.parse(snapshot.get("time").asText()).toInstant();
  }

  private static ProcessBuilder restic(List<String> command, String tz) {
    var pb = new ProcessBuilder(command);
    Map<String, String> env = pb.environment();
    env.keySet().removeIf(k -> k.startsWith("RESTIC_"));
    env.put("RESTIC_REPOSITORY", String.valueOf(repo == null ? tmp.resolve("repo") : repo));
    env.put("RESTIC_PASSWORD", "retention-it");
    env.put("RESTIC_CACHE_DIR", tmp.resolve("cache").toString());
    env.put("TZ", tz);
    return pb;
  }

  private static String run(List<String> command, String tz) throws Exception {
    Path out = Files.createTempFile(tmp, "out", ".txt");
    Path err = Files.createTempFile(tmp, "err", ".txt");
    Process p;
    try {
      p = restic(command, tz).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    } catch (IOException e) {
      throw new AssertionError(
          "cannot start restic (apt-get install restic; scripts/test.sh installs it): "
              + e.getMessage(), e);
    }
    awaitSuccess(p, command, tz, err);
    return Files.readString(out, StandardCharsets.UTF_8);
  }

  private static void runParallel(List<List<String>> commands, List<String> tzs) throws Exception {
    for (int start = 0; start < commands.size(); start += PARALLEL_BACKUPS) {
      var batch = new ArrayList<Process>();
      var errs = new ArrayList<Path>();
      int end = Math.min(start + PARALLEL_BACKUPS, commands.size());
      for (int i = start; i < end; i++) {
        Path err = Files.createTempFile(tmp, "err", ".txt");
        errs.add(err);
        batch.add(restic(commands.get(i), tzs.get(i))
            .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(err.toFile()).start());
      }
      for (int i = 0; i < batch.size(); i++) {
        awaitSuccess(batch.get(i), commands.get(start + i), tzs.get(start + i), errs.get(i));
      }
    }
  }

  private static void awaitSuccess(Process p, List<String> command, String tz, Path err)
      throws Exception {
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("timed out: TZ=" + tz + " " + String.join(" ", command));
    }
    if (p.exitValue() != 0) {
      throw new AssertionError("TZ=" + tz + " " + String.join(" ", command) + " exited "
          + p.exitValue() + ": " + Files.readString(err).strip());
    }
  }
}
