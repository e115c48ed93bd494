// Package javautil holds the one copy of the JVM library behaviours that
// several furrow packages re-create because R108 ran on the JVM: Java's
// UTF-8 decoding with replacement (new String(bytes, UTF_8), Hadoop's Text),
// commons-codec's lenient Base64 decoding, and hex digits as
// Character.digit(c, 16) read them for ASCII.
//
// The functions are allocation-conscious (valid input is returned or copied
// once) because the enrich hot path calls them per event. They are checked
// against the JVM itself by enrich/collector's oracle tests, which reach
// them through that package.
package javautil
