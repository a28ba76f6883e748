package dev.hybridonboarding.rotation;

import dev.hybridonboarding.activation.ActivationOwner;
import dev.hybridonboarding.activation.ActivationRejectedException;
import dev.hybridonboarding.activation.Activations;
import dev.hybridonboarding.activation.SharedCodeVault;
import dev.hybridonboarding.fleet.Fleet;
import dev.hybridonboarding.fleet.FleetDefaults;
import dev.hybridonboarding.fleet.FleetMode;
import dev.hybridonboarding.log.StructuredLog;
import dev.hybridonboarding.notification.Notifier;
import dev.hybridonboarding.rotation.SharedActivationInstaller.Installation;
import dev.hybridonboarding.support.DependencyUnavailableException;
import dev.hybridonboarding.support.Pacer;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The scheduled half of the product: every enabled shared fleet keeps a usable activation ready ahead of demand, and
 * what is spent is deleted. A run can stop after any call; the next one converges, since each step is decided from
 * what SSM and the table say now, not from what an earlier run meant to do.
 */
public final class Rotation {

    /** Time kept back at the end of a run to record and report it. */
    static final Duration RESERVE = Duration.ofSeconds(20);

    /** The ports a run talks to the world through. */
    public record Ports(
            RotationStore store,
            SharedActivationStore sharedActivations,
            Activations activations,
            ActivationsInSsm listing,
            SharedCodeVault vault,
            Notifier notifier) {}

    /**
     * How this deployment rotates.
     *
     * @param templateFleet the default fleet the template declares, until a stored fleet of its name exists
     * @param ssmPace       SSM calls per second at most; SSM's limits are low and unpublished, and enrollments share them
     */
    public record Settings(Fleet templateFleet, ActivationOwner owner, RotationPolicy policy, double ssmPace) {

        public static final String STACK_ID = "STACK_ID";
        public static final String ROTATE_LIFE_LEFT_PERCENT = "ROTATE_WHEN_LIFE_LEFT_PERCENT";
        public static final String ROTATE_REGISTRATIONS_LEFT_PERCENT = "ROTATE_WHEN_REGISTRATIONS_LEFT_PERCENT";
        public static final String GRACE_PERIOD = "REPLACED_ACTIVATION_GRACE_PERIOD";
        public static final String SSM_CALLS_PER_SECOND = "SSM_CALLS_PER_SECOND";

        /**
         * The settings the template gives the rotation function (its environment), and the admin CLI (the stack's
         * outputs), under the names above and those of {@link FleetDefaults}.
         */
        public static Settings fromSettings(Map<String, String> settings) {
            RotationPolicy policy = new RotationPolicy(
                    percent(settings, ROTATE_LIFE_LEFT_PERCENT),
                    percent(settings, ROTATE_REGISTRATIONS_LEFT_PERCENT),
                    FleetDefaults.parseDuration(GRACE_PERIOD, required(settings, GRACE_PERIOD)),
                    RotationPolicy.ORPHAN_AGE);
            return new Settings(
                    FleetDefaults.fromSettings(settings),
                    new ActivationOwner(required(settings, STACK_ID)),
                    policy,
                    Double.parseDouble(required(settings, SSM_CALLS_PER_SECOND)));
        }

        private static double percent(Map<String, String> settings, String name) {
            return Integer.parseInt(required(settings, name)) / 100.0;
        }

        private static String required(Map<String, String> settings, String name) {
            String value = settings.get(name);
            if (value == null || value.isBlank()) {
                throw new IllegalStateException("setting " + name + " is missing");
            }
            return value.trim();
        }
    }

    private final Ports ports;
    private final Settings settings;
    private final Pacer pacer;
    private final FleetRotation fleetRotation;
    private final SharedActivationInstaller installer;
    private final Cleanup cleanup;
    private final RotationNotices notices;
    private final Clock clock;
    private final StructuredLog log;

    public Rotation(Ports ports, Settings settings, Pacer pacer, Clock clock, SecureRandom random, StructuredLog log) {
        this.ports = ports;
        this.settings = settings;
        this.pacer = pacer;
        Activations paced = new PacedActivations(ports.activations(), pacer);
        this.installer = new SharedActivationInstaller(
                ports.sharedActivations(), paced, ports.vault(), settings.owner(), clock, random, log);
        this.fleetRotation = new FleetRotation(ports.sharedActivations(), installer, settings.policy(), clock);
        this.cleanup = new Cleanup(
                ports.store(), ports.sharedActivations(), paced, settings.owner(), settings.policy(), clock, log);
        this.notices = new RotationNotices();
        this.clock = clock;
        this.log = log;
    }

