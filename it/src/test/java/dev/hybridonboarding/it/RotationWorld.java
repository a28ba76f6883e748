package dev.hybridonboarding.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hybridonboarding.activation.ActivationOwner;
import dev.hybridonboarding.activation.Handout;
import dev.hybridonboarding.activation.InstanceTags;
import dev.hybridonboarding.aws.DynamoRotationStore;
import dev.hybridonboarding.aws.KmsCodeVault;
import dev.hybridonboarding.fleet.FleetMode;
import dev.hybridonboarding.rotation.ActivationRecord;
import dev.hybridonboarding.rotation.SharedActivation;
import dev.hybridonboarding.support.DependencyUnavailableException;
import dev.hybridonboarding.token.TokenIssuer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import software.amazon.awssdk.services.scheduler.SchedulerClient;
import software.amazon.awssdk.services.scheduler.model.GetScheduleResponse;
import software.amazon.awssdk.services.ssm.model.Activation;
import software.amazon.awssdk.services.ssm.model.Tag;

/**
 * What the rotation tests drive and inspect on the local stack: the template's own schedule, the emulator clock, and
 * the state SSM and the table are left in, held against the invariants a fleet's machines live by.
 */
final class RotationWorld {

    static final String FUNCTION = "RotationFunction";
    /** Tokens outlive every move of the clock the tests make: the functions run on the emulator clock. */
    static final Duration TOKEN_LIFETIME = Duration.ofDays(120);
    /** Ticks a test waits through while AWS calls time out on a loaded machine, as the schedule would. */
    private static final int TICKS_WHILE_AWS_UNAVAILABLE = 5;

    private static final Pattern RATE = Pattern.compile("rate\\((\\d+) (minute|minutes|hour|hours)\\)");

    final LocalStack stack;
    final Api api;
    final DynamoRotationStore records;
    final ActivationOwner owner;
    final Duration gracePeriod;
    final Duration interval;
    private final KmsCodeVault vault;
    private final String scheduleName;

    RotationWorld(LocalStack stack) {
        this.stack = stack;
        this.api = new Api(stack);
        this.records = new DynamoRotationStore(stack.dynamo, stack.table);
        this.owner = new ActivationOwner(stack.output("StackId"));
        this.vault = new KmsCodeVault(stack.clients::kms, stack.output("CodeKeyId"));
        this.gracePeriod = Duration.parse(
                String.valueOf(stack.outputJson("RotationSettings").get("REPLACED_ACTIVATION_GRACE_PERIOD")));
        GetScheduleResponse schedule = theRotationSchedule();
        this.scheduleName = schedule.name();
        this.interval = RotationWorld.rate(schedule.scheduleExpression());
    }

    /** The schedule the template declares for the rotation function, as deployed. */
    GetScheduleResponse theRotationSchedule() {
        String functionName = stack.functionName(FUNCTION);
        try (SchedulerClient scheduler =
                stack.clients.configure(SchedulerClient.builder()).build()) {
            List<GetScheduleResponse> schedules = scheduler.listSchedulesPaginator(request -> {}).schedules().stream()
                    .map(summary -> scheduler.getSchedule(
                            request -> request.name(summary.name()).groupName(summary.groupName())))
                    .filter(found -> (found.target().arn() + ":").contains(":function:" + functionName + ":"))
                    .toList();
            assertThat(schedules).as("schedules of the rotation function").hasSize(1);
            return schedules.get(0);
        }
    }

    private static Duration rate(String expression) {
        Matcher matcher = RATE.matcher(expression);
        assertThat(matcher.matches()).as("a rate expression: " + expression).isTrue();
        long amount = Long.parseLong(matcher.group(1));
        return matcher.group(2).startsWith("minute") ? Duration.ofMinutes(amount) : Duration.ofHours(amount);
    }

    /** One tick of the template's schedule, delivered now: the rotation function's run, as the scheduler invokes it. */
    LocalStack.ControlAnswer tick() {
        return stack.controlCall("POST", "schedules/" + scheduleName + "/tick");
    }

    /**
     * A tick whose run dealt with the fleets: it ended well, or failed only on other fleets (which other tests may
     * have left with roles that no longer exist); either way the run saved its record.
     */
    void tickFor(String... fleets) {
        LocalStack.ControlAnswer answer = tick();
        // The schedule has no retry of its own: its next tick is the retry of a run that AWS did not let finish.
        for (int tick = 1; tick < TICKS_WHILE_AWS_UNAVAILABLE && awsWasUnavailable(answer); tick++) {
            answer = tick();
        }
        if (answer.status() != 200) {
            String failure = String.valueOf(answer.body().get("errorMessage"));
            assertThat(failure).as("the run failed: " + answer).startsWith("fleets not rotated:");
            for (String fleet : fleets) {
                assertThat(List.of(failure.substring("fleets not rotated:".length())
                                .split(",")))
                        .as(failure)
                        .noneMatch(failed -> failed.trim().equals(fleet));
            }
        }
    }

