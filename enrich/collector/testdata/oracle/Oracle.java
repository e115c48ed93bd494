// Oracle answers questions about JVM library behaviour for the differential
// tests of package collector (oracle_test.go): the regular expressions of
// Snowplow's loaders, Joda-Time parsing, java.net.URI + httpclient
// querystring parsing, commons-codec base64, the JDK's UTF-8 decoding,
// URLDecoder and Jackson. Written for furrow; it contains no Snowplow code,
// only the regular expressions' text as documented behaviour.
//
// Protocol: one command per line, "op arg1 [arg2]", each argument base64
// (standard) or "-" for null; one answer per line: "OK <base64>",
// "ERR <base64 message>" or "NOMATCH".
import java.io.*;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.*;
import java.util.regex.*;
import org.apache.http.NameValuePair;
import org.apache.http.client.utils.URLEncodedUtils;
import org.joda.time.DateTime;

public class Oracle {
    static final Pattern CF;
    static final Pattern CLJ;
    static {
        String w = "[\\s]+";
        String ow = "(?:" + w;
        CF = Pattern.compile("([\\S]+)" + w + "([\\S]+)" + w + "([\\S]+)" + w + "([\\S]+)" + w + "([\\S]+)" + w +
            "([\\S]+)" + w + "([\\S]+)" + w + "([\\S]+)" + w + "([\\S]+)" + w + "([\\S]+)" + w + "([\\S]+)" + w +
            "([\\S]+)" + ow + "[\\S]*" + w + "[\\S]+" + w + "[\\S]+)?" + ow + "[\\S]+" + w + "[\\S]+" + w + "[\\S]+)?" +
            ow + "[\\S]+" + w + ".*)?");
        CLJ = Pattern.compile("^([\\S]+)" + w + "([\\S]+)" + w + "(-)" + w + "([\\S]+)" + w + "([\\S]+)" + w +
            "([\\S]+)" + w + "([\\S]+)" + w + "([\\S]+)" + w + "([\\S]+)" + w + "([\\S]+)" + w + "([\\S]+)" + w +
            "([\\S]+)" + ow + "-" + w + "-" + w + "-)?" + ow + "([\\S]+)?" + w + "([\\S]+)?)?$");
    }
    static final Pattern API = Pattern.compile("^[\\/]?([^\\/]+)\\/([^\\/]+)[\\/]?$");
    static final String IP = "\\\"?\\[?((?:[0-9a-f]|\\.|\\:+)+).*\\]?\\\"?";
    static final Pattern XFF = Pattern.compile("^x-forwarded-for: " + IP + ".*");
    static final Pattern FWD = Pattern.compile("^forwarded: for=" + IP + ".*");

    static String dec(String a) {
        if (a.equals("-")) return null;
        return new String(Base64.getDecoder().decode(a), StandardCharsets.UTF_8);
    }
    static byte[] decBytes(String a) { return Base64.getDecoder().decode(a); }
    static String enc(String s) { return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8)); }
    static String groups(Matcher m) {
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i <= m.groupCount(); i++) {
            if (i > 1) sb.append('\u0001');
            String g = m.group(i);
            sb.append(g == null ? "\u0000" : g);
        }
        return sb.toString();
    }

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintStream out = new PrintStream(new BufferedOutputStream(System.out), false, "UTF-8");
        String cmd;
        while ((cmd = in.readLine()) != null) {
            String[] p = cmd.split(" ", -1);
            String res;
            try {
                res = answer(p);
            } catch (Throwable e) {
                res = "ERR " + enc(e.getClass().getSimpleName() + ": " + e.getMessage());
            }
            out.println(res);
            if (!in.ready()) out.flush();
        }
    }

    static String answer(String[] p) throws Exception {
        switch (p[0]) {
        case "cf": {
            Matcher m = CF.matcher(dec(p[1]));
            return m.matches() ? "OK " + enc(groups(m)) : "NOMATCH";
        }
        case "clj": {
            Matcher m = CLJ.matcher(dec(p[1]));
            return m.matches() ? "OK " + enc(groups(m)) : "NOMATCH";
        }
        case "api": {
            String s = dec(p[1]);
            Matcher m = API.matcher(s);
            return m.matches() ? "OK " + enc(m.group(1) + "\u0001" + m.group(2)) : "NOMATCH";
        }
        case "ipx": {
            String h = dec(p[1]).toLowerCase();
            Matcher m = XFF.matcher(h);
            if (m.matches()) return "OK " + enc(m.group(1));
            m = FWD.matcher(h);
            if (m.matches()) return "OK " + enc(m.group(1));
            return "NOMATCH";
        }
        case "ts": {
            try {
                return "OK " + enc(Long.toString(DateTime.parse(dec(p[1]) + "T" + dec(p[2]) + "+00:00").getMillis()));
            } catch (IllegalArgumentException e) {
                return "ERR " + enc(e.getMessage());
            }
        }
        case "qs": {
            String q = dec(p[1]);
            String encName = dec(p[2]);
            List<NameValuePair> l;
            try {
                l = URLEncodedUtils.parse(URI.create("http://localhost/?" + q), encName);
            } catch (Exception e) {
                return "ERR " + enc(e.getMessage());
            }
            StringBuilder sb = new StringBuilder();
            for (NameValuePair nv : l) {
                sb.append(nv.getName()).append('\u0002').append(nv.getValue() == null ? "\u0000" : nv.getValue()).append('\u0001');
            }
            return "OK " + enc(sb.toString());
        }
        case "b64":
            return "OK " + enc(new String(new org.apache.commons.codec.binary.Base64(true).decode(dec(p[1])), StandardCharsets.UTF_8));
        case "b64bytes":
            return "OK " + Base64.getEncoder().encodeToString(new org.apache.commons.codec.binary.Base64().decode(decBytes(p[1])));
        case "text":
            return "OK " + enc(StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPLACE)
                .onUnmappableCharacter(CodingErrorAction.REPLACE).decode(ByteBuffer.wrap(decBytes(p[1]))).toString());
        case "newstr":
            return "OK " + enc(new String(decBytes(p[1]), StandardCharsets.UTF_8));
        case "urldec":
            try {
                return "OK " + enc(URLDecoder.decode(dec(p[1]), "UTF-8"));
            } catch (IllegalArgumentException e) {
                return "ERR " + enc(e.getMessage());
            }
        case "upper":
            return "OK " + enc(dec(p[1]).toUpperCase());
        case "single":
            return "OK " + enc(dec(p[1]).replaceAll("%25([0-9a-fA-F][0-9a-fA-F])", "%$1"));
        case "json":
            try {
                new com.fasterxml.jackson.databind.ObjectMapper().readTree(dec(p[1]));
                return "OK ";
            } catch (com.fasterxml.jackson.core.JsonParseException e) {
                return "ERR " + enc("parse");
            }
        }
        throw new IllegalArgumentException("unknown op " + p[0]);
    }
}
