package dev.holdfast.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.holdfast.source.PostgresConnection;
import dev.holdfast.source.PostgresServer;
import dev.holdfast.source.PostgresSource;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A database restore from the dashboard's API into a real PostgreSQL server: the preview says
 * where the dump goes, the restore needs its token, and the copy holds the same data.
 */
class DashboardDatabaseRestoreIT {
  @TempDir Path tmp;

  @Test
  void aDumpIsLoadedIntoANewDatabaseOnlyAfterItsPreviewIsConfirmed() throws Exception {
    assertThat(PostgresServer.available()).as("PostgreSQL 15 (apt-get install postgresql)").isTrue();
    try (PostgresServer pg = PostgresServer.start()) {
      pg.sql("postgres", "CREATE DATABASE shop");
      pg.sql("shop", "CREATE TABLE orders(id int primary key, item text); "
          + "INSERT INTO orders SELECT g, 'item ' || g FROM generate_series(1, 500) g");
      try (WebFixture f = new WebFixture(tmp, "127.0.0.1", WebSettings.open(),
          List.of(new PostgresSource(PostgresConnection.parse(pg.uri("shop")), pg.env())), pg.env())) {
        f.backup();
        WebClient c = new WebClient(f).session();
        String backup = c.getJson("/api/jobs/docs").path("targets").get(0).path("backups").get(0).path("id").asText();
        String into = pg.uri("shop_copy");
        Map<String, Object> req = new HashMap<>(Map.of("kind", "database", "backup", backup, "database", "shop",
            "into", into, "create", true));
        JsonNode preview = c.postJson("/api/jobs/docs/restore/preview", req);
        assertThat(preview.path("summary").asText()).contains("'shop'", into, "creating it if missing");

        HttpResponse<byte[]> unconfirmed = c.post("/api/jobs/docs/restore", req);
        assertThat(unconfirmed.statusCode()).isEqualTo(409);
        assertThat(pg.sql("postgres", "SELECT count(*) FROM pg_database WHERE datname = 'shop_copy'").strip()).isEqualTo("0");

        req.put("confirm", preview.path("confirm").asText());
        JsonNode done = c.postJson("/api/jobs/docs/restore", req);
        assertThat(done.path("result").path("into").asText()).contains("shop_copy");
        assertThat(pg.sql("shop_copy", "SELECT count(*), max(item) FROM orders").strip()).isEqualTo("500|item 99");
        assertThat(pg.dataDump("shop_copy")).isEqualTo(pg.dataDump("shop"));
        assertThat(f.logText()).contains("web: local restored everything from " + backup + " (database shop)");
      }
    }
  }
}
