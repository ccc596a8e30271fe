package rpmfile

import (
	"fmt"
	"strconv"

	"github.com/cavaliergopher/rpm"
)

// Header tags (rpm's include/rpm/rpmtag.h).
const (
	tagName           = 1000
	tagVersion        = 1001
	tagRelease        = 1002
	tagEpoch          = 1003
	tagSummary        = 1004
	tagDescription    = 1005
	tagBuildTime      = 1006
	tagBuildHost      = 1007
	tagSize           = 1009
	tagVendor         = 1011
	tagLicense        = 1014
	tagPackager       = 1015
	tagGroup          = 1016
	tagURL            = 1020
	tagArch           = 1022
	tagPrein          = 1023
	tagPostin         = 1024
	tagPreun          = 1025
	tagPostun         = 1026
	tagFileSizes      = 1028
	tagFileModes      = 1030
	tagFileRDevs      = 1033
	tagFileMTimes     = 1034
	tagFileDigests    = 1035
	tagFileLinkTos    = 1036
	tagFileFlags      = 1037
	tagFileUserName   = 1039
	tagFileGroupName  = 1040
	tagSourceRPM      = 1044
	tagArchiveSize    = 1046
	tagProvideName    = 1047
	tagRequireFlags   = 1048
	tagRequireName    = 1049
	tagRequireVersion = 1050
	tagConflictFlags  = 1053
	tagConflictName   = 1054
	tagConflictVer    = 1055
	tagTriggerScripts = 1065
	tagVerifyScript   = 1079
	tagChangelogTime  = 1080
	tagChangelogName  = 1081
	tagChangelogText  = 1082
	tagPreinProg      = 1085
	tagPostinProg     = 1086
	tagPreunProg      = 1087
	tagPostunProg     = 1088
	tagObsoleteName   = 1090
	tagVerifyProg     = 1091
	tagTriggerProg    = 1092
	tagFileDevices    = 1095
	tagFileInodes     = 1096
	tagProvideFlags   = 1112
	tagProvideVersion = 1113
	tagObsoleteFlags  = 1114
	tagObsoleteVer    = 1115
	tagDirIndexes     = 1116
	tagBaseNames      = 1117
	tagDirNames       = 1118
	tagPayloadFormat  = 1124
	tagPayloadComp    = 1125
	tagPretrans       = 1151
	tagPosttrans      = 1152
	tagPretransProg   = 1153
	tagPosttransProg  = 1154
	tagLongFileSizes  = 5008
	tagLongSize       = 5009
	tagFileCaps       = 5010
	tagRecommendName  = 5046
	tagRecommendVer   = 5047
	tagRecommendFlags = 5048
	tagSuggestName    = 5049
	tagSuggestVer     = 5050
	tagSuggestFlags   = 5051
	tagSupplementName = 5052
	tagSupplementVer  = 5053
	tagSupplementFlag = 5054
	tagEnhanceName    = 5055
	tagEnhanceVer     = 5056
	tagEnhanceFlags   = 5057
	tagFileTrigScr    = 5066
	tagTransFileTrig  = 5076

	sigLongArchiveSize = 271
	sigPayloadSize     = 1007
)

// FileFlags are rpm's RPMFILE_* attribute bits.
type FileFlags uint32

// File attributes from %files.
const (
	FileConfig    FileFlags = 1 << 0
	FileDoc       FileFlags = 1 << 1
	FileMissingOK FileFlags = 1 << 3
	FileNoReplace FileFlags = 1 << 4
	FileGhost     FileFlags = 1 << 6
	FileLicense   FileFlags = 1 << 7
	FileReadme    FileFlags = 1 << 8
	FileArtifact  FileFlags = 1 << 12
)

// File is one entry of a package's file list.
type File struct {
	// Path is the absolute path as recorded in the header (dirname+basename).
	Path string
	// Mode is the raw st_mode: type bits and permissions.
	Mode   uint32
	Size   int64
	Owner  string
	Group  string
	MTime  int64
	Digest string // hex, of the algorithm in the header (sha256 by default)
	LinkTo string // symlink target
	Flags  FileFlags
	Inode  uint32 // with Device, identifies hard link sets
	Device uint32
	Caps   string // text form, e.g. "cap_net_raw=ep"; "" if none
	RDev   uint32 // device number of character and block devices
}

// File type bits of Mode.
const (
	ModeType    = 0o170000
	ModeDir     = 0o040000
	ModeRegular = 0o100000
	ModeSymlink = 0o120000
)

// IsDir reports whether the entry is a directory.
func (f *File) IsDir() bool { return f.Mode&ModeType == ModeDir }

// IsSymlink reports whether the entry is a symbolic link.
func (f *File) IsSymlink() bool { return f.Mode&ModeType == ModeSymlink }

