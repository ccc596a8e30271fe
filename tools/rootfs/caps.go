package rootfs

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
)

// capNames lists Linux capabilities by number (include/uapi/linux/capability.h).
var capNames = []string{
	"chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill", "setgid", "setuid",
	"setpcap", "linux_immutable", "net_bind_service", "net_broadcast", "net_admin", "net_raw",
	"ipc_lock", "ipc_owner", "sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct",
	"sys_admin", "sys_boot", "sys_nice", "sys_resource", "sys_time", "sys_tty_config", "mknod",
	"lease", "audit_write", "audit_control", "setfcap", "mac_override", "mac_admin", "syslog",
	"wake_alarm", "block_suspend", "audit_read", "perfmon", "bpf", "checkpoint_restore",
}

// capXattrName is the PAX record that carries a file's capabilities.
const capXattrName = "SCHILY.xattr.security.capability"

// encodeCaps converts rpm's text form of file capabilities (libcap's
// cap_from_text syntax, e.g. "cap_net_raw,cap_net_admin+ep") into the binary
// vfs_cap_data revision 2 that the kernel keeps in security.capability.
// Hand-written because the only Go libcap binding needs cgo.
func encodeCaps(text string) ([]byte, error) {
	var perm, inh, eff uint64
	all := uint64(1)<<len(capNames) - 1
	for _, clause := range strings.Fields(text) {
		i := strings.IndexAny(clause, "=+-")
		if i < 0 {
			return nil, fmt.Errorf("capability clause %q has no operator", clause)
		}
		var set uint64
		if i == 0 {
			if clause[0] != '=' {
				return nil, fmt.Errorf("capability clause %q: only '=' may omit the capability list", clause)
			}
			set = all
		}
		for _, name := range strings.Split(clause[:i], ",") {
			if i == 0 {
				break
			}
			n, err := capNumber(name)
			if err != nil {
				return nil, err
			}
			if n < 0 {
				set = all
				continue
			}
			set |= 1 << n
		}
		rest := clause[i:]
		for rest != "" {
			op := rest[0]
			j := 1
			for j < len(rest) && strings.IndexByte("eip", rest[j]) >= 0 {
				j++
			}
			flags := rest[1:j]
			if op == '=' {
				perm, inh, eff = perm&^set, inh&^set, eff&^set
			}
			for _, f := range flags {
				dst := map[rune]*uint64{'e': &eff, 'i': &inh, 'p': &perm}[f]
				if op == '-' {
					*dst &^= set
				} else {
					*dst |= set
				}
			}
			rest = rest[j:]
			if rest != "" && strings.IndexByte("=+-", rest[0]) < 0 {
				return nil, fmt.Errorf("capability clause %q: unexpected %q", clause, rest)
			}
		}
	}
	b := make([]byte, 20)
	magic := uint32(0x02000000) // VFS_CAP_REVISION_2
	if eff != 0 {
		magic |= 1 // VFS_CAP_FLAGS_EFFECTIVE
	}
	binary.LittleEndian.PutUint32(b[0:], magic)
	binary.LittleEndian.PutUint32(b[4:], uint32(perm))
	binary.LittleEndian.PutUint32(b[8:], uint32(inh))
	binary.LittleEndian.PutUint32(b[12:], uint32(perm>>32))
	binary.LittleEndian.PutUint32(b[16:], uint32(inh>>32))
	return b, nil
}

// capNumber returns the number of a capability name, or -1 for "all".
func capNumber(name string) (int, error) {
	name = strings.ToLower(name)
	if name == "all" {
		return -1, nil
	}
	if n, err := strconv.Atoi(name); err == nil && n >= 0 && n < 64 {
		return n, nil
	}
	for i, c := range capNames {
		if "cap_"+c == name {
			return i, nil
		}
	}
	return 0, fmt.Errorf("unknown capability %q", name)
}
