package mockocean

import "testing"

// TestTablesAreCopies: changing what an accessor returned leaves the
// emulator's tables, and what is derived from them, as they were.
func TestTablesAreCopies(t *testing.T) {
	c := Catalog()
	for i := range c {
		c[i].Msg, c[i].Order = "changed", 99
	}
	e := EventTypes()
	e[0].Name = "changed"
	p := Params()
	p[0].Name = "changed"
	m := MonitorMacros()
	m[0].Name = "changed"

	if r, _ := LookupRule(CodeDuplicate); r.Msg == "changed" || Catalog()[0].Msg != "success" {
		t.Error("Catalog returned the table itself")
	}
	for i, r := range checkOrder {
		if r.Order != i+1 {
			t.Errorf("checkOrder[%d] has order %d", i, r.Order)
		}
	}
	if EventTypes()[0].Name != "激活" || Params()[0].Name != ParamCallback || MonitorMacros()[0].Name != "__CALLBACK_PARAM__" {
		t.Error("EventTypes, Params or MonitorMacros returned the table itself")
	}
	if _, err := ParseMonitorURL("https://a.example/?cb=__CALLBACK_PARAM__"); err != nil {
		t.Errorf("the macro table changed: %v", err)
	}
}
