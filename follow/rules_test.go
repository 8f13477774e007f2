package follow

import (
	"strings"
	"testing"
)

func TestParseRulesErrors(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{`[[rule]]` + "\n" + `metric = "resets"` + "\nwarn = 1", "needs a name"},
		{`[[rule]]` + "\nname = \"a\"\nmetric = \"nope\"\nwarn = 1", `metric "nope"`},
		{`[[rule]]` + "\nname = \"a\"\nmetric = \"resets\"", "warn or critical"},
		{`[[rule]]` + "\nname = \"a\"\nmetric = \"resets\"\nwarn = 5\ncritical = 2", "above critical"},
		{`[[rule]]` + "\nname = \"a\"\nmetric = \"resets\"\nwarn = 1\nwindow = \"1500ms\"", "whole number of seconds"},
		{`[[rule]]` + "\nname = \"a\"\nmetric = \"resets\"\nwarn = 1\ngroup_by = \"vlan\"", "group_by"},
		{`[[rule]]` + "\nname = \"a\"\nmetric = \"resets\"\nwarn = 1\nfilter = \"bytes > 10\"", "only host, net, port"},
		{`[[rule]]` + "\nname = \"a\"\nmetric = \"resets\"\nwarn = 1\nfilter = \"port (\"", "filter"},
		{`[[rule]]` + "\nname = \"a\"\nmetric = \"resets\"\nwarn = 1\nthreshold = 3", "unknown key"},
		{`[[rule]]` + "\nname = \"a\"\nmetric = \"resets\"\nwarn = 1\nhysteresis = 1.5", "hysteresis"},
	} {
		_, err := ParseRules("r.toml", c.text)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "r.toml") {
			t.Errorf("%q: got %v, want an error naming the file with %q", c.text, err, c.want)
		}
	}
	rs, err := ParseRules("r.toml", `[[rule]]
name = "a"
filter = "tcp and (port 80 or src net 10.0.0.0/8) and not host 10.0.0.9 and ip"
metric = "dup-acks"
group_by = "host"
warn = 1`)
	if err != nil || len(rs) != 1 || rs[0].win != 10 || rs[0].group != gHost || rs[0].match == nil {
		t.Fatalf("%v %+v", err, rs)
	}
}
