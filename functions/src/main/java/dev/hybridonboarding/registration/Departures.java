package dev.hybridonboarding.registration;

import dev.hybridonboarding.enrollment.EnrollmentRecord;
import dev.hybridonboarding.fleet.FleetMode;
import dev.hybridonboarding.log.StructuredLog;
import dev.hybridonboarding.notification.Notice;
import dev.hybridonboarding.registration.RegistrationEvent.Change;
import dev.hybridonboarding.rotation.ActivationRecord;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;

/**
 * Handles one deregistration, under the instance's lease: the enrollment learns it, and the team hears of it. It may
 * come before the registration was handled, or without it ever being: what the event names (its activation) then
 * finds the enrollment, and the registration, when it comes, finds the instance gone.
 */
final class Departures {

    private final Registrations.Ports ports;
    private final Announcer announcer;
    private final RegistrationNotices notices;
    private final Clock clock;
    private final StructuredLog log;

    Departures(
            Registrations.Ports ports,
            Announcer announcer,
            RegistrationNotices notices,
            Clock clock,
            StructuredLog log) {
        this.ports = ports;
        this.announcer = announcer;
        this.notices = notices;
        this.clock = clock;
        this.log = log;
    }

    Disposition handle(RegistrationEvent event, InstanceRecord record) {
        Instant now = clock.instant();
        Optional<InstanceRecord.Facts> facts = record.facts();
        Optional<ActivationRecord> activation =
                facts.isPresent() ? Optional.empty() : event.activationId().flatMap(ports.store()::activation);
        Optional<String> enrollmentId = facts.flatMap(InstanceRecord.Facts::enrollmentId)
                .or(() -> activation
                        .filter(a -> a.mode() == FleetMode.SINGLE_USE)
                        .flatMap(ActivationRecord::enrollmentId));
        Optional<EnrollmentRecord> enrollment = enrollmentId.flatMap(ports.store()::enrollment);
        enrollment.ifPresent(
                e -> ports.store().enrollmentDeregistered(e.enrollmentId(), event.instanceId(), event.time()));

        Verdict verdict = facts.map(InstanceRecord.Facts::verdict).orElse(Verdict.GONE);
        Optional<DigestEntry> digest = Optional.empty();
        Notice notice = null;
        if (verdict != Verdict.FOREIGN) {
            String name = facts.flatMap(InstanceRecord.Facts::name)
                    .or(() -> enrollment.map(e -> e.request().hostname()))
                    .orElse(event.instanceId());
            String fleet = facts.flatMap(InstanceRecord.Facts::fleet)
                    .or(() -> enrollment.map(EnrollmentRecord::fleet))
                    .or(() -> activation.map(ActivationRecord::fleet))
                    .orElse("-");
            notice = notices.deregistered(event.instanceId(), event.time(), facts, enrollment);
            digest = announcer.announce(
                    notice, DigestKind.DEREGISTERED, new DigestMember(event.instanceId(), name, fleet));
        }
        InstanceRecord.Facts recorded = facts.orElse(new InstanceRecord.Facts(
                event.activationId().orElse("unknown"),
                Verdict.GONE,
                enrollment.map(EnrollmentRecord::fleet).or(() -> activation.map(ActivationRecord::fleet)),
                enrollmentId,
                enrollment.map(e -> e.request().hostname())));
        if (!ports.store().handled(event.instanceId(), Change.DEREGISTERED, recorded, now, digest)) {
            announcer.late(notice);
        }
        log.info(
                "deregistration.handled",
                "instanceId",
                event.instanceId(),
                "verdict",
                verdict.label(),
                "route",
                event.route(),
                "registrationHandled",
                record.registrationHandledAt().isPresent(),
                "digested",
                digest.isPresent());
        return Disposition.done();
    }
}
