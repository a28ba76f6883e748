package dev.hybridonboarding.function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hybridonboarding.aws.AwsClients;
import dev.hybridonboarding.aws.CannedAnswers;
import dev.hybridonboarding.aws.CannedHttpClient;
import dev.hybridonboarding.enrollment.EnrollmentAttempt;
import dev.hybridonboarding.enrollment.EnrollmentFailure;
import dev.hybridonboarding.enrollment.EnrollmentRejectedException;
import dev.hybridonboarding.enrollment.EnrollmentRequest;
import dev.hybridonboarding.enrollment.EnrollmentService;
import dev.hybridonboarding.enrollment.Platform;
import dev.hybridonboarding.enrollment.Requester;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.regions.Region;

/** The SnapStart hooks: priming runs the hot path with no network, and a restore leaves nothing of the snapshot's to share. */
class EnrollmentEnvironmentTest {

    private static final Map<String, String> SETTINGS = Map.of(
            "TABLE_NAME",
            "table",
            "CODE_KEY_ID",
            "arn:aws:kms:us-east-1:123456789012:key/k",
            "STACK_ID",
            "arn:aws:cloudformation:us-east-1:123456789012:stack/hybrid-onboarding/1",
            "DEFAULT_FLEET_NAME",
            "default",
            "DEFAULT_FLEET_MODE",
            "single-use",
            "INSTANCE_ROLE_NAME",
            "Role");

    /** Nothing listens on port 1: a call that left the JVM would fail, and priming with it. */
    private final AwsClients clients = new AwsClients(
            Region.US_EAST_1,
            () -> StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDEXAMPLE", "secret")),
            Optional.of(URI.create("http://127.0.0.1:1")));

    private final EnrollmentEnvironment environment = new EnrollmentEnvironment(SETTINGS, clients);

    @Test
    void primingRunsEveryCallOfTheHotPathAgainstCannedAnswersOnly() {
        environment.beforeCheckpoint(null);

        assertThat(clients.currentHttpClient()).isInstanceOf(CannedHttpClient.class);
        assertThat(((CannedHttpClient) clients.currentHttpClient()).asked())
                .containsExactly(
                        CannedAnswers.BATCH_GET,
                        CannedAnswers.CREATE_ACTIVATION,
                        CannedAnswers.TRANSACT_WRITE,
                        CannedAnswers.BATCH_GET,
                        CannedAnswers.DESCRIBE_ACTIVATIONS,
                        CannedAnswers.BATCH_GET,
                        CannedAnswers.DESCRIBE_ACTIVATIONS,
                        CannedAnswers.DECRYPT,
                        CannedAnswers.TRANSACT_WRITE,
                        CannedAnswers.BATCH_GET,
                        CannedAnswers.UPDATE_ITEM,
                        CannedAnswers.UPDATE_ITEM);
    }

    @Test
    void anAttemptThatFailsIsFollowedByAFreshOne() {
        // An answer without the table queued ahead of the first BatchGetItem: the first enrollment fails.
        List<CannedHttpClient> given = new ArrayList<>(List.of(
                new CannedHttpClient().answer(CannedAnswers.BATCH_GET, "{\"Responses\":{}}"), new CannedHttpClient()));

        new EnrollmentPriming(environment, clients, "table", "key", () -> given.remove(0)).run();

        assertThat(given).as("the second attempt's answers were used").isEmpty();
        assertThat(((CannedHttpClient) clients.currentHttpClient()).allAnswered())
                .isTrue();
    }

    @Test
    void aPathThatFailsEveryTimeFailsTheCheckpointAndSaysWhy() {
        Supplier<CannedHttpClient> stale =
                () -> new CannedHttpClient().answer(CannedAnswers.BATCH_GET, "{\"Responses\":{}}");

        assertThatThrownBy(() -> new EnrollmentPriming(environment, clients, "table", "key", stale).run())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("answered 500")
                .hasMessageContaining("internal_error")
                .satisfies(failure -> assertThat(failure.getSuppressed()).hasSize(1));
    }

    @Test
    void afterARestoreNothingThatMustBeFreshIsTheSnapshotsOwn() {
        SdkHttpClient http = clients.currentHttpClient();
        AwsCredentialsProvider credentials = clients.currentCredentials();
        SecureRandom random = environment.random();
        EnrollmentService service = environment.service();

        environment.beforeCheckpoint(null);
        environment.afterRestore(null);

        assertThat(environment.random()).isNotSameAs(random);
        assertThat(clients.currentHttpClient()).isNotSameAs(http).isNotInstanceOf(CannedHttpClient.class);
        assertThat(clients.currentCredentials()).isNotSameAs(credentials);
        assertThat(environment.service())
                .as("a core with new random source and an empty code cache")
                .isNotSameAs(service);
    }

    @Test
    void afterARestoreRequestsGoToAwsAgain() {
        environment.beforeCheckpoint(null);
        environment.afterRestore(null);

        EnrollmentRejectedException refused = null;
        try {
            environment
                    .service()
                    .enroll(new EnrollmentAttempt(
                            "hob_default.abcdefghijkm." + "A".repeat(43),
                            new Requester("192.0.2.9", "t"),
                            new EnrollmentRequest("web", Platform.LINUX, Optional.empty(), Map.of()),
                            Instant.now().plusSeconds(29)));
        } catch (EnrollmentRejectedException e) {
            refused = e;
        }

        assertThat(refused).isNotNull();
        assertThat(refused.failure())
                .as("the unreachable endpoint, not a canned answer")
                .isEqualTo(EnrollmentFailure.SERVICE_UNAVAILABLE);
    }
}
