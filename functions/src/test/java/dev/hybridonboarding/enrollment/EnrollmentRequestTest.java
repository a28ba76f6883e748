package dev.hybridonboarding.enrollment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EnrollmentRequestTest {

    private static Map<String, Object> body(Object... keyValues) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("hostname", "web-01.example.internal");
        body.put("platform", "linux");
        for (int i = 0; i < keyValues.length; i += 2) {
            body.put((String) keyValues[i], keyValues[i + 1]);
        }
        return body;
    }

    private static EnrollmentRejectedException rejected(Map<String, Object> body) {
        return catchThrowableOfType(EnrollmentRejectedException.class, () -> EnrollmentRequest.fromJson(body));
    }

    @Test
    void readsAllFields() {
        EnrollmentRequest request =
                EnrollmentRequest.fromJson(body("machineId", "4c4c4544-004d", "tags", Map.of("rack", "r7")));

        assertThat(request.hostname()).isEqualTo("web-01.example.internal");
        assertThat(request.platform()).isEqualTo(Platform.LINUX);
        assertThat(request.machineId()).contains("4c4c4544-004d");
        assertThat(request.tags()).containsExactly(Map.entry("rack", "r7"));
    }

    @Test
    void windowsMachineGuidsAreValidMachineIds() {
        assertThat(EnrollmentRequest.fromJson(
                                body("platform", "windows", "machineId", "{6F9619FF-8B86-D011-B42D-00C04FC964FF}"))
                        .machineId())
                .isPresent();
    }

    @Test
    void hostnameIsRequiredAndBounded() {
        Map<String, Object> missing = body();
        missing.remove("hostname");
        assertThat(rejected(missing).failure()).isEqualTo(EnrollmentFailure.INVALID_HOSTNAME);
        assertThat(rejected(body("hostname", "")).failure()).isEqualTo(EnrollmentFailure.INVALID_HOSTNAME);
        assertThat(rejected(body("hostname", 42)).failure()).isEqualTo(EnrollmentFailure.INVALID_HOSTNAME);
        assertThat(rejected(body("hostname", "a".repeat(254))).getMessage()).contains("longer than 253");
        assertThat(rejected(body("hostname", "web 01")).failure()).isEqualTo(EnrollmentFailure.INVALID_HOSTNAME);
        assertThat(rejected(body("hostname", "-web")).failure()).isEqualTo(EnrollmentFailure.INVALID_HOSTNAME);
        assertThat(EnrollmentRequest.fromJson(body("hostname", "a".repeat(253))).hostname())
                .hasSize(253);
    }

    @Test
    void platformMustBeLinuxOrWindows() {
        assertThat(rejected(body("platform", "macos")).failure()).isEqualTo(EnrollmentFailure.INVALID_PLATFORM);
        assertThat(rejected(body("platform", "Linux")).failure()).isEqualTo(EnrollmentFailure.INVALID_PLATFORM);
    }

    @Test
    void machineIdMustBeShortAndPlain() {
        assertThat(rejected(body("machineId", "x".repeat(129))).failure())
                .isEqualTo(EnrollmentFailure.INVALID_MACHINE_ID);
        assertThat(rejected(body("machineId", "a b")).failure()).isEqualTo(EnrollmentFailure.INVALID_MACHINE_ID);
        assertThat(rejected(body("machineId", 7)).failure()).isEqualTo(EnrollmentFailure.INVALID_MACHINE_ID);
    }

    @Test
    void tagsMustFollowAwsRules() {
        assertThat(rejected(body("tags", List.of("a"))).failure()).isEqualTo(EnrollmentFailure.INVALID_TAGS);
        assertThat(rejected(body("tags", Map.of("k", 1))).getMessage()).contains("string value");
        assertThat(rejected(body("tags", Map.of("k".repeat(129), "v"))).getMessage())
                .contains("longer than 128");
        assertThat(rejected(body("tags", Map.of("k", "v".repeat(257)))).getMessage())
                .contains("longer than 256");
        assertThat(rejected(body("tags", Map.of("aws:owner", "v"))).getMessage())
                .contains("'aws:'");
        assertThat(rejected(body("tags", Map.of("AWS:owner", "v"))).getMessage())
                .contains("'aws:'");
        assertThat(rejected(body("tags", Map.of("hybrid-onboarding:fleet", "x")))
                        .getMessage())
                .contains("sets itself");
        assertThat(rejected(body("tags", Map.of("k", "semi;colon"))).getMessage())
                .contains("may only contain");
        assertThat(rejected(body("tags", Map.of("", "v"))).getMessage()).contains("empty");
        Map<String, String> many = new HashMap<>();
        for (int i = 0; i < 33; i++) {
            many.put("k" + i, "v");
        }
        assertThat(rejected(body("tags", many)).getMessage()).contains("at most 32");
        many.remove("k0");
        assertThat(EnrollmentRequest.fromJson(body("tags", many)).tags()).hasSize(32);
    }

    @Test
    void unknownFieldsAreNamed() {
        EnrollmentRejectedException rejected = rejected(body("tag", Map.of()));

        assertThat(rejected.failure()).isEqualTo(EnrollmentFailure.INVALID_REQUEST);
        assertThat(rejected.getMessage()).contains("'tag'");
    }
}
