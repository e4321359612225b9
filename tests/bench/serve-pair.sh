# Sourced by the serve bench scripts (serve-events.sh, serve-memory.sh, serve-cpu.sh),
# after top is set, with a short tag for the names: a veth pair v0 (in
# $GEN) -- v1 (in $SINK), namespaces and pins named by the tag and the PID,
# removed on every exit with the serve whose PID is in evpid; sink runs a
# command in the receiving namespace; xdp_id (xdp-id.sh) waits for serve.
N=$1$$
GEN=$N-gen SINK=$N-sink
export TOKAUDIT_PIN_ROOT=/sys/fs/bpf/tokaudit-$1$$
evpid=
stop_serve() {
	[ -n "$evpid" ] && { kill -TERM "$evpid" 2>/dev/null; wait "$evpid" 2>/dev/null; }
	evpid=
}
cleanup() {
	stop_serve
	ip netns del $GEN 2>/dev/null; ip netns del $SINK 2>/dev/null
	rm -rf "$TOKAUDIT_PIN_ROOT"
}
trap cleanup EXIT INT TERM
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
ip netns add $GEN && ip netns add $SINK || exit 1
ip -n $GEN link add v0 type veth peer name v1 netns $SINK
ip -n $GEN link set v0 up; ip -n $SINK link set v1 up; ip -n $SINK link set lo up
sink() { nsenter --net=/run/netns/$SINK "$@"; }
. "$top/tests/bench/xdp-id.sh"
