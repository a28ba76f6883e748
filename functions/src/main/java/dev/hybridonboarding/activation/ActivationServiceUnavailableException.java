package dev.hybridonboarding.activation;

/** SSM throttled the call or failed; the caller may try again later. */
public class ActivationServiceUnavailableException extends RuntimeException {

    public ActivationServiceUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
