package dev.hybridonboarding.registration;

import dev.hybridonboarding.enrollment.EnrollmentRecord;
import dev.hybridonboarding.rotation.ActivationRecord;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The port to what the registration step reads and keeps in the table. Handling a change is guarded by a lease on
 * the instance, so the two routes of one registration, delivered at once, do not both act on it.
 *
 * @see dev.hybridonboarding.support.DependencyUnavailableException thrown by every method when the table throttles or fails
 */
public interface RegistrationStore {

    /** What is recorded of these instances; an instance never seen is absent. */
    Map<String, InstanceRecord> instances(Collection<String> instanceIds);

    /** Takes the right to handle {@code change} of the instance until {@code until}, unless someone holds it or it is handled. */
    Leased<InstanceRecord> lease(
            String instanceId, RegistrationEvent.Change change, String owner, Instant now, Instant until);

    /** Gives the lease back unhandled, so a retry need not wait for it to run out. */
    void release(String instanceId, String owner);

    /**
     * Records the change as handled, what was learned, and, when it went into a digest, its place there; ends the lease.
     *
     * @return false when the digest went out meanwhile: the change is recorded without a place in it, to be announced alone
     */
    boolean handled(
            String instanceId,
            RegistrationEvent.Change change,
            InstanceRecord.Facts facts,
            Instant at,
            Optional<DigestEntry> digest);

    Optional<ActivationRecord> activation(String activationId);

    Optional<EnrollmentRecord> enrollment(String enrollmentId);

    /** The fleet's enrollments handed this activation, made between {@code from} and {@code to}, newest first. */
    List<EnrollmentRecord> enrollmentsWith(String fleet, String activationId, Instant from, Instant to);

    /**
     * Records on the enrollment the instance that registered with it.
     *
     * @return false when another instance is recorded on it already
     */
    boolean linkEnrollment(String enrollmentId, String instanceId, Instant registeredAt);

    /** Marks the enrollment's instance as deregistered (recording the instance on it if it was not). */
    void enrollmentDeregistered(String enrollmentId, String instanceId, Instant at);

    /** The fleets stored in the table (the template's default fleet may not be one of them). */
    List<String> fleetNames();

    /** The fleet's activations that are still valid, or expired after {@code expiredAfter}, deleted ones included. */
    List<ActivationRecord> activationsExpiringAfter(String fleet, Instant expiredAfter);
}
