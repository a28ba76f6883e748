package dev.hybridonboarding.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;

/** Strict JSON decoding of request bodies: exactly one object, no duplicate keys, nothing after it. */
public final class JsonBodies {

    private static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();
    private static final JSON READER = JSON.builder(FACTORY).build();

    private JsonBodies() {}

    /** The decoded object, or empty when the bytes are not exactly one JSON object. */
    public static Optional<Map<String, Object>> object(byte[] body) {
        try (JsonParser parser = FACTORY.createParser(body)) {
            Object value = READER.anyFrom(parser);
            if (!(value instanceof Map<?, ?> map) || parser.nextToken() != null) {
                return Optional.empty();
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> object = (Map<String, Object>) map;
            return Optional.of(object);
        } catch (IOException | RuntimeException malformed) {
            return Optional.empty();
        }
    }
}
