"""Every builder's output matches its TypedDict, and the relay forwards only protocol frames."""

from __future__ import annotations

import inspect
import json
import types
import typing
from typing import Any, Literal, NotRequired, Union, get_args, get_origin

from django.test import SimpleTestCase, override_settings

from conference import protocol
from conference.protocol import client, common, group, names, server, sfu, transcribe

MODULES = (client, common, group, names, server, sfu, transcribe)


def is_typeddict(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, dict) and hasattr(tp, "__total__")


def fields(td: type) -> tuple[dict[str, Any], set[str]]:
    """Field hints and the optional (NotRequired) keys: __required_keys__ is wrong in Python 3.11
    when annotations are postponed, so they are read from the resolved hints."""
    hints = typing.get_type_hints(td, include_extras=True)
    optional = {k for k, v in hints.items() if get_origin(v) is NotRequired}
    return typing.get_type_hints(td), optional


def problems(value: Any, tp: Any, where: str = "") -> list[str]:
    """Why ``value`` is not a ``tp`` (shallowly, for the types the protocol uses)."""
    if tp is Any:
        return []
    origin = get_origin(tp)
    if origin is Literal:
        return [] if value in get_args(tp) else [f"{where}: {value!r} not in {get_args(tp)}"]
    if origin in (Union, types.UnionType):
        options = [problems(value, t, where) for t in get_args(tp)]
        return [] if any(not p for p in options) else [f"{where}: {value!r} is no {tp}"]
    if origin is list:
        if not isinstance(value, list):
            return [f"{where}: not a list"]
        return [p for i, v in enumerate(value) for p in problems(v, get_args(tp)[0], f"{where}[{i}]")]
    if origin is dict:
        if not isinstance(value, dict):
            return [f"{where}: not a dict"]
        key_t, value_t = get_args(tp)
        return [p for k, v in value.items() for p in problems(k, key_t, where) + problems(v, value_t, where)]
    if is_typeddict(tp):
        if not isinstance(value, dict):
            return [f"{where}: not a dict"]
        hints, optional = fields(tp)
        out = [f"{where}.{k}: not in {tp.__name__}" for k in value if k not in hints]
        out += [f"{where}.{k}: missing" for k in hints if k not in value and k not in optional]
        return out + [
            p for k, v in value.items() if k in hints for p in problems(v, hints[k], f"{where}.{k}")
        ]
    if tp is float:
        return (
            [] if isinstance(value, int | float) and not isinstance(value, bool) else [f"{where}: not float"]
        )
    if tp is int:
        return [] if isinstance(value, int) and not isinstance(value, bool) else [f"{where}: not int"]
    if tp is type(None):
        return [] if value is None else [f"{where}: not None"]
    return [] if isinstance(value, tp) else [f"{where}: {value!r} is not {tp.__name__}"]


def sample(tp: Any) -> Any:
    """A value of ``tp``, to call builders with."""
    origin = get_origin(tp)
    if origin is Literal:
        return get_args(tp)[0]
    if origin in (Union, types.UnionType):
        return sample(next(t for t in get_args(tp) if t is not type(None)))
    if origin is list:
        return [sample(get_args(tp)[0])]
    if origin is dict:
        return {"0": sample(get_args(tp)[1])}
    if is_typeddict(tp):
        return {k: sample(v) for k, v in fields(tp)[0].items()}
    return {int: 7, str: "x", bool: True, float: 1.5, bytes: b"\0\0"}.get(tp, {})


def builders() -> dict[str, Any]:
    out = {}
    for module in MODULES:
        for name in module.__all__:
            fn = getattr(module, name)
            if inspect.isfunction(fn) and is_typeddict(typing.get_type_hints(fn).get("return")):
                out[name] = fn
    return out


def message_types() -> list[type]:
    """Every TypedDict with a ``type`` field: a message of some hop."""
    out = []
    for module in MODULES:
        for name in module.__all__:
            tp = getattr(module, name)
            if is_typeddict(tp) and "type" in fields(tp)[0]:
                out.append(tp)
    return out


