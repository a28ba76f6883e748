package dev.hybridonboarding.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.amazonaws.services.lambda.runtime.events.ScheduledEvent;
import com.amazonaws.services.lambda.runtime.tests.annotations.Event;
import com.fasterxml.jackson.jr.ob.JSON;
import dev.hybridonboarding.activation.ActivationOwner;
import dev.hybridonboarding.function.EnrollmentHandler;
import dev.hybridonboarding.enrollment.EnrollmentService;
import dev.hybridonboarding.enrollment.FailurePolicy;
import dev.hybridonboarding.fleet.Fleet;
import dev.hybridonboarding.fleet.FleetMode;
import dev.hybridonboarding.install.InstallScriptHandler;
import dev.hybridonboarding.install.InstallScripts;
import dev.hybridonboarding.log.StructuredLog;
import dev.hybridonboarding.testing.FakeCodeVault;
import dev.hybridonboarding.testing.FakeSsm;
import dev.hybridonboarding.testing.InMemoryTable;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;

/** The sample events in events/ load into the types the functions receive, and drive the handlers. */
class EventFixturesTest {

    @ParameterizedTest
    @Event(value = "events/enrollment-request.json", type = APIGatewayProxyRequestEvent.class)
    void theEnrollmentRequestReachesTheHandlerAndItsUnknownTokenGets401(APIGatewayProxyRequestEvent event) throws IOException {
        assertThat(event.getRequestContext().getIdentity().getSourceIp()).isEqualTo("203.0.113.10");
        assertThat(event.getRequestContext().getStage()).isEqualTo("prod");
        InMemoryTable table = new InMemoryTable();
        EnrollmentService service = new EnrollmentService(new EnrollmentService.Ports(table, table, new FakeSsm(Clock.systemUTC()),
                new FakeCodeVault()), new EnrollmentService.Settings(Fleet.withDefaults("default", FleetMode.SINGLE_USE, "Role"),
                new ActivationOwner("stack"), "us-east-1", FailurePolicy.DEFAULT), Clock.systemUTC(), new SecureRandom(), new StructuredLog(new PrintStream(OutputStream.nullOutputStream())));

        APIGatewayProxyResponseEvent response = new EnrollmentHandler(service, new StructuredLog(new PrintStream(OutputStream.nullOutputStream())))
                .handleRequest(event, null);

        assertThat(response.getStatusCode()).isEqualTo(401);
        assertThat(JSON.std.mapFrom(response.getBody())).containsKey("error");
    }

    @ParameterizedTest
    @Event(value = "events/install-script-request.json", type = APIGatewayProxyRequestEvent.class)
    void theInstallScriptRequestGetsTheLinuxScriptForItsApi(APIGatewayProxyRequestEvent event) {
        APIGatewayProxyResponseEvent response = new InstallScriptHandler(new InstallScripts(), "us-east-1").handleRequest(event, null);

        assertThat(response.getStatusCode()).isEqualTo(200);
        assertThat(response.getBody()).startsWith("#!/bin/sh")
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
        assertThat(event.getDetail()).containsEntry("eventName", "RegisterManagedInstance")
                .containsEntry("eventSource", "ssm.amazonaws.com");
        assertThat(event.getDetail().get("responseElements")).isEqualTo(Map.of("instanceId", "mi-0123456789abcdef0"));
        assertThat(event.getDetail().toString()).doesNotContainIgnoringCase("activationCode");
    }

    @ParameterizedTest
    @Event(value = "events/sqs-registration-events.json", type = SQSEvent.class)
    void theQueueDeliversBothRoutesInOneBatch(SQSEvent event) throws IOException {
        assertThat(event.getRecords()).hasSize(2);
        assertThat(JSON.std.mapFrom(event.getRecords().get(0).getBody())).containsEntry("detail-type", "SSM Managed Instance Registration");
        assertThat(JSON.std.mapFrom(event.getRecords().get(1).getBody())).containsEntry("detail-type", "AWS API Call via CloudTrail");
    }

    @ParameterizedTest
    @Event(value = "events/schedule-tick.json", type = Map.class)
    void theScheduleTickIsTheRotationSchedulesInput(Map<String, Object> tick) {
        assertThat(tick).containsEntry("source", "hybrid-onboarding.schedule");
    }
}
