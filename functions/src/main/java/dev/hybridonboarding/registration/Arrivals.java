package dev.hybridonboarding.registration;

import dev.hybridonboarding.activation.InstanceTags;
import dev.hybridonboarding.enrollment.EnrollmentRecord;
import dev.hybridonboarding.fleet.FleetMode;
import dev.hybridonboarding.log.StructuredLog;
import dev.hybridonboarding.notification.Notice;
import dev.hybridonboarding.registration.RegistrationEvent.Change;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * Handles one registration, under the instance's lease: waits (by asking for the message again) while SSM does not
 * show the instance yet, or has no report from its agent yet; then judges whose it is, tags it, links its enrollment,
 * announces it (or leaves it to the window's digest) and records it as handled, so that no other route does it again.
 */
final class Arrivals {

    private final Registrations.Ports ports;
    private final RegistrationSettings settings;
    private final Judge judge;
    private final Announcer announcer;
    private final RegistrationNotices notices;
    private final Retries retries;
    private final Clock clock;
    private final StructuredLog log;

    Arrivals(
            Registrations.Ports ports,
            RegistrationSettings settings,
            Announcer announcer,
            RegistrationNotices notices,
            Retries retries,
            Clock clock,
            StructuredLog log) {
        this.ports = ports;
        this.settings = settings;
        this.judge = new Judge(ports.store(), ports.instances(), settings.owner());
        this.announcer = announcer;
        this.notices = notices;
        this.retries = retries;
        this.clock = clock;
        this.log = log;
    }

    /** @param instance what SSM shows of it, read for the whole batch before the lease was taken */
    Disposition handle(
            RegistrationEvent event, InstanceRecord record, Optional<ManagedInstance> instance, int receiveCount) {
        Instant now = clock.instant();
        if (record.deregistrationHandledAt().isPresent()) {
            return goneBeforeHandled(event, record);
        }
        boolean lastChance = retries.lastChance(receiveCount);
        if (instance.isEmpty()) {
            Instant expectedBy = event.time().plus(settings.reportWait());
            if (!lastChance && now.isBefore(expectedBy)) {
                return Disposition.retry(
                        retries.waiting(receiveCount, now, expectedBy), "not visible in Systems Manager yet");
            }
            log.warn(
                    "registration.never-visible",
                    "instanceId",
                    event.instanceId(),
                    "route",
                    event.route(),
                    "receives",
                    receiveCount);
            return Disposition.done();
        }
        ManagedInstance found = instance.get();
        Instant reportDue = found.registeredAt().plus(settings.reportWait());
        if (found.report().isEmpty() && !lastChance && now.isBefore(reportDue)) {
            return Disposition.retry(
                    retries.waiting(receiveCount, now, reportDue), "waiting for the agent's first report");
        }
        Handling handling = act(found, judge.judge(found), event.route(), receiveCount);
        Optional<DigestEntry> digest = Optional.empty();
        Notice notice = null;
        if (!(handling.judgement() instanceof Judgement.Foreign)) {
            notice = notices.of(handling);
            digest = announcer.announce(
                    notice,
                    DigestKind.REGISTERED,
                    new DigestMember(
                            found.instanceId(), name(handling), fleet(handling).orElse("-")));
        }
        InstanceRecord.Facts facts = facts(handling);
        if (!ports.store().handled(found.instanceId(), Change.REGISTERED, facts, now, digest)) {
            announcer.late(notice);
        }
        if (handling.deregistered()) {
            ports.store().handled(found.instanceId(), Change.DEREGISTERED, facts, now, Optional.empty());
        }
        log.info(
                "registration.handled",
                "instanceId",
                found.instanceId(),
                "verdict",
                handling.judgement().verdict().label(),
                "route",
                event.route(),
                "reported",
                found.report().isPresent(),
                "digested",
                digest.isPresent(),
                "receives",
                receiveCount);
        return Disposition.done();
    }

    /**
     * @param receiveCount past the first receive, an earlier attempt may have tagged the instance and failed after (its
     *                     record write timed out): the tags are read first, and not added again when they are there
     */
    private Handling act(
            ManagedInstance instance, Judgement judgement, RegistrationEvent.Route route, int receiveCount) {
        Map<String, String> tags = RegistrationTags.of(judgement, instance);
        Optional<String> problem = Optional.empty();
        if (!tags.isEmpty()
                && (receiveCount <= 1
                        || !ports.instances()
                                .tags(instance.instanceId())
                                .entrySet()
                                .containsAll(tags.entrySet()))) {
            try {
                if (!ports.instances().tag(instance.instanceId(), tags)) {
                    problem = Optional.of("the instance was deregistered before it could be tagged");
                }
            } catch (TaggingRefusedException refused) {
                problem = Optional.of(refused.getMessage());
                log.error(
                        "registration.not-tagged", "instanceId", instance.instanceId(), "cause", refused.getMessage());
            }
        }
        boolean deregistered = false;
        if (judgement instanceof Judgement.Unmanaged && settings.deregisterUnmanaged()) {
            ports.instances().deregister(instance.instanceId());
            deregistered = true;
        }
        return new Handling(instance, judgement, problem.isPresent() ? Map.of() : tags, problem, deregistered, route);
    }

    /** Deregistered before this registration was handled: nothing left to tag or announce; the enrollment learns both. */
    private Disposition goneBeforeHandled(RegistrationEvent event, InstanceRecord record) {
        Optional<EnrollmentRecord> enrollment = event.activationId()
                .flatMap(ports.store()::activation)
                .filter(activation -> activation.mode() == FleetMode.SINGLE_USE)
                .flatMap(activation -> activation.enrollmentId())
                .flatMap(ports.store()::enrollment);
        Instant now = clock.instant();
        enrollment.ifPresent(e -> {
            ports.store().linkEnrollment(e.enrollmentId(), event.instanceId(), event.time());
            ports.store()
                    .enrollmentDeregistered(
                            e.enrollmentId(),
                            event.instanceId(),
                            record.deregistrationHandledAt().orElse(now));
        });
        InstanceRecord.Facts facts = record.facts()
                .orElse(new InstanceRecord.Facts(
                        event.activationId().orElse("unknown"),
                        Verdict.GONE,
                        enrollment.map(EnrollmentRecord::fleet),
                        enrollment.map(EnrollmentRecord::enrollmentId),
                        enrollment.map(e -> e.request().hostname())));
        ports.store().handled(event.instanceId(), Change.REGISTERED, facts, now, Optional.empty());
        log.info(
                "registration.handled",
                "instanceId",
                event.instanceId(),
                "verdict",
                Verdict.GONE.label(),
                "route",
                event.route());
        return Disposition.done();
    }

    private static InstanceRecord.Facts facts(Handling handling) {
        Optional<String> enrollmentId = enrollment(handling.judgement()).map(EnrollmentRecord::enrollmentId);
        return new InstanceRecord.Facts(
                handling.instance().activationId(),
                handling.judgement().verdict(),
                fleet(handling),
                enrollmentId,
                Optional.of(name(handling)));
    }

    private static Optional<EnrollmentRecord> enrollment(Judgement judgement) {
        if (judgement instanceof Judgement.Enrolled enrolled) {
            return Optional.of(enrolled.enrollment());
        }
        if (judgement instanceof Judgement.Mismatch mismatch) {
            return Optional.of(mismatch.enrollment());
        }
        return Optional.empty();
    }

    private static Optional<String> fleet(Handling handling) {
        if (handling.judgement() instanceof Judgement.Unmatched unmatched) {
            return unmatched.fleet();
        }
        return enrollment(handling.judgement()).map(EnrollmentRecord::fleet);
    }

    /** The name the team knows the machine by: the tag it got, else what it reported, else its id. */
    private static String name(Handling handling) {
        return Optional.ofNullable(handling.tags().get(InstanceTags.NAME))
                .or(() -> handling.instance().report().map(ManagedInstance.MachineReport::computerName))
                .orElse(handling.instance().instanceId());
    }
}
