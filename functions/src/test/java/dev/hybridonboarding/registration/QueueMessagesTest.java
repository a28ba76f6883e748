package dev.hybridonboarding.registration;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hybridonboarding.registration.RegistrationEvent.Change;
import dev.hybridonboarding.registration.RegistrationEvent.Route;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The instance is found in every shape an event has been seen in, and what is not a registration is told apart. */
class QueueMessagesTest {

    private static final Instant NOW = Instant.parse("2026-11-30T12:00:30Z");
    private static final String ID = "mi-0123456789abcdef0";
    private static final String ACTIVATION = "0d5dac5c-ee06-40a8-8133-cb2ad8f4f276";
    private static final String ARN = "arn:aws:ssm:us-east-1:123456789012:managed-instance/" + ID;

    private static RegistrationEvent event(Map<String, Object> envelope) {
        QueueMessage message = QueueMessages.read(envelope, NOW);
        assertThat(message).isInstanceOf(QueueMessage.Change.class);
        return ((QueueMessage.Change) message).event();
    }

    @Test
    void theNativeEventNamesTheInstanceInItsDetailOrOnlyInItsResources() {
        RegistrationEvent full = event(Map.of(
                "source",
                "aws.ssm",
                "detail-type",
                "SSM Managed Instance Registration",
                "time",
                "2026-11-30T12:00:05Z",
                "resources",
                List.of(ARN),
                "detail",
                Map.of("instance-id", ID, "activation-id", ACTIVATION)));
        RegistrationEvent bare = event(Map.of(
                "source",
                "aws.ssm",
                "detail-type",
                "SSM Managed Instance Registration",
                "resources",
                List.of("arn:aws:ssm:us-east-1:123456789012:something/else", ARN),
                "detail",
                Map.of()));
        RegistrationEvent camel = event(Map.of(
                "source",
                "aws.ssm",
                "detail-type",
                "SSM Managed Instance Deregistration",
                "detail",
                Map.of("instanceId", ID, "activationId", ACTIVATION)));

        assertThat(full)
                .isEqualTo(new RegistrationEvent(
                        Change.REGISTERED,
                        ID,
                        Optional.of(ACTIVATION),
                        Route.SSM_EVENT,
                        Instant.parse("2026-11-30T12:00:05Z")));
        assertThat(bare)
                .isEqualTo(new RegistrationEvent(Change.REGISTERED, ID, Optional.empty(), Route.SSM_EVENT, NOW));
        assertThat(camel.change()).isEqualTo(Change.DEREGISTERED);
        assertThat(camel.activationId()).contains(ACTIVATION);
    }

    @Test
    void cloudTrailNamesItInTheResponseOnRegistrationAndInTheRequestOnDeregistration() {
        RegistrationEvent registered = event(Map.of(
                "source",
                "aws.ssm",
                "detail-type",
                "AWS API Call via CloudTrail",
                "resources",
                List.of(),
                "detail",
                Map.of(
                        "eventName",
                        "RegisterManagedInstance",
                        "eventTime",
                        "2026-11-30T12:00:06Z",
                        "requestParameters",
                        Map.of("activationId", ACTIVATION),
                        "responseElements",
                        Map.of("instanceId", ID))));
        RegistrationEvent deregistered = event(Map.of(
                "source",
                "aws.ssm",
                "detail-type",
                "AWS API Call via CloudTrail",
                "detail",
                Map.of("eventName", "DeregisterManagedInstance", "requestParameters", Map.of("instanceId", ID))));

        assertThat(registered)
                .isEqualTo(new RegistrationEvent(
                        Change.REGISTERED,
                        ID,
                        Optional.of(ACTIVATION),
                        Route.CLOUDTRAIL,
                        Instant.parse("2026-11-30T12:00:06Z")));
        assertThat(deregistered)
                .isEqualTo(new RegistrationEvent(Change.DEREGISTERED, ID, Optional.empty(), Route.CLOUDTRAIL, NOW));
    }

    @Test
    void aCallThatFailedIsIgnoredAndAnEventWithoutAnInstanceIsUnreadable() {
        assertThat(QueueMessages.read(
                        Map.of(
                                "source",
                                "aws.ssm",
                                "detail-type",
                                "AWS API Call via CloudTrail",
                                "detail",
                                Map.of("eventName", "RegisterManagedInstance", "errorCode", "InvalidActivation")),
                        NOW))
                .isInstanceOf(QueueMessage.Ignored.class);
        assertThat(QueueMessages.read(
                        Map.of(
                                "source",
                                "aws.ssm",
                                "detail-type",
                                "SSM Managed Instance Registration",
                                "detail",
                                Map.of("instance-id", "i-0123456789abcdef0")),
                        NOW))
                .isInstanceOf(QueueMessage.Unreadable.class);
        assertThat(QueueMessages.read(
                        Map.of("source", "aws.ec2", "detail-type", "EC2 Instance State-change Notification"), NOW))
                .isInstanceOf(QueueMessage.Unreadable.class);
        assertThat(QueueMessages.read(Map.of(), NOW)).isInstanceOf(QueueMessage.Unreadable.class);
    }

    @Test
    void whatTheProductPutsOnTheQueueItselfReadsBack() {
        RegistrationEvent found =
                new RegistrationEvent(Change.REGISTERED, ID, Optional.of(ACTIVATION), Route.SWEEP, NOW);

        assertThat(event(QueueMessages.foundBySweep(found))).isEqualTo(found);
        assertThat(QueueMessages.read(QueueMessages.digestDue(DigestKind.DEREGISTERED, NOW), NOW))
                .isEqualTo(new QueueMessage.DigestDue(DigestKind.DEREGISTERED, NOW));
    }
}
