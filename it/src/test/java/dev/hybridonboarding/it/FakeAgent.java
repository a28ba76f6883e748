package dev.hybridonboarding.it;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** local/fake-ssm-agent, with the real agent's flags, against the emulator. */
final class FakeAgent implements MachineAgent {

    private final LocalStack stack;
    private final Path stateDir;
    private final String hostname;
    private Process service;

    FakeAgent(LocalStack stack, Path stateDir, String hostname) {
        this.stack = stack;
        this.stateDir = stateDir;
        this.hostname = hostname;
    }

    @Override
    public Registration register(String activationId, String activationCode) {
        Process process = start(
                List.of("-register", "-code", activationCode, "-id", activationId, "-region", stack.region, "-y"),
                ProcessBuilder.Redirect.PIPE);
        try {
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("the fake agent did not finish");
            }
            Path registration = stateDir.resolve("registration");
            return new Registration(
                    process.exitValue(), output, Files.exists(registration) ? Files.readString(registration) : "");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void startService() {
        if (service != null) {
            throw new IllegalStateException("the service is already running");
        }
        try {
            Files.createDirectories(stateDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        service = start(
                List.of(),
                ProcessBuilder.Redirect.appendTo(stateDir.resolve("service.log").toFile()));
    }

    @Override
    public void close() {
        if (service == null) {
            return;
        }
        service.destroy();
        try {
            if (!service.waitFor(30, TimeUnit.SECONDS)) {
                service.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            service.destroyForcibly();
        }
    }

    @Override
    public List<ProcessHandle> processes() {
        return service == null
                ? List.of()
                : Stream.concat(Stream.of(service.toHandle()), service.descendants())
                        .filter(ProcessHandle::isAlive)
                        .toList();
    }

    @Override
    public String logs() {
        Path log = stateDir.resolve("service.log");
        try {
            return Files.exists(log) ? "== " + log + "\n" + Files.readString(log) : "";
        } catch (IOException e) {
            return "== " + log + ": " + e;
        }
    }

    private Process start(List<String> arguments, ProcessBuilder.Redirect output) {
        List<String> command = new ArrayList<>(
                List.of(stack.projectRoot.resolve("local/fake-ssm-agent").toString()));
        command.addAll(arguments);
        ProcessBuilder agent = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(output)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        agent.environment().put("AWS_ENDPOINT_URL", stack.endpoint.toString());
        agent.environment().put("FAKE_SSM_AGENT_DIR", stateDir.toString());
        agent.environment().put("FAKE_SSM_AGENT_HOSTNAME", hostname);
        try {
            return agent.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
