package dev.hybridonboarding.token;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class TokenTest {

    private static final Instant NOW = Instant.parse("2026-11-30T12:00:00Z");
    private final TokenIssuer issuer = new TokenIssuer(new SecureRandom());

    @Test
    void anIssuedTokenParsesBackAndOnlyItsSecretMatchesTheStoredHash() {
        TokenIssuer.Issued issued =
                issuer.issue("web-servers", 5, Duration.ofHours(24), List.of(), "golden image", NOW);

        BearerToken parsed = BearerToken.parse(issued.bearer().reveal()).orElseThrow();

        assertThat(parsed.fleet()).isEqualTo("web-servers");
        assertThat(parsed.tokenId()).isEqualTo(issued.token().tokenId()).matches("[a-z2-7]{12}");
        assertThat(parsed.secret().matches(issued.token().secretHash())).isTrue();
        assertThat(issuer.issue("web-servers", 1, Duration.ofHours(1), List.of(), null, NOW)
                        .bearer()
                        .secret()
                        .matches(issued.token().secretHash()))
                .isFalse();
        assertThat(issued.token().expiresAt()).isEqualTo(NOW.plus(Duration.ofHours(24)));
        assertThat(issued.token().uses()).isZero();
        assertThat(issued.token().maxUses()).isEqualTo(5);
    }

    @Test
    void theSecretHasAtLeast128BitsAndIsNeverPrinted() {
        TokenIssuer.Issued issued = issuer.issue("default", 1, Duration.ofHours(1), List.of(), null, NOW);
        String secret =
                issued.bearer().reveal().substring(issued.bearer().reveal().lastIndexOf('.') + 1);

        assertThat(secret.length() * 6).isGreaterThanOrEqualTo(256);
        assertThat(issued.bearer().toString()).doesNotContain(secret);
        assertThat(issued.bearer().secret().toString()).doesNotContain(secret);
        assertThat(issued.token().toString()).doesNotContain(secret);
    }

    @Test
    void malformedTokensDoNotParse() {
        String good = issuer.issue("default", 1, Duration.ofHours(1), List.of(), null, NOW)
                .bearer()
                .reveal();
        assertThat(BearerToken.parse(good)).isPresent();
        assertThat(BearerToken.parse(null)).isEmpty();
        assertThat(BearerToken.parse("")).isEmpty();
        assertThat(BearerToken.parse(good.replace("hob_", "xyz_"))).isEmpty();
        assertThat(BearerToken.parse(good + "x")).isEmpty();
        assertThat(BearerToken.parse(good.substring(0, good.length() - 1))).isEmpty();
        assertThat(BearerToken.parse(good.replace("default", "Default"))).isEmpty();
        assertThat(BearerToken.parse(good + ".extra")).isEmpty();
    }

    @Test
    void issuingChecksThePolicy() {
        assertThatThrownBy(() -> issuer.issue("default", 0, Duration.ofHours(1), List.of(), null, NOW))
                .hasMessageContaining("uses");
        assertThatThrownBy(() -> issuer.issue("default", 1, Duration.ZERO, List.of(), null, NOW))
                .hasMessageContaining("lifetime");
        assertThatThrownBy(() -> issuer.issue("default", 1, Duration.ofDays(366), List.of(), null, NOW))
                .hasMessageContaining("lifetime");
        assertThatThrownBy(() -> issuer.issue("Bad_Fleet", 1, Duration.ofHours(1), List.of(), null, NOW))
                .hasMessageContaining("fleet name");
        assertThatThrownBy(() -> issuer.issue("default", 1, Duration.ofHours(1), List.of("10.0.0.1"), null, NOW))
                .hasMessageContaining("not a CIDR block");
        assertThatThrownBy(() -> issuer.issue("default", 1, Duration.ofHours(1), List.of("300.0.0.0/8"), null, NOW))
                .hasMessageContaining("not a valid CIDR");
    }

    @Test
    void sourceCidrsAreNormalisedAndMatchIpv4AndIpv6() {
        List<String> cidrs = SourceCidrs.normalise(List.of("10.1.2.3/8", "2001:db8::/32"));

        assertThat(cidrs).containsExactly("10.0.0.0/8", "2001:db8::/32");
        assertThat(SourceCidrs.allows(cidrs, "10.200.0.1")).isTrue();
        assertThat(SourceCidrs.allows(cidrs, "11.0.0.1")).isFalse();
        assertThat(SourceCidrs.allows(cidrs, "2001:db8:1::7")).isTrue();
        assertThat(SourceCidrs.allows(cidrs, "2001:db9::7")).isFalse();
        assertThat(SourceCidrs.allows(cidrs, "not-an-ip")).isFalse();
        assertThat(SourceCidrs.allows(List.of(), "198.51.100.1")).isTrue();
    }

    @Test
    void rejectionReasonsAreDistinguishedForTheLogOnly() {
        TokenIssuer.Issued issued = issuer.issue("default", 1, Duration.ofHours(1), List.of(), null, NOW);
        EnrollmentToken token = issued.token();

        assertThat(token.rejection(issued.bearer(), NOW)).isEmpty();
        assertThat(token.rejection(issued.bearer(), NOW.plus(Duration.ofHours(1))))
                .contains(TokenRejection.EXPIRED);
        BearerToken otherFleet =
                new BearerToken("other", token.tokenId(), issued.bearer().secret());
        assertThat(token.rejection(otherFleet, NOW)).contains(TokenRejection.FLEET_MISMATCH);
        BearerToken wrongSecret = new BearerToken("default", token.tokenId(), TokenSecret.generate(new SecureRandom()));
        assertThat(token.rejection(wrongSecret, NOW)).contains(TokenRejection.WRONG_SECRET);
    }
}
