package dev.hybridonboarding.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.amazonaws.services.lambda.runtime.events.ScheduledEvent;
import com.amazonaws.services.lambda.runtime.tests.annotations.Event;
import com.fasterxml.jackson.jr.ob.JSON;
import dev.hybridonboarding.activation.ActivationOwner;
import dev.hybridonboarding.enrollment.EnrollmentService;
import dev.hybridonboarding.enrollment.FailurePolicy;
import dev.hybridonboarding.fleet.Fleet;
import dev.hybridonboarding.fleet.FleetMode;
import dev.hybridonboarding.function.EnrollmentHandler;
import dev.hybridonboarding.function.RegistrationHandler;
import dev.hybridonboarding.install.InstallScriptHandler;
import dev.hybridonboarding.install.InstallScripts;
import dev.hybridonboarding.log.StructuredLog;
import dev.hybridonboarding.registration.DigestPolicy;
import dev.hybridonboarding.registration.QueueMessage;
import dev.hybridonboarding.registration.QueueMessages;
import dev.hybridonboarding.registration.RegistrationEvent;
import dev.hybridonboarding.registration.RegistrationEvent.Change;
import dev.hybridonboarding.registration.RegistrationEvent.Route;
import dev.hybridonboarding.registration.RegistrationSettings;
import dev.hybridonboarding.registration.Registrations;
import dev.hybridonboarding.testing.FakeCodeVault;
import dev.hybridonboarding.testing.FakeSsm;
import dev.hybridonboarding.testing.InMemoryRegistrationTable;
import dev.hybridonboarding.testing.InMemoryTable;
import dev.hybridonboarding.testing.RecordingNotifier;
import dev.hybridonboarding.testing.RecordingQueue;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;

/** The sample events in events/ load into the types the functions receive, and drive the handlers. */
class EventFixturesTest {

    private static final Instant NOW = Instant.parse("2026-12-02T00:00:00Z");
    private static final String INSTANCE = "mi-0123456789abcdef0";
    private static final String ACTIVATION = "0d5dac5c-ee06-40a8-8133-cb2ad8f4f276";
    private static final StructuredLog QUIET = new StructuredLog(new PrintStream(OutputStream.nullOutputStream()));

    @ParameterizedTest
    @Event(value = "events/enrollment-request.json", type = APIGatewayProxyRequestEvent.class)
    void theEnrollmentRequestReachesTheHandlerAndItsUnknownTokenGets401(APIGatewayProxyRequestEvent event)
            throws IOException {
        assertThat(event.getRequestContext().getIdentity().getSourceIp()).isEqualTo("203.0.113.10");
        assertThat(event.getRequestContext().getStage()).isEqualTo("prod");
        InMemoryTable table = new InMemoryTable();
        EnrollmentService service = new EnrollmentService(
                new EnrollmentService.Ports(table, table, new FakeSsm(Clock.systemUTC()), new FakeCodeVault()),
                new EnrollmentService.Settings(
                        Fleet.withDefaults("default", FleetMode.SINGLE_USE, "Role"),
                        new ActivationOwner("stack"),
                        "us-east-1",
                        FailurePolicy.DEFAULT),
                Clock.systemUTC(),
                new SecureRandom(),
                new StructuredLog(new PrintStream(OutputStream.nullOutputStream())));

        APIGatewayProxyResponseEvent response = new EnrollmentHandler(
                        service, new StructuredLog(new PrintStream(OutputStream.nullOutputStream())))
                .handleRequest(event, null);

        assertThat(response.getStatusCode()).isEqualTo(401);
        assertThat(JSON.std.mapFrom(response.getBody())).containsKey("error");
    }

    @ParameterizedTest
    @Event(value = "events/install-script-request.json", type = APIGatewayProxyRequestEvent.class)
    void theInstallScriptRequestGetsTheLinuxScriptForItsApi(APIGatewayProxyRequestEvent event) {
        APIGatewayProxyResponseEvent response =
                new InstallScriptHandler(new InstallScripts(), "us-east-1").handleRequest(event, null);

        assertThat(response.getStatusCode()).isEqualTo(200);
        assertThat(response.getBody())
                .startsWith("#!/bin/sh")
                .contains("API_URL='https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod'")
                .contains("REGION='us-east-1'");
    }

