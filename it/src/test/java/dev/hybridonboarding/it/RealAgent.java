package dev.hybridonboarding.it;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The real amazon-ssm-agent 3.3 against the emulator, run as root in private namespaces so that it touches nothing of
 * this machine: a mount namespace binds scratch directories over /var/lib, /var/log and /root (where it keeps its
 * state, logs and shared credentials), a UTS namespace gives it the machine's hostname, and a PID namespace holds
 * every process it starts. {@code unshare --kill-child} ends that namespace, and so every one of those processes,
 * when this JVM kills the unshare process, even if a test failed.
 */
final class RealAgent implements MachineAgent {

    static final String BINARIES_VARIABLE = "SSM_AGENT_BIN";
    private static final String AGENT = "amazon-ssm-agent";
    private static final String WORKER = "ssm-agent-worker";
    private static final Set<RealAgent> RUNNING = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> RUNNING.forEach(RealAgent::close)));
    }

    private final LocalStack stack;
    private final Path scratch;
    private final String hostname;
    private final Path agentDir;
    private Process service;

    RealAgent(LocalStack stack, Path scratch, String hostname) {
        this.stack = stack;
        this.scratch = scratch;
        this.hostname = hostname;
        this.agentDir = scratch.resolve("agent");
        Path binaries =
                binaries(stack.projectRoot).orElseThrow(() -> new IllegalStateException("no real SSM Agent here"));
        try {
            for (String directory : List.of("agent/configuration", "varlib", "varlog", "home")) {
                Files.createDirectories(scratch.resolve(directory));
            }
            for (String binary : List.of(AGENT, WORKER, "ssm-session-worker")) {
                Path copy = agentDir.resolve(binary);
                Files.copy(binaries.resolve(binary), copy, StandardCopyOption.REPLACE_EXISTING);
                copy.toFile().setExecutable(true);
            }
            // The agent takes its SSM endpoint from this file only; it finds it beside its binary.
            Files.writeString(
                    agentDir.resolve("configuration/amazon-ssm-agent.json"),
                    "{\"Ssm\": {\"Endpoint\": \"" + stack.endpoint + "\"}}");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The directory of the real agent's binaries, as bin/test finds it: $SSM_AGENT_BIN (the directory, or the
     * amazon-ssm-agent in it), else ../shared/tools/amazon-ssm-agent/linux_amd64 beside the project, else none. An
     * SSM_AGENT_BIN that names no agent fails loudly rather than leaving the real agent out unnoticed.
     */
    static Optional<Path> binaries(Path projectRoot) {
        String configured = System.getenv(BINARIES_VARIABLE);
        boolean named = configured != null && !configured.isBlank();
        Path directory = named
                ? Path.of(configured)
                : projectRoot
                        .resolve("../shared/tools/amazon-ssm-agent/linux_amd64")
                        .normalize();
        if (Files.isRegularFile(directory)) {
            directory = directory.getParent();
        }
        if (Files.isExecutable(directory.resolve(AGENT)) && Files.isExecutable(directory.resolve(WORKER))) {
            return Optional.of(directory);
        }
        if (named) {
            throw new IllegalStateException(
                    BINARIES_VARIABLE + "=" + configured + " holds no " + AGENT + " and " + WORKER);
        }
        return Optional.empty();
    }

    @Override
    public Registration register(String activationId, String activationCode) {
        Process process = start(
                List.of("-register", "-code", activationCode, "-id", activationId, "-region", stack.region, "-y"),
                ProcessBuilder.Redirect.PIPE);
        try {
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("the real agent did not finish registering");
            }
            Path registration = scratch.resolve("varlib/amazon/ssm/registration");
            return new Registration(
                    process.exitValue(), output, Files.exists(registration) ? Files.readString(registration) : "");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } finally {
            process.destroyForcibly();
        }
    }

    @Override
    public void startService() {
        if (service != null) {
            throw new IllegalStateException("the service is already running");
        }
        service = start(
                List.of(),
                ProcessBuilder.Redirect.appendTo(scratch.resolve("service.out").toFile()));
        RUNNING.add(this);
    }

    /** The agent and its workers still alive, seen from this JVM's PID namespace. */
    @Override
    public List<ProcessHandle> processes() {
        String binaries = agentDir.toString() + "/";
        return ProcessHandle.allProcesses()
                .filter(process -> process.info()
                        .command()
                        .map(command -> command.startsWith(binaries))
                        .orElse(false))
                .toList();
    }

    @Override
    public void close() {
        if (service != null) {
            // SIGKILL: unshare ignores SIGTERM while it waits, and --kill-child then takes the whole namespace down.
            service.destroyForcibly();
            try {
                service.waitFor(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            RUNNING.remove(this);
        }
        processes().forEach(ProcessHandle::destroyForcibly);
    }

    @Override
    public String logs() {
        StringBuilder logs = new StringBuilder();
        for (Path file :
                List.of(scratch.resolve("service.out"), scratch.resolve("varlog/amazon/ssm/amazon-ssm-agent.log"))) {
            try {
                if (Files.exists(file)) {
                    logs.append("== ").append(file).append('\n').append(Files.readString(file));
                }
            } catch (IOException e) {
                logs.append("== ").append(file).append(": ").append(e).append('\n');
            }
        }
        return logs.toString();
    }

    private Process start(List<String> arguments, ProcessBuilder.Redirect output) {
        String script = "hostname \"$1\" && mount --bind \"$2/varlib\" /var/lib && mount --bind \"$2/varlog\" /var/log"
                + " && mount --bind \"$2/home\" /root && shift 2 && exec \"$@\"";
        List<String> command = new ArrayList<>(List.of(
                "unshare",
                "--mount",
                "--uts",
                "--pid",
                "--fork",
                "--kill-child",
                "--mount-proc",
                "sh",
                "-c",
                script,
                "sh",
                hostname,
                scratch.toString(),
                agentDir.resolve(AGENT).toString()));
        command.addAll(arguments);
        ProcessBuilder agent = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(output)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        agent.environment().put("HOME", "/root");
        try {
            return agent.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
