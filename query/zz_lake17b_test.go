package query

import (
	"os"
	"testing"
)

func BenchmarkPeersLake(b *testing.B) {
	dir := os.Getenv("PEERS_LAKE")
	if dir == "" {
		b.Skip()
	}
	qs := map[string]string{
		"WhoDeleted": "SELECT requestdatetime, requester, key FROM logs WHERE operation LIKE '%DELETE%'",
		"OneDayByIP": "SELECT remoteip, sum(bytessent) FROM logs WHERE requestdatetime >= TIMESTAMP '2024-03-01 00:00:00' AND requestdatetime < TIMESTAMP '2024-03-02 00:00:00' GROUP BY remoteip",
	}
	for _, n := range []string{"WhoDeleted", "OneDayByIP"} {
		b.Run(n, func(b *testing.B) { benchSource(b, qs[n], dir) })
	}
}
