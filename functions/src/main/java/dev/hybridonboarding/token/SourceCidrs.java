package dev.hybridonboarding.token;

import inet.ipaddr.AddressStringException;
import inet.ipaddr.IPAddress;
import inet.ipaddr.IPAddressString;
import java.util.ArrayList;
import java.util.List;

/** The networks a token may be used from. An empty list allows every source. */
public final class SourceCidrs {

    public static final int MAX_CIDRS = 20;

    private SourceCidrs() {}

    /** Validates and normalises CIDR blocks ({@code 10.1.2.3/8} becomes {@code 10.0.0.0/8}). */
    public static List<String> normalise(List<String> cidrs) {
        if (cidrs.size() > MAX_CIDRS) {
            throw new IllegalArgumentException("at most " + MAX_CIDRS + " source CIDRs are allowed");
        }
        List<String> blocks = new ArrayList<>();
        for (String cidr : cidrs) {
            blocks.add(parseBlock(cidr).toCanonicalString());
        }
        return List.copyOf(blocks);
    }

    public static boolean allows(List<String> cidrs, String sourceIp) {
        if (cidrs.isEmpty()) {
            return true;
        }
        IPAddress source = new IPAddressString(sourceIp).getAddress();
        if (source == null) {
            return false;
        }
        for (String cidr : cidrs) {
            if (parseBlock(cidr).contains(source)) {
                return true;
            }
        }
        return false;
    }

    private static IPAddress parseBlock(String cidr) {
        try {
            IPAddressString text = new IPAddressString(cidr.trim());
            if (!text.isValid()) {
                throw new IllegalArgumentException("'" + cidr + "' is not a valid CIDR block");
            }
            if (!text.isPrefixed()) {
                throw new IllegalArgumentException(
                        "'" + cidr + "' is not a CIDR block (write it as address/prefix, e.g. 10.0.0.0/8)");
            }
            return text.toAddress().toPrefixBlock();
        } catch (AddressStringException e) {
            throw new IllegalArgumentException("'" + cidr + "' is not a valid CIDR block", e);
        }
    }
}
