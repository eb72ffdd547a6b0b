package runner

import "testing"

func TestDiff(t *testing.T) {
	cases := []struct {
		name      string
		want, got any
		out       string
	}{
		{"equal lists", []string{"0s", "15s"}, []string{"0s", "15s"}, ""},
		{"equal scalars", 3, 3, ""},
		{"changed element", []string{"0s", "20s", "35s"}, []string{"0s", "15s", "35s"},
			"offsets (-want +got):\n  []string{\n  \t\"0s\",\n- \t\"20s\",\n+ \t\"15s\",\n  \t\"35s\",\n  }\n"},
		{"missing and extra", []string{"a", "b"}, []string{"b", "c"},
			"offsets (-want +got):\n  []string{\n- \t\"a\",\n  \t\"b\",\n+ \t\"c\",\n  }\n"},
		{"nil got", []string{"a"}, []string(nil), "offsets (-want +got):\n  []string{\n- \t\"a\",\n  }\n"},
		{"string", "exhausted", "delivered", "offsets (-want +got):\n  string(\n- \t\"exhausted\",\n+ \t\"delivered\",\n  )\n"},
		{"int", 16, 1, "offsets (-want +got):\n  int(\n- \t16,\n+ \t1,\n  )\n"},
	}
	for _, c := range cases {
		if got := diff("offsets", c.want, c.got); got != c.out {
			t.Errorf("%s: diff =\n%s\nwant\n%s", c.name, got, c.out)
		}
	}
}
