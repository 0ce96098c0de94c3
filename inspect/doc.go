// Package inspect understands what a License Server sends: it decodes a
// captured body into a tree of parts, flattens the tree to fields at
// paths, diffs two trees by path, tracks how their shape drifts, and pulls
// out the license figures they report. It stores nothing and has no CLI.
//
// # Decoding
//
// [Decode] takes a body, what the transport said about it ([Meta]) and
// limits ([Options]) and returns a [Part]. Decoding is layered: a
// Content-Encoding chain such as "gzip, br" is undone last-applied first,
// each step a layer part whose one child is what it decoded to; a zip or
// tar archive has a child per file, a multipart body a child per part, a
// form a child per field, a JWT "header" and "claims" children. Each child
// is decoded by its own Content-Type, else its file extension, else by
// sniffing (gzip, zstd and zip magic, ustar, JSON, XML, JWT, text, bytes).
// Strings in documents and form fields that clearly hold something (a JSON
// object or array, a JWT, long base64 of gzip, zip, JSON or text) are
// decoded too, as children of their document named by their path.
//
// Every part keeps the bytes it came from (Raw) and, where they are a
// slice of its parent's decoded bytes, their Offset, so a tree can be
// walked back to the wire. When bytes are not what a header claimed, or a
// limit stopped decoding, the part's Note says so; corrupt input sets
// Error. Limits (MaxDepth, MaxTotal, MaxRatio, MaxParts, MaxNesting) keep
// zip bombs, gzip bombs and absurdly deep documents to bounded time and
// memory.
//
// # Paths
//
// [Fields], [Diff], [Shape] and [Figures] name values by path:
//
//	path     = steps ":" docpath | steps | docpath | "."
//	steps    = step { "/" step }
//	step     = entry path in a zip or tar ("manifest.json", "dir/a.json")
//	         | multipart part's file name, else its form name ("request.tgz")
//	         | "form:" field name, for a urlencoded form ("form:clientId")
//	         | "header" | "claims", inside a JWT
//	         | docpath of a string that held an encoded document ("$.blob")
//	docpath  = jsonpath | xmlpath
//	jsonpath = "$" { "." name | "[" quoted-name "]" | "[" index "]" }
//	xmlpath  = "/" root { "/" element "[" index "]" } [ "/@" attribute | "/text()" ]
//
// Examples:
//
//	$.features[2].CountUsedMax                              JSON body
//	manifest.json:$.Serials[0].SN                           file in a zip
//	ue_lt_1683864965.zip/usage.json:$.events[0].user        zip in a zip
//	request.tgz/ns_offline_activation_request.json:$.lsguid tar.gz in multipart
//	data:$.lsfingerprint                                    JSON multipart field
//	form:clientId                                           urlencoded field
//	$.token/claims:$.sub                                    JWT in a JSON string
//	$.blob:$.a                                              base64 gzip JSON in a string
//	/Root/Feature[1]/@id                                    XML attribute
//	notes.txt                                               a text file, whole
//	.                                                       a text or bytes body, whole
//
// JSON member names that are not identifiers are quoted: $["tenant.id"].
// JSON indexes count from 0, XML indexes from 1 (as in XPath), and every
// XML child element carries its index. An element with neither attributes
// nor children is a string at its own path; text beside attributes or
// children is at "/text()". Layers (gzip, deflate, br, zstd, base64) add
// nothing to paths. Siblings that share a name get "[k]", k counting from
// 0 ("form:scope[1]"); a child with no name is "[i]" by position. Entry
// names are used verbatim, so a "/" in a path may be a directory inside one
// archive as well as a step into a nested one.
//
// A shape path ([Shape]) is a path with every index written "[]" and every
// run of five or more digits in a step written "#", so that
// "ue_lt_1683864965.zip/usage.json:$.events[0].user" has the shape
// "ue_lt_#.zip/usage.json:$.events[].user".
//
// # Diffing
//
// [Diff] reports added, removed and changed values. Changes to a subtree
// that exists on one side only are one change at the subtree's root. The
// index in a path is the index in the NEW document for added and changed
// values, and in the OLD document for removed ones. Arrays of objects are
// matched by the key DiffOptions.Keys configures for their path, else by an
// evident key (an id-like member present, scalar and unique in every
// element of both sides: id, Id, ID, featureId, SN, GUID, name, ...), else
// by position; arrays of scalars are aligned on their longest common
// subsequence. A type change (number to string) is a change with
// TypeChanged set. Texts are compared whole and carry a unified line diff
// ([UnifiedText]); bytes compare by SHA-256. DiffOptions.Volatile marks
// changes at paths expected to change every time (timestamps, hashes).
// Path patterns are globs: "*" stays within one segment, "**" matches
// anything, and a pattern that starts with "$" or "/" and has no ":" also
// applies inside every document of the tree.
//
// # Drift and figures
//
// [Shape], [Drift] and [Merge] keep a baseline of which paths carry which
// types and report new fields, type changes and removed fields. [Figures]
// lists the numbers whose names look like license counts (CountUsedMax,
// users and devices released, TotalFiles ...), named after the nearest
// enclosing id: "CAG_AAC_CCU.CountUsedMax". The rules live in
// [DefaultFigureRules] and can be replaced through Options.Figures.
package inspect
