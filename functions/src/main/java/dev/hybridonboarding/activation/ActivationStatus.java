package dev.hybridonboarding.activation;

/** What SSM says of an activation now: how many machines registered with it, and whether it expired. */
public record ActivationStatus(int registrationsCount, int registrationLimit, boolean expired) {

    /** Whether one more machine can still register with it. */
    public boolean canRegister() {
        return !expired && registrationsCount < registrationLimit;
    }
}
