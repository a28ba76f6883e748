package dev.hybridonboarding.enrollment;

import dev.hybridonboarding.activation.ActivationCode;
import dev.hybridonboarding.token.TokenSecret;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals a single-use activation code under a key derived from the enrollment token's secret, so that a
 * retry by the same machine can get the same activation back while the stored copy is useless to anyone
 * who reads the table: the service keeps only a hash of the secret, never the key.
 */
public final class TokenBoundSeal {

    private static final byte VERSION = 1;
    private static final int IV_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final byte[] KEY_LABEL = "hybrid-onboarding/activation-code/v1".getBytes(StandardCharsets.US_ASCII);

    private final SecureRandom random;

    public TokenBoundSeal(SecureRandom random) {
        this.random = random;
    }

    /** @param binding what the sealed code belongs to (token, machine, activation); it must match on opening */
    public byte[] seal(ActivationCode code, TokenSecret secret, String binding) {
        byte[] iv = new byte[IV_BYTES];
        random.nextBytes(iv);
        try {
            Cipher cipher = cipher(Cipher.ENCRYPT_MODE, secret, iv, binding);
            byte[] sealed = cipher.doFinal(code.reveal().getBytes(StandardCharsets.UTF_8));
            return ByteBuffer.allocate(1 + IV_BYTES + sealed.length)
                    .put(VERSION)
                    .put(iv)
                    .put(sealed)
                    .array();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is unavailable", e);
        }
    }

    /** @throws SealBrokenException when the secret or binding differ, or the data was altered */
    public ActivationCode open(byte[] sealed, TokenSecret secret, String binding) {
        if (sealed == null || sealed.length <= 1 + IV_BYTES || sealed[0] != VERSION) {
            throw new SealBrokenException("sealed activation code has an unknown format");
        }
        byte[] iv = new byte[IV_BYTES];
        System.arraycopy(sealed, 1, iv, 0, IV_BYTES);
        try {
            Cipher cipher = cipher(Cipher.DECRYPT_MODE, secret, iv, binding);
            byte[] plain = cipher.doFinal(sealed, 1 + IV_BYTES, sealed.length - 1 - IV_BYTES);
            return new ActivationCode(new String(plain, StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new SealBrokenException("sealed activation code does not open with this token");
        }
    }

    private static Cipher cipher(int mode, TokenSecret secret, byte[] iv, String binding)
            throws GeneralSecurityException {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.keyMaterial(), "HmacSHA256"));
        SecretKeySpec key = new SecretKeySpec(mac.doFinal(KEY_LABEL), "AES");
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(mode, key, new GCMParameterSpec(TAG_BITS, iv));
        cipher.updateAAD(binding.getBytes(StandardCharsets.UTF_8));
        return cipher;
    }

    /** The sealed code cannot be opened; the caller treats the stored copy as lost. */
    public static final class SealBrokenException extends RuntimeException {
        public SealBrokenException(String message) {
            super(message);
        }
    }
}