    private static boolean awsWasUnavailable(LocalStack.ControlAnswer answer) {
        return answer.status() != 200
                && DependencyUnavailableException.class
                        .getName()
                        .equals(answer.body().get("errorType"));
    }

    void moveClockAhead(Duration by) {
        stack.emulator("POST", "clock", Map.of("advanceSeconds", by.toSeconds()));
    }

    /** Moves the emulator clock, and so SSM and the functions, to the given time. */
    void moveClockTo(Instant at) {
        stack.emulator(
                "POST",
                "clock",
                Map.of("offsetSeconds", Duration.between(Instant.now(), at).toSeconds()));
    }

    Instant now() {
        return Instant.ofEpochMilli(
                (long) (((Number) stack.emulator("GET", "clock", null).get("now")).doubleValue() * 1000));
    }

    String sharedFleet(String prefix, int registrationLimit) {
        String fleet = LocalStack.uniqueFleet(prefix);
        stack.fleets.create(fleet, FleetMode.SHARED, f -> f.withRegistrationLimit(registrationLimit));
        return fleet;
    }

    String token(String fleet, int uses) {
        TokenIssuer.Issued issued = stack.tokens.create(fleet, uses, TOKEN_LIFETIME, List.of(), "rotation test");
        Secrets.remember(issued.bearer().reveal());
        return issued.bearer().reveal();
    }

    /** A new machine's enrollment, retried as a machine does: it is enrolled, for the first time. */
    ApiResponse enroll(String token, String hostname) {
        Api.Answers answers = api.enrollAsMachine(token, Api.body(hostname, "machine-" + hostname, null));
        assertThat(answers.enrolledAsANewMachine())
                .as(hostname + ": " + answers.all())
                .isTrue();
        return answers.last();
    }

    /**
     * A shared fleet that the next run must rotate while its activation still serves: 19 of 20 registrations handed
     * out, fewer than the template's 10 % left.
     */
    String fleetDueByRegistrations(String prefix) {
        String fleet = sharedFleet(prefix, 20);
        String token = token(fleet, 40);
        for (int machine = 1; machine <= 19; machine++) {
            enroll(token, fleet + "-" + machine);
        }
        return fleet;
    }

    SharedActivation current(String fleet) {
        return stack.store
                .sharedActivation(fleet)
                .orElseThrow(() -> new AssertionError("fleet " + fleet + " has no activation"));
    }

    Optional<Activation> inSsm(String activationId) {
        return stack
                .ssm
                .describeActivationsPaginator(request -> request.filters(
                        filter -> filter.filterKey("ActivationIds").filterValues(activationId)))
                .activationList()
                .stream()
                .findFirst();
    }

    /** The activations in SSM that this deployment created for the fleet. */
    Set<String> ourActivationsInSsm(String fleet) {
        return stack.ssm.describeActivationsPaginator(request -> {}).activationList().stream()
                .filter(activation -> fleet.equals(tag(activation, InstanceTags.FLEET)) && owner.owns(tags(activation)))
                .map(Activation::activationId)
                .collect(Collectors.toSet());
    }

    Set<String> liveRecords(String fleet) {
        return records.liveActivations(fleet).stream()
                .map(ActivationRecord::activationId)
                .collect(Collectors.toSet());
    }

    int createActivationsByTheEnrollmentFunction() {
        return stack.callsOf("EnrollmentFunction").getOrDefault("ssm.CreateActivation", 0);
    }

    /** The fleet can enroll a machine now: its current activation exists, serves, and its code is not lost. */
    void assertTheFleetCanEnroll(String fleet) {
        SharedActivation current = current(fleet);
        Instant now = now();
        assertThat(current.canHandOut(now, Handout.MARGIN))
                .as("fleet %s can hand out %s at %s", fleet, current.activationId(), now)
                .isTrue();
        Activation activation =
                inSsm(current.activationId()).orElseThrow(() -> new AssertionError("the current activation is gone"));
        assertThat(activation.expired()).as("the current activation expired").isFalse();
        assertThat(activation.registrationsCount()).as("registrations left").isLessThan(activation.registrationLimit());
        assertThat(vault.open(current.sealedCode(), fleet, current.activationId())
                        .reveal())
                .as("its code is not lost")
                .isNotBlank();
    }

    /** Everything of ours that SSM holds for the fleet is recorded: nothing was created twice, nothing left unknown. */
    void assertNothingUnrecorded(String fleet) {
        assertThat(ourActivationsInSsm(fleet))
                .as("activations of fleet %s in SSM against its live records", fleet)
                .isEqualTo(liveRecords(fleet));
    }

    private static Map<String, String> tags(Activation activation) {
        return activation.tags().stream().collect(Collectors.toMap(Tag::key, Tag::value, (a, b) -> b));
    }

    private static String tag(Activation activation, String key) {
        return tags(activation).get(key);
    }
}
