package dev.holdfast.repository;

import dev.holdfast.backend.LocalBackend;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * For bench/index-memory.sh: creates a repository whose index files name {@code blobs} blobs in
 * packs of 1,000 (random ids, restic's 150,000 blobs per index file) without writing any pack, so
 * the memory a command needs to load a large repository's index can be measured. Arguments:
 * repository directory, password, number of blobs, seed.
 */
public final class SyntheticIndexMain {
  private static final int BLOBS_PER_PACK = 1_000;
  private static final int BLOBS_PER_INDEX = 150_000;

  private SyntheticIndexMain() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    String password = args[1];
    long blobs = Long.parseLong(args[2]);
    var random = new SplittableRandom(args.length > 3 ? Long.parseLong(args[3]) : 1);
    try (var backend = new LocalBackend(dir);
        var repo = Repository.init(backend, password, 0x3DA3358B4DC173L, new KdfParams(16384, 8, 1))) {
      long written = 0;
      int files = 0;
      while (written < blobs) {
        List<IndexFile.Pack> packs = new ArrayList<>();
        int inFile = 0;
        while (inFile < BLOBS_PER_INDEX && written < blobs) {
          int n = (int) Math.min(BLOBS_PER_PACK, blobs - written);
          List<PackedBlob> list = new ArrayList<>(n);
          long offset = 0;
          for (int i = 0; i < n; i++) {
            int plain = 512 + random.nextInt(1 << 20);
            int length = plain / 2 + CryptoKey.OVERHEAD;
            list.add(new PackedBlob(i % 50 == 0 ? BlobType.TREE : BlobType.DATA, id(random), offset, length, plain));
            offset += length;
          }
          packs.add(new IndexFile.Pack(id(random), list));
          written += n;
          inFile += n;
        }
        byte[] sealed = UnpackedFile.seal(repo.masterKey(), new IndexFile(List.of(), packs).toJson(), repo.config().version());
        backend.put("index/" + ObjectId.hash(sealed).hex(), sealed);
        files++;
      }
      System.out.println(blobs + " blobs in " + files + " index files at " + dir);
    }
  }

  private static ObjectId id(SplittableRandom random) {
    byte[] b = new byte[ObjectId.LENGTH];
    random.nextBytes(b);
    return ObjectId.of(b);
  }
}
