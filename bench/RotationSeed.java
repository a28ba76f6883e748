import com.fasterxml.jackson.jr.ob.JSON;
import dev.hybridonboarding.admin.FleetAdmin;
import dev.hybridonboarding.admin.TokenAdmin;
import dev.hybridonboarding.aws.AwsClients;
import dev.hybridonboarding.aws.DynamoAdminStore;
import dev.hybridonboarding.fleet.Fleet;
import dev.hybridonboarding.fleet.FleetDefaults;
import dev.hybridonboarding.fleet.FleetMode;
import dev.hybridonboarding.token.TokenIssuer;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;

/**
 * Declares the rotation benchmark's fleets and tokens on the local stack through the product's own admin services
 * (FleetAdmin, TokenAdmin on DynamoAdminStore), as `hob fleet create` and `hob token create` do, in one JVM instead
 * of one per fleet. Run by bench/rotation.py:
 *
 * <pre>java -cp cli/target/hob.jar bench/RotationSeed.java STATE_FILE &lt; SPEC_JSON</pre>
 *
 * The spec, on standard input: {"fleets": [{"name", "mode", "registrationLimit"?, "activationLifetime"?}],
 * "tokens": [{"fleet", "uses"}], "tokenLifetime": "P30D"}. Prints {"tokens": {fleet: token}} on stdout for the
 * harness, which keeps the tokens in memory; nothing else is printed.
 */
public final class RotationSeed {

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: RotationSeed STATE_FILE < SPEC_JSON");
        }
        Map<String, Object> state = JSON.std.mapFrom(Files.readString(Path.of(args[0])));
        Map<String, Object> spec = JSON.std.mapFrom(System.in);
        @SuppressWarnings("unchecked")
        Map<String, Object> outputs = (Map<String, Object>) state.get("outputs");

        AwsClients clients = new AwsClients(
                Region.of(String.valueOf(state.get("region"))),
                StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")),
                Optional.of(URI.create(String.valueOf(state.get("endpointUrl")))));
        Map<String, String> defaults = new HashMap<>();
        JSON.std
                .mapFrom(String.valueOf(outputs.get("DefaultFleetSettings")))
                .forEach((k, v) -> defaults.put(k, String.valueOf(v)));
        Clock clock = Clock.systemUTC();
        DynamoAdminStore store = new DynamoAdminStore(clients.dynamoDb(), String.valueOf(outputs.get("TableName")));
        FleetAdmin fleets = new FleetAdmin(
                store, FleetDefaults.fromSettings(defaults), String.valueOf(outputs.get("InstanceRolePath")), clock);
        TokenAdmin tokens = new TokenAdmin(store, fleets, new TokenIssuer(new SecureRandom()), clock);

        for (Map<String, Object> fleet : list(spec.get("fleets"))) {
            FleetMode mode = FleetMode.parse(String.valueOf(fleet.get("mode")));
            fleets.create(String.valueOf(fleet.get("name")), mode, declared -> settings(declared, fleet));
        }
        Duration tokenLifetime = Duration.parse(String.valueOf(spec.get("tokenLifetime")));
        Map<String, String> issued = new LinkedHashMap<>();
        for (Map<String, Object> token : list(spec.get("tokens"))) {
            String fleet = String.valueOf(token.get("fleet"));
            int uses = ((Number) token.get("uses")).intValue();
            issued.put(
                    fleet,
                    tokens.create(fleet, uses, tokenLifetime, List.of(), "rotation benchmark")
                            .bearer()
                            .reveal());
        }
        System.out.println(JSON.std.asString(Map.of("tokens", issued)));
    }

    private static Fleet settings(Fleet fleet, Map<String, Object> declared) {
        Fleet result = fleet;
        if (declared.get("registrationLimit") != null) {
            result = result.withRegistrationLimit(((Number) declared.get("registrationLimit")).intValue());
        }
        if (declared.get("activationLifetime") != null) {
            result = result.withActivationLifetime(Duration.parse(String.valueOf(declared.get("activationLifetime"))));
        }
        return result;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(Object value) {
        return value == null ? List.of() : new ArrayList<>((List<Map<String, Object>>) value);
    }
}
