#!/usr/bin/env bash
# build.sh [OUT.msi]: cross-compiles telltale.exe for windows/amd64 and
# builds Telltale's Windows Installer package from telltale.wxs with wixl
# (Debian: apt-get install wixl msitools). OUT defaults to
# ./telltale.msi.
#
# VERSION (major.minor.build, each a number; Windows Installer compares
# the first three fields, build at most 65535) defaults to 0.1.<commits on
# HEAD>, which grows with every commit so that a newer package upgrades an
# older one (MajorUpgrade). TELLTALE_EXE uses a telltale.exe already built.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$(realpath -m "${1:-telltale.msi}")
version=${VERSION:-0.1.$(git -C "$root" rev-list --count HEAD 2>/dev/null || echo 0)}
if ! [[ $version =~ ^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,5})$ ]] ||
  ((BASH_REMATCH[1] > 255 || BASH_REMATCH[2] > 255 || BASH_REMATCH[3] > 65535)); then
  echo "build.sh: VERSION $version is not major.minor.build (at most 255.255.65535)" >&2
  exit 2
fi
for tool in wixl msibuild; do
  command -v "$tool" >/dev/null || { echo "build.sh: $tool missing: apt-get install wixl msitools" >&2; exit 2; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -n "${TELLTALE_EXE:-}" ]; then
  cp "$TELLTALE_EXE" "$work/telltale.exe"
else
  (cd "$root" && CGO_ENABLED=0 GOOS=windows GOARCH=amd64 go build -trimpath -o "$work/telltale.exe" ./cmd/telltale)
fi
# The default config is the embedded one: the built-in Citrix LAS profile.
cp "$root/configs/telltale.yaml" "$work/telltale.yaml"
cp "$here/telltale.wxs" "$work/"
# wixl finds sources relative to the working directory.
(cd "$work" && wixl -a x64 -D Version="$version" -D Exe=telltale.exe -D Config=telltale.yaml -o "$work/telltale.msi" telltale.wxs)
# wixl writes SecureCustomProperties itself (for MajorUpgrade) and cannot
# take a second row: add the public properties that must reach the
# installer's service side, where the deferred custom action and
# InstallServices format them.
msibuild "$work/telltale.msi" -q "UPDATE \`Property\` SET \`Value\` = 'LISTEN;CONFIG;DATADIR;WIX_DOWNGRADE_DETECTED;WIX_UPGRADE_DETECTED' WHERE \`Property\` = 'SecureCustomProperties'"
mv "$work/telltale.msi" "$out"
echo "built $out (version $version)"
