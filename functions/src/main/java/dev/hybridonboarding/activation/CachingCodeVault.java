package dev.hybridonboarding.activation;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Remembers opened shared codes for the life of the execution environment, which saves one key-service call on
 * every shared enrollment after the first. An entry is found only by the fleet, the activation id and a hash of the
 * very ciphertext it was opened from: a record whose ciphertext was altered, or an activation id presented for
 * another fleet, goes to the key service, whose encryption context decides.
 */
public final class CachingCodeVault implements SharedCodeVault {

    private static final int MAX_ENTRIES = 64;

    private record Key(String fleet, String activationId, ByteBuffer ciphertextHash) {}

    private final SharedCodeVault vault;
    private final Map<Key, ActivationCode> opened = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Key, ActivationCode> eldest) {
            return size() > MAX_ENTRIES;
        }
    };

    public CachingCodeVault(SharedCodeVault vault) {
        this.vault = vault;
    }

    @Override
    public byte[] seal(ActivationCode code, String fleet, String activationId) {
        byte[] sealed = vault.seal(code, fleet, activationId);
        remember(new Key(fleet, activationId, hash(sealed)), code);
        return sealed;
    }

    @Override
    public ActivationCode open(byte[] sealed, String fleet, String activationId) {
        Key key = new Key(fleet, activationId, hash(sealed));
        synchronized (opened) {
            ActivationCode known = opened.get(key);
            if (known != null) {
                return known;
            }
        }
        ActivationCode code = vault.open(sealed, fleet, activationId);
        remember(key, code);
        return code;
    }

    private void remember(Key key, ActivationCode code) {
        synchronized (opened) {
            opened.put(key, code);
        }
    }

    private static ByteBuffer hash(byte[] sealed) {
        try {
            return ByteBuffer.wrap(MessageDigest.getInstance("SHA-256").digest(sealed))
                    .asReadOnlyBuffer();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK provides SHA-256", e);
        }
    }
}
