package dev.hybridonboarding.enrollment;

/** The table throttled or failed; the request may be retried later. */
public class StoreUnavailableException extends RuntimeException {

    public StoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
