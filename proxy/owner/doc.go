// Package owner finds the program on this host that opened a TCP
// connection to the proxy: the process holding the client's end of it,
// with its image, the Windows services it hosts and the user it runs as,
// so that each capture can say which program sent what.
//
// Lookup reads the operating system's socket table for the connection
// whose local end is the client's address and whose remote end is the
// proxy's, then describes the process that owns it:
//
//   - Windows: GetExtendedTcpTable (TCP_TABLE_OWNER_PID_ALL) gives the
//     owning PID (tcptable.go parses the table, a pure function tested on
//     a license server's table); QueryFullProcessImageName its image, its
//     token its user, and the service control manager's process list
//     (EnumServicesStatusEx) the services it hosts.
//   - Linux: sock_diag netlink gives the socket's inode and user by its
//     four-tuple (sockdiag.go, as ss asks; /proc/net/tcp and tcp6 where
//     netlink is not allowed, procnet.go), the /proc/PID/fd links the
//     process that holds the inode, /proc/PID/exe its image and
//     /proc/PID/cgroup its systemd service.
//   - Other systems: nothing is looked up; the result says so.
//
// A lookup that finds only part says why in Process.Unknown and keeps
// the rest. Lookup is synchronous and may take milliseconds; the proxy
// runs it at accept time, once per connection, and waits for it only a
// bounded time (proxy/sender.go). OnThisHost decides which clients are
// looked up at all: a client on another host has no process here.
package owner
