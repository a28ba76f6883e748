package dev.hybridonboarding.registration;

import dev.hybridonboarding.enrollment.EnrollmentRecord;
import dev.hybridonboarding.notification.Notice;
import dev.hybridonboarding.notification.NoticeKind;
import dev.hybridonboarding.registration.ManagedInstance.MachineReport;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * What the team hears of registrations: a welcome for each machine (named, tagged, matched), an alert for a
 * single-use code used by another machine and for a registration this deployment did not issue, a goodbye for each
 * deregistration, and digests that stand for many welcomes or goodbyes. Every message is threaded by instance.
 */
final class RegistrationNotices {

    /** A digest names this many machines at most: SNS takes 256 KB, and every protocol's body counts. */
    static final int DIGEST_LISTS = 100;

    private final Consoles consoles;

    RegistrationNotices(Consoles consoles) {
        this.consoles = consoles;
    }

    Notice of(Handling handling) {
        ManagedInstance instance = handling.instance();
        Judgement judgement = handling.judgement();
        Notice.Builder notice;
        if (judgement instanceof Judgement.Enrolled enrolled) {
            String host = enrolled.enrollment().request().hostname();
            notice = Notice.of(NoticeKind.MACHINE_REGISTERED, instance.instanceId())
                    .title("Machine " + host + " registered" + (enrolled.doubt().isPresent() ? " (match unsure)" : ""))
                    .summary(instance.instanceId() + " joined Systems Manager through fleet "
                            + enrolled.enrollment().fleet() + " and is named " + host + "."
                            + enrolled.doubt()
                                    .map(doubt -> " Unsure match: " + doubt + ".")
                                    .orElse(""));
            enrollment(notice, enrolled.enrollment());
            notice.fact(
                    "match",
                    "Match",
                    enrolled.doubt().map(doubt -> "unsure: " + doubt).orElse("sure"));
        } else if (judgement instanceof Judgement.Unmatched unmatched) {
            String name = instance.report().map(MachineReport::computerName).orElse(instance.instanceId());
            notice = Notice.of(NoticeKind.MACHINE_REGISTERED, instance.instanceId())
                    .title("Machine " + name + " registered, matched to no enrollment")
                    .summary(instance.instanceId() + " registered with an activation of this deployment"
                            + unmatched
                                    .fleet()
                                    .map(fleet -> " (fleet " + fleet + ")")
                                    .orElse("") + ", but " + unmatched.why() + ".")
                    .fact("fleet", "Fleet", unmatched.fleet().orElse(null))
                    .fact("match", "Match", "none: " + unmatched.why());
        } else if (judgement instanceof Judgement.Mismatch mismatch) {
            EnrollmentRecord enrollment = mismatch.enrollment();
            notice = Notice.of(NoticeKind.REGISTRATION_MISMATCH, instance.instanceId())
                    .title("Activation of " + enrollment.request().hostname() + " used by " + mismatch.computerName())
                    .summary("Enrollment " + enrollment.enrollmentId() + " asked for a single-use activation for "
                            + enrollment.request().hostname() + ", but the machine that registered with it, "
                            + instance.instanceId()
                            + ", reports the computer name " + mismatch.computerName()
                            + ". Its activation code may have leaked.")
                    .nextStep("If " + instance.instanceId()
                            + " is not yours: aws ssm deregister-managed-instance --instance-id "
                            + instance.instanceId())
                    .nextStep("Revoke the token that enrolled it: hob token revoke " + enrollment.tokenId())
                    .nextStep("See what else the token enrolled: hob enrollments list --fleet " + enrollment.fleet());
            enrollment(notice, enrollment);
        } else {
            notice = Notice.of(NoticeKind.UNMANAGED_REGISTRATION, instance.instanceId())
                    .title("Machine registered with an activation this deployment did not issue")
                    .summary(instance.instanceId() + " registered with activation " + instance.activationId()
                            + ", which Hybrid Onboarding did not create."
                            + (handling.deregistered()
                                    ? " It was deregistered, as the stack's DeregisterUnmanagedInstances asks."
                                    : " It is tagged as unmanaged and stays registered."))
                    .nextStep(
                            "Find who created the activation: aws ssm describe-activations --filters FilterKey=ActivationIds,FilterValues="
                                    + instance.activationId())
                    .nextStep("Stop further registrations with it: aws ssm delete-activation --activation-id "
                            + instance.activationId());
            if (!handling.deregistered()) {
                notice.nextStep("Remove the machine: aws ssm deregister-managed-instance --instance-id "
                        + instance.instanceId());
            }
        }
        machine(notice, instance);
        handling.taggingProblem().ifPresent(problem -> notice.fact("taggingProblem", "Not tagged", problem));
        tags(notice, handling.tags());
        notice.fact("heardThrough", "Heard through", handling.route().description());
        return notice.build();
    }

