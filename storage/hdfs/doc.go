// Package hdfs implements storage.Store over HDFS with
// github.com/colinmarc/hdfs/v2, rooted at hdfs://namenode:port/path.
//
// The namenode comes from the location's host (host:port, a host alone
// meaning port 8020, or an HA nameservice resolved through
// dfs.namenode.rpc-address.<ns>.* in the Hadoop configuration); an empty
// host (hdfs:///path) takes fs.defaultFS from HADOOP_CONF_DIR (or
// HADOOP_HOME/conf). The client acts as Config.User, else HADOOP_USER_NAME,
// else the OS user. Kerberos is not supported: a configuration that asks for
// it gets a "not implemented" error.
//
// Writes go to a hidden ".furrow-tmp-*" file beside the target and are
// renamed over it (rename2 with overwrite) on Close, so an object is visible
// only once complete; Abort removes the temporary file.
//
// HDFS is untested against a live cluster in CI (no Hadoop can be installed
// there): unit tests cover the path and namenode handling and the connection
// up to the RPC handshake; TestLiveNamenode runs the storetest suite when
// HDFS_NAMENODE is set.
package hdfs