    /** One scheduled run: rotate, clean up, record and report, starting no work it could not finish by {@code deadline}. */
    public RotationRun run(Instant deadline) {
        Instant started = clock.instant();
        Instant stopBy = deadline.minus(RESERVE);
        long callsBefore = pacer.calls();
        Instant listedAt = clock.instant();
        Map<String, ListedActivation> inSsm = new HashMap<>();
        ports.listing().all(pacer).forEach(activation -> inSsm.put(activation.activationId(), activation));
        List<Fleet> fleets = fleets();
        List<String> rotated = new ArrayList<>();
        Map<String, String> failed = new LinkedHashMap<>();
        int deferred = 0;
        for (Fleet fleet : fleets) {
            if (!fleet.enabled() || fleet.mode() != FleetMode.SHARED) {
                continue;
            }
            if (!clock.instant().isBefore(stopBy)) {
                deferred++;
                continue;
            }
            try {
                FleetRotation.Outcome outcome = fleetRotation.keepReady(fleet, inSsm, listedAt, deadline);
                if (outcome == FleetRotation.Outcome.ROTATED) {
                    rotated.add(fleet.name());
                } else if (outcome == FleetRotation.Outcome.DEFERRED) {
                    deferred++;
                }
            } catch (DependencyUnavailableException throttled) {
                log.warn("rotation.deferred", "fleet", fleet.name(), "cause", throttled.getMessage());
                deferred++;
            } catch (ActivationRejectedException rejected) {
                failed.put(fleet.name(), "Systems Manager refused the fleet's activation: " + rejected.getMessage());
            } catch (RuntimeException unexpected) {
                failed.put(fleet.name(), unexpected.getClass().getSimpleName() + ": " + unexpected.getMessage());
            }
        }
        Cleanup.Counts cleaned = cleanup.run(fleets, inSsm, listedAt, stopBy);
        RotationRun run = new RotationRun(
                started,
                Duration.between(started, clock.instant()),
                fleets.size(),
                rotated,
                failed,
                cleaned.deletedSpent(),
                cleaned.deletedReplaced(),
                cleaned.deletedOrphans(),
                cleaned.foreign(),
                deferred + cleaned.deferred(),
                pacer.calls() - callsBefore);
        report(run);
        return run;
    }

    /** Replaces one fleet's shared activation now, whatever its state: {@code hob fleet rotate}. */
    public Installation rotateNow(Fleet fleet) {
        if (fleet.mode() != FleetMode.SHARED) {
            throw new IllegalArgumentException(
                    "fleet '" + fleet.name() + "' is single-use: each machine gets an activation of its own");
        }
        Installation installation = installer.installNext(
                fleet,
                ports.sharedActivations().current(fleet.name()),
                clock.instant().plus(Duration.ofMinutes(1)));
        if (installation instanceof Installation.Installed installed) {
            log.info(
                    "rotation.rotated-now",
                    "fleet",
                    fleet.name(),
                    "activationId",
                    installed.activation().activationId());
        }
        return installation;
    }

    /** When a shared activation is due to be replaced by the schedule, going by its life. */
    public Instant rotatesAt(SharedActivation activation) {
        return fleetRotation.rotatesAt(activation);
    }

    public Optional<RotationRun> lastRun() {
        return ports.store().lastRun();
    }

    private List<Fleet> fleets() {
        List<Fleet> fleets = new ArrayList<>(ports.store().storedFleets());
        if (fleets.stream()
                .noneMatch(fleet -> fleet.name().equals(settings.templateFleet().name()))) {
            fleets.add(settings.templateFleet());
        }
        return fleets;
    }

    private void report(RotationRun run) {
        log.info(
                "rotation.run",
                "fleetsChecked",
                run.fleetsChecked(),
                "rotated",
                run.rotated().size(),
                "failed",
                run.failed().size(),
                "deletedSpent",
                run.deletedSpent(),
                "deletedReplaced",
                run.deletedReplaced(),
                "deletedOrphans",
                run.deletedOrphans(),
                "foreign",
                run.foreign(),
                "deferred",
                run.deferred(),
                "ssmCalls",
                run.ssmCalls(),
                "tookMs",
                run.took().toMillis());
        try {
            ports.store().saveRun(run);
        } catch (DependencyUnavailableException notSaved) {
            log.warn("rotation.run-not-saved", "cause", notSaved.getMessage());
        }
        notices.of(run).forEach(notice -> {
            try {
                ports.notifier().send(notice);
            } catch (RuntimeException notSent) {
                log.error("notification.not-sent", "kind", notice.kind().eventType(), "cause", notSent.getMessage());
            }
        });
    }
}
