#!/usr/bin/python3
"""A real WebRTC call for the calls lab (issue 31): aiortc peers with ICE
(STUN, TURN over UDP, TCP or TLS), DTLS-SRTP, RTP and RTCP, audio and video.

  webrtc_call.py answer ADDR PORT SECONDS OUT.json
  webrtc_call.py offer ADDR SIGNAL_ADDR PORT SECONDS OUT.json [--stun URL] [--turn URL] [--audio-only]

Each peer uses only ADDR for its host candidates (a lab host has one
address), signals over one TCP connection (the offerer connects) and, when
the call ends, writes what its receiver saw (getStats: per inbound stream,
packets received and lost) and the ICE pair it used to OUT.json.
TURN credentials are the lab's: user 'ta', password 'ta'.
"""
import asyncio
import json
import re
import sys

import aioice.ice
from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack


def one_address(addr):
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: [addr]


def fix_sdp(sdp):
    # aiortc 1.4 gives audio's and video's header extensions the same id
    # with BUNDLE; move video's abs-send-time to an id of its own
    out, media = [], None
    for line in sdp.splitlines():
        if line.startswith("m="):
            media = line[2:7]
        if media == "video" and line.startswith("a=extmap:2 "):
            line = "a=extmap:9 " + line[len("a=extmap:2 "):]
        out.append(line)
    return "\r\n".join(out) + "\r\n"


async def send_msg(w, obj):
    w.write(json.dumps(obj).encode() + b"\n")
    await w.drain()


async def recv_msg(r):
    line = await r.readline()
    if not line:
        raise SystemExit("webrtc_call: the signalling connection closed")
    return json.loads(line)


async def stats_of(pc):
    rep = {"inbound": [], "pair": None}
    for t in pc.getTransceivers():
        s = await t.receiver.getStats()
        for v in s.values():
            if v.type == "inbound-rtp":
                rep["inbound"].append({"kind": v.kind, "ssrc": v.ssrc, "packets": v.packetsReceived,
                                       "lost": v.packetsLost, "jitter": v.jitter})
    for t in pc.getTransceivers():
        ice = t.receiver.transport.transport
        conn = ice._connection
        pair = getattr(conn, "_nominated", {}).get(1)
        if pair:
            rep["pair"] = {"local": [pair.local_candidate.host, pair.local_candidate.port, pair.local_candidate.type],
                           "remote": [pair.remote_candidate.host, pair.remote_candidate.port,
                                      pair.remote_candidate.type]}
        break
    return rep


def make_pc(args):
    servers = []
    for i, a in enumerate(args):
        if a == "--stun":
            servers.append(RTCIceServer(urls=args[i + 1]))
        elif a == "--turn":
            servers.append(RTCIceServer(urls=args[i + 1], username="ta", credential="ta"))
    pc = RTCPeerConnection(RTCConfiguration(iceServers=servers))
    pc.addTrack(AudioStreamTrack())
    if "--audio-only" not in args:
        pc.addTrack(VideoStreamTrack())
    return pc


async def hold(pc, seconds, out):
    done = asyncio.get_event_loop().create_future()

    @pc.on("connectionstatechange")
    def _():
        if pc.connectionState == "failed" and not done.done():
            done.set_result("failed")

    for t in pc.getTransceivers():
        t.receiver  # noqa: receivers consume media by themselves
    try:
        await asyncio.wait_for(asyncio.shield(done), seconds)
        state = "failed"
    except asyncio.TimeoutError:
        state = pc.connectionState
    rep = await stats_of(pc)
    rep["state"] = state
    with open(out, "w") as f:
        json.dump(rep, f)
    await pc.close()


async def sink(track):
    while True:
        try:
            await track.recv()
        except Exception:
            return


async def answer(addr, port, seconds, out):
    one_address(addr)
    got = asyncio.get_event_loop().create_future()

    async def on_conn(r, w):
        offer = await recv_msg(r)
        pc = make_pc([] if "m=video" in offer["sdp"] else ["--audio-only"])
        pc.on("track", lambda track: asyncio.ensure_future(sink(track)))
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer["sdp"], type="offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        await send_msg(w, {"sdp": fix_sdp(pc.localDescription.sdp), "type": "answer"})
        await hold(pc, seconds, out)
        got.set_result(True)

    server = await asyncio.start_server(on_conn, addr, port)
    await asyncio.wait_for(got, seconds + 120)
    server.close()


async def offer(addr, sig, port, seconds, out, rest):
    one_address(addr)
    pc = make_pc(rest)
    pc.on("track", lambda track: asyncio.ensure_future(sink(track)))
    await pc.setLocalDescription(await pc.createOffer())
    r, w = await asyncio.open_connection(sig, port)
    await send_msg(w, {"sdp": fix_sdp(pc.localDescription.sdp), "type": "offer"})
    ans = await recv_msg(r)
    await pc.setRemoteDescription(RTCSessionDescription(sdp=ans["sdp"], type="answer"))
    await hold(pc, seconds, out)


def main():
    a = sys.argv[1:]
    if not a or a[0] in ("-h", "--help"):
        print(__doc__)
        return
    if a[0] == "answer":
        asyncio.run(answer(a[1], int(a[2]), float(a[3]), a[4]))
    elif a[0] == "offer":
        asyncio.run(offer(a[1], a[2], int(a[3]), float(a[4]), a[5], a[6:]))
    else:
        sys.exit("webrtc_call: unknown role " + a[0])


if __name__ == "__main__":
    main()
