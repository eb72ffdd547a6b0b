package storetest

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/internal/testtb"
	"github.com/postbacksim/postbacksim/store"
)

// Registry runs the store.Registry contract against the registry open
// returns, empty each time. (A sandbox without a shared store keeps its
// namespaces itself: there is no memory Registry to run it on.)
func Registry(t *testing.T, open func(t *testing.T) store.Registry) {
	ctx := context.Background()
	t.Run("namespaces", func(t *testing.T) {
		reg := open(t)
		a := store.Namespace{TokenSHA256: "ab12", Created: 100}
		if err := reg.CreateNamespace(ctx, "a", a, 2); err != nil {
			t.Fatal(err)
		}
		if err := reg.CreateNamespace(ctx, "a", store.Namespace{Created: 101}, 2); !errors.Is(err, store.ErrNamespaceExists) {
			t.Errorf("creating a again: %v, want ErrNamespaceExists", err)
		}
		if err := reg.CreateNamespace(ctx, "b", store.Namespace{Created: 200}, 2); err != nil {
			t.Fatal(err)
		}
		if err := reg.CreateNamespace(ctx, "c", store.Namespace{Created: 300}, 2); !errors.Is(err, store.ErrNamespaceLimit) {
			t.Errorf("a third of at most 2: %v, want ErrNamespaceLimit", err)
		}
		got, ok, err := reg.Namespace(ctx, "a")
		if err != nil || !ok || got != a {
			t.Errorf("Namespace(a) = %+v, %v, %v; want %+v", got, ok, err, a)
		}
		if _, ok, err := reg.Namespace(ctx, "c"); err != nil || ok {
			t.Errorf("Namespace(c), never created: ok %v, %v", ok, err)
		}
		all := testtb.Must(reg.Namespaces(ctx))
		if names := slices.Sorted(maps.Keys(all)); !slices.Equal(names, []string{"a", "b"}) || all["b"].Created != 200 {
			t.Errorf("Namespaces = %v, want a and b", all)
		}
		if uses := testtb.Must(reg.NamespaceUses(ctx)); uses["a"] != 100 || uses["b"] != 200 {
			t.Errorf("uses after creation = %v, want the creation times", uses)
		}
		for _, touch := range []struct {
			name string
			at   int64
		}{{"a", 150}, {"a", 120}, {"c", 500}} { // later, earlier (kept), never created (nothing)
			if err := reg.TouchNamespace(ctx, touch.name, touch.at); err != nil {
				t.Fatal(err)
			}
		}
		uses := testtb.Must(reg.NamespaceUses(ctx))
		if uses["a"] != 150 || len(uses) != 2 {
			t.Errorf("uses after touches = %v, want a at 150, and no c", uses)
		}
		if removed := testtb.Must(reg.RemoveNamespace(ctx, "a", 140)); removed {
			t.Error("a, used at 150, removed as idle since 140")
		}
		if removed := testtb.Must(reg.RemoveNamespace(ctx, "a", 150)); !removed {
			t.Error("a, used at 150, not removed as idle since 150")
		}
		if removed := testtb.Must(reg.RemoveNamespace(ctx, "a", 0)); removed {
			t.Error("a removed twice")
		}
		if removed := testtb.Must(reg.RemoveNamespace(ctx, "b", 0)); !removed {
			t.Error("b not removed")
		}
		if all := testtb.Must(reg.Namespaces(ctx)); len(all) != 0 {
			t.Errorf("after removing both: %v", all)
		}
		if err := reg.CreateNamespace(ctx, "c", store.Namespace{Created: 300}, 2); err != nil {
			t.Errorf("room again after the removals: %v", err)
		}
	})

	t.Run("heartbeats", func(t *testing.T) {
		reg := open(t)
		now := time.Unix(1_700_000_000, 0)
		if prev := testtb.Must(reg.Heartbeat(ctx, "r1", "n1", now)); prev != "" {
			t.Errorf("first heartbeat of r1 replaced %q", prev)
		}
		if prev := testtb.Must(reg.Heartbeat(ctx, "r1", "n2", now.Add(time.Second))); prev != "n1 1700000000000000000" {
			t.Errorf("another process's heartbeat as r1 replaced %q, want n1's", prev)
		}
		if err := reg.Leave(ctx, "r1", "n1"); err != nil {
			t.Fatal(err)
		}
		if prev := testtb.Must(reg.Heartbeat(ctx, "r1", "n2", now.Add(2*time.Second))); prev != "n2 1700000001000000000" {
			t.Errorf("n1 leaving removed n2's heartbeat: replaced %q", prev)
		}
		if err := reg.Leave(ctx, "r1", "n2"); err != nil {
			t.Fatal(err)
		}
		if prev := testtb.Must(reg.Heartbeat(ctx, "r1", "n3", now.Add(3*time.Second))); prev != "" {
			t.Errorf("after n2 left, its heartbeat is still there: %q", prev)
		}
		if reg.Where("heartbeats") == "" {
			t.Error(`Where("heartbeats") is empty`)
		}
	})

	t.Run("epoch", func(t *testing.T) {
		reg := open(t)
		if e := testtb.Must(reg.Epoch(ctx)); e != "" {
			t.Errorf("epoch of an empty registry: %q", e)
		}
		got, stored, err := reg.KeepEpoch(ctx, "100 60")
		if err != nil || !stored || got != "100 60" {
			t.Errorf("first KeepEpoch: %q, stored %v, %v", got, stored, err)
		}
		got, stored, err = reg.KeepEpoch(ctx, "200 60")
		if err != nil || stored || got != "100 60" {
			t.Errorf("second KeepEpoch: %q, stored %v, %v; want the first kept", got, stored, err)
		}
		if e := testtb.Must(reg.Epoch(ctx)); e != "100 60" {
			t.Errorf("Epoch = %q", e)
		}
		if reg.Where("epoch") == "" {
			t.Error(`Where("epoch") is empty`)
		}
	})

	t.Run("hop marker", func(t *testing.T) {
		reg := open(t)
		if got, err := reg.KeepHopMarker(ctx, "m1"); err != nil || got != "m1" {
			t.Errorf("first KeepHopMarker: %q, %v", got, err)
		}
		if got, err := reg.KeepHopMarker(ctx, "m2"); err != nil || got != "m1" {
			t.Errorf("second KeepHopMarker: %q, %v; want the first kept", got, err)
		}
	})
}