    @ParameterizedTest
    @Event(value = "events/ssm-managed-instance-registration.json", type = ScheduledEvent.class)
    void theRegistrationEventNamesTheInstance(ScheduledEvent event) {
        assertThat(event.getSource()).isEqualTo("aws.ssm");
        assertThat(event.getDetailType()).isEqualTo("SSM Managed Instance Registration");
        assertThat(event.getResources()).singleElement().asString().endsWith(":managed-instance/mi-0123456789abcdef0");
        assertThat(event.getDetail()).containsEntry("instance-id", "mi-0123456789abcdef0");
    }

    @ParameterizedTest
    @Event(value = "events/ssm-managed-instance-deregistration.json", type = ScheduledEvent.class)
    void theDeregistrationEventNamesTheInstance(ScheduledEvent event) {
        assertThat(event.getDetailType()).isEqualTo("SSM Managed Instance Deregistration");
        assertThat(event.getResources()).singleElement().asString().contains("mi-0123456789abcdef0");
    }

    @ParameterizedTest
    @Event(value = "events/cloudtrail-register-managed-instance.json", type = ScheduledEvent.class)
    void theCloudTrailEventCarriesTheInstanceInItsResponse(ScheduledEvent event) {
        assertThat(event.getDetailType()).isEqualTo("AWS API Call via CloudTrail");
        assertThat(event.getDetail())
                .containsEntry("eventName", "RegisterManagedInstance")
                .containsEntry("eventSource", "ssm.amazonaws.com");
        assertThat(event.getDetail().get("responseElements")).isEqualTo(Map.of("instanceId", "mi-0123456789abcdef0"));
        assertThat(event.getDetail().toString()).doesNotContainIgnoringCase("activationCode");
    }

    @ParameterizedTest
    @Event(value = "events/sqs-registration-events.json", type = SQSEvent.class)
    void theQueueDeliversBothRoutesInOneBatch(SQSEvent event) throws IOException {
        assertThat(event.getRecords()).hasSize(2);
        assertThat(JSON.std.mapFrom(event.getRecords().get(0).getBody()))
                .containsEntry("detail-type", "SSM Managed Instance Registration");
        assertThat(JSON.std.mapFrom(event.getRecords().get(1).getBody()))
                .containsEntry("detail-type", "AWS API Call via CloudTrail");
    }

    @ParameterizedTest
    @Event(value = "events/ssm-managed-instance-registration.json", type = Map.class)
    void theRegistrationFunctionReadsTheInstanceAndActivationFromTheNativeEvent(Map<String, Object> event) {
        assertThat(QueueMessages.read(event, NOW))
                .isEqualTo(new QueueMessage.Change(new RegistrationEvent(
                        Change.REGISTERED,
                        INSTANCE,
                        Optional.of(ACTIVATION),
                        Route.SSM_EVENT,
                        Instant.parse("2026-11-30T12:00:05Z"))));
    }

    @ParameterizedTest
    @Event(value = "events/ssm-managed-instance-registration-resources-only.json", type = Map.class)
    void theRegistrationFunctionFindsTheInstanceInTheResourcesWhenTheDetailIsEmpty(Map<String, Object> event) {
        assertThat(QueueMessages.read(event, NOW))
                .isEqualTo(new QueueMessage.Change(new RegistrationEvent(
                        Change.REGISTERED,
                        "mi-0123456789abcdef1",
                        Optional.empty(),
                        Route.SSM_EVENT,
                        Instant.parse("2026-11-30T12:00:05Z"))));
    }

