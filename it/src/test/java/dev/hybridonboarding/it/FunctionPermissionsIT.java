package dev.hybridonboarding.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.cloudformation.CloudFormationClient;

/**
 * The emulator does not enforce IAM, so this runs after every other integration test (in a failsafe execution of
 * its own) and holds each AWS call every function made, told apart by its own credentials, against the policy its
 * role has in the deployed template. A call the policy does not allow would fail on AWS however well it
 * works here.
 */
class FunctionPermissionsIT {

    private final LocalStack stack = LocalStack.get();

    /**
     * A transaction needs the permission of each kind of item it writes; CreateActivation with tags needs tagging;
     * SendMessageBatch is authorised as SendMessage.
     */
    private static final Map<String, List<String>> IMPLIED_ACTIONS = Map.of(
            "dynamodb:TransactWriteItems", List.of("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"),
            "dynamodb:TransactGetItems", List.of("dynamodb:GetItem"),
            "ssm:CreateActivation", List.of("ssm:CreateActivation", "ssm:AddTagsToResource"),
            "sqs:SendMessageBatch", List.of("sqs:SendMessage"));

    /** Functions whose transactions only put and update items (a digest's member beside the instance's record). */
    private static final Map<String, Map<String, List<String>>> IMPLIED_FOR_FUNCTION = Map.of(
            "RegistrationFunction",
            Map.of("dynamodb:TransactWriteItems", List.of("dynamodb:PutItem", "dynamodb:UpdateItem")));

    @SuppressWarnings("unchecked")
    private Set<String> allowedActions(String roleLogicalId) throws IOException {
        String body;
        try (CloudFormationClient cloudFormation =
                stack.clients.configure(CloudFormationClient.builder()).build()) {
            body = cloudFormation
                    .getTemplate(request -> request.stackName(String.valueOf(stack.state.get("stackName"))))
                    .templateBody();
        }
        Map<String, Object> role = (Map<String, Object>)
                ((Map<String, Object>) JSON.std.mapFrom(body).get("Resources")).get(roleLogicalId);
        assertThat(role)
                .as("role " + roleLogicalId + " in the deployed template")
                .isNotNull();
        Set<String> allowed = new HashSet<>();
        for (Object policy :
                (List<Object>) ((Map<String, Object>) role.get("Properties")).getOrDefault("Policies", List.of())) {
            Object statements =
                    ((Map<String, Object>) ((Map<String, Object>) policy).get("PolicyDocument")).get("Statement");
            for (Object statement : statements instanceof List<?> list ? list : List.of(statements)) {
                Map<String, Object> s = (Map<String, Object>) statement;
                if ("Allow".equals(s.get("Effect"))) {
                    Object action = s.get("Action");
                    for (Object a : action instanceof List<?> list ? list : List.of(action)) {
                        allowed.add(String.valueOf(a));
                    }
                }
            }
        }
        return allowed;
    }

    /** The calls each function must have made during the run, so that the check cannot pass by judging nothing. */
    private static final Map<String, List<String>> EXPECTED_CALLS = Map.of(
            "EnrollmentFunction",
                    List.of("dynamodb.BatchGetItem", "dynamodb.TransactWriteItems", "ssm.CreateActivation"),
            "RotationFunction",
                    List.of(
                            "ssm.DescribeActivations",
                            "ssm.CreateActivation",
                            "ssm.DeleteActivation",
                            "kms.Encrypt",
                            "dynamodb.Query",
                            "dynamodb.TransactWriteItems",
                            "sns.Publish"),
            "RegistrationFunction",
                    List.of(
                            "ssm.DescribeInstanceInformation",
                            "ssm.AddTagsToResource",
                            "ssm.ListTagsForResource",
                            "dynamodb.BatchGetItem",
                            "dynamodb.UpdateItem",
                            "dynamodb.GetItem",
                            "sns.Publish",
                            "sqs.ChangeMessageVisibility",
                            "sqs.SendMessageBatch"));

    @SuppressWarnings("unchecked")
    @Test
    void everyCallEachFunctionMadeIsAllowedByItsRole() throws IOException {
        Map<String, Object> functions = (Map<String, Object>) stack.state.get("functions");
        Map<String, Object> callsByKey = stack.emulator("GET", "calls-by-access-key", null);
        List<String> denied = new ArrayList<>();
        for (Map.Entry<String, Object> function : functions.entrySet()) {
            String accessKey = (String) ((Map<String, Object>) function.getValue()).get("accessKeyId");
            Map<String, Object> calls = (Map<String, Object>) callsByKey.getOrDefault(accessKey, Map.of());
            assertThat(calls)
                    .as("calls %s made during the run", function.getKey())
                    .containsKeys(EXPECTED_CALLS
                            .getOrDefault(function.getKey(), List.of())
                            .toArray(String[]::new));
            Set<String> allowed = allowedActions(function.getKey() + "Role");
            for (String call : calls.keySet()) {
                String action = call.replaceFirst("\\.", ":");
                List<String> implied = IMPLIED_FOR_FUNCTION
                        .getOrDefault(function.getKey(), Map.of())
                        .get(action);
                for (String needed :
                        implied != null ? implied : IMPLIED_ACTIONS.getOrDefault(action, List.of(action))) {
                    if (!allowed.contains(needed)) {
                        denied.add(function.getKey() + ": " + call + " needs " + needed);
                    }
                }
            }
        }
        assertThat(denied).as("calls a function's role does not allow").isEmpty();
    }

    /** The install function only renders text: its role allows nothing beyond its logs, and it calls nothing. */
    @SuppressWarnings("unchecked")
    @Test
    void theInstallScriptFunctionCallsNoAwsServiceAndItsRoleAllowsNone() throws IOException {
        Map<String, Object> function =
                (Map<String, Object>) ((Map<String, Object>) stack.state.get("functions")).get("InstallScriptFunction");
        Map<String, Object> invocations = stack.control("functions");
        assertThat((Map<String, Object>) invocations.get("InstallScriptFunction"))
                .as("the install function ran during the tests")
                .extractingByKey("coldStarts")
                .isNotEqualTo(0);

        Object calls = stack.emulator("GET", "calls-by-access-key", null).get((String) function.get("accessKeyId"));

        assertThat(calls).as("AWS calls the install function made").isNull();
        assertThat(allowedActions("InstallScriptFunctionRole"))
                .as("actions its role's own policies allow")
                .isEmpty();
    }
}