def literal(td: type) -> str:
    return get_args(fields(td)[0]["type"])[0]


class BuilderTests(SimpleTestCase):
    def test_each_builder_output_validates_against_its_typeddict(self) -> None:
        found = builders()
        self.assertGreater(len(found), 40)
        for name, fn in found.items():
            with self.subTest(builder=name):
                hints = typing.get_type_hints(fn)
                kwargs = {p: sample(hints[p]) for p in inspect.signature(fn).parameters}
                out = fn(**kwargs)
                self.assertEqual(problems(out, hints["return"], name), [])
                json.dumps(out, default=lambda b: "<bytes>")  # crosses a process boundary

    def test_builders_keep_what_they_are_given(self) -> None:
        for name, fn in builders().items():
            with self.subTest(builder=name):
                hints = typing.get_type_hints(fn)
                kwargs = {p: sample(hints[p]) for p in inspect.signature(fn).parameters}
                out = fn(**kwargs)
                for key, value in kwargs.items():
                    if key in fields(hints["return"])[0]:
                        self.assertEqual(out[key], value, key)

    def test_every_message_has_a_builder(self) -> None:
        built = {typing.get_type_hints(fn)["return"] for fn in builders().values()}
        for td in message_types():
            with self.subTest(message=td.__name__):
                self.assertIn(td, built)

    def test_the_validator_can_fail(self) -> None:
        joined = protocol.server_chat(message=sample(protocol.ChatInfo))
        self.assertTrue(problems({**joined, "extra": 1}, protocol.ServerChat))
        self.assertTrue(problems({"type": "chat"}, protocol.ServerChat))
        self.assertTrue(problems({**joined, "type": "error"}, protocol.ServerChat))
        self.assertTrue(problems({"type": "chat", "message": {"id": "1"}}, protocol.ServerChat))

    def test_optional_fields_are_optional(self) -> None:
        self.assertNotIn("participant", protocol.client_moderate(action="lock"))
        self.assertEqual(protocol.client_moderate(action="mute", participant=3)["participant"], 3)
        old_heartbeat = {"worker_id": "w", "load": 0, "started_at": 0.0}
        self.assertEqual(problems(old_heartbeat, protocol.SfuHeartbeat), [])

    def test_joined_says_whether_there_is_media(self) -> None:
        me = sample(protocol.ParticipantInfo)
        common: dict[str, Any] = {"participant": me, "participants": [], "chat": [], "locked": False}
        with_media = protocol.server_joined(**common, ice_servers=[])
        self.assertEqual((with_media["media"], with_media["media_message"]), (True, ""))
        without = protocol.server_joined(**common, ice_servers=[], media_message="No media server.")
        self.assertEqual((without["media"], without["media_message"]), (False, "No media server."))

    def test_package_exports_every_module_name(self) -> None:
        for module in MODULES:
            for name in module.__all__:
                self.assertIs(getattr(protocol, name), getattr(module, name), name)
            public = {
                n
                for n, v in vars(module).items()
                if not n.startswith("_")
                and getattr(v, "__module__", module.__name__) == module.__name__
                and not isinstance(v, types.ModuleType)
                and n != "annotations"
            }
            self.assertLessEqual(public - set(module.__all__), set(), module.__name__)


