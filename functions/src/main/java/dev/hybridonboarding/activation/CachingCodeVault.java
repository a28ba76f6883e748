package dev.hybridonboarding.activation;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Remembers opened shared codes per activation id for the life of the container. An activation's code
 * never changes, so the cache cannot go stale; it saves one key-service call on every shared enrollment
 * after the first. Sealing is not cached: it happens once per activation anyway.
 */
public final class CachingCodeVault implements SharedCodeVault {

    private static final int MAX_ENTRIES = 64;

    private final SharedCodeVault vault;
    private final Map<String, ActivationCode> opened = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, ActivationCode> eldest) {
            return size() > MAX_ENTRIES;
        }
    };

    public CachingCodeVault(SharedCodeVault vault) {
        this.vault = vault;
    }

    @Override
    public byte[] seal(ActivationCode code, String fleet, String activationId) {
        byte[] sealed = vault.seal(code, fleet, activationId);
        remember(activationId, code);
        return sealed;
    }

    @Override
    public ActivationCode open(byte[] sealed, String fleet, String activationId) {
        synchronized (opened) {
            ActivationCode known = opened.get(activationId);
            if (known != null) {
                return known;
            }
        }
        ActivationCode code = vault.open(sealed, fleet, activationId);
        remember(activationId, code);
        return code;
    }

    private void remember(String activationId, ActivationCode code) {
        synchronized (opened) {
            opened.put(activationId, code);
        }
    }
}
