// Package location opens a storage.Store for any location a user gives
// furrow — s3://bucket/prefix (also s3a:// and s3n://), hdfs://namenode:port/path,
// file:///path or a plain path — with storage.ParseLocation deciding the
// backend: storage/s3, storage/hdfs or storage/local. Options carry each
// backend's settings (S3 encryption, endpoint, addressing, region, part
// size and concurrency, retry budget; HDFS user and configuration) and a
// logger, so callers never switch on schemes themselves.
package location
