"""Room consumer <-> SFU worker over the channel layer, and the workers' Redis heartbeat.

Commands go to the worker's channel ``sfu_channel(worker_id)``; replies go to the consumer's own
channel name (``SfuJoin.reply_channel``).
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

from conference.protocol.common import IceCandidate, MediaKind, PcName, TrackInfo

__all__ = [
    "SfuHeartbeat",
    "sfu_heartbeat",
    "SfuJoin",
    "SfuPublishOffer",
    "SfuSubscribeAnswer",
    "SfuIce",
    "SfuSetMuted",
    "SfuKeyframe",
    "SfuSetVisible",
    "SfuLeave",
    "sfu_join",
    "sfu_publish_offer",
    "sfu_subscribe_answer",
    "sfu_ice",
    "sfu_set_muted",
    "sfu_keyframe",
    "sfu_set_visible",
    "sfu_leave",
    "SfuPublishAnswerReply",
    "SfuSubscribeOfferReply",
    "SfuErrorReply",
    "SfuClosedReason",
    "SfuClosedReply",
    "SfuWorkerLostReply",
    "SfuLinkReply",
    "SfuReply",
    "sfu_publish_answer",
    "sfu_subscribe_offer",
    "sfu_error",
    "sfu_closed",
    "sfu_worker_lost",
    "sfu_link",
    "SfuStats",
    "SfuStatsReport",
    "SfuStatsParticipant",
    "sfu_stats",
    "sfu_stats_report",
]


class SfuHeartbeat(TypedDict):
    """JSON under SFU_HEARTBEAT_KEY + worker id, refreshed while the worker lives."""

    worker_id: str
    load: int  # participants currently on the worker
    started_at: float
    full: NotRequired[bool]  # takes no new meetings (placement skips it); False when absent
    streams: NotRequired[int]  # subscriber streams it forwards now (0 when absent)
    capacity: NotRequired[int]  # subscriber streams it holds (SFU_MAX_STREAMS_PER_WORKER; 0: unknown)


def sfu_heartbeat(
    *, worker_id: str, load: int, started_at: float, full: bool = False, streams: int = 0, capacity: int = 0
) -> SfuHeartbeat:
    return {
        "worker_id": worker_id,
        "load": load,
        "started_at": started_at,
        "full": full,
        "streams": streams,
        "capacity": capacity,
    }


# ---------------------------------------------------------------------------
# Consumer -> SFU worker (to sfu_channel(worker_id))
# ---------------------------------------------------------------------------


class SfuJoin(TypedDict):
    type: Literal["sfu.join"]
    meeting: int  # everyone in the same meeting is forwarded to everyone else
    room: int  # room id, for room_group() (captions)
    meeting_started_at: float  # epoch seconds; caption times are relative to it
    captions: bool  # tap this participant's audio for captions
    participant: int
    name: str
    reply_channel: str  # consumer's channel name: answers/offers/events for this participant


class SfuPublishOffer(TypedDict):
    type: Literal["sfu.publish_offer"]
    participant: int
    sdp: str


class SfuSubscribeAnswer(TypedDict):
    type: Literal["sfu.subscribe_answer"]
    participant: int
    sdp: str


class SfuIce(TypedDict):
    type: Literal["sfu.ice"]
    participant: int
    pc: PcName
    candidate: IceCandidate | None


class SfuSetMuted(TypedDict):
    """Stop (or resume) forwarding one participant's media of a kind, e.g. a host's mute."""

    type: Literal["sfu.set_muted"]
    participant: int
    kind: MediaKind
    muted: bool
    from_participant: int  # who asks (themselves or a host): must be in the same meeting


class SfuKeyframe(TypedDict):
    type: Literal["sfu.keyframe"]
    participant: int  # publisher whose video should send a keyframe
    from_participant: int  # who asks: the publisher must be in the same meeting


class SfuSetVisible(TypedDict):
    """The publishers whose video (camera, screen) ``participant``'s page shows: the SFU forwards
    only those, pausing the rest without renegotiating (audio always flows)."""

    type: Literal["sfu.set_visible"]
    participant: int
    visible: list[int]


class SfuLeave(TypedDict):
    type: Literal["sfu.leave"]
    participant: int


def sfu_join(
    *,
    meeting: int,
    room: int,
    meeting_started_at: float,
    captions: bool,
    participant: int,
    name: str,
    reply_channel: str,
) -> SfuJoin:
    return {
        "type": "sfu.join",
        "meeting": meeting,
        "room": room,
        "meeting_started_at": meeting_started_at,
        "captions": captions,
        "participant": participant,
        "name": name,
        "reply_channel": reply_channel,
    }


def sfu_publish_offer(*, participant: int, sdp: str) -> SfuPublishOffer:
    return {"type": "sfu.publish_offer", "participant": participant, "sdp": sdp}


def sfu_subscribe_answer(*, participant: int, sdp: str) -> SfuSubscribeAnswer:
    return {"type": "sfu.subscribe_answer", "participant": participant, "sdp": sdp}


def sfu_ice(*, participant: int, pc: PcName, candidate: IceCandidate | None) -> SfuIce:
    return {"type": "sfu.ice", "participant": participant, "pc": pc, "candidate": candidate}


def sfu_set_muted(*, participant: int, kind: MediaKind, muted: bool, from_participant: int) -> SfuSetMuted:
    return {
        "type": "sfu.set_muted",
        "participant": participant,
        "kind": kind,
        "muted": muted,
        "from_participant": from_participant,
    }


def sfu_keyframe(*, participant: int, from_participant: int) -> SfuKeyframe:
    return {"type": "sfu.keyframe", "participant": participant, "from_participant": from_participant}


def sfu_set_visible(*, participant: int, visible: list[int]) -> SfuSetVisible:
    return {"type": "sfu.set_visible", "participant": participant, "visible": visible}


def sfu_leave(*, participant: int) -> SfuLeave:
    return {"type": "sfu.leave", "participant": participant}


# ---------------------------------------------------------------------------
# SFU worker -> consumer (to SfuJoin.reply_channel)
# ---------------------------------------------------------------------------


class SfuPublishAnswerReply(TypedDict):
    type: Literal["sfu.publish_answer"]
    participant: int
    sdp: str


class SfuSubscribeOfferReply(TypedDict):
    type: Literal["sfu.subscribe_offer"]
    participant: int
    sdp: str
    tracks: dict[str, TrackInfo]


class SfuErrorReply(TypedDict):
    type: Literal["sfu.error"]
    participant: int
    code: str  # bad-sdp, unknown-participant, ...
    message: str


SfuClosedReason = Literal["server-shutdown", "connection-lost"]


class SfuClosedReply(TypedDict):
    """The worker dropped this participant.

    ``server-shutdown``: the worker is stopping (SIGTERM); the consumer moves the meeting to
    another live worker. ``connection-lost``: the participant's peer connection failed (ICE
    consent expired: the browser vanished without closing its socket); the consumer records
    the leave and closes the socket. ``worker``: the sender, so a consumer that already moved
    away ignores it ("" from older workers).
    """

    type: Literal["sfu.closed"]
    participant: int
    reason: SfuClosedReason
    worker: NotRequired[str]


class SfuWorkerLostReply(TypedDict):
    """A worker died (its heartbeat expired without a goodbye): sent on its behalf to each
    consumer using it by the web process's heartbeat watch (sfu.watch). The consumer moves
    the meeting to another live worker, as for ``server-shutdown``."""

    type: Literal["sfu.worker_lost"]
    worker: str


class SfuLinkReply(TypedDict):
    """The subscriber's link cannot carry video (``paused``: the worker stopped forwarding video
    to it, audio goes on), or carries it again. ``layers``: VP8 temporal layers now forwarded
    (0 when paused; 1, 2, 3 = a quarter, half, full frame rate). Sent when ``paused`` changes."""

    type: Literal["sfu.link"]
    participant: int
    paused: bool
    layers: int


SfuReply = (
    SfuPublishAnswerReply
    | SfuSubscribeOfferReply
    | SfuErrorReply
    | SfuClosedReply
    | SfuWorkerLostReply
    | SfuLinkReply
)


def sfu_publish_answer(*, participant: int, sdp: str) -> SfuPublishAnswerReply:
    return {"type": "sfu.publish_answer", "participant": participant, "sdp": sdp}


def sfu_subscribe_offer(
    *, participant: int, sdp: str, tracks: dict[str, TrackInfo]
) -> SfuSubscribeOfferReply:
    return {"type": "sfu.subscribe_offer", "participant": participant, "sdp": sdp, "tracks": tracks}


def sfu_error(*, participant: int, code: str, message: str) -> SfuErrorReply:
    return {"type": "sfu.error", "participant": participant, "code": code, "message": message}


def sfu_closed(*, participant: int, reason: SfuClosedReason, worker: str = "") -> SfuClosedReply:
    """``worker`` is left out when "" (an SfuWorker that was not given its id)."""
    closed: SfuClosedReply = {"type": "sfu.closed", "participant": participant, "reason": reason}
    if worker:
        closed["worker"] = worker
    return closed


def sfu_worker_lost(*, worker: str) -> SfuWorkerLostReply:
    return {"type": "sfu.worker_lost", "worker": worker}


def sfu_link(*, participant: int, paused: bool, layers: int) -> SfuLinkReply:
    return {"type": "sfu.link", "participant": participant, "paused": paused, "layers": layers}


# ---------------------------------------------------------------------------
# Figures of a worker (tests, benches, operators), answered on the asker's channel
# ---------------------------------------------------------------------------


class SfuStats(TypedDict):
    """Ask a worker for its figures. With ``participant`` the question waits in that
    participant's meeting queue like any command of that meeting (so its round trip is that
    meeting's command latency) and the report adds that participant's subscribe connection."""

    type: Literal["sfu.stats"]
    reply_channel: str
    token: int  # echoed in the report, to pair answers with questions
    participant: NotRequired[int]


class SfuStatsParticipant(TypedDict):
    transceivers: int  # in its subscribe connection (free slots included)
    rtcp_tasks: int  # running sender RTCP tasks there (parked slots have none)
    rtx_sent: int  # retransmissions sent to it, all streams
    rtx_suppressed: int  # NACKed packets not retransmitted (named again, over the cap)
    paused: int  # videos it is not shown (sfu.set_visible): not forwarded
    link_level: int  # sfu.adapt: 3, 2, 1 temporal layers forwarded, 0 video paused for its link
    layers_dropped: int  # video packets not forwarded to it: above its temporal-layer target


class SfuStatsReport(TypedDict):
    type: Literal["sfu.stats_report"]
    token: int
    worker: str
    pid: int
    tasks: int  # asyncio tasks of the worker process
    fds: int  # open file descriptors of the worker process
    rss_mb: float
    participants: int
    meetings: int
    routes: int
    closers: int  # peer connections and taps still closing
    counters: dict[str, int]  # SfuWorker.stats (candidates dropped, ...)
    participant: NotRequired[SfuStatsParticipant]


def sfu_stats(*, reply_channel: str, token: int, participant: int | None = None) -> SfuStats:
    stats: SfuStats = {"type": "sfu.stats", "reply_channel": reply_channel, "token": token}
    if participant is not None:
        stats["participant"] = participant
    return stats


def sfu_stats_report(
    *,
    token: int,
    worker: str,
    pid: int,
    tasks: int,
    fds: int,
    rss_mb: float,
    participants: int,
    meetings: int,
    routes: int,
    closers: int,
    counters: dict[str, int],
    participant: SfuStatsParticipant | None = None,
) -> SfuStatsReport:
    report: SfuStatsReport = {
        "type": "sfu.stats_report",
        "token": token,
        "worker": worker,
        "pid": pid,
        "tasks": tasks,
        "fds": fds,
        "rss_mb": rss_mb,
        "participants": participants,
        "meetings": meetings,
        "routes": routes,
        "closers": closers,
        "counters": counters,
    }
    if participant is not None:
        report["participant"] = participant
    return report
