"""Writes to transcripts: final segments, the SFU's flush, the end of a meeting, completion."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from rooms.models import Meeting, Participant
from transcripts.models import ProcessedFinal, Segment, Transcript
from transcripts.signals import transcript_completed

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


def _complete_if_done(transcript: Transcript) -> bool:
    """The completion rule; on completion ``transcript_completed`` is sent once the transaction commits
    (the summaries app queues the summary)."""
    if (
        transcript.status == Transcript.Status.FLUSHING
        and transcript.finals_expected is not None
        and transcript.finals_done >= transcript.finals_expected
    ):
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
        ProcessedFinal.objects.create(transcript=transcript, utterance=utterance)
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


def record_flush(*, meeting_id: int, finals: int) -> Transcript:
    """The SFU sent every final request of the meeting: ``finals`` of them are to be processed."""
    if finals < 0:
        raise ValueError("finals must be >= 0")
    with transaction.atomic():
        transcript = _locked_transcript(meeting_id)
        transcript.finals_expected = finals
        transcript.save(update_fields=["finals_expected"])
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