// IsRegular reports whether the entry is a regular file.
func (f *File) IsRegular() bool { return f.Mode&ModeType == ModeRegular }

// IsGhost reports whether the file is %ghost (listed, never in the payload).
func (f *File) IsGhost() bool { return f.Flags&FileGhost != 0 }

// IsConfig reports whether the file is %config.
func (f *File) IsConfig() bool { return f.Flags&FileConfig != 0 }

// IsDoc reports whether the file is %doc.
func (f *File) IsDoc() bool { return f.Flags&FileDoc != 0 }

type hdr struct{ h *rpm.Header }

func (h hdr) str(tag int) string    { return h.h.GetTag(tag).String() }
func (h hdr) strs(tag int) []string { return h.h.GetTag(tag).StringSlice() }
func (h hdr) ints(tag int) []int64  { return h.h.GetTag(tag).Int64Slice() }
func (h hdr) int(tag int) int64     { return h.h.GetTag(tag).Int64() }
func (h hdr) has(tag int) bool      { return h.h.GetTag(tag) != nil }

func fromHeader(h, sig *rpm.Header) (*Package, error) {
	x := hdr{h}
	p := &Package{
		Name:              x.str(tagName),
		Version:           x.str(tagVersion),
		Release:           x.str(tagRelease),
		Arch:              x.str(tagArch),
		Summary:           x.str(tagSummary),
		Description:       x.str(tagDescription),
		License:           x.str(tagLicense),
		URL:               x.str(tagURL),
		Vendor:            x.str(tagVendor),
		Packager:          x.str(tagPackager),
		Group:             x.str(tagGroup),
		BuildHost:         x.str(tagBuildHost),
		SourceRPM:         x.str(tagSourceRPM),
		BuildTime:         x.int(tagBuildTime),
		InstalledSize:     x.int(tagSize),
		ArchiveSize:       x.int(tagArchiveSize),
		PayloadFormat:     x.str(tagPayloadFormat),
		PayloadCompressor: x.str(tagPayloadComp),
	}
	if p.Name == "" {
		return nil, fmt.Errorf("header has no Name")
	}
	if x.has(tagEpoch) {
		p.Epoch = strconv.FormatInt(x.int(tagEpoch), 10)
	}
	if x.has(tagLongSize) {
		p.InstalledSize = x.int(tagLongSize)
	}
	if s := (hdr{sig}); p.ArchiveSize == 0 {
		if s.has(sigLongArchiveSize) {
			p.ArchiveSize = s.int(sigLongArchiveSize)
		} else {
			p.ArchiveSize = s.int(sigPayloadSize)
		}
	}
	if p.PayloadFormat == "" {
		p.PayloadFormat = "cpio"
	}
	if p.PayloadCompressor == "" {
		p.PayloadCompressor = "gzip"
	}
	var err error
	deps := []struct {
		dst              *[]Dep
		name, ver, flags int
		what             string
	}{
		{&p.Requires, tagRequireName, tagRequireVersion, tagRequireFlags, "requires"},
		{&p.Provides, tagProvideName, tagProvideVersion, tagProvideFlags, "provides"},
		{&p.Conflicts, tagConflictName, tagConflictVer, tagConflictFlags, "conflicts"},
		{&p.Obsoletes, tagObsoleteName, tagObsoleteVer, tagObsoleteFlags, "obsoletes"},
		{&p.Recommends, tagRecommendName, tagRecommendVer, tagRecommendFlags, "recommends"},
		{&p.Suggests, tagSuggestName, tagSuggestVer, tagSuggestFlags, "suggests"},
		{&p.Supplements, tagSupplementName, tagSupplementVer, tagSupplementFlag, "supplements"},
		{&p.Enhances, tagEnhanceName, tagEnhanceVer, tagEnhanceFlags, "enhances"},
	}
	for _, d := range deps {
		if *d.dst, err = x.deps(d.name, d.ver, d.flags); err != nil {
			return nil, fmt.Errorf("reading %s: %w", d.what, err)
		}
	}
	if p.Files, err = x.files(); err != nil {
		return nil, fmt.Errorf("reading file list: %w", err)
	}
	p.Scriptlets = x.scriptlets()
	times, names, texts := x.ints(tagChangelogTime), x.strs(tagChangelogName), x.strs(tagChangelogText)
	if len(times) == len(names) && len(names) == len(texts) {
		for i := range names {
			p.Changelog = append(p.Changelog, ChangelogEntry{Time: times[i], Author: names[i], Text: texts[i]})
		}
	}
	return p, nil
}

