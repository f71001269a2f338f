package dev.holdfast.archive;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.testkit.Cli;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code verify} of encrypted backups with the wrong key: exit 12 (wrong password or key), not damage. */
class VerifyWrongKeyCliTest {
  @TempDir Path dir;

  @Test
  void anotherIdentityExits12AndTheRightOneVerifies() throws Exception {
    GeneratedKey mine = GeneratedKey.ed25519(dir, "mine");
    GeneratedKey other = GeneratedKey.ed25519(dir, "other");
    Path src = Files.createDirectories(dir.resolve("src"));
    Files.writeString(src.resolve("f.txt"), "secret\n".repeat(100));
    Path target = dir.resolve("t");
    Cli cli = new Cli(dir.resolve("state"));
    Cli.Result b = cli.run("backup", "--to", target.toString(), "--recipient-file", mine.publicKeyFile().toString(),
        src.toString());
    assertThat(b.exitCode()).as(b.toString()).isZero();

    for (String level : new String[] {"full", "restore-test"}) {
      Cli.Result wrong = cli.run("verify", "--from", target.toString(), "--level", level,
          "--identity", other.secretKeyFile().toString());
      assertThat(wrong.exitCode()).as(level + ": " + wrong).isEqualTo(12);
      assertThat(wrong.err()).startsWith("error: ");
    }
    Cli.Result right = cli.run("verify", "--from", target.toString(), "--identity", mine.secretKeyFile().toString());
    assertThat(right.exitCode()).as(right.toString()).isZero();
  }

  @Test
  void aWrongPassphraseExits12() throws Exception {
    Path pass = Files.writeString(dir.resolve("pass"), "correct horse battery staple\n");
    Path wrong = Files.writeString(dir.resolve("wrong"), "nope\n");
    Path src = Files.createDirectories(dir.resolve("src"));
    Files.writeString(src.resolve("f.txt"), "secret\n");
    Path target = dir.resolve("t");
    Cli cli = new Cli(dir.resolve("state"));
    assertThat(cli.run("backup", "--to", target.toString(), "--passphrase-file", pass.toString(), src.toString())
        .exitCode()).isZero();

    Cli.Result bad = cli.run("verify", "--from", target.toString(), "--passphrase-file", wrong.toString());
    assertThat(bad.exitCode()).as(bad.toString()).isEqualTo(12);
    assertThat(bad.err()).startsWith("error: ").doesNotContain("nope");
    Cli.Result good = cli.run("verify", "--from", target.toString(), "--passphrase-file", pass.toString());
    assertThat(good.exitCode()).as(good.toString()).isZero();
  }
}
