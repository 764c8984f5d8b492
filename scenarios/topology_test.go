package scenarios

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// via may name any actor with a token of its own, to any depth (issue 11;
// semantics.md §3.2: a non-orphan child token is indexed under its parent).
func TestParse_ViaDepth(t *testing.T) {
	runGood(t, []goodCase{
		{"chain of child tokens", head + world + "actors:\n  c: {via: b, credential: app-db}\n  b: {via: a, child_token: {ttl: 1h}}\n  a: {login: broker}\n", func(t *testing.T, sc *Scenario) {
			assert.Equal(t, "b", actorByName(t, sc, "c").Via)
			assert.Equal(t, "a", actorByName(t, sc, "b").Via)
		}},
		{"four levels", head + world + "actors:\n  top: {token: {}}\n  b: {via: top, child_token: {}}\n  app: {via: b, child_token: {}, credential: app-db}\n", nil},
		{"deepest allowed", head + world + "actors:\n" + chain(MaxDepth), nil},
	})
	a := head + world + "actors:\n"
	runBad(t, []badCase{
		{"two-actor cycle", a + "  x: {via: y, child_token: {}}\n  y: {via: x, child_token: {}} #!\n", "actors.y.via", "via makes a cycle: x → y → x"},
		{"three-actor cycle", a + "  x: {via: z, child_token: {}}\n  y: {via: x, child_token: {}} #!\n  z: {via: y, child_token: {}}\n", "actors.y.via", "x → z → y → x"},
		{"via without own token", a + "  b: {login: broker}\n  c: {via: b}\n  d: {via: c, child_token: {}} #!\n", "actors.d.via", "has no token of its own"},
		{"too deep", a + chain(MaxDepth+1) + " #!\n", fmt.Sprintf("actors.a%d.via", MaxDepth), fmt.Sprintf("%d tokens deep; at most %d", MaxDepth+1, MaxDepth)},
	})
}

// chain declares n token levels: a0 logs in, a1…a(n-1) are child tokens.
func chain(n int) string {
	var b strings.Builder
	b.WriteString("  a0: {login: broker}\n")
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, "  a%d: {via: a%d, child_token: {}}\n", i, i-1)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func TestParse_LiveEntityLimit(t *testing.T) {
	src := head + world + "actors: #!\n"
	for i := range 3 {
		src += fmt.Sprintf("  a%d: {login: broker, credential: app-db, replicas: 1000000}\n", i)
	}
	runBad(t, []badCase{{"too many at once", src, "actors", "6000000 tokens and credentials at once"}})
}
