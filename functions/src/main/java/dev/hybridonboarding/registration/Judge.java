package dev.hybridonboarding.registration;

import dev.hybridonboarding.activation.ActivationOwner;
import dev.hybridonboarding.activation.InstanceTags;
import dev.hybridonboarding.enrollment.EnrollmentRecord;
import dev.hybridonboarding.registration.ManagedInstance.MachineReport;
import dev.hybridonboarding.rotation.ActivationRecord;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Tells whose a registered instance is and links it to its enrollment. Our activations are told apart by our records,
 * and, for one a crash left unrecorded, by the {@code hybrid-onboarding:stack} tag SSM copied from it onto the
 * instance. A single-use activation names its enrollment; a shared one is matched best effort, by the computer name
 * the machine reports, else its address, and says so when it is a guess.
 */
final class Judge {

    /** Shared enrollments considered for a registration: a machine registers within minutes of enrolling. */
    static final Duration ENROLLED_BEFORE = Duration.ofHours(1);
    /** The function's clock and SSM's may disagree a little. */
    static final Duration CLOCK_SKEW = Duration.ofMinutes(5);

    private final RegistrationStore store;
    private final ManagedInstances instances;
    private final ActivationOwner owner;

    Judge(RegistrationStore store, ManagedInstances instances, ActivationOwner owner) {
        this.store = store;
        this.instances = instances;
        this.owner = owner;
    }

    Judgement judge(ManagedInstance instance) {
        Optional<ActivationRecord> activation = store.activation(instance.activationId());
        if (activation.isEmpty()) {
            return byTags(instance);
        }
        ActivationRecord record = activation.get();
        return switch (record.mode()) {
            case SINGLE_USE -> singleUse(instance, record);
            case SHARED -> shared(instance, record);
        };
    }

    private Judgement byTags(ManagedInstance instance) {
        Map<String, String> tags = instances.tags(instance.instanceId());
        String stack = tags.get(InstanceTags.STACK);
        if (stack == null) {
            return new Judgement.Unmanaged();
        }
        if (!owner.owns(tags)) {
            return new Judgement.Foreign(stack);
        }
        return new Judgement.Unmatched(
                Optional.ofNullable(tags.get(InstanceTags.FLEET)),
                "its activation is this deployment's (tagged " + InstanceTags.STACK + ") but was never recorded");
    }

    private Judgement singleUse(ManagedInstance instance, ActivationRecord activation) {
        Optional<EnrollmentRecord> enrollment = activation.enrollmentId().flatMap(store::enrollment);
        if (enrollment.isEmpty()) {
            return new Judgement.Unmatched(
                    Optional.of(activation.fleet()), "the enrollment of its single-use activation is not recorded");
        }
        EnrollmentRecord enrolled = enrollment.get();
        store.linkEnrollment(enrolled.enrollmentId(), instance.instanceId(), instance.registeredAt());
        Optional<MachineReport> report = instance.report();
        if (report.isEmpty()) {
            return new Judgement.Enrolled(
                    enrolled,
                    Optional.of("the machine has not reported its computer name yet, so it could not "
                            + "be checked against the hostname that enrolled"));
        }
        if (!sameHost(enrolled.request().hostname(), report.get().computerName())) {
            return new Judgement.Mismatch(enrolled, report.get().computerName());
        }
        return new Judgement.Enrolled(enrolled, Optional.empty());
    }

    private Judgement shared(ManagedInstance instance, ActivationRecord activation) {
        Optional<MachineReport> report = instance.report();
        if (report.isEmpty()) {
            return new Judgement.Unmatched(
                    Optional.of(activation.fleet()),
                    "the machine has not reported its computer name or address "
                            + "yet, so it could not be matched to one of the enrollments that received the fleet's shared activation");
        }
        List<EnrollmentRecord> candidates = store.enrollmentsWith(
                activation.fleet(),
                activation.activationId(),
                instance.registeredAt().minus(ENROLLED_BEFORE),
                instance.registeredAt().plus(CLOCK_SKEW));
        String computerName = report.get().computerName();
        List<EnrollmentRecord> byName = candidates.stream()
                .filter(e -> sameHost(e.request().hostname(), computerName))
                .toList();
        for (EnrollmentRecord candidate : byName) {
            if (store.linkEnrollment(candidate.enrollmentId(), instance.instanceId(), instance.registeredAt())) {
                return new Judgement.Enrolled(
                        candidate,
                        byName.size() == 1
                                ? Optional.empty()
                                : Optional.of(byName.size() + " enrollments of fleet " + activation.fleet()
                                        + " used the hostname " + computerName
                                        + "; this is the newest one no other instance was matched to"));
            }
        }
        Optional<String> ip = report.get().ip();
        if (ip.isPresent()) {
            for (EnrollmentRecord candidate : candidates) {
                if (ip.get().equals(candidate.requester().sourceIp())
                        && store.linkEnrollment(
                                candidate.enrollmentId(), instance.instanceId(), instance.registeredAt())) {
                    return new Judgement.Enrolled(
                            candidate,
                            Optional.of("matched by address only: the machine reports the computer name " + computerName
                                    + " and enrolled as " + candidate.request().hostname() + " from " + ip.get()));
                }
            }
        }
        return new Judgement.Unmatched(
                Optional.of(activation.fleet()),
                "no enrollment of fleet " + activation.fleet() + " that received this activation used the hostname "
                        + computerName + ip.map(a -> " or the address " + a).orElse(""));
    }

    /** The same machine, going by the first label: one side may give a fully qualified name, and case varies. */
    static boolean sameHost(String enrolled, String reported) {
        return firstLabel(enrolled).equals(firstLabel(reported));
    }

    private static String firstLabel(String hostname) {
        String lower = hostname.trim().toLowerCase(Locale.ROOT);
        int dot = lower.indexOf('.');
        return dot < 0 ? lower : lower.substring(0, dot);
    }
}
