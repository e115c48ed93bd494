// Package lzop reads (and, for tests and fixtures, writes) the lzop
// container format that Hadoop's LzopCodec (hadoop-lzo) and the Debian lzop
// tool produce: the 9-byte magic, a header with its adler32 or crc32
// checksum, then blocks of at most 64 MiB, each either LZO1X-compressed or
// stored uncompressed, with the optional adler32/crc32 checksums of the
// uncompressed and compressed data that the header flags announce, and a
// zero-length block as end-of-stream marker. LZO1X decompression is
// github.com/anchore/go-lzo. Concatenated lzop streams are read one after
// the other; any other trailing data is an error.
package lzop
