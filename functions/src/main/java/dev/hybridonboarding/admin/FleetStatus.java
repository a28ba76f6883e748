package dev.hybridonboarding.admin;

import dev.hybridonboarding.fleet.Fleet;
import dev.hybridonboarding.fleet.FleetMode;
import dev.hybridonboarding.rotation.ActivationRecord;
import dev.hybridonboarding.rotation.SharedActivation;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Per fleet: its current shared activation and how full it is, the activations still open, and how many
 * machines registered through the fleet, ever.
 */
public final class FleetStatus {

    /** One fleet's line of {@code hob status}. */
    public record Line(
            Fleet fleet,
            boolean fromTemplate,
            Optional<SharedActivation> current,
            int used,
            int limit,
            int liveActivations,
            int registeredMachines) {}

    private final AdminStore store;
    private final FleetAdmin fleets;
    private final ActivationInventory inventory;
    private final Clock clock;

    public FleetStatus(AdminStore store, FleetAdmin fleets, ActivationInventory inventory, Clock clock) {
        this.store = store;
        this.fleets = fleets;
        this.inventory = inventory;
        this.clock = clock;
    }

    public List<Line> report(Optional<String> fleet) {
        List<FleetAdmin.FleetView> views = fleet.isPresent() ? List.of(fleets.show(fleet.get())) : fleets.list();
        Instant now = clock.instant();
        List<Line> lines = new ArrayList<>();
        for (FleetAdmin.FleetView view : views) {
            Fleet f = view.fleet();
            List<String> live = store.activations(f.name(), now).stream()
                    .map(ActivationRecord::activationId)
                    .toList();
            Map<String, ActivationInventory.ActivationState> states = inventory.activations(live);
            int machines = inventory.registeredMachines(f.name());
            Optional<SharedActivation> shared =
                    f.mode() == FleetMode.SHARED ? store.sharedActivation(f.name()) : Optional.empty();
            int used;
            int limit;
            if (shared.isPresent()) {
                ActivationInventory.ActivationState state =
                        states.get(shared.get().activationId());
                used = Math.max(shared.get().handedOut(), state == null ? 0 : state.registrationsCount());
                limit = shared.get().registrationLimit();
            } else {
                used = states.values().stream()
                        .mapToInt(ActivationInventory.ActivationState::registrationsCount)
                        .sum();
                limit = states.values().stream()
                        .mapToInt(ActivationInventory.ActivationState::registrationLimit)
                        .sum();
            }
            lines.add(new Line(f, view.fromTemplate(), shared, used, limit, states.size(), machines));
        }
        return lines;
    }
}
