package dev.hybridonboarding.token;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The secret half of an enrollment token. Only its SHA-256 is stored: with 256 random bits a fast hash is
 * as strong as a slow one, and it keeps verification cheap on the hot path.
 */
public final class TokenSecret {

    private static final int SECRET_BYTES = 32;
    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();

    private final String value;

    private TokenSecret(String value) {
        this.value = value;
    }

    public static TokenSecret generate(SecureRandom random) {
        byte[] bytes = new byte[SECRET_BYTES];
        random.nextBytes(bytes);
        return new TokenSecret(ENCODER.encodeToString(bytes));
    }

    static TokenSecret of(String value) {
        return new TokenSecret(value);
    }

    /** Length of the encoded secret: 32 bytes in unpadded base64url. */
    static int encodedLength() {
        return (SECRET_BYTES * 4 + 2) / 3;
    }

    public byte[] hash() {
        return sha256(value.getBytes(StandardCharsets.US_ASCII));
    }

    /** Constant-time comparison against a stored hash. */
    public boolean matches(byte[] storedHash) {
        return storedHash != null && MessageDigest.isEqual(hash(), storedHash);
    }

    /** Key material for sealing data that only a holder of this secret may open again. */
    public byte[] keyMaterial() {
        return value.getBytes(StandardCharsets.US_ASCII);
    }

    String reveal() {
        return value;
    }

    @Override
    public String toString() {
        return "TokenSecret[redacted]";
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK provides SHA-256", e);
        }
    }
}