class RelayTests(SimpleTestCase):
    def relayable(self) -> list[type]:
        return [*get_args(protocol.RoomEvent), *get_args(protocol.SfuReply)]

    def test_the_unions_list_every_message_of_their_hop(self) -> None:
        def of(module: types.ModuleType) -> set[type]:
            return {td for td in message_types() if td.__module__ == module.__name__}

        self.assertEqual(set(get_args(protocol.RoomEvent)), of(group))
        self.assertEqual(
            set(get_args(protocol.SfuReply)), {td for td in of(sfu) if td.__name__.endswith("Reply")}
        )
        self.assertEqual(set(get_args(protocol.ServerMessage)), of(server))

    def test_every_group_event_and_sfu_reply_is_relayed_or_handled(self) -> None:
        kinds = {literal(td) for td in self.relayable()}
        self.assertEqual(kinds, set(protocol.RELAY) | protocol.CONSUMER_ACTIONS)
        self.assertEqual(set(protocol.RELAY) & protocol.CONSUMER_ACTIONS, set())

    def test_relayed_frames_are_server_messages(self) -> None:
        server_types = {literal(td): td for td in message_types() if td.__module__ == server.__name__}
        for td in self.relayable():
            kind = literal(td)
            if kind in protocol.CONSUMER_ACTIONS:
                continue
            with self.subTest(event=kind):
                event = sample(td)
                event["type"] = kind
                # The one it is for: its target, or one of the hosts it is for, else anyone.
                me = event.get("target", (event.get("hosts") or [None])[0])
                frame = protocol.RELAY[kind](event, me)
                self.assertIsNotNone(frame)
                self.assertEqual(problems(frame, server_types[frame["type"]], kind), [])

    def test_extra_event_fields_are_not_forwarded(self) -> None:
        event = {**protocol.room_media_state(participant=1, audio=True, video=False, screen=False)}
        event["secret"] = "internal"
        frame = protocol.RELAY["room.media_state"](event, 2)
        self.assertEqual(
            frame, {"type": "media-state", "participant": 1, "audio": True, "video": False, "screen": False}
        )

    def test_events_about_oneself_or_for_someone_else_are_not_relayed(self) -> None:
        me = sample(protocol.ParticipantInfo)
        joined = protocol.room_participant_joined(participant=me)
        self.assertIsNone(protocol.RELAY["room.participant_joined"](joined, me["id"]))
        self.assertIsNotNone(protocol.RELAY["room.participant_joined"](joined, me["id"] + 1))
        left = protocol.room_participant_left(participant=3, reason="left")
        self.assertIsNone(protocol.RELAY["room.participant_left"](left, 3))
        self.assertEqual(protocol.RELAY["room.participant_left"](left, 4)["reason"], "left")
        mute = protocol.room_mute(target=3, by="Alice")
        self.assertEqual(protocol.RELAY["room.mute"](mute, 3), {"type": "muted-by-host", "by": "Alice"})
        self.assertIsNone(protocol.RELAY["room.mute"](mute, 4))
        self.assertIsNone(protocol.RELAY["room.mute"](mute, None))

    def test_sfu_error_without_words_gets_default_words(self) -> None:
        frame = protocol.RELAY["sfu.error"]({"type": "sfu.error", "participant": 1}, 1)
        self.assertEqual(
            frame,
            {
                "type": "error",
                "code": "media-error",
                "message": "The media server refused that.",
                "fatal": False,
            },
        )


class ClientConfigTests(SimpleTestCase):
    @override_settings(WS_MAX_MESSAGE_BYTES=1234)
    def test_client_config(self) -> None:
        config = protocol.client_config()
        self.assertEqual(config["maxMessageBytes"], 1234)
        self.assertEqual(
            config["finalCloseCodes"],
            [
                protocol.CLOSE_NOT_ALLOWED,
                protocol.CLOSE_NOT_FOUND,
                protocol.CLOSE_LOCKED,
                protocol.CLOSE_REMOVED,
                protocol.CLOSE_FLOOD,
                protocol.CLOSE_TAKEN_OVER,
                protocol.CLOSE_ROOM_FULL,
                protocol.CLOSE_DENIED,
            ],
        )
        # After these, reconnecting resumes the same participant.
        for code in (protocol.CLOSE_SERVER_SHUTDOWN, protocol.CLOSE_SERVER_ERROR, protocol.CLOSE_MEDIA_LOST):
            self.assertNotIn(code, config["finalCloseCodes"])
        self.assertEqual(set(config["closeReasons"]), {str(c) for c in protocol.CLOSE_REASONS})
        self.assertIn("locked", config["closeReasons"][str(protocol.CLOSE_LOCKED)])
        json.dumps(config)
