package dev.holdfast.backend;

/** The backend contract against {@link MemoryBackend}. */
class MemoryBackendTest extends BackendContract {
  @Override
  protected Backend newBackend() {
    return new MemoryBackend();
  }
}
