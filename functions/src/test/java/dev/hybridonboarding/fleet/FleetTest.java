package dev.hybridonboarding.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FleetTest {

    @Test
    void defaultsDependOnTheMode() {
        Fleet single = Fleet.withDefaults("default", FleetMode.SINGLE_USE, "Role");
        Fleet shared = Fleet.withDefaults("edge", FleetMode.SHARED, "Role");

        assertThat(single.registrationLimit()).isEqualTo(1);
        assertThat(single.activationLifetime()).isEqualTo(Duration.ofHours(1));
        assertThat(shared.registrationLimit()).isEqualTo(100);
        assertThat(shared.activationLifetime()).isEqualTo(Duration.ofDays(7));
        assertThat(single.enabled()).isTrue();
    }

    @Test
    void ssmLimitsAreEnforced() {
        Fleet shared = Fleet.withDefaults("edge", FleetMode.SHARED, "Role");
        assertThatThrownBy(() -> shared.withRegistrationLimit(1001)).hasMessageContaining("1-1000");
        assertThatThrownBy(() -> shared.withRegistrationLimit(0)).hasMessageContaining("1-1000");
        assertThatThrownBy(() -> shared.withActivationLifetime(Duration.ofDays(31)))
                .hasMessageContaining("30 days");
        assertThatThrownBy(() -> shared.withActivationLifetime(Duration.ofMinutes(5)))
                .hasMessageContaining("30 minutes");
        assertThat(shared.withActivationLifetime(Duration.ofDays(30)).activationLifetime())
                .isEqualTo(Duration.ofDays(30));
    }

    @Test
    void theInstanceRoleIsANameNotAnArn() {
        assertThatThrownBy(
                        () -> Fleet.withDefaults("x", FleetMode.SINGLE_USE, "arn:aws:iam::123456789012:role/Managed"))
                .hasMessageContaining("'Managed'")
                .hasMessageContaining("not its ARN");
        assertThat(Fleet.withDefaults(
                                "x", FleetMode.SINGLE_USE, "service-role/AmazonEC2RunCommandRoleForManagedInstances")
                        .instanceRole())
                .startsWith("service-role/");
        assertThatThrownBy(() -> Fleet.withDefaults("x", FleetMode.SINGLE_USE, "bad role"))
                .hasMessageContaining("not a valid");
    }

    @Test
    void tagsAndAcceptedKeysFollowAwsRules() {
        Fleet fleet = Fleet.withDefaults("x", FleetMode.SINGLE_USE, "Role");
        assertThatThrownBy(() -> fleet.withTags(Map.of("aws:x", "y"))).hasMessageContaining("aws:");
        Map<String, String> nine = new HashMap<>();
        for (int i = 0; i < 9; i++) {
            nine.put("k" + i, "v");
        }
        assertThatThrownBy(() -> fleet.withTags(nine)).hasMessageContaining("at most 8");
        assertThatThrownBy(() -> fleet.withAcceptedTagKeys(Set.of("hybrid-onboarding:fleet")))
                .hasMessageContaining("sets itself");
        assertThat(fleet.withAcceptedTagKeys(Set.of("rack", "env")).acceptedTagKeys())
                .containsExactly("env", "rack");
    }

    @Test
    void fleetNamesAreShortAndLowercase() {
        assertThat(FleetName.isValid("web-servers")).isTrue();
        assertThat(FleetName.isValid("a")).isTrue();
        assertThat(FleetName.isValid("Web")).isFalse();
        assertThat(FleetName.isValid("-web")).isFalse();
        assertThat(FleetName.isValid("web-")).isFalse();
        assertThat(FleetName.isValid("a".repeat(33))).isFalse();
        assertThat(FleetName.isValid("web.servers")).isFalse();
    }

    @Test
    void theTemplatesDefaultFleetComesFromSettings() {
        Fleet fleet = FleetDefaults.fromSettings(Map.of(
                FleetDefaults.NAME, "default",
                FleetDefaults.MODE, "shared",
                FleetDefaults.INSTANCE_ROLE, "stack-ManagedInstanceRole-ABC",
                FleetDefaults.TAGS, "env=prod, team=platform",
                FleetDefaults.ACCEPTED_TAG_KEYS, "rack,room",
                FleetDefaults.REGISTRATION_LIMIT, "250",
                FleetDefaults.ACTIVATION_LIFETIME, "P14D"));

        assertThat(fleet.mode()).isEqualTo(FleetMode.SHARED);
        assertThat(fleet.tags()).containsEntry("env", "prod").containsEntry("team", "platform");
        assertThat(fleet.acceptedTagKeys()).containsExactly("rack", "room");
        assertThat(fleet.registrationLimit()).isEqualTo(250);
        assertThat(fleet.activationLifetime()).isEqualTo(Duration.ofDays(14));
        assertThat(fleet.version()).isZero();
    }

    @Test
    void emptyOptionalSettingsMeanTheModesDefaults() {
        Fleet fleet = FleetDefaults.fromSettings(Map.of(
                FleetDefaults.NAME,
                "default",
                FleetDefaults.MODE,
                "single-use",
                FleetDefaults.INSTANCE_ROLE,
                "Role",
                FleetDefaults.TAGS,
                "",
                FleetDefaults.ACTIVATION_LIFETIME,
                "",
                FleetDefaults.REGISTRATION_LIMIT,
                "100"));

        assertThat(fleet.tags()).isEmpty();
        assertThat(fleet.registrationLimit()).isEqualTo(1);
        assertThat(fleet.activationLifetime()).isEqualTo(Duration.ofHours(1));
    }

    @Test
    void badSettingsSayWhichOne() {
        assertThatThrownBy(() -> FleetDefaults.fromSettings(Map.of(
                        FleetDefaults.NAME,
                        "default",
                        FleetDefaults.MODE,
                        "weird",
                        FleetDefaults.INSTANCE_ROLE,
                        "Role")))
                .hasMessageContaining("single-use");
        assertThatThrownBy(() ->
                        FleetDefaults.fromSettings(Map.of(FleetDefaults.NAME, "default", FleetDefaults.MODE, "shared")))
                .hasMessageContaining(FleetDefaults.INSTANCE_ROLE);
        assertThatThrownBy(() -> FleetDefaults.parseTags("novalue")).hasMessageContaining("key=value");
    }
}
