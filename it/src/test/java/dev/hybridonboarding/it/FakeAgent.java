package dev.hybridonboarding.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A machine's SSM agent: local/fake-ssm-agent, with the real agent's flags, against the emulator. */
final class FakeAgent {

    /** How the agent's registration went: its exit code, what it printed, and the registration file it wrote. */
    record Registration(int exitCode, String output, String registrationFile) {
        boolean succeeded() {
            return exitCode == 0;
        }

        String instanceId() {
            int start = registrationFile.indexOf("mi-");
            return start < 0 ? null : registrationFile.substring(start, registrationFile.indexOf('"', start));
        }
    }

    private final LocalStack stack;
    private final Path stateDir;
    private final String hostname;

    FakeAgent(LocalStack stack, Path stateDir, String hostname) {
        this.stack = stack;
        this.stateDir = stateDir;
        this.hostname = hostname;
    }

    Registration register(String activationId, String activationCode) {
        ProcessBuilder agent = new ProcessBuilder(List.of(
                stack.projectRoot.resolve("local/fake-ssm-agent").toString(),
                "-register", "-code", activationCode, "-id", activationId, "-region", stack.region, "-y"))
                .redirectErrorStream(true);
        agent.environment().put("AWS_ENDPOINT_URL", stack.endpoint.toString());
        agent.environment().put("FAKE_SSM_AGENT_DIR", stateDir.toString());
        agent.environment().put("FAKE_SSM_AGENT_HOSTNAME", hostname);
        try {
            Process process = agent.start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("the fake agent did not finish");
            }
            Path registration = stateDir.resolve("registration");
            return new Registration(process.exitValue(), output,
                    Files.exists(registration) ? Files.readString(registration) : "");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
