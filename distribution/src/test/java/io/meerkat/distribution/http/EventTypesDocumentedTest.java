package io.meerkat.distribution.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meerkat.runtime.api.InputId;
import io.meerkat.runtime.api.RunId;
import io.meerkat.runtime.api.RuntimeEvent;
import io.meerkat.runtime.api.RuntimeEventEnvelope;
import io.meerkat.runtime.api.SessionId;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The SSE event types of {@code GET /v1/sessions/{id}/events} and their fields, as README.md documents
 * them, are exactly those {@link Views#event} writes. The events are not listed by hand: one sample of
 * every kind of {@link RuntimeEvent} the runtime API can express (every permitted subtype of its sealed
 * types, every alternative of a sealed component such as a completed run's outcome) is written, so a new
 * event type the API gains fails this test until the writer names it and the README documents it.
 */
class EventTypesDocumentedTest {

    /** Fields every event has, documented once above the table. */
    private static final Set<String> ENVELOPE = Set.of("sessionId", "sequence", "timestamp", "type");
    private static final Pattern ROW = Pattern.compile("^\\| `([a-z_]+)` \\|([^|]*)\\|");
    private static final Pattern NAME = Pattern.compile("`([A-Za-z]+)`");

    @Test
    void theReadmeDocumentsEveryEventTypeAndFieldTheServerWrites() throws Exception {
        assertEquals(written(), documented(), "what Views writes (expected) against the table of README.md (actual)");
    }

    @Test
    void everyEventOfTheApiIsWrittenWithATypeAndItsEnvelope() {
        List<Object> samples = samples(RuntimeEvent.class);
        assertTrue(samples.size() > 10, "samples: " + samples);
        for (Object sample : samples) {
            Map<String, Object> view = Views.event(envelope((RuntimeEvent) sample));
            assertInstanceOf(String.class, view.get("type"), "a type for " + sample);
            assertTrue(view.keySet().containsAll(ENVELOPE), view.toString());
        }
    }

    /** Event type → its fields besides the envelope's, as the writer writes them for every sample. */
    private static Map<String, Set<String>> written() {
        Map<String, Set<String>> written = new TreeMap<>();
        for (Object sample : samples(RuntimeEvent.class)) {
            Map<String, Object> view = Views.event(envelope((RuntimeEvent) sample));
            Set<String> fields = written.computeIfAbsent(String.valueOf(view.get("type")), type -> new TreeSet<>());
            view.keySet().stream().filter(key -> !ENVELOPE.contains(key)).forEach(fields::add);
        }
        return written;
    }

    /** The README's event table: type → the field names of its second column. */
    private static Map<String, Set<String>> documented() throws Exception {
        String readme = Files.readString(Path.of("README.md"), StandardCharsets.UTF_8);
        int start = readme.indexOf("### Event stream");
        assertTrue(start >= 0, "README.md has a section '### Event stream'");
        int end = readme.indexOf("\n#", start + 1);
        Map<String, Set<String>> documented = new TreeMap<>();
        for (String line : readme.substring(start, end < 0 ? readme.length() : end).split("\n")) {
            Matcher row = ROW.matcher(line);
            if (row.find()) {
                Set<String> fields = new TreeSet<>();
                Matcher name = NAME.matcher(row.group(2));
                while (name.find()) {
                    fields.add(name.group(1));
                }
                assertFalse(documented.containsKey(row.group(1)), "documented twice: " + row.group(1));
                documented.put(row.group(1), fields);
            }
        }
        return documented;
    }

    private static RuntimeEventEnvelope envelope(RuntimeEvent event) {
        return new RuntimeEventEnvelope(SessionId.random(), 1, Instant.now(), event);
    }

    /** Values of {@code type}: every alternative of a sealed type, one plain value otherwise. */
    private static List<Object> samples(Type type) {
        Class<?> raw = type instanceof ParameterizedType parameterized ? (Class<?>) parameterized.getRawType() : (Class<?>) type;
        if (raw.isSealed()) {
            List<Object> all = new ArrayList<>();
            for (Class<?> permitted : raw.getPermittedSubclasses()) {
                all.addAll(samples(permitted));
            }
            return all;
        }
        if (raw == RunId.class) {
            return List.of(RunId.random());
        }
        if (raw == InputId.class) {
            return List.of(InputId.random());
        }
        if (raw.isRecord()) {
            return records(raw);
        }
        if (raw.isEnum()) {
            return List.of(raw.getEnumConstants()[0]);
        }
        if (raw == String.class) {
            return List.of("text");
        }
        if (raw == boolean.class) {
            return List.of(true);
        }
        if (raw == long.class) {
            return List.of(1L);
        }
        if (raw == int.class) {
            return List.of(1);
        }
        if (raw == List.class) {
            Type element = ((ParameterizedType) type).getActualTypeArguments()[0];
            return List.of(List.of(samples(element).get(0)));
        }
        if (raw == Duration.class) {
            return List.of(Duration.ofMillis(200));
        }
        if (raw == Map.class) {
            return List.of(Map.of("key", "value"));
        }
        throw new AssertionError("no sample for " + type + ": teach this test one");
    }

    /** One record per combination of its components' samples; combinations its constructor refuses are left out. */
    private static List<Object> records(Class<?> record) {
        RecordComponent[] components = record.getRecordComponents();
        List<List<Object>> combinations = new ArrayList<>(List.of(List.of()));
        for (RecordComponent component : components) {
            List<List<Object>> longer = new ArrayList<>();
            for (List<Object> prefix : combinations) {
                for (Object value : samples(component.getGenericType())) {
                    List<Object> next = new ArrayList<>(prefix);
                    next.add(value);
                    longer.add(next);
                }
            }
            combinations = longer;
        }
        Class<?>[] types = new Class<?>[components.length];
        for (int i = 0; i < components.length; i++) {
            types[i] = components[i].getType();
        }
        List<Object> made = new ArrayList<>();
        for (List<Object> arguments : combinations) {
            try {
                made.add(record.getDeclaredConstructor(types).newInstance(arguments.toArray()));
            } catch (InvocationTargetException refused) {
                if (!(refused.getCause() instanceof IllegalArgumentException)) {
                    throw new AssertionError(record + " refused " + arguments, refused.getCause());
                }
            } catch (ReflectiveOperationException e) {
                throw new AssertionError(e);
            }
        }
        assertFalse(made.isEmpty(), "no sample of " + record);
        return made;
    }
}
