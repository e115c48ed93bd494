// R108KindsOracle answers questions about JVM behaviour that furrow's
// ip_lookups, anon_ip, IAB and cookie extractor emulate, for the
// differential test r108kinds_oracle_test.go. Protocol: one request per
// line, "op<TAB>base64(argument)", one answer per line, base64(result)
// ("-" when the JVM rejected the input).
import java.io.*;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;

import org.apache.http.NameValuePair;
import org.apache.http.message.BasicHeaderValueParser;

public class R108KindsOracle {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintStream out = new PrintStream(new BufferedOutputStream(System.out), false, "UTF-8");
        String line;
        while ((line = in.readLine()) != null) {
            int tab = line.indexOf('\t');
            String op = line.substring(0, tab);
            String arg = new String(Base64.getDecoder().decode(line.substring(tab + 1)), StandardCharsets.UTF_8);
            String res;
            try {
                res = answer(op, arg);
            } catch (Exception e) {
                res = null;
            }
            out.println(res == null ? "-" : Base64.getEncoder().encodeToString(res.getBytes(StandardCharsets.UTF_8)));
            out.flush();
        }
    }

    static String answer(String op, String arg) throws Exception {
        switch (op) {
            case "float":
                return Float.toString(Float.intBitsToFloat(Integer.parseInt(arg)));
            case "inet": {
                // InetAddress.getByName on IP literals only: anything else
                // would be a DNS lookup, which furrow never does.
                String h = arg;
                if (h.startsWith("[") && h.endsWith("]") && h.length() > 2) {
                    h = h.substring(1, h.length() - 1);
                }
                String noZone = h.indexOf('%') >= 0 ? h.substring(0, h.indexOf('%')) : h;
                if (!sun.net.util.IPAddressUtil.isIPv4LiteralAddress(h) && !sun.net.util.IPAddressUtil.isIPv6LiteralAddress(noZone)) {
                    return null;
                }
                return InetAddress.getByName(arg).getHostAddress();
            }
            case "guava":
                return com.google.common.net.InetAddresses.forString(arg).getHostAddress();
            case "cookie": {
                StringBuilder b = new StringBuilder();
                for (NameValuePair p : BasicHeaderValueParser.parseParameters(arg, BasicHeaderValueParser.INSTANCE)) {
                    b.append('[').append(p.getName());
                    if (p.getValue() != null) {
                        b.append('=').append(p.getValue());
                    }
                    b.append(']');
                }
                return b.toString();
            }
            case "lower":
                return arg.toLowerCase(Locale.ENGLISH);
            case "trim":
                return arg.trim();
            default:
                throw new IllegalArgumentException(op);
        }
    }
}
