package detuuid

import (
	"testing"
)

func TestNew(t *testing.T) {
	a := New([]byte("seed"), "root")
	if a != New([]byte("seed"), "root") {
		t.Error("same seed and purpose give different UUIDs")
	}
	if a == New([]byte("seed"), "esp") || a == New([]byte("other"), "root") {
		t.Error("different seed or purpose give the same UUID")
	}
	if a[6]>>4 != 8 || a[8]>>6 != 2 {
		t.Errorf("%s: version %d variant %b, want 8 and 10", a, a[6]>>4, a[8]>>6)
	}
}

func TestParseRoundTrip(t *testing.T) {
	u := New([]byte("x"), "y")
	got, err := Parse(u.String())
	if err != nil || got != u {
		t.Errorf("Parse(%s) = %s, %v", u, got, err)
	}
	for _, bad := range []string{"", "C12A7328F81F11D2BA4B00A0C93EC93B", "C12A7328-F81F-11D2-BA4B-00A0C93EC9ZZ"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) succeeded", bad)
		}
	}
}

// TestMixedEndian checks the on-disk form of the ESP type GUID against its
// bytes in the UEFI specification.
func TestMixedEndian(t *testing.T) {
	u, err := Parse("C12A7328-F81F-11D2-BA4B-00A0C93EC93B")
	if err != nil {
		t.Fatal(err)
	}
	want := [16]byte{0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11, 0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b}
	if got := u.MixedEndian(); got != want {
		t.Errorf("MixedEndian = % x, want % x", got, want)
	}
}