    @ParameterizedTest
    @Event(value = "events/ssm-managed-instance-deregistration.json", type = Map.class)
    void theRegistrationFunctionReadsTheNativeDeregistration(Map<String, Object> event) {
        assertThat(QueueMessages.read(event, NOW))
                .isEqualTo(new QueueMessage.Change(new RegistrationEvent(
                        Change.DEREGISTERED,
                        INSTANCE,
                        Optional.of(ACTIVATION),
                        Route.SSM_EVENT,
                        Instant.parse("2026-12-01T08:30:00Z"))));
    }

    @ParameterizedTest
    @Event(value = "events/cloudtrail-register-managed-instance.json", type = Map.class)
    void theRegistrationFunctionReadsCloudTrailsRegistration(Map<String, Object> event) {
        assertThat(QueueMessages.read(event, NOW))
                .isEqualTo(new QueueMessage.Change(new RegistrationEvent(
                        Change.REGISTERED,
                        INSTANCE,
                        Optional.of(ACTIVATION),
                        Route.CLOUDTRAIL,
                        Instant.parse("2026-11-30T12:00:05Z"))));
    }

    @ParameterizedTest
    @Event(value = "events/cloudtrail-deregister-managed-instance.json", type = Map.class)
    void theRegistrationFunctionReadsCloudTrailsDeregistration(Map<String, Object> event) {
        assertThat(QueueMessages.read(event, NOW))
                .isEqualTo(new QueueMessage.Change(new RegistrationEvent(
                        Change.DEREGISTERED,
                        INSTANCE,
                        Optional.empty(),
                        Route.CLOUDTRAIL,
                        Instant.parse("2026-12-01T08:30:00Z"))));
    }

    @ParameterizedTest
    @Event(value = "events/cloudtrail-register-managed-instance-failed.json", type = Map.class)
    void aFailedRegistrationCallIsIgnored(Map<String, Object> event) {
        assertThat(QueueMessages.read(event, NOW)).isInstanceOf(QueueMessage.Ignored.class);
    }

    @ParameterizedTest
    @Event(value = "events/sqs-registration-events.json", type = Map.class)
    void theRegistrationFunctionAsksForAnInstanceItCannotSeeYetAgainAndTakesTheOtherRouteAsADuplicate(
            Map<String, Object> batch) {
        List<String> redelivered = new ArrayList<>();
        InMemoryTable table = new InMemoryTable();
        InMemoryRegistrationTable registrations = new InMemoryRegistrationTable(table);
        RegistrationSettings settings = new RegistrationSettings(
                new ActivationOwner("stack"),
                "us-east-1",
                "default",
                Duration.ofMinutes(2),
                new DigestPolicy(10, Duration.ofMinutes(5)),
                false,
                5,
                Duration.ofDays(1),
                100);
        Clock secondsAfterTheEvents = Clock.fixed(Instant.parse("2026-11-30T12:00:10Z"), ZoneOffset.UTC);
        RegistrationHandler handler = new RegistrationHandler(
                new Registrations(
                        new Registrations.Ports(
                                new FakeSsm(secondsAfterTheEvents),
                                registrations,
                                registrations,
                                new RecordingQueue(),
                                new RecordingNotifier()),
                        settings,
                        secondsAfterTheEvents,
                        QUIET),
                (receipt, delay) -> redelivered.add(receipt),
                QUIET);

        Map<String, Object> response = handler.handleRequest(batch, null);

        assertThat(response)
                .isEqualTo(Map.of(
                        "batchItemFailures",
                        List.of(Map.of("itemIdentifier", "059f36b4-87a3-44ab-83d2-661975165900"))));
        assertThat(redelivered).containsExactly("AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a0");
    }

    @ParameterizedTest
    @Event(value = "events/registration-sweep-tick.json", type = Map.class)
    void theSweepsTickIsTheRegistrationFunctionsScheduleInput(Map<String, Object> tick) {
        assertThat(tick).containsEntry("source", RegistrationHandler.SWEEP_SOURCE);
    }

    @ParameterizedTest
    @Event(value = "events/schedule-tick.json", type = Map.class)
    void theScheduleTickIsTheRotationSchedulesInput(Map<String, Object> tick) {
        assertThat(tick).containsEntry("source", "hybrid-onboarding.schedule");
    }
}
