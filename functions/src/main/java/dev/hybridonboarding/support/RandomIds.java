package dev.hybridonboarding.support;

import java.security.SecureRandom;

/** Random public identifiers in lowercase base32: easy to read aloud, safe in keys, tags and URLs. */
public final class RandomIds {

    private static final char[] ALPHABET = "abcdefghijklmnopqrstuvwxyz234567".toCharArray();

    private RandomIds() {}

    public static String base32(SecureRandom random, int length) {
        char[] id = new char[length];
        for (int i = 0; i < length; i++) {
            id[i] = ALPHABET[random.nextInt(ALPHABET.length)];
        }
        return new String(id);
    }
}
