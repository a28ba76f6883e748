package dev.hybridonboarding.fleet;

import java.util.regex.Pattern;

/** Fleet names are DNS-label-like so they read well in tokens, tags and CLI tables. */
public final class FleetName {

    private static final Pattern NAME = Pattern.compile("[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?");

    private FleetName() {}

    public static boolean isValid(String name) {
        return name != null && NAME.matcher(name).matches();
    }

    public static String require(String name) {
        if (!isValid(name)) {
            throw new IllegalArgumentException("fleet name must be 1-32 lowercase letters, digits or '-', "
                    + "starting and ending with a letter or digit: '" + name + "'");
        }
        return name;
    }
}
