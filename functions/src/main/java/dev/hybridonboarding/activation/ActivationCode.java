package dev.hybridonboarding.activation;

import java.util.Objects;

/**
 * An SSM activation code. Whoever holds it (with its id) can register a machine and receive the instance
 * role's credentials, so it only ever leaves through {@link #reveal()} and never through {@link #toString()}.
 */
public final class ActivationCode {

    private final String value;

    public ActivationCode(String value) {
        this.value = Objects.requireNonNull(value);
    }

    public String reveal() {
        return value;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ActivationCode code && code.value.equals(value);
    }

    @Override
    public int hashCode() {
        return value.hashCode();
    }

    @Override
    public String toString() {
        return "ActivationCode[redacted]";
    }
}
