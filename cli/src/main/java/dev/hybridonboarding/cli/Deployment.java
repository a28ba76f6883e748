package dev.hybridonboarding.cli;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.hybridonboarding.activation.ActivationOwner;
import dev.hybridonboarding.aws.AwsClients;
import dev.hybridonboarding.fleet.Fleet;
import dev.hybridonboarding.fleet.FleetDefaults;
import dev.hybridonboarding.rotation.Rotation;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.cloudformation.CloudFormationClient;
import software.amazon.awssdk.services.cloudformation.model.Output;
import software.amazon.awssdk.services.cloudformation.model.Stack;

/**
 * Where the CLI works: a deployed stack (found by name through CloudFormation, with the usual credential chain)
 * or the local stack (through the JSON file its run command writes). Both give the same outputs.
 */
final class Deployment {

    static final Path DEFAULT_LOCAL_STATE = Path.of("target", "local-stack.json");

    final String description;
    final AwsClients clients;
    final String table;
    final Fleet templateFleet;
    final String instanceRolePath;
    final String codeKeyId;
    final ActivationOwner owner;
    final Rotation.Settings rotation;
    final String topicArn;
    /** The base URL machines call. */
    final String apiUrl;

    private Deployment(String description, AwsClients clients, Map<String, String> outputs, String apiUrl) {
        this.description = description;
        this.clients = clients;
        this.table = required(outputs, "TableName");
        this.templateFleet = FleetDefaults.fromSettings(settings(required(outputs, "DefaultFleetSettings")));
        this.instanceRolePath = required(outputs, "InstanceRolePath");
        this.codeKeyId = required(outputs, "CodeKeyId");
        this.owner = new ActivationOwner(required(outputs, "StackId"));
        Map<String, String> rotationSettings = new HashMap<>(settings(required(outputs, "DefaultFleetSettings")));
        rotationSettings.putAll(settings(required(outputs, "RotationSettings")));
        rotationSettings.put(Rotation.Settings.STACK_ID, owner.stackId());
        this.rotation = Rotation.Settings.fromSettings(rotationSettings);
        this.topicArn = required(outputs, "NotificationTopicArn");
        this.apiUrl = apiUrl;
    }

    static Deployment resolve(GlobalOptions options) {
        if (options.stackName == null && options.endpointUrl == null) {
            Path state = options.localState != null
                    ? options.localState
                    : Files.exists(DEFAULT_LOCAL_STATE) ? DEFAULT_LOCAL_STATE : null;
            if (state != null) {
                return local(state);
            }
        }
        String stackName = options.stackName != null ? options.stackName : GlobalOptions.DEFAULT_STACK_NAME;
        Region region = options.region != null
                ? Region.of(options.region)
                : DefaultAwsRegionProviderChain.builder().build().getRegion();
        AwsCredentialsProvider credentials = options.profile != null
                ? ProfileCredentialsProvider.create(options.profile)
                : DefaultCredentialsProvider.builder().build();
        Optional<URI> endpoint = Optional.ofNullable(options.endpointUrl).map(URI::create);
        AwsClients clients = new AwsClients(region, credentials, endpoint);
        Map<String, String> outputs = stackOutputs(clients, stackName);
        return new Deployment(
                "stack " + stackName + " in " + region.id(), clients, outputs, required(outputs, "ApiUrl"));
    }

    private static Deployment local(Path stateFile) {
        Map<String, Object> state;
        try {
            state = JSON.std.mapFrom(Files.readString(stateFile));
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    "cannot read the local stack's state file " + stateFile + ": " + e.getMessage());
        }
        String endpoint = String.valueOf(state.get("endpointUrl"));
        Region region = Region.of(String.valueOf(state.get("region")));
        AwsCredentialsProvider credentials =
                StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test"));
        @SuppressWarnings("unchecked")
        Map<String, Object> outputs = (Map<String, Object>) state.getOrDefault("outputs", Map.of());
        Map<String, String> values = new HashMap<>();
        outputs.forEach((key, value) -> values.put(key, String.valueOf(value)));
        // The outputs name the API as it would be in AWS; the local stack serves it on loopback.
        String apiUrl = state.get("apiUrl") != null ? String.valueOf(state.get("apiUrl")) : required(values, "ApiUrl");
        return new Deployment(
                "local stack at " + endpoint,
                new AwsClients(region, credentials, Optional.of(URI.create(endpoint))),
                values,
                apiUrl);
    }

    private static Map<String, String> stackOutputs(AwsClients clients, String stackName) {
        try (CloudFormationClient cloudFormation =
                clients.configure(CloudFormationClient.builder()).build()) {
            Stack stack = cloudFormation
                    .describeStacks(request -> request.stackName(stackName))
                    .stacks()
                    .get(0);
            Map<String, String> outputs = new HashMap<>();
            for (Output output : stack.outputs()) {
                outputs.put(output.outputKey(), output.outputValue());
            }
            return outputs;
        }
    }

    private static Map<String, String> settings(String json) {
        try {
            Map<String, String> settings = new HashMap<>();
            JSON.std.mapFrom(json).forEach((key, value) -> settings.put(key, String.valueOf(value)));
            return settings;
        } catch (IOException e) {
            throw new IllegalArgumentException("the stack output DefaultFleetSettings is not JSON: " + e.getMessage());
        }
    }

    private static String required(Map<String, String> outputs, String key) {
        String value = outputs.get(key);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("the stack has no output " + key + "; is it a Hybrid Onboarding stack?");
        }
        return value;
    }
}
