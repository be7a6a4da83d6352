package discovery

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
)

// ServerID is the configuration ID of an agent's server:
// d-server- and 17 hex digits of SHA-256(account "/" agentId).
func ServerID(account, agentID string) string {
	return ServerPrefix + digest(account, agentID)
}

// WellFormedServerID reports whether id has the form of every server's
// configuration ID (ServerID's, and an imported server's): d-server- and 17
// lowercase hex digits. An ID of another form names no server.
func WellFormedServerID(id string) bool {
	hexPart, ok := strings.CutPrefix(id, ServerPrefix)
	if !ok || len(hexPart) != 17 {
		return false
	}
	for _, c := range []byte(hexPart) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// ProcessID is the configuration ID of a process of a server, one per
// distinct (name, path, command line): d-process- and 17 hex digits.
func ProcessID(account, serverID, name, path, commandLine string) string {
	return ProcessPrefix + digest(account, serverID, name, path, commandLine)
}

// ConnectionID keys an aggregated connection: 17 hex digits.
func ConnectionID(account, sourceIP, destinationIP string, destinationPort int, protocol, sourceProcessID, destinationProcessID string) string {
	return digest(account, sourceIP, destinationIP, strconv.Itoa(destinationPort), protocol, sourceProcessID, destinationProcessID)
}

// digest hashes parts joined by "/" (a server ID) or, for more than two
// parts, by NUL, so that parts holding "/" (paths) cannot collide.
func digest(parts ...string) string {
	sep := "\x00"
	if len(parts) == 2 {
		sep = "/"
	}
	sum := sha256.Sum256([]byte(strings.Join(parts, sep)))
	return hex.EncodeToString(sum[:9])[:17]
}
