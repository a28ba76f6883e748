package dev.hybridonboarding.registration;

import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * The port to Systems Manager's managed instances.
 *
 * @see dev.hybridonboarding.support.DependencyUnavailableException thrown by every method when SSM throttles or fails
 */
public interface ManagedInstances {

    /** The instances among these that SSM shows now; one that is not registered yet, or not any more, is absent. */
    Map<String, ManagedInstance> describe(Collection<String> instanceIds);

    /** Every instance that registered with one of these activations and is still registered. */
    List<ManagedInstance> registeredWith(Collection<String> activationIds);

    /** The instance's tags, among them the copy of its activation's. */
    Map<String, String> tags(String instanceId);

    /**
     * Adds or overwrites these tags; adding the same tags again changes nothing.
     *
     * @return false when the instance is not registered (any more)
     * @throws TaggingRefusedException when SSM refuses the tags themselves (e.g. more than 50 on the instance)
     */
    boolean tag(String instanceId, Map<String, String> tags);

    /** Deregisters the instance; one that is gone already counts as deregistered. */
    void deregister(String instanceId);
}