func (h hdr) deps(nameTag, verTag, flagTag int) ([]Dep, error) {
	names := h.strs(nameTag)
	if len(names) == 0 {
		return nil, nil
	}
	vers, flags := h.strs(verTag), h.ints(flagTag)
	if vers == nil {
		vers = make([]string, len(names))
	}
	if flags == nil {
		flags = make([]int64, len(names))
	}
	if len(vers) != len(names) || len(flags) != len(names) {
		return nil, fmt.Errorf("%d names but %d versions and %d flags", len(names), len(vers), len(flags))
	}
	out := make([]Dep, len(names))
	for i, n := range names {
		out[i] = Dep{Name: n, Flags: DepFlags(flags[i]), EVR: ParseEVR(vers[i])}
	}
	return out, nil
}

func (h hdr) files() ([]File, error) {
	base := h.strs(tagBaseNames)
	n := len(base)
	if n == 0 {
		return nil, nil
	}
	dirs, dirIdx := h.strs(tagDirNames), h.ints(tagDirIndexes)
	sizes := h.ints(tagLongFileSizes)
	if sizes == nil {
		sizes = h.ints(tagFileSizes)
	}
	type col struct {
		name string
		n    int
	}
	modes, mtimes, flags := h.ints(tagFileModes), h.ints(tagFileMTimes), h.ints(tagFileFlags)
	owners, groups := h.strs(tagFileUserName), h.strs(tagFileGroupName)
	digests, links := h.strs(tagFileDigests), h.strs(tagFileLinkTos)
	inodes, devs, caps := h.ints(tagFileInodes), h.ints(tagFileDevices), h.strs(tagFileCaps)
	rdevs := h.ints(tagFileRDevs)
	for _, c := range []col{
		{"dirindexes", len(dirIdx)}, {"sizes", len(sizes)}, {"modes", len(modes)},
		{"owners", len(owners)}, {"groups", len(groups)},
	} {
		if c.n != n {
			return nil, fmt.Errorf("%d basenames but %d %s", n, c.n, c.name)
		}
	}
	opt := func(name string, l int) error {
		if l != 0 && l != n {
			return fmt.Errorf("%d basenames but %d %s", n, l, name)
		}
		return nil
	}
	for _, c := range []col{
		{"mtimes", len(mtimes)}, {"flags", len(flags)}, {"digests", len(digests)},
		{"linktos", len(links)}, {"inodes", len(inodes)}, {"devices", len(devs)}, {"caps", len(caps)},
		{"rdevs", len(rdevs)},
	} {
		if err := opt(c.name, c.n); err != nil {
			return nil, err
		}
	}
	out := make([]File, n)
	for i := range out {
		di := dirIdx[i]
		if di < 0 || di >= int64(len(dirs)) {
			return nil, fmt.Errorf("file %d has directory index %d of %d", i, di, len(dirs))
		}
		f := File{
			Path:  dirs[di] + base[i],
			Mode:  uint32(modes[i]) & 0xffff,
			Size:  sizes[i],
			Owner: owners[i],
			Group: groups[i],
		}
		if mtimes != nil {
			f.MTime = mtimes[i]
		}
		if flags != nil {
			f.Flags = FileFlags(flags[i])
		}
		if digests != nil {
			f.Digest = digests[i]
		}
		if links != nil {
			f.LinkTo = links[i]
		}
		if inodes != nil {
			f.Inode = uint32(inodes[i])
		}
		if devs != nil {
			f.Device = uint32(devs[i])
		}
		if caps != nil {
			f.Caps = caps[i]
		}
		if rdevs != nil {
			f.RDev = uint32(rdevs[i]) & 0xffff
		}
		out[i] = f
	}
	return out, nil
}

func (h hdr) scriptlets() []Scriptlet {
	var out []Scriptlet
	for _, s := range []struct {
		kind       string
		body, prog int
	}{
		{"pretrans", tagPretrans, tagPretransProg},
		{"pre", tagPrein, tagPreinProg},
		{"post", tagPostin, tagPostinProg},
		{"preun", tagPreun, tagPreunProg},
		{"postun", tagPostun, tagPostunProg},
		{"posttrans", tagPosttrans, tagPosttransProg},
		{"verify", tagVerifyScript, tagVerifyProg},
	} {
		body, prog := h.str(s.body), h.strs(s.prog)
		if body == "" && len(prog) == 0 {
			continue
		}
		out = append(out, Scriptlet{Kind: s.kind, Prog: prog, Body: body})
	}
	for _, t := range []struct {
		kind string
		tag  int
	}{{"trigger", tagTriggerScripts}, {"filetrigger", tagFileTrigScr}, {"transfiletrigger", tagTransFileTrig}} {
		for _, body := range h.strs(t.tag) {
			out = append(out, Scriptlet{Kind: t.kind, Body: body})
		}
	}
	return out
}
