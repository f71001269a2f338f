package dev.holdfast.notify;

import jakarta.mail.Authenticator;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.PasswordAuthentication;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Date;
import java.util.List;
import java.util.Properties;
import java.util.Set;

/**
 * Mails a report through an SMTP server (Jakarta Mail): STARTTLS (required when asked for) or
 * implicit TLS, optional login with a password read from a file at send time.
 */
public final class EmailNotifier implements Notifier {
  /** Where and how to deliver. */
  /** @param caFile PEM certificate(s) to trust for the server instead of the system's CAs, or null */
  public record Smtp(String host, int port, boolean starttls, boolean tls, String username, Path passwordFile,
      Path caFile) {}

  private static final int TIMEOUT_MS = 20_000;
  private final Smtp smtp;
  private final String from;
  private final List<String> to;
  private final Set<Notice.Kind> on;

  public EmailNotifier(Smtp smtp, String from, List<String> to, Set<Notice.Kind> on) {
    this.smtp = smtp;
    this.from = from;
    this.to = List.copyOf(to);
    this.on = Set.copyOf(on);
  }

  @Override
  public boolean wants(Notice.Kind kind) {
    return on.contains(kind);
  }

  @Override
  public void send(Notice n) throws IOException {
    Properties p = new Properties();
    String proto = smtp.tls() ? "smtps" : "smtp";
    p.put("mail.transport.protocol", proto);
    p.put("mail." + proto + ".host", smtp.host());
    p.put("mail." + proto + ".port", String.valueOf(smtp.port()));
    p.put("mail." + proto + ".connectiontimeout", String.valueOf(TIMEOUT_MS));
    p.put("mail." + proto + ".timeout", String.valueOf(TIMEOUT_MS));
    p.put("mail." + proto + ".writetimeout", String.valueOf(TIMEOUT_MS));
    if (smtp.starttls()) {
      p.put("mail.smtp.starttls.enable", "true");
      p.put("mail.smtp.starttls.required", "true");
    }
    if (smtp.starttls() || smtp.tls()) {
      p.put("mail." + proto + ".ssl.checkserveridentity", "true");
      if (smtp.caFile() != null) {
        p.put("mail." + proto + ".ssl.socketFactory", socketFactory(smtp.caFile()));
      }
    }
    Authenticator auth = null;
    if (smtp.username() != null) {
      p.put("mail." + proto + ".auth", "true");
      String password = smtp.passwordFile() == null ? "" : password(smtp.passwordFile());
      auth = new Authenticator() {
        @Override
        protected PasswordAuthentication getPasswordAuthentication() {
          return new PasswordAuthentication(smtp.username(), password);
        }
      };
    }
    Session session = Session.getInstance(p, auth);
    try {
      MimeMessage m = new MimeMessage(session);
      m.setFrom(new InternetAddress(from));
      for (String rcpt : to) {
        m.addRecipient(Message.RecipientType.TO, new InternetAddress(rcpt));
      }
      m.setSubject(n.subject(), "UTF-8");
      m.setSentDate(new Date());
      m.setText(n.text(), "UTF-8");
      m.saveChanges();
      // Transport.send would pick the transport by address type (rfc822 -> plain smtp), ignoring smtps
      try (Transport t = session.getTransport(proto)) {
        t.connect();
        t.sendMessage(m, m.getAllRecipients());
      }
    } catch (MessagingException e) {
      throw new IOException("sending mail via " + smtp.host() + ":" + smtp.port() + ": " + e.getMessage(), e);
    }
  }

  /** TLS that trusts exactly the certificates in {@code caFile} (a private CA or a self-signed server). */
  private static javax.net.ssl.SSLSocketFactory socketFactory(Path caFile) throws IOException {
    try (var in = Files.newInputStream(caFile)) {
      var certs = java.security.cert.CertificateFactory.getInstance("X.509").generateCertificates(in);
      if (certs.isEmpty()) {
        throw new IOException("no certificate in " + caFile);
      }
      var store = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
      store.load(null, null);
      int i = 0;
      for (var c : certs) {
        store.setCertificateEntry("ca" + i++, c);
      }
      var tmf = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(store);
      var ctx = javax.net.ssl.SSLContext.getInstance("TLS");
      ctx.init(null, tmf.getTrustManagers(), null);
      return ctx.getSocketFactory();
    } catch (java.security.GeneralSecurityException e) {
      throw new IOException("cannot use " + caFile + " as CA certificates: " + e.getMessage(), e);
    }
  }

  private static String password(Path file) throws IOException {
    String s = Files.readString(file, StandardCharsets.UTF_8);
    int nl = s.indexOf('\n');
    return (nl >= 0 ? s.substring(0, nl) : s).replace("\r", "");
  }

  @Override
  public String describe() {
    return "email to " + String.join(", ", to) + " via " + smtp.host() + ":" + smtp.port();
  }
}
