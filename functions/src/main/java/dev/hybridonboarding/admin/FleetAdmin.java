package dev.hybridonboarding.admin;

import dev.hybridonboarding.fleet.Fleet;
import dev.hybridonboarding.fleet.FleetMode;
import dev.hybridonboarding.fleet.FleetName;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * Fleets as an administrator sees them: the stored ones, plus the template's default fleet until it is
 * changed through the CLI, which stores it and so makes the stored copy take precedence.
 */
public final class FleetAdmin {

    /** A fleet and where its settings come from. */
    public record FleetView(Fleet fleet, boolean fromTemplate) {}

    private final AdminStore store;
    private final Fleet templateFleet;
    private final String instanceRolePath;
    private final Clock clock;

    /**
     * @param instanceRolePath besides the template's own instance role, the enrollment function may pass only roles
     *                         under this IAM path, given as path and name ({@code hybrid-onboarding/<stack>/<name>})
     *                           roles so named to SSM (the stack's output)
     */
    public FleetAdmin(AdminStore store, Fleet templateFleet, String instanceRolePath, Clock clock) {
        this.store = store;
        this.templateFleet = templateFleet;
        this.instanceRolePath = instanceRolePath;
        this.clock = clock;
    }

    public List<FleetView> list() {
        List<FleetView> views = new ArrayList<>();
        store.storedFleets().forEach(fleet -> views.add(new FleetView(fleet, false)));
        if (views.stream().noneMatch(view -> view.fleet().name().equals(templateFleet.name()))) {
            views.add(new FleetView(templateFleet, true));
        }
        views.sort(Comparator.comparing(view -> view.fleet().name()));
        return views;
    }

    public Optional<FleetView> find(String name) {
        Optional<Fleet> stored = store.storedFleet(name);
        if (stored.isPresent()) {
            return Optional.of(new FleetView(stored.get(), false));
        }
        return name.equals(templateFleet.name()) ? Optional.of(new FleetView(templateFleet, true)) : Optional.empty();
    }

    public FleetView show(String name) {
        return find(FleetName.require(name))
                .orElseThrow(() -> new IllegalArgumentException("fleet '" + name + "' does not exist"));
    }

    /** Creates a fleet; the instance role defaults to the one the template created. */
    public Fleet create(String name, FleetMode mode, UnaryOperator<Fleet> settings) {
        if (find(FleetName.require(name)).isPresent()) {
            throw new IllegalArgumentException("fleet '" + name + "' already exists; change it with 'fleet update'");
        }
        Fleet fleet = requirePassableRole(settings.apply(Fleet.withDefaults(name, mode, templateFleet.instanceRole()))
                .withVersion(1));
        try {
            store.putFleet(fleet, 0, clock.instant());
        } catch (AdminStore.ConcurrentChangeException raced) {
            throw new IllegalArgumentException(
                    "fleet '" + name + "' was created meanwhile; change it with 'fleet update'");
        }
        return fleet;
    }

    /** Applies a change to a fleet; two administrators changing one fleet at once cannot overwrite each other. */
    public Fleet update(String name, UnaryOperator<Fleet> change) {
        FleetView current = show(name);
        long expected = current.fromTemplate() ? 0 : current.fleet().version();
        Fleet changed = requirePassableRole(change.apply(current.fleet()).withVersion(expected + 1));
        store.putFleet(changed, expected, clock.instant());
        return changed;
    }

    /** A role the enrollment function may not pass would fail every machine of the fleet at first boot. */
    private Fleet requirePassableRole(Fleet fleet) {
        String role = fleet.instanceRole();
        boolean underThePath = role.startsWith(instanceRolePath) && role.length() > instanceRolePath.length();
        if (!role.equals(templateFleet.instanceRole()) && !underThePath) {
            throw new IllegalArgumentException("the enrollment function may only hand SSM the stack's instance role ("
                    + templateFleet.instanceRole() + ") or roles under the IAM path /" + instanceRolePath
                    + "; create the role with"
                    + " --path /" + instanceRolePath
                    + " (trusting ssm.amazonaws.com, with AmazonSSMManagedInstanceCore) and give it as "
                    + instanceRolePath + "<name>");
        }
        return fleet;
    }
}
