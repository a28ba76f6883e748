package dev.hybridonboarding.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.cloudformation.CloudFormationClient;
import software.amazon.awssdk.services.iam.IamClient;

/**
 * The roles as the stack deployed them (their inline policies read back from IAM, every intrinsic resolved), judged
 * on the requests that matter: what a registered machine may read, and what the internet-facing function may pass
 * and retag.
 */
class RolePoliciesIT {

    /** The part of AmazonSSMManagedInstanceCore that matters here: it lets a node read every parameter. */
    private static final Map<String, Object> MANAGED_INSTANCE_CORE_PARAMETER_READS = Map.of(
            "Statement",
            List.of(Map.of(
                    "Effect",
                    "Allow",
                    "Action",
                    List.of("ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"),
                    "Resource",
                    "*")));

    private final LocalStack stack = LocalStack.get();

    private String physicalId(String logicalId) {
        try (CloudFormationClient cloudFormation =
                stack.clients.configure(CloudFormationClient.builder()).build()) {
            return cloudFormation
                    .listStackResourcesPaginator(r -> r.stackName(String.valueOf(stack.state.get("stackName"))))
                    .stackResourceSummaries()
                    .stream()
                    .filter(resource -> logicalId.equals(resource.logicalResourceId()))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("the stack has no " + logicalId))
                    .physicalResourceId();
        }
    }

    private List<Map<String, Object>> inlinePolicies(String roleName) {
        try (IamClient iam = stack.clients.configure(IamClient.builder()).build()) {
            List<Map<String, Object>> documents = new ArrayList<>();
            for (String name : iam.listRolePolicies(r -> r.roleName(roleName)).policyNames()) {
                String document = iam.getRolePolicy(r -> r.roleName(roleName).policyName(name))
                        .policyDocument();
                documents.add(JSON.std.mapFrom(URLDecoder.decode(document, StandardCharsets.UTF_8)));
            }
            return documents;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String account() {
        return String.valueOf(stack.state.get("accountId"));
    }

    @Test
    void aRegisteredMachineReadsOnlyTheProductsParameters() {
        List<Map<String, Object>> documents = new ArrayList<>(inlinePolicies(physicalId("ManagedInstanceRole")));
        documents.add(MANAGED_INSTANCE_CORE_PARAMETER_READS);
        IamPolicy role = new IamPolicy(documents);
        String parameters = "arn:aws:ssm:" + stack.region + ":" + account() + ":parameter/";

        assertThat(role.allows(new IamPolicy.Request("ssm:GetParameter", parameters + "prod/database/password")))
                .isFalse();
        assertThat(role.allows(new IamPolicy.Request("ssm:GetParametersByPath", parameters + "prod")))
                .isFalse();
        assertThat(role.allows(new IamPolicy.Request("ssm:GetParameters", parameters + "hybrid-onboarding-evil/x")))
                .isFalse();
        assertThat(role.allows(
                        new IamPolicy.Request("ssm:GetParameter", parameters + "hybrid-onboarding/web/agent-config")))
                .isTrue();
        assertThat(role.allows(new IamPolicy.Request("ssm:GetParametersByPath", parameters + "hybrid-onboarding")))
                .isTrue();
    }

    @Test
    void theEnrollmentFunctionPassesOnlyRolesUnderTheStacksPathAndRetagsNothing() {
        IamPolicy function = new IamPolicy(inlinePolicies(physicalId("EnrollmentFunctionRole")));
        String roles = "arn:aws:iam::" + account() + ":role/";
        String stackName = String.valueOf(stack.state.get("stackName"));
        Map<String, String> toSsm = Map.of("iam:PassedToService", "ssm.amazonaws.com");

        assertThat(function.allows(new IamPolicy.Request(
                        "iam:PassRole", roles + "hybrid-onboarding/" + stackName + "/web", toSsm)))
                .isTrue();
        assertThat(function.allows(
                        new IamPolicy.Request("iam:PassRole", roles + stackName + "-instance-x/Administrator", toSsm)))
                .as("a role whose path starts like a name prefix")
                .isFalse();
        assertThat(function.allows(new IamPolicy.Request("iam:PassRole", roles + "Administrator", toSsm)))
                .isFalse();
        assertThat(function.allows(new IamPolicy.Request(
                        "iam:PassRole",
                        roles + "hybrid-onboarding/" + stackName + "/web",
                        Map.of("iam:PassedToService", "lambda.amazonaws.com"))))
                .isFalse();
        String ssm = "arn:aws:ssm:" + stack.region + ":" + account() + ":";
        for (String resource :
                List.of("managed-instance/mi-0123456789abcdef0", "parameter/x", "document/x", "opsmetadata/x")) {
            assertThat(function.allows(new IamPolicy.Request("ssm:AddTagsToResource", ssm + resource)))
                    .as(resource)
                    .isFalse();
        }
        assertThat(function.allows(new IamPolicy.Request("ssm:CreateActivation", "*")))
                .isTrue();
    }

    @Test
    void onlyTheRegistrationFunctionMayTagManagedInstancesAndItMayNotDeregisterThemByDefault() {
        IamPolicy registration = new IamPolicy(inlinePolicies(physicalId("RegistrationFunctionRole")));
        IamPolicy enrollment = new IamPolicy(inlinePolicies(physicalId("EnrollmentFunctionRole")));
        String ssm = "arn:aws:ssm:" + stack.region + ":" + account() + ":";
        String instance = ssm + "managed-instance/mi-0123456789abcdef0";

        assertThat(registration.allows(new IamPolicy.Request("ssm:AddTagsToResource", instance)))
                .isTrue();
        assertThat(registration.allows(new IamPolicy.Request("ssm:AddTagsToResource", ssm + "parameter/x")))
                .isFalse();
        assertThat(registration.allows(new IamPolicy.Request("ssm:AddTagsToResource", ssm + "document/x")))
                .isFalse();
        assertThat(registration.allows(new IamPolicy.Request("ssm:DeregisterManagedInstance", instance)))
                .as("DeregisterUnmanagedInstances is false by default")
                .isFalse();
        assertThat(registration.allows(new IamPolicy.Request("ssm:CreateActivation", "*")))
                .isFalse();
        assertThat(enrollment.allows(new IamPolicy.Request("ssm:AddTagsToResource", instance)))
                .isFalse();
    }
}
