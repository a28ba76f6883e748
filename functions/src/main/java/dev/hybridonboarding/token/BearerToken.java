package dev.hybridonboarding.token;

import dev.hybridonboarding.fleet.FleetName;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * An enrollment token as a machine presents it: {@code hob_<fleet>.<tokenId>.<secret>}.
 *
 * <p>The fleet is part of the token so that the token, its fleet and the fleet's shared activation are read in
 * one round trip; the stored token names its fleet too, and the two must agree. The {@code hob_} prefix lets
 * secret scanners recognise a leaked token.
 */
public record BearerToken(String fleet, String tokenId, TokenSecret secret) {

    public static final String PREFIX = "hob_";
    private static final Pattern TOKEN_ID = Pattern.compile("[a-z2-7]{12}");
    private static final Pattern SECRET = Pattern.compile("[A-Za-z0-9_-]{" + TokenSecret.encodedLength() + "}");

    public static Optional<BearerToken> parse(String presented) {
        if (presented == null || !presented.startsWith(PREFIX) || presented.length() > 200) {
            return Optional.empty();
        }
        String[] parts = presented.substring(PREFIX.length()).split("\\.", -1);
        if (parts.length != 3
                || !FleetName.isValid(parts[0])
                || !TOKEN_ID.matcher(parts[1]).matches()
                || !SECRET.matcher(parts[2]).matches()) {
            return Optional.empty();
        }
        return Optional.of(new BearerToken(parts[0], parts[1], TokenSecret.of(parts[2])));
    }

    public static boolean isTokenId(String candidate) {
        return candidate != null && TOKEN_ID.matcher(candidate).matches();
    }

    /** The full token string; shown once, when the token is created. */
    public String reveal() {
        return PREFIX + fleet + "." + tokenId + "." + secret.reveal();
    }

    @Override
    public String toString() {
        return "BearerToken[" + fleet + "." + tokenId + ", secret redacted]";
    }
}
