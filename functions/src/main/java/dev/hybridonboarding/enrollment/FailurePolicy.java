package dev.hybridonboarding.enrollment;

import inet.ipaddr.IPAddress;
import inet.ipaddr.IPAddressString;
import inet.ipaddr.ipv6.IPv6Address;
import java.time.Duration;
import java.time.Instant;

/**
 * How many failed attempts a source address and a token id may make per fixed window before they are told
 * to slow down. Both limits apply only to attempts that fail: a request with a valid token always goes
 * through, so someone who does not know the secret cannot lock its holder out, whether they guess at the
 * token id or share the holder's address (a site's NAT).
 */
public record FailurePolicy(Duration window, int sourceLimit, int tokenLimit) {

    public static final FailurePolicy DEFAULT = new FailurePolicy(Duration.ofMinutes(5), 20, 5);

    public FailurePolicy {
        if (window.toSeconds() < 1 || sourceLimit < 1 || tokenLimit < 1) {
            throw new IllegalArgumentException("failure window and limits must be positive");
        }
    }

    /**
     * Where failures are counted: the address, or for IPv6 its /64, since one host holds a whole /64 and could
     * otherwise spread its failures over as many addresses as it likes.
     */
    public static String failureSource(String sourceIp) {
        if (sourceIp == null || sourceIp.indexOf(':') < 0) {
            return String.valueOf(sourceIp);
        }
        IPAddress address = new IPAddressString(sourceIp).getAddress();
        if (address == null) {
            return sourceIp;
        }
        if (address instanceof IPv6Address v6 && v6.isIPv4Mapped()) {
            return v6.getEmbeddedIPv4Address().toCanonicalString();
        }
        return address.toPrefixBlock(64).toCanonicalString();
    }

    public Instant windowStart(Instant now) {
        long seconds = window.toSeconds();
        return Instant.ofEpochSecond(Math.floorDiv(now.getEpochSecond(), seconds) * seconds);
    }

    public Instant windowEnd(Instant now) {
        return windowStart(now).plus(window);
    }

    public Duration retryAfter(Instant now) {
        Duration left = Duration.between(now, windowEnd(now));
        return left.isZero() || left.isNegative() ? Duration.ofSeconds(1) : left;
    }
}
