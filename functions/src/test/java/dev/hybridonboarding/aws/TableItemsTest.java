package dev.hybridonboarding.aws;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hybridonboarding.enrollment.EnrollmentRecord;
import dev.hybridonboarding.enrollment.EnrollmentRequest;
import dev.hybridonboarding.enrollment.Platform;
import dev.hybridonboarding.enrollment.Requester;
import dev.hybridonboarding.enrollment.RetryRecord;
import dev.hybridonboarding.fleet.Fleet;
import dev.hybridonboarding.fleet.FleetMode;
import dev.hybridonboarding.rotation.ActivationRecord;
import dev.hybridonboarding.rotation.SharedActivation;
import dev.hybridonboarding.token.EnrollmentToken;
import dev.hybridonboarding.token.TokenIssuer;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TableItemsTest {

    private static final Instant NOW = Instant.parse("2026-11-30T12:00:00Z");

    @Test
    void fleetsRoundTrip() {
        Fleet fleet = Fleet.withDefaults("edge", FleetMode.SHARED, "Role")
                .withTags(Map.of("env", "prod"))
                .withAcceptedTagKeys(Set.of("rack"))
                .withRegistrationLimit(250)
                .withActivationLifetime(Duration.ofDays(3))
                .withDescription("edge boxes")
                .withVersion(4)
                .withEnabled(false);

        assertThat(TableItems.fleet(TableItems.fleetItem(fleet, NOW))).isEqualTo(fleet);
        assertThat(TableItems.fleetItem(fleet, NOW)
                        .get(Attr.GSI1_PK.attribute())
                        .s())
                .isEqualTo("FLEETS");
    }

    @Test
    void tokensRoundTripWithoutTheirSecret() {
        TokenIssuer.Issued issued = new TokenIssuer(new SecureRandom())
                .issue("edge", 3, Duration.ofHours(2), List.of("10.0.0.0/8"), "rack 7", NOW);
        EnrollmentToken token = issued.token();

        var item = TableItems.tokenItem(token);
        EnrollmentToken back = TableItems.token(item);

        assertThat(back.tokenId()).isEqualTo(token.tokenId());
        assertThat(back.secretHash()).isEqualTo(token.secretHash());
        assertThat(back.sourceCidrs()).containsExactly("10.0.0.0/8");
        assertThat(back.expiresAt()).isEqualTo(token.expiresAt());
        assertThat(item.toString())
                .doesNotContain(issued.bearer()
                        .reveal()
                        .substring(issued.bearer().reveal().lastIndexOf('.') + 1));
        assertThat(Long.parseLong(Attr.TTL.in(item).n()))
                .isGreaterThan(token.expiresAt().getEpochSecond());
    }

    @Test
    void retryRecordsAndSharedActivationsRoundTrip() {
        RetryRecord retry = new RetryRecord(
                "m-1", "enr-1", "act-1", new byte[] {1, 2}, RetryRecord.CodeSealing.VAULT, NOW, "web-01", "digest");
        assertThat(TableItems.retry(TableItems.retryItem("tok", retry)).requestDigest())
                .isEqualTo("digest");
        RetryRecord back = TableItems.retry(TableItems.retryItem("tok", retry));
        assertThat(back.sealedCode()).containsExactly(1, 2);
        assertThat(back.sealing()).isEqualTo(RetryRecord.CodeSealing.VAULT);
        assertThat(back.expiresAt()).isEqualTo(NOW);

        SharedActivation shared = new SharedActivation("act-2", new byte[] {3}, NOW, 100, 7, NOW.minusSeconds(60));
        SharedActivation sharedBack = TableItems.sharedActivation(TableItems.sharedActivationItem("edge", shared));
        assertThat(sharedBack.handedOut()).isEqualTo(7);
        assertThat(sharedBack.registrationLimit()).isEqualTo(100);
    }

    @Test
    void enrollmentsAndActivationsRoundTripAndSortByTime() {
        EnrollmentRecord record = new EnrollmentRecord(
                "enr-1",
                "tok",
                "edge",
                FleetMode.SHARED,
                new Requester("198.51.100.7", "curl/8"),
                new EnrollmentRequest("web-01", Platform.WINDOWS, Optional.of("m-1"), Map.of("rack", "r7")),
                Map.of("rack", "r7"),
                "act-1",
                NOW.plusSeconds(60),
                NOW);
        assertThat(TableItems.enrollment(TableItems.enrollmentItem(record))).isEqualTo(record);
        assertThat(TableItems.enrollmentItem(record)
                        .get(Attr.GSI1_SK.attribute())
                        .s())
                .startsWith("2026-11-30T12:00:00.000Z#");

        ActivationRecord activation = ActivationRecord.singleUse("act-1", "edge", "enr-1", NOW, NOW);
        assertThat(TableItems.activation(TableItems.activationItem(activation))).isEqualTo(activation);

        assertThat(TableItems.sortable(Instant.parse("2026-11-30T12:00:00.5Z")))
                .isGreaterThan(TableItems.sortable(Instant.parse("2026-11-30T12:00:00Z")));
    }
}
