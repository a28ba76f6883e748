package dev.hybridonboarding.it;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every activation code and token the tests saw, so that they can prove none of them reached a function's log.
 * A failure names the log and the line number, never the secret.
 */
final class Secrets {

    private static final Set<String> SEEN = ConcurrentHashMap.newKeySet();

    private Secrets() {}

    static void remember(String secret) {
        if (secret != null && !secret.isEmpty()) {
            SEEN.add(secret);
            String tokenSecret = secret.startsWith("hob_") ? secret.substring(secret.lastIndexOf('.') + 1) : null;
            if (tokenSecret != null) {
                SEEN.add(tokenSecret);
            }
        }
    }

    static void assertNoneLogged(List<String> logFiles) {
        for (String file : logFiles) {
            List<String> lines;
            try {
                lines = Files.readAllLines(Path.of(file));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i);
                for (String secret : SEEN) {
                    if (line.contains(secret)) {
                        fail("a secret (activation code or token) appears in " + file + " at line " + (i + 1));
                    }
                }
            }
        }
    }
}
