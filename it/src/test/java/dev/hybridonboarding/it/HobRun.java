package dev.hybridonboarding.it;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.hybridonboarding.cli.Hob;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** One run of the admin CLI against the local stack, in this JVM, as a platform engineer runs {@code bin/hob}. */
record HobRun(int exitCode, String out, String err) {

    static HobRun of(LocalStack stack, String... args) {
        List<String> all = new ArrayList<>(List.of("--local-state", stack.stateFile()));
        all.addAll(List.of(args));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exitCode = Hob.execute(new PrintWriter(out), new PrintWriter(err), all.toArray(String[]::new));
        return new HobRun(exitCode, out.toString(), err.toString());
    }

    Map<String, Object> json() throws IOException {
        return JSON.std.mapFrom(out);
    }

    List<Object> jsonList() throws IOException {
        return JSON.std.listFrom(out);
    }
}
