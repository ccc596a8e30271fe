// Package detuuid derives UUIDs from content, so that the identifiers
// written into filesystems, partition tables and disk footers are the same
// on every build of the same inputs.
package detuuid

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// UUID is an RFC 9562 UUID in its big-endian byte order.
type UUID [16]byte

// New derives a version 8 (custom) UUID from a seed and a purpose label, so
// that one content hash yields distinct UUIDs for distinct uses.
func New(seed []byte, purpose string) UUID {
	h := sha256.New()
	h.Write(seed)
	h.Write([]byte{0})
	h.Write([]byte(purpose))
	var u UUID
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x80 // version 8
	u[8] = u[8]&0x3f | 0x80 // RFC 9562 variant
	return u
}

// String formats u as 8-4-4-4-12 lower-case hex.
func (u UUID) String() string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// MixedEndian returns u in the Microsoft GUID layout used on disk by GPT,
// VHD and VHDX: the first three fields little-endian, the rest as is.
func (u UUID) MixedEndian() [16]byte {
	var g [16]byte
	g[0], g[1], g[2], g[3] = u[3], u[2], u[1], u[0]
	g[4], g[5] = u[5], u[4]
	g[6], g[7] = u[7], u[6]
	copy(g[8:], u[8:])
	return g
}

// Parse reads the 8-4-4-4-12 form.
func Parse(s string) (UUID, error) {
	var u UUID
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, fmt.Errorf("parsing UUID %q: want 8-4-4-4-12 hex digits", s)
	}
	b, err := hex.DecodeString(s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:])
	if err != nil {
		return u, fmt.Errorf("parsing UUID %q: %w", s, err)
	}
	copy(u[:], b)
	return u, nil
}
