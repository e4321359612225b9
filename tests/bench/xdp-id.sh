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
