package dev.hybridonboarding.admin;

import dev.hybridonboarding.token.BearerToken;
import dev.hybridonboarding.token.EnrollmentToken;
import dev.hybridonboarding.token.TokenIssuer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/** Creating, listing and revoking enrollment tokens. */
public final class TokenAdmin {

    private final AdminStore store;
    private final FleetAdmin fleets;
    private final TokenIssuer issuer;
    private final Clock clock;

    public TokenAdmin(AdminStore store, FleetAdmin fleets, TokenIssuer issuer, Clock clock) {
        this.store = store;
        this.fleets = fleets;
        this.issuer = issuer;
        this.clock = clock;
    }

    /** Creates a token; its full string is in the result and nowhere else, ever. */
    public TokenIssuer.Issued create(
            String fleet, int maxUses, Duration lifetime, List<String> sourceCidrs, String description) {
        fleets.show(fleet);
        TokenIssuer.Issued issued = issuer.issue(fleet, maxUses, lifetime, sourceCidrs, description, clock.instant());
        store.putToken(issued.token());
        return issued;
    }

    public List<EnrollmentToken> list(Optional<String> fleet) {
        List<EnrollmentToken> tokens = new ArrayList<>();
        if (fleet.isPresent()) {
            tokens.addAll(store.tokens(fleets.show(fleet.get()).fleet().name()));
        } else {
            fleets.list()
                    .forEach(view -> tokens.addAll(store.tokens(view.fleet().name())));
        }
        tokens.sort(Comparator.comparing(EnrollmentToken::createdAt).reversed());
        return tokens;
    }

    public void revoke(String tokenId) {
        if (!BearerToken.isTokenId(tokenId) || !store.revokeToken(tokenId, clock.instant())) {
            throw new IllegalArgumentException("no enrollment token with id '" + tokenId + "'");
        }
    }
}