    /**
     * @param facts what is recorded of the instance, if its registration was handled
     * @param enrollment the enrollment it registered for, if known
     */
    Notice deregistered(
            String instanceId,
            Instant at,
            Optional<InstanceRecord.Facts> facts,
            Optional<EnrollmentRecord> enrollment) {
        Optional<String> name = facts.flatMap(InstanceRecord.Facts::name)
                .or(() -> enrollment.map(e -> e.request().hostname()));
        Notice.Builder notice = Notice.of(NoticeKind.MACHINE_DEREGISTERED, instanceId)
                .title("Machine " + name.orElse(instanceId) + " deregistered")
                .summary(instanceId + " was deregistered from Systems Manager"
                        + (facts.isEmpty() && enrollment.isEmpty()
                                ? "; its registration was never handled here, so little is known of it."
                                : "."))
                .fact("instanceId", "Instance", instanceId)
                .fact("hostname", "Hostname", name.orElse(null))
                .fact(
                        "fleet",
                        "Fleet",
                        facts.flatMap(InstanceRecord.Facts::fleet)
                                .or(() -> enrollment.map(EnrollmentRecord::fleet))
                                .orElse(null))
                .fact(
                        "enrollmentId",
                        "Enrollment",
                        enrollment
                                .map(EnrollmentRecord::enrollmentId)
                                .or(() -> facts.flatMap(InstanceRecord.Facts::enrollmentId))
                                .orElse(null))
                .fact(
                        "activationId",
                        "Activation",
                        facts.map(InstanceRecord.Facts::activationId).orElse(null))
                .fact(
                        "verdict",
                        "Registered as",
                        facts.map(f -> f.verdict().label()).orElse(null))
                .fact("deregisteredAt", "Deregistered", at.toString());
        consoles.instanceArn(instanceId).ifPresent(notice::resource);
        return notice.build();
    }

    Notice digest(DigestKind kind, Instant windowStart, Instant windowEnd, int threshold, List<DigestMember> members) {
        String verb = kind == DigestKind.REGISTERED ? "registered" : "deregistered";
        String fleets = members.stream()
                .collect(Collectors.groupingBy(DigestMember::fleet, TreeMap::new, Collectors.counting()))
                .entrySet()
                .stream()
                .map(e -> e.getKey() + ": " + e.getValue())
                .collect(Collectors.joining(", "));
        List<DigestMember> listed = members.stream().limit(DIGEST_LISTS).toList();
        String more = members.size() > listed.size() ? " and " + (members.size() - listed.size()) + " more" : "";
        Notice.Builder notice = Notice.of(kind.notice(), kind.label() + "/" + windowStart)
                .title(members.size() + " more machines " + verb)
                .summary("Between " + windowStart + " and " + windowEnd + ", more than " + threshold + " machines "
                        + verb
                        + "; the first " + threshold + " were announced one by one, these " + members.size()
                        + " are summed up here."
                        + (kind == DigestKind.REGISTERED
                                ? " Each was named and tagged as its own message would have said."
                                : ""))
                .fact("count", "Machines", Integer.toString(members.size()))
                .fact("fleets", "By fleet", fleets)
                .fact("windowStart", "From", windowStart.toString())
                .fact("windowEnd", "Until", windowEnd.toString())
                .fact(
                        "machines",
                        "Machines " + verb,
                        listed.stream()
                                        .map(m -> m.instanceId() + " " + m.name())
                                        .collect(Collectors.joining(", "))
                                + more)
                .data(
                        "instanceIds",
                        listed.stream().map(DigestMember::instanceId).collect(Collectors.joining(",")))
                .thread("digest-" + kind.label());
        if (kind == DigestKind.REGISTERED) {
            notice.nextStep(
                    "List them: aws ssm describe-instance-information --filters Key=tag-key,Values=hybrid-onboarding:registered-at");
        }
        return notice.build();
    }

    private static void enrollment(Notice.Builder notice, EnrollmentRecord enrollment) {
        notice.fact("hostname", "Hostname", enrollment.request().hostname())
                .fact("fleet", "Fleet", enrollment.fleet())
                .fact("enrollmentId", "Enrollment", enrollment.enrollmentId())
                .fact("enrolledFrom", "Enrolled from", enrollment.requester().sourceIp());
    }

    private void machine(Notice.Builder notice, ManagedInstance instance) {
        Optional<MachineReport> report = instance.report();
        notice.fact("instanceId", "Instance", instance.instanceId())
                .fact(
                        "computerName",
                        "Computer name",
                        report.map(MachineReport::computerName).orElse("not reported yet"))
                .fact(
                        "ipAddress",
                        "IP address",
                        report.flatMap(MachineReport::ip).orElse(null))
                .fact(
                        "platform",
                        "Platform",
                        report.map(MachineReport::platform).orElse(null))
                .fact("activationId", "Activation", instance.activationId())
                .fact("registeredAt", "Registered", instance.registeredAt().toString())
                .fact("consoleUrl", "Console", consoles.node(instance.instanceId()))
                .thread(instance.instanceId());
        consoles.instanceArn(instance.instanceId()).ifPresent(notice::resource);
    }

    private static void tags(Notice.Builder notice, Map<String, String> tags) {
        if (tags.isEmpty()) {
            return;
        }
        notice.fact(
                "tags",
                "Tags added",
                tags.entrySet().stream()
                        .map(tag -> tag.getKey() + "=" + tag.getValue())
                        .collect(Collectors.joining(", ")));
        tags.forEach((key, value) -> notice.data("tag:" + key, value));
    }
}
