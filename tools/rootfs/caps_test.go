package rootfs

import (
	"encoding/binary"
	"testing"
)

func TestEncodeCaps(t *testing.T) {
	for _, c := range []struct {
		text     string
		eff      bool
		perm     uint64
		inh      uint64
		wantFail bool
	}{
		{text: "cap_net_raw=ep", eff: true, perm: 1 << 13},
		{text: "cap_net_raw+p", perm: 1 << 13},
		{text: "cap_net_admin,cap_net_raw+ep", eff: true, perm: 1<<12 | 1<<13},
		{text: "cap_setuid=i", inh: 1 << 7},
		{text: "cap_bpf,cap_perfmon=ep", eff: true, perm: 1<<39 | 1<<38},
		{text: "=ep cap_sys_admin-ep", eff: true, perm: (1<<41 - 1) &^ (1 << 21)},
		{text: "CAP_CHOWN=p", perm: 1},
		{text: "cap_nonsense=ep", wantFail: true},
		{text: "cap_chown", wantFail: true},
		{text: "cap_chown=ex", wantFail: true},
	} {
		b, err := encodeCaps(c.text)
		if c.wantFail {
			if err == nil {
				t.Errorf("encodeCaps(%q) succeeded", c.text)
			}
			continue
		}
		if err != nil {
			t.Errorf("encodeCaps(%q): %v", c.text, err)
			continue
		}
		magic := binary.LittleEndian.Uint32(b)
		perm := uint64(binary.LittleEndian.Uint32(b[4:])) | uint64(binary.LittleEndian.Uint32(b[12:]))<<32
		inh := uint64(binary.LittleEndian.Uint32(b[8:])) | uint64(binary.LittleEndian.Uint32(b[16:]))<<32
		if magic&0xff000000 != 0x02000000 || (magic&1 == 1) != c.eff || perm != c.perm || inh != c.inh {
			t.Errorf("encodeCaps(%q) = magic %x perm %x inh %x, want eff %v perm %x inh %x", c.text, magic, perm, inh, c.eff, c.perm, c.inh)
		}
	}
}
