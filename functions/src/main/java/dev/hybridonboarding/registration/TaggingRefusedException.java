package dev.hybridonboarding.registration;

/** SSM refused tags on an instance for a reason that asking again will not change. */
public class TaggingRefusedException extends RuntimeException {

    public TaggingRefusedException(String message, Throwable cause) {
        super(message, cause);
    }
}
