package dev.hybridonboarding.support;

/**
 * A service this product depends on (the table, Systems Manager, the key service) throttled or failed, or did
 * not answer in time. Nothing was decided: the caller may try again later.
 */
public class DependencyUnavailableException extends RuntimeException {

    public DependencyUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
