#!/usr/bin/env bash
# The Debian package: dpkg-buildpackage -us -uc -b on a copy of the tree,
# its contents (dpkg-deb -c), lintian (no error, no warning: each fixed or
# overridden with a reason), the maintainer scripts (enable, no start; stop
# and detach on removal), then install, remove and purge in a throwaway root
# made here (dpkg --root; maintainer scripts run chrooted there), never on
# this machine.
set -u
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/.." && pwd)
need_root "debian package (dpkg --root and its chroot)" || exit 0
for c in dpkg-buildpackage dh lintian dpkg-deb; do
	command -v $c >/dev/null || { bad "package: $c missing (scripts/deps.sh installs it)"; exit 0; }
done
tmp=$(mktemp -d /tmp/tokaudit-pkg.$$.XXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
version=$(sed -n '1s/^tokaudit (\([^)]*\)).*/\1/p' "$top/debian/changelog")
code_version=$(sed -n 's/^#define TA_VERSION "\(.*\)"/\1/p' "$top/include/tokaudit.h")
[ -n "$version" ] && [ "$version" = "$code_version" ] && ok "debian/changelog and TA_VERSION agree ($version)" \
	|| bad "debian/changelog says '$version', include/tokaudit.h '$code_version'"

# a copy of the tree as it is (git metadata too, for the revision), not build/
mkdir "$tmp/src"
(cd "$top" && tar --exclude=./build --exclude='./debian/tokaudit' -cf - .) | tar -xf - -C "$tmp/src"
if (cd "$tmp/src" && DEB_BUILD_OPTIONS="parallel=$(nproc)" dpkg-buildpackage -us -uc -b) >"$tmp/build.log" 2>&1; then
	ok "dpkg-buildpackage -us -uc -b"
else
	bad "dpkg-buildpackage: $(tail -5 "$tmp/build.log" | tr '\n' ' ')"
	exit 0
fi
deb=$tmp/tokaudit_${version}_amd64.deb
[ -f "$deb" ] && ok "built tokaudit_${version}_amd64.deb" || { bad "no $deb: $(ls "$tmp")"; exit 0; }

list=$(dpkg-deb -c "$deb" | awk '{ print $6 }'); list_rc=${PIPESTATUS[0]}
m=
for f in ./usr/sbin/tokaudit ./usr/share/man/man8/tokaudit.8.gz ./usr/share/bash-completion/completions/tokaudit \
	./lib/systemd/system/tokaudit.service ./lib/systemd/system/tokaudit@.service ./etc/default/tokaudit \
	./etc/tokaudit/opentok.policy ./etc/tokaudit/vonage.policy ./etc/logrotate.d/tokaudit ./usr/share/tokaudit/prometheus/tokaudit-rules.yml \
	./usr/share/tokaudit/grafana/tokaudit.json ./usr/share/doc/tokaudit/copyright; do
	grep -qxF "$f" <<<"$list" || m+=" $f"
done
[ -z "$m" ] && ok "dpkg-deb -c: binary, man page, completion, units, settings, policies, contrib files" || bad "package lacks:$m"
absent_out "nothing under /usr/local" "^\./usr/local" "$list_rc" "$list" "dpkg-deb -c"
[ "$(dpkg-deb -f "$deb" Recommends)" = bash-completion ] && ok "the package recommends bash-completion (its completion needs it)" \
	|| bad "Recommends: '$(dpkg-deb -f "$deb" Recommends)'"
grep -q "^ExecStart=/usr/sbin/tokaudit serve" <(dpkg-deb --fsys-tarfile "$deb" | tar -xOf - ./lib/systemd/system/tokaudit.service) \
	&& ok "the unit runs /usr/sbin/tokaudit" || bad "the packaged unit's ExecStart"

lint=$(lintian --pedantic -I "$deb" 2>&1 | grep -v "running with root privileges")
[ -z "$lint" ] && ok "lintian --pedantic: nothing (errors, warnings, info)" || bad "lintian: $(head -5 <<<"$lint" | tr '\n' ' ')"
grep -q "^E:" <<<"$lint" && bad "lintian errors"

dpkg-deb -e "$deb" "$tmp/ctl"
conff=$(cat "$tmp/ctl/conffiles")
[ "$conff" = "$(printf '/etc/default/tokaudit\n/etc/logrotate.d/tokaudit\n/etc/tokaudit/opentok.policy\n/etc/tokaudit/vonage.policy')" ] \
	&& ok "conffiles: the settings, the two policies, logrotate" || bad "conffiles: $conff"
grep -q "deb-systemd-helper enable 'tokaudit.service'" "$tmp/ctl/postinst" && ok "postinst enables tokaudit.service" || bad "postinst does not enable"
grep -qE "deb-systemd-invoke (start|restart) |systemctl start" "$tmp/ctl/postinst" && bad "postinst starts the service" \
	|| ok "postinst does not start it (try-restart on upgrade only)"
grep -q "deb-systemd-invoke stop" "$tmp/ctl/prerm" && grep -q "tokaudit detach --all" "$tmp/ctl/prerm" \
	&& ok "prerm stops the services and detaches" || bad "prerm: $(cat "$tmp/ctl/prerm")"

# a throwaway root: a dpkg database, a shell and the libraries tokaudit needs
# (the maintainer scripts run chrooted in it)
R=$tmp/root
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/dev" "$R/tmp" "$R/bin" "$R/usr/bin"
touch "$R/var/lib/dpkg/status" "$R/var/lib/dpkg/available"
mknod -m 666 "$R/dev/null" c 1 3
for f in /bin/dash /usr/bin/cut /bin/rm $(ldd /bin/dash /bin/rm "$top/build/tokaudit" | grep -o '/[^ ]*' | grep -v ':$'); do
	mkdir -p "$R$(dirname "$f")" && cp -L "$f" "$R$f"
done
ln -s dash "$R/bin/sh"
if dpkg --root="$R" --force-depends -i "$deb" >"$tmp/inst.log" 2>&1; then
	ok "dpkg --root: installs"
else bad "dpkg --root -i: $(tail -3 "$tmp/inst.log" | tr '\n' ' ')"; fi
st=$(dpkg --root="$R" -s tokaudit 2>/dev/null | sed -n 's/^Status: //p')
[ "$st" = "install ok installed" ] && ok "status: install ok installed" || bad "status: $st"
[ -x "$R/usr/sbin/tokaudit" ] && chroot "$R" /usr/sbin/tokaudit policy check -q /etc/tokaudit/opentok.policy \
	&& ok "the installed binary checks the installed policy (in the root)" || bad "installed binary or policy"
echo "TOKAUDIT_INTERFACES=eth9" >>"$R/etc/default/tokaudit"
dpkg --root="$R" -r tokaudit >"$tmp/rm.log" 2>&1 && ok "dpkg --root -r" || bad "dpkg -r: $(tail -3 "$tmp/rm.log")"
grep -q "nothing attached" "$tmp/rm.log" && ok "removal ran tokaudit detach --all" || bad "prerm's detach did not run: $(cat "$tmp/rm.log")"
[ ! -e "$R/usr/sbin/tokaudit" ] && [ ! -e "$R/lib/systemd/system/tokaudit.service" ] && grep -q eth9 "$R/etc/default/tokaudit" \
	&& ok "remove: files gone, the edited conffile kept" || bad "after remove: $(cd "$R" && find etc usr lib -type f 2>/dev/null | grep tokaudit | tr '\n' ' ')"
dpkg --root="$R" -P tokaudit >"$tmp/purge.log" 2>&1 && ok "dpkg --root -P" || bad "dpkg -P: $(tail -3 "$tmp/purge.log")"
left=$(cd "$R" && find etc lib usr/sbin usr/share -path '*tokaudit*' 2>/dev/null)
[ -z "$left" ] && ok "purge: nothing of tokaudit left in the root" || bad "after purge: $(tr '\n' ' ' <<<"$left")"
