package dev.hybridonboarding.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hybridonboarding.aws.AwsClients;
import dev.hybridonboarding.enrollment.EnrollmentAttempt;
import dev.hybridonboarding.enrollment.EnrollmentRequest;
import dev.hybridonboarding.enrollment.EnrollmentResult;
import dev.hybridonboarding.enrollment.Platform;
import dev.hybridonboarding.enrollment.Requester;
import dev.hybridonboarding.fleet.FleetMode;
import dev.hybridonboarding.function.EnrollmentEnvironment;
import dev.hybridonboarding.token.TokenIssuer;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.model.Select;

/**
 * The enrollment function's SnapStart hooks against the local AWS: priming, which runs before the snapshot, makes no
 * call that reaches AWS and writes nothing; after the restore the same clients reach AWS again.
 */
class PrimingIT {

    /** A key of this test's own, so the emulator's per-key counter shows exactly what this environment sent. */
    private static final String ACCESS_KEY = "ASIAPRIMINGITTEST001";

    private final LocalStack stack = LocalStack.get();

    @SuppressWarnings("unchecked")
    private Map<String, Object> callsOfThisEnvironment() {
        return (Map<String, Object>)
                stack.emulator("GET", "calls-by-access-key", null).getOrDefault(ACCESS_KEY, Map.of());
    }

    private int itemsInTheTable() {
        return stack
                .dynamo
                .scanPaginator(request -> request.tableName(stack.table).select(Select.COUNT))
                .stream()
                .mapToInt(page -> page.count())
                .sum();
    }

    @Test
    void primingReachesNoAwsServiceAndWritesNothingAndARestoredEnvironmentDoes() {
        Map<String, String> settings = new HashMap<>(stack.templateFleetSettings());
        settings.put("TABLE_NAME", stack.table);
        settings.put("CODE_KEY_ID", stack.output("CodeKeyId"));
        settings.put("STACK_ID", stack.output("StackId"));
        AwsClients clients = new AwsClients(
                Region.of(stack.region),
                () -> StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, "priming-it")),
                Optional.of(stack.endpoint));
        EnrollmentEnvironment environment = new EnrollmentEnvironment(settings, clients);
        int items = itemsInTheTable();

        environment.beforeCheckpoint(null);

        assertThat(callsOfThisEnvironment())
                .as("calls that reached the local AWS while priming")
                .isEmpty();
        assertThat(itemsInTheTable()).as("items in the table").isEqualTo(items);

        environment.afterRestore(null);
        String fleet = LocalStack.uniqueFleet("primed");
        stack.fleets.create(fleet, FleetMode.SINGLE_USE, f -> f);
        TokenIssuer.Issued issued = stack.token(fleet, 1);
        EnrollmentResult result = environment
                .service()
                .enroll(new EnrollmentAttempt(
                        issued.bearer().reveal(),
                        new Requester("192.0.2.50", "priming-it"),
                        new EnrollmentRequest("primed-01", Platform.LINUX, Optional.empty(), Map.of()),
                        Instant.now().plusSeconds(29)));
        Secrets.remember(result.activationCode().reveal());

        assertThat(result.created()).isTrue();
        assertThat(callsOfThisEnvironment())
                .containsKeys("dynamodb.BatchGetItem", "ssm.CreateActivation", "dynamodb.TransactWriteItems");
    }
}
