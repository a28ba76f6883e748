package dev.hybridonboarding.token;

/** Why a presented enrollment token does not authenticate. Only ever logged: the machine hears one answer for all. */
public enum TokenRejection {
    /** Not of the form hob_fleet.id.secret. */
    MALFORMED("malformed-token"),
    /** No token has this id. */
    UNKNOWN("unknown-token"),
    WRONG_SECRET("wrong-secret"),
    /** The token belongs to another fleet than the one it was presented for. */
    FLEET_MISMATCH("fleet-mismatch"),
    /** The right secret, from outside the networks the token may be used from. */
    SOURCE_NOT_ALLOWED("source-not-allowed"),
    REVOKED("revoked"),
    EXPIRED("expired"),
    /** Revoked or expired between the read and the commit. */
    INVALIDATED_MEANWHILE("token-invalidated-meanwhile");

    private final String logged;

    TokenRejection(String logged) {
        this.logged = logged;
    }

    @Override
    public String toString() {
        return logged;
    }
}
