package dev.hybridonboarding.it;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import software.amazon.awssdk.services.ssm.model.InstanceInformation;
import software.amazon.awssdk.services.ssm.model.InstanceInformationFilterKey;

/**
 * A machine's SSM agent against the local stack: it registers with an activation, and its service then takes the
 * instance's role token and pings SSM. The fake agent is always there; the real one where its binaries are.
 */
interface MachineAgent extends AutoCloseable {

    /** Generous: the real agent reports the machine within seconds of starting, but this machine may be loaded. */
    Duration REPORT_BOUND = Duration.ofSeconds(120);

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

    /** The agents a test can register machines with here. */
    enum Kind {
        FAKE,
        REAL;

        MachineAgent create(LocalStack stack, Path stateDir, String hostname) {
            return this == FAKE ? new FakeAgent(stack, stateDir, hostname) : new RealAgent(stack, stateDir, hostname);
        }

        /** The fake agent, and the real one where its binaries are (bin/test says in one line when they are not). */
        static Stream<Kind> available() {
            Optional<Path> real = RealAgent.binaries(LocalStack.get().projectRoot);
            return real.isPresent() ? Stream.of(FAKE, REAL) : Stream.of(FAKE);
        }
    }

    /** {@code amazon-ssm-agent -register -code … -id … -region … -y}: registers and makes no other call. */
    Registration register(String activationId, String activationCode);

    /** Starts the agent's service, which takes the role token and pings; returns once it is started. */
    void startService();

    /** Stops the service and every process it started. */
    @Override
    void close();

    /** The agent's processes still alive: none once it is closed. */
    List<ProcessHandle> processes();

    /** What the agent's service printed and logged, to explain a failure. */
    String logs();

    /**
     * What SSM shows of the instance once the agent's service reported the machine; fails after {@link #REPORT_BOUND}.
     * The service's first UpdateInstanceInformation carries only the agent and the platform type: the computer name,
     * address and platform name come with the second, right after it.
     */
    default InstanceInformation awaitReport(LocalStack stack, String instanceId) {
        Instant deadline = Instant.now().plus(REPORT_BOUND);
        while (true) {
            Optional<InstanceInformation> instance = describe(stack, instanceId);
            if (instance.map(found -> found.computerName() != null).orElse(false)) {
                return instance.get();
            }
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError(
                        "no report from " + instanceId + " within " + REPORT_BOUND + ": " + instance + "\n" + logs());
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    static Optional<InstanceInformation> describe(LocalStack stack, String instanceId) {
        return stack
                .ssm
                .describeInstanceInformationPaginator(request -> request.instanceInformationFilterList(filter ->
                        filter.key(InstanceInformationFilterKey.INSTANCE_IDS).valueSet(instanceId)))
                .instanceInformationList()
                .stream()
                .findFirst();
    }
}
