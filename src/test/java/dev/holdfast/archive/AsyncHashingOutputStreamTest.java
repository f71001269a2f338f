package dev.holdfast.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AsyncHashingOutputStreamTest {
  @Test
  void writesHashesAndCountsEveryByteInOrder() throws Exception {
    byte[] data = new byte[3 * AsyncHashingOutputStream.CHUNK * AsyncHashingOutputStream.CHUNKS + 12345];
    new Random(1).nextBytes(data);
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    var out = new AsyncHashingOutputStream(sink, "test-output");
    Random r = new Random(2);
    int i = 0;
    while (i < data.length) {
      if (r.nextInt(10) == 0) {
        out.write(data[i++]);
        continue;
      }
      int n = Math.min(data.length - i, 1 + r.nextInt(600_000));
      out.write(data, i, n);
      i += n;
    }
    out.close();
    assertThat(sink.toByteArray()).isEqualTo(data);
    assertThat(out.count()).isEqualTo(data.length);
    assertThat(out.hex()).isEqualTo(HexFormat.of().formatHex(Digests.sha256().digest(data)));
  }

  @Test
  void aFailingUploadFailsTheWriterWithItsOwnError() {
    OutputStream broken = new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        throw new IOException("disk full");
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        throw new IOException("disk full");
      }
    };
    var out = new AsyncHashingOutputStream(broken, "test-output");
    byte[] chunk = new byte[1 << 20];
    assertThatThrownBy(() -> {
      for (int i = 0; i < 100; i++) {
        out.write(chunk);
      }
      out.close();
    }).isInstanceOf(IOException.class).hasMessage("disk full");
  }
}
