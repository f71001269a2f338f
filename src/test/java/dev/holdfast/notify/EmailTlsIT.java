package dev.holdfast.notify;

import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetupTest;
import dev.holdfast.testkit.Cli;
import dev.holdfast.testkit.Processes;
import jakarta.mail.internet.MimeMessage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mail over implicit TLS to a real SMTP server (GreenMail's SMTPS) whose certificate, made here by
 * the JDK's keytool for 127.0.0.1, is trusted only through the notifier's {@code ca_file}: with it
 * the failure mail arrives; without it the certificate is refused and a WARNING line says so.
 * (GreenMail has no STARTTLS; that path shares the same socket factory and identity check.)
 */
class EmailTlsIT {
  @TempDir Path tmp;

  @Test
  void implicitTlsDeliversWithTheConfiguredCaAndRefusesAnUnknownCertificate() throws Exception {
    Path keystore = tmp.resolve("smtp.p12");
    String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    Processes.check(tmp, keytool, "-genkeypair", "-alias", "smtp", "-keyalg", "RSA", "-keysize", "2048",
        "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2",
        "-storetype", "PKCS12", "-keystore", keystore.toString(), "-storepass", "changeit", "-keypass", "changeit");
    Path ca = tmp.resolve("smtp-ca.pem");
    Processes.check(tmp, keytool, "-exportcert", "-rfc", "-alias", "smtp", "-keystore", keystore.toString(),
        "-storepass", "changeit", "-file", ca.toString());
    System.setProperty("greenmail.tls.keystore.file", keystore.toString());
    System.setProperty("greenmail.tls.keystore.password", "changeit");
    System.setProperty("greenmail.tls.key.password", "changeit");
    GreenMail mail = new GreenMail(ServerSetupTest.SMTPS.dynamicPort());
    mail.start();
    try {
      int port = mail.getSmtps().getPort();
      Path missing = tmp.resolve("missing");
      Cli cli = new Cli(tmp.resolve("state"));

      Path trusted = config("trusted", missing, port, "ca_file: " + ca);
      Cli.Result r = cli.run("--config", trusted.toString(), "backup", "nightly");
      assertThat(r.exitCode()).as(r.all()).isEqualTo(2);
      assertThat(mail.waitForIncomingEmail(20_000, 1))
          .as("mail over TLS; log:%n%s", Files.readString(tmp.resolve("state/holdfast.log"))).isTrue();
      MimeMessage m = mail.getReceivedMessages()[0];
      assertThat(m.getSubject()).contains("nightly").contains("FAILURE");
      assertThat(List.of(m.getAllRecipients()).toString()).contains("ops@example.org");

      Path untrusted = config("untrusted", missing, port, "");
      Cli.Result refused = cli.run("--config", untrusted.toString(), "backup", "nightly");
      assertThat(refused.exitCode()).as("a failed notification leaves the exit code alone").isEqualTo(2);
      assertThat(Files.readString(tmp.resolve("state/holdfast.log")))
          .contains("WARNING: notification of nightly failure by email to ops@example.org");
      assertThat(mail.getReceivedMessages()).as("nothing sent to an unverified server").hasSize(1);
    } finally {
      mail.stop();
    }
  }

  private Path config(String name, Path source, int port, String extra) throws Exception {
    Path f = tmp.resolve(name + ".yaml");
    Files.writeString(f, """
        jobs:
          nightly:
            sources: [%s]
            target: %s
            notify:
              - email: {to: [ops@example.org], from: holdfast@example.org, smtp_host: 127.0.0.1, smtp_port: %d,
                        tls: true %s}
        """.formatted(source, tmp.resolve("target"), port, extra.isEmpty() ? "" : ", " + extra));
    return f;
  }
}
