package dev.holdfast.config;

import java.util.List;

/**
 * A job's encryption settings: public key files to encrypt to and/or a passphrase (from a file,
 * or from the environment variable named by {@code passphraseEnv}); the secret key (and its
 * passphrase file) used by the job's own verify and restore-test steps.
 */
public record EncryptionSpec(
    List<String> recipients, String passphraseFile, String passphraseEnv, String identityFile,
    String identityPassphraseFile, boolean required) {}
