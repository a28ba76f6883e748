package dev.hybridonboarding.admin;

import java.time.Instant;
import java.util.Collection;
import java.util.Map;

/** What Systems Manager knows about activations and the machines registered with them. */
public interface ActivationInventory {

    record ActivationState(
            String activationId, int registrationsCount, int registrationLimit, Instant expiresAt, boolean expired) {}

    /** The activations among {@code activationIds} that still exist in SSM. */
    Map<String, ActivationState> activations(Collection<String> activationIds);

    /** How many managed instances carry the fleet's tag, which every activation of the fleet puts on them. */
    int registeredMachines(String fleet);
}
