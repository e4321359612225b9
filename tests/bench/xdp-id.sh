# Sourced by the bench scripts (which define sink: a command in the
# receiving namespace).  xdp_id DEV: the id of the XDP program on DEV once
# one is attached (serve attaches once its tables are made: a 1 M-entry
# one takes seconds), waiting up to 30 s; empty when none came.
xdp_id() {
	local id=
	for _ in $(seq 300); do
		id=$(sink ip -d link show dev "$1" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p' | head -1)
		[ -n "$id" ] && break
		sleep 0.1
	done
	echo "$id"
}
# settled_rss PID: its resident KiB once two readings half a second apart
# differ by under 1 % (a process that has just attached may still be
# setting up), waiting up to 10 s
settled_rss() {
	local a b
	a=$(awk '/VmRSS/ {print $2}' /proc/$1/status 2>/dev/null)
	for _ in $(seq 20); do
		sleep 0.5
		b=$(awk '/VmRSS/ {print $2}' /proc/$1/status 2>/dev/null)
		[ -n "$a" ] && [ -n "$b" ] && [ $(((b > a ? b - a : a - b) * 100)) -lt "$b" ] && break
		a=$b
	done
	echo "$b"
}
