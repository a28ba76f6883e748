package dev.hybridonboarding.registration;

import dev.hybridonboarding.activation.ActivationOwner;
import dev.hybridonboarding.enrollment.EnrollmentAttempt;
import dev.hybridonboarding.enrollment.EnrollmentRequest;
import dev.hybridonboarding.enrollment.EnrollmentResult;
import dev.hybridonboarding.enrollment.EnrollmentService;
import dev.hybridonboarding.enrollment.FailurePolicy;
import dev.hybridonboarding.enrollment.Platform;
import dev.hybridonboarding.enrollment.Requester;
import dev.hybridonboarding.fleet.Fleet;
import dev.hybridonboarding.fleet.FleetMode;
import dev.hybridonboarding.log.StructuredLog;
import dev.hybridonboarding.notification.Notice;
import dev.hybridonboarding.notification.NoticeKind;
import dev.hybridonboarding.testing.FakeCodeVault;
import dev.hybridonboarding.testing.FakeSsm;
import dev.hybridonboarding.testing.InMemoryRegistrationTable;
import dev.hybridonboarding.testing.InMemoryTable;
import dev.hybridonboarding.testing.RecordingNotifier;
import dev.hybridonboarding.testing.RecordingQueue;
import dev.hybridonboarding.testing.TestClock;
import dev.hybridonboarding.token.TokenIssuer;
import java.io.OutputStream;
import java.io.PrintStream;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The registration step on in-memory fakes of every port, with the enrollment service beside it making real
 * enrollments and activations, SSM registering machines with them, and a clock the test moves. Messages reach it as
 * the queue would deliver them: as JSON-shaped events, read by {@link QueueMessages}.
 */
abstract class RegistrationFixture {

    static final Instant NOW = Instant.parse("2026-11-30T12:00:30Z");
    static final String STACK = "arn:aws:cloudformation:us-east-1:123456789012:stack/ours/1";
    static final ActivationOwner OWNER = new ActivationOwner(STACK);
    static final Duration REPORT_WAIT = Duration.ofMinutes(2);
    static final int MAX_RECEIVES = 5;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final StructuredLog NOWHERE = new StructuredLog(new PrintStream(OutputStream.nullOutputStream()));

    final TestClock clock = new TestClock(NOW);
    final InMemoryTable table = new InMemoryTable();
    final InMemoryRegistrationTable registrations = new InMemoryRegistrationTable(table);
    final FakeSsm ssm = new FakeSsm(clock);
    final RecordingNotifier notifier = new RecordingNotifier();
    final RecordingQueue queue = new RecordingQueue();
    final Fleet singleUse = Fleet.withDefaults("web", FleetMode.SINGLE_USE, "Role")
            .withTags(Map.of("env", "prod"))
            .withAcceptedTagKeys(Set.of("rack"))
            .withVersion(1);
    final Fleet shared = Fleet.withDefaults("edge", FleetMode.SHARED, "Role")
            .withAcceptedTagKeys(Set.of("rack"))
            .withVersion(1);
    final EnrollmentService enrollment = new EnrollmentService(
            new EnrollmentService.Ports(table, table, ssm, new FakeCodeVault()),
            new EnrollmentService.Settings(singleUse, OWNER, "us-east-1", FailurePolicy.DEFAULT),
            clock,
            RANDOM,
            NOWHERE);
    private int messages;

    RegistrationFixture() {
        table.putFleet(singleUse, 0, NOW);
        table.putFleet(shared, 0, NOW);
    }

    RegistrationSettings settings(int digestThreshold, boolean deregisterUnmanaged) {
        return new RegistrationSettings(
                OWNER,
                "us-east-1",
                singleUse.name(),
                REPORT_WAIT,
                new DigestPolicy(digestThreshold, Duration.ofMinutes(5)),
                deregisterUnmanaged,
                MAX_RECEIVES,
                Duration.ofDays(1),
                1000);
    }

    Registrations step(RegistrationSettings settings) {
        return new Registrations(
                new Registrations.Ports(ssm, registrations, registrations, queue, notifier), settings, clock, NOWHERE);
    }

    Registrations step() {
        return step(settings(10, false));
    }

