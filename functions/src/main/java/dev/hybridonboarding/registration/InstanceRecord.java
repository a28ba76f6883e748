package dev.hybridonboarding.registration;

import java.time.Instant;
import java.util.Optional;

/**
 * What this service did with one managed instance: whether its registration and its deregistration were handled
 * (tagged, linked, announced), and what it learned on the way.
 */
public record InstanceRecord(
        String instanceId,
        Optional<Instant> registrationHandledAt,
        Optional<Instant> deregistrationHandledAt,
        Optional<Facts> facts) {

    /**
     * @param name the hostname the machine enrolled with, else the computer name it reported
     */
    public record Facts(
            String activationId,
            Verdict verdict,
            Optional<String> fleet,
            Optional<String> enrollmentId,
            Optional<String> name) {}

    public static InstanceRecord unknown(String instanceId) {
        return new InstanceRecord(instanceId, Optional.empty(), Optional.empty(), Optional.empty());
    }

    public boolean handled(RegistrationEvent.Change change) {
        return change == RegistrationEvent.Change.REGISTERED
                ? registrationHandledAt.isPresent()
                : deregistrationHandledAt.isPresent();
    }
}
