package dev.hybridonboarding.activation;

/** SSM refused the activation as specified, for example because the instance role does not exist. */
public class ActivationRejectedException extends RuntimeException {

    public ActivationRejectedException(String message, Throwable cause) {
        super(message, cause);
    }
}