    EnrollmentResult enroll(Fleet fleet, String host, Map<String, String> tags) {
        TokenIssuer.Issued issued =
                new TokenIssuer(RANDOM).issue(fleet.name(), 1, Duration.ofDays(1), List.of(), "t", clock.instant());
        table.putToken(issued.token());
        return enrollment.enroll(new EnrollmentAttempt(
                issued.bearer().reveal(),
                new Requester("192.0.2.10", "t"),
                new EnrollmentRequest(host, Platform.LINUX, Optional.of("machine-" + host), tags),
                clock.instant().plusSeconds(29)));
    }

    EnrollmentResult enroll(Fleet fleet, String host) {
        return enroll(fleet, host, Map.of());
    }

    /** Enrolls, registers and has the agent report the machine under the same name. */
    String machine(Fleet fleet, String host) {
        String instanceId = ssm.registerMachine(enroll(fleet, host).activationId());
        ssm.report(instanceId, host, "10.0.0.7");
        return instanceId;
    }

    /** The native event, with the id in {@code detail} and in {@code resources}. */
    Map<String, Object> ssmEvent(String detailType, String instanceId) {
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("version", "0");
        event.put("detail-type", detailType);
        event.put("source", "aws.ssm");
        event.put("time", clock.instant().toString());
        event.put("resources", List.of("arn:aws:ssm:us-east-1:123456789012:managed-instance/" + instanceId));
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("instance-id", instanceId);
        ssm.instance(instanceId).ifPresent(instance -> detail.put("activation-id", instance.activationId()));
        event.put("detail", detail);
        return event;
    }

    Map<String, Object> registered(String instanceId) {
        return ssmEvent("SSM Managed Instance Registration", instanceId);
    }

    Map<String, Object> deregistered(String instanceId, String activationId) {
        Map<String, Object> event = ssmEvent("SSM Managed Instance Deregistration", instanceId);
        @SuppressWarnings("unchecked")
        Map<String, Object> detail = (Map<String, Object>) event.get("detail");
        detail.put("activation-id", activationId);
        return event;
    }

    /** CloudTrail's RegisterManagedInstance: the id only in {@code responseElements}. */
    Map<String, Object> trail(String instanceId) {
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("eventSource", "ssm.amazonaws.com");
        detail.put("eventName", "RegisterManagedInstance");
        detail.put("eventTime", clock.instant().toString());
        detail.put(
                "requestParameters",
                Map.of("activationId", ssm.instance(instanceId).orElseThrow().activationId()));
        detail.put("responseElements", Map.of("instanceId", instanceId));
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("detail-type", "AWS API Call via CloudTrail");
        event.put("source", "aws.ssm");
        event.put("resources", List.of());
        event.put("detail", detail);
        return event;
    }

    /** A delivery of each event, received for the {@code receiveCount}th time. */
    List<Delivery> deliveries(int receiveCount, List<Map<String, Object>> events) {
        List<Delivery> batch = new ArrayList<>();
        for (Map<String, Object> event : events) {
            batch.add(new Delivery("m-" + (++messages), QueueMessages.read(event, clock.instant()), receiveCount));
        }
        return batch;
    }

    Map<String, Disposition> deliver(Registrations step, int receiveCount, List<Map<String, Object>> events) {
        return step.handle(deliveries(receiveCount, events), clock.instant().plusSeconds(30));
    }

    @SafeVarargs
    final List<Disposition> deliver(Registrations step, Map<String, Object>... events) {
        return List.copyOf(deliver(step, 1, List.of(events)).values());
    }

    /** Delivers what the product put on the queue itself, once each is due. */
    List<Disposition> deliverQueued(Registrations step) {
        List<Map<String, Object>> bodies =
                queue.take().stream().map(RecordingQueue.Sent::body).toList();
        return bodies.isEmpty()
                ? List.of()
                : List.copyOf(deliver(step, 1, bodies).values());
    }

    List<Notice> sent(NoticeKind kind) {
        return notifier.sent().stream().filter(notice -> notice.kind() == kind).toList();
    }

    static Optional<String> fact(Notice notice, String key) {
        return notice.facts().stream()
                .filter(fact -> fact.key().equals(key))
                .map(Notice.Fact::value)
                .findFirst();
    }

    static Disposition.Done done() {
        return new Disposition.Done();
    }
}
