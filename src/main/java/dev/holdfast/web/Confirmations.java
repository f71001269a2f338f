package dev.holdfast.web;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Ties a destructive action to the preview the user saw: the preview returns a token over what it
 * showed (HMAC with a key made at start), and the action recomputes the preview and refuses when
 * the token does not match, so nothing is written or removed that was not shown first.
 */
final class Confirmations {
  private final byte[] key = new byte[32];

  Confirmations() {
    new SecureRandom().nextBytes(key);
  }

  String token(List<String> shown) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      for (String s : shown) {
        mac.update(s.getBytes(StandardCharsets.UTF_8));
        mac.update((byte) 0);
      }
      return Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  boolean matches(String token, List<String> shown) {
    return token != null && MessageDigest.isEqual(token.getBytes(StandardCharsets.UTF_8),
        token(shown).getBytes(StandardCharsets.UTF_8));
  }
}
