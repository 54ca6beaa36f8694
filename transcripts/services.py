"""Writes to transcripts: final segments, the SFU's flush, the end of a meeting, completion.

Completion: the meeting ended (FLUSHING) and its SFU worker's flush said how many final requests
it sent, and that many were processed. A meeting can outlive its worker (moved to another one
when the first stopped or died), so a flush names its worker (``source``) and counts that
worker's finals only, and only the flush of the meeting's last worker (``Meeting.sfu_worker``)
can complete it:
- the first worker's finals were sent before the move: processed long before the meeting ends,
  or lost with a worker that died; either way they are not waited for;
- a stopped (SIGTERM) worker's flush arrives while the meeting is live and is superseded by the
  last worker's; a dead worker sends none;
- a transcript no flush completes (the last worker died too) is completed by
  ``complete_stuck_transcripts`` (a Celery beat task) TRANSCRIPT_FLUSH_TIMEOUT_SECONDS after
  the meeting ended, so the summary is still made.
A flush without ``source`` (none from the SFU: on_meeting_ended) counts every final.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from rooms.models import Meeting, Participant
from transcripts.models import ProcessedFinal, Segment, Transcript
from transcripts.signals import transcript_completed

logger = logging.getLogger(__name__)

MAX_UTTERANCE_ID = 64
MAX_SPEAKER = 100


def _locked_transcript(meeting_id: int) -> Transcript:
    """The meeting's transcript, created on demand, locked for this transaction.

    Call inside transaction.atomic: workers compete for requests of the same meeting, and the
    lock makes their counter updates and the completion check happen one at a time.
    """
    try:
        Transcript.objects.get_or_create(meeting_id=meeting_id)
    except IntegrityError:  # created by another worker in the meantime
        pass
    return Transcript.objects.select_for_update().get(meeting_id=meeting_id)


def _finals_done(transcript: Transcript) -> int | None:
    """The processed finals the stored flush is waiting for; None when that flush cannot
    complete the transcript (it came from a worker the meeting left)."""
    source = transcript.finals_source
    if not source:
        return transcript.finals_done
    if source != Meeting.objects.values_list("sfu_worker", flat=True).get(pk=transcript.meeting_id):
        return None
    return transcript.processed_finals.filter(source=source).count()


def _complete_if_done(transcript: Transcript) -> bool:
    """The completion rule; on completion ``transcript_completed`` is sent once the transaction commits
    (the summaries app queues the summary)."""
    if transcript.status != Transcript.Status.FLUSHING or transcript.finals_expected is None:
        return False
    done = _finals_done(transcript)
    if done is not None and done >= transcript.finals_expected:
        return _complete(transcript)
    return False


def _complete(transcript: Transcript) -> bool:
    if transcript.status != Transcript.Status.COMPLETE:
        transcript.status = Transcript.Status.COMPLETE
        transcript.completed_at = timezone.now()
        transcript.save(update_fields=["status", "completed_at"])
        meeting_id = transcript.meeting_id
        transaction.on_commit(lambda: transcript_completed.send(sender=Transcript, meeting_id=meeting_id))
        return True
    return False


def store_final_segment(
    *,
    meeting_id: int,
    participant_id: int | None,
    speaker: str,
    utterance: str,
    start: float,
    end: float,
    text: str,
    source: str = "",
) -> Segment | None:
    """Store the final caption of one utterance and count it towards ``finals_done``.

    Empty text stores no segment but still counts. Delivered twice, an utterance is stored and
    counted once (returns None the second time).
    """
    utterance = utterance[:MAX_UTTERANCE_ID]
    text = text.strip()
    with transaction.atomic():
        transcript = _locked_transcript(meeting_id)
        if transcript.processed_finals.filter(utterance=utterance).exists():
            return None
        ProcessedFinal.objects.create(transcript=transcript, utterance=utterance, source=source[:64])
        segment = None
        if text:
            # The participant row may be gone (meeting deleted mid-flight is handled by the FK).
            if participant_id is not None and not Participant.objects.filter(pk=participant_id).exists():
                participant_id = None
            segment = Segment.objects.create(
                transcript=transcript,
                participant_id=participant_id,
                speaker=speaker[:MAX_SPEAKER],
                start=max(0.0, float(start)),
                end=max(float(start), float(end)),
                text=text,
                utterance=utterance,
            )
        transcript.finals_done += 1
        transcript.save(update_fields=["finals_done"])
        _complete_if_done(transcript)
        return segment


def record_flush(*, meeting_id: int, finals: int, source: str = "") -> Transcript:
    """SFU worker ``source`` sent every final request it had for the meeting: ``finals`` of them."""
    if finals < 0:
        raise ValueError("finals must be >= 0")
    source = source[:64]
    with transaction.atomic():
        transcript = _locked_transcript(meeting_id)
        current = Meeting.objects.values_list("sfu_worker", flat=True).get(pk=meeting_id)
        if source and source != current and transcript.finals_source == current and current:
            # A late flush of a worker the meeting left: the current worker's flush stands.
            logger.info("Flush of meeting %s from former worker %s ignored", meeting_id, source)
            return transcript
        transcript.finals_expected = finals
        transcript.finals_source = source
        transcript.save(update_fields=["finals_expected", "finals_source"])
        _complete_if_done(transcript)
        return transcript


def on_meeting_ended(sender: Any, *, meeting: Meeting, **kwargs: Any) -> None:
    """rooms.signals.meeting_ended, sent inside the transaction that ends the meeting."""
    mark_meeting_ended(meeting=meeting)
    if not meeting.sfu_worker or not settings.CAPTIONS_ENABLED:
        # No SFU tapped this meeting's audio, so no flush will come: nothing more to wait for.
        record_flush(meeting_id=meeting.id, finals=0)


def mark_meeting_ended(*, meeting: Meeting) -> Transcript:
    """The meeting ended (called inside the transaction that ends it): the transcript flushes."""
    with transaction.atomic():
        transcript = _locked_transcript(meeting.pk)
        if transcript.status == Transcript.Status.LIVE:
            transcript.status = Transcript.Status.FLUSHING
            transcript.save(update_fields=["status"])
        _complete_if_done(transcript)
        return transcript


def complete_stuck_transcripts(*, older_than: timedelta) -> list[int]:
    """Complete the transcripts still FLUSHING ``older_than`` after their meeting ended (its SFU
    worker died before its flush, or its last finals were lost). Returns their meeting ids; each
    summary follows through the usual completion path (``transcript_completed``)."""
    cutoff = timezone.now() - older_than
    stuck = Transcript.objects.filter(
        status=Transcript.Status.FLUSHING, meeting__ended_at__lt=cutoff
    ).values_list("pk", flat=True)
    completed = []
    for pk in list(stuck):
        with transaction.atomic():
            transcript = Transcript.objects.select_for_update().get(pk=pk)
            if transcript.status != Transcript.Status.FLUSHING:
                continue  # completed meanwhile
            logger.warning(
                "Transcript of meeting %s was still finishing %s after the meeting ended "
                "(%s of %s finals): completing it",
                transcript.meeting_id,
                older_than,
                transcript.finals_done,
                transcript.finals_expected,
            )
            _complete(transcript)
            completed.append(transcript.meeting_id)
    return completed
