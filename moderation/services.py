"""Writes of moderation: reports, the actions on cases, strikes, suspensions and appeals.

Every action takes a reason, writes one audit row, and runs in one transaction with the case
row locked; an action on a case whose version changed since the moderator loaded it is refused,
so two moderators never act twice on one case."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from accounts.models import Profile
from audit.models import AuditEntry
from audit.services import audit_record, user_name
from gallery import storage
from gallery.models import GeneratedImage, Generation
from gallery.selectors import refusals_since_review
from telemetry.metrics import generations_ended

from .models import Case, Notice, Report, Strike
from .selectors import is_moderator


class ModerationError(Exception):
    """An action that cannot be taken, with the reason in words."""


def _snapshot_thumbnail(case: Case, image: GeneratedImage) -> str:
    """A copy of the image's thumbnail that outlives the image."""
    if not image.thumbnail:
        return ""
    try:
        content = storage.read_bytes(image.thumbnail.name or "")
    except OSError:
        return ""
    return storage.save_bytes(f"moderation/case-{case.pk}-thumb.webp", content)


def _image_case(image: GeneratedImage) -> Case:
    """The image's one case, made with a snapshot of the image if it has none yet."""
    case = Case.objects.select_for_update().filter(kind=Case.Kind.IMAGE, image=image).first()
    if case is not None:
        return case
    case = Case.objects.create(
        kind=Case.Kind.IMAGE,
        image=image,
        subject_id=image.user_id,
        subject_name=image.user.get_username(),
        prompt=image.generation.prompt,
        revised_prompt=image.revised_prompt,
    )
    case.thumbnail = _snapshot_thumbnail(case, image)
    case.save(update_fields=["thumbnail"])
    return case


def _reopen(case: Case, now: Any) -> None:
    case.status = Case.Status.OPEN
    case.reopened_at = now
    case.closed_at = None
    case.outcome = ""


def report_submit(*, reporter: User, image: GeneratedImage, reason: str, note: str = "") -> bool:
    """Report an image the reporter can see in a library. Reports of one image merge into its
    one case; a report after a dismissal reopens it. False when this reporter had already
    reported the image (nothing changes)."""
    with transaction.atomic():
        # One report at a time per image, so its case is made once.
        GeneratedImage.objects.select_for_update().filter(pk=image.pk).first()
        if Report.objects.filter(reporter=reporter, image_id=image.pk).exists():
            return False
        case = _image_case(image)
        now = timezone.now()
        if not case.is_open:
            _reopen(case, now)
        try:
            with transaction.atomic():
                Report.objects.create(
                    case=case, reporter=reporter, image_id=image.pk, reason=reason, note=note
                )
        except IntegrityError:
            return False
        case.report_count += 1
        case.version += 1
        case.save()
    return True


def _locked_case(case_id: int, version: int) -> Case:
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("subject")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise ModerationError("That case does not exist.")
    if case.version != version:
        raise ModerationError(
            "This case changed since you loaded it (another moderator may have acted): "
            "look at it again before acting."
        )
    return case


def _check_may_act_on(moderator: User, subject: User | None) -> None:
    if subject is None:
        return
    if subject.pk == moderator.pk:
        raise ModerationError("You cannot act on your own content or account.")
    if subject.is_superuser:
        raise ModerationError("Superusers are not moderated here.")
    if is_moderator(subject):
        raise ModerationError("Another moderator's content is for an administrator to handle.")


def _close(case: Case, status: str, outcome: str) -> None:
    case.status = status
    case.closed_at = timezone.now()
    case.outcome = outcome
    case.version += 1
    case.save()
    if case.kind == Case.Kind.USER and case.subject_id is not None:
        # The refusals this case was about are reviewed: they hold no more submissions.
        Profile.objects.update_or_create(
            user_id=case.subject_id, defaults={"refusals_reviewed_at": case.closed_at}
        )


def _audit_case(
    moderator: User | None, action: str, case: Case, reason: str, **details: Any
) -> None:
    audit_record(
        actor=moderator,
        action=action,
        target_type="case",
        target_id=case.pk,
        target_name=f"{case.get_kind_display().lower()} case {case.pk} about {case.subject_name}",
        reason=reason,
        details=details,
        source=AuditEntry.Source.PORTAL if moderator else AuditEntry.Source.SYSTEM,
    )


def _notify(user_id: int | None, kind: str, reason: str, case: Case | None) -> None:
    if user_id is not None:
        Notice.objects.create(user_id=user_id, kind=kind, reason=reason, case=case)


def case_dismiss(*, moderator: User, case_id: int, version: int, reason: str) -> Case:
    with transaction.atomic():
        case = _locked_case(case_id, version)
        _check_may_act_on(moderator, case.subject)
        if not case.is_open:
            raise ModerationError("This case is already closed.")
        _close(case, Case.Status.DISMISSED, "Reviewed: no action was needed.")
        _audit_case(moderator, "case.dismiss", case, reason)
    return case


def case_hide_image(*, moderator: User, case_id: int, version: int, reason: str) -> Case:
    """Hide the case's image from everyone but its owner and moderators."""
    with transaction.atomic():
        case = _locked_case(case_id, version)
        _check_may_act_on(moderator, case.subject)
        if case.image_id is None:
            raise ModerationError("The image is gone (deleted by its owner); nothing to hide.")
        GeneratedImage.objects.filter(pk=case.image_id).update(
            hidden_at=timezone.now(), hidden_reason=reason
        )
        _close(case, Case.Status.ACTIONED, "The image was hidden.")
        _notify(case.subject_id, Notice.Kind.HIDDEN, reason, case)
        _audit_case(moderator, "image.hide", case, reason, image_id=case.image_id)
    return case


def case_restore_image(*, moderator: User, case_id: int, version: int, reason: str) -> Case:
    """Show a hidden image again (it stays where its owner shared it)."""
    with transaction.atomic():
        case = _locked_case(case_id, version)
        _check_may_act_on(moderator, case.subject)
        if case.image_id is None:
            raise ModerationError("The image is gone (deleted by its owner).")
        restored = (
            GeneratedImage.objects.hidden()
            .filter(pk=case.image_id)
            .update(hidden_at=None, hidden_reason="")
        )
        if not restored:
            raise ModerationError("The image is not hidden.")
        _close(case, Case.Status.ACTIONED, "The image was restored.")
        _notify(case.subject_id, Notice.Kind.RESTORED, reason, case)
        _audit_case(moderator, "image.restore", case, reason, image_id=case.image_id)
    return case


def case_strike(*, moderator: User, case_id: int, version: int, reason: str) -> Case:
    """Give the case's subject a strike; enough strikes suspend the account by themselves."""
    with transaction.atomic():
        case = _locked_case(case_id, version)
        _check_may_act_on(moderator, case.subject)
        if case.subject is None:
            raise ModerationError("The user is gone.")
        Strike.objects.create(
            user=case.subject, case=case, reason=reason, moderator_id=moderator.pk
        )
        _close(case, Case.Status.ACTIONED, "The creator was given a strike.")
        _notify(case.subject_id, Notice.Kind.STRIKE, reason, case)
        _audit_case(moderator, "user.strike", case, reason, user_id=case.subject_id)
        strikes = Strike.objects.filter(user=case.subject).count()
        profile = Profile.objects.filter(user=case.subject).first()
        already = profile is not None and profile.suspended_at is not None
        if strikes >= settings.MODERATION_STRIKES_TO_SUSPEND and not already:
            _suspend(
                None,
                case.subject,
                f"{strikes} strikes; the last: {reason}",
                case,
            )
    return case


def _suspend(moderator: User | None, user: User, reason: str, case: Case | None) -> None:
    now = timezone.now()
    Profile.objects.update_or_create(
        user=user, defaults={"suspended_at": now, "suspended_reason": reason}
    )
    # Queued work is canceled and given back to the quotas; running work ends as it would.
    canceled = (
        Generation.objects.of(user)
        .filter(status=Generation.Status.QUEUED)
        .update(status=Generation.Status.CANCELED, finished_at=now, lease_until=None, charged=0)
    )
    transaction.on_commit(lambda: generations_ended(Generation.Status.CANCELED, count=canceled))
    GeneratedImage.objects.owned_by(user).update(withheld=True)
    _notify(user.pk, Notice.Kind.SUSPENDED, reason, case)
    audit_record(
        actor=moderator,
        action="user.suspend",
        target_type="user",
        target_id=user.pk,
        target_name=user_name(user),
        reason=reason,
        details={"canceled_generations": canceled, "case": case.pk if case else None},
        source=AuditEntry.Source.PORTAL if moderator else AuditEntry.Source.SYSTEM,
    )


def user_suspend(
    *, moderator: User, user: User, reason: str, case_id: int | None = None, version: int = 0
) -> None:
    """Suspend an account: logged out at its next request, its queued generations canceled and
    refunded, its shared images out of the libraries until it is restored."""
    with transaction.atomic():
        case = _locked_case(case_id, version) if case_id is not None else None
        _check_may_act_on(moderator, user)
        profile = Profile.objects.select_for_update().filter(user=user).first()
        if profile is not None and profile.suspended_at is not None:
            raise ModerationError(f"{user.get_username()} is already suspended.")
        _suspend(moderator, user, reason, case)
        if case is not None and case.is_open:
            _close(case, Case.Status.ACTIONED, "The creator's account was suspended.")


def user_restore(
    *, moderator: User, user: User, reason: str, case_id: int | None = None, version: int = 0
) -> None:
    """Lift a suspension: the account works again and its shared images return."""
    with transaction.atomic():
        case = _locked_case(case_id, version) if case_id is not None else None
        _check_may_act_on(moderator, user)
        profile = Profile.objects.select_for_update().filter(user=user).first()
        if profile is None or profile.suspended_at is None:
            raise ModerationError(f"{user.get_username()} is not suspended.")
        profile.suspended_at = None
        profile.suspended_reason = ""
        profile.save(update_fields=["suspended_at", "suspended_reason"])
        GeneratedImage.objects.owned_by(user).update(withheld=False)
        _notify(user.pk, Notice.Kind.UNSUSPENDED, reason, case)
        audit_record(
            actor=moderator,
            action="user.restore",
            target_type="user",
            target_id=user.pk,
            target_name=user_name(user),
            reason=reason,
        )
        if case is not None:
            case.version += 1
            case.save(update_fields=["version"])


def case_appeal(*, user: User, case_id: int, text: str) -> Case:
    """The owner's one appeal against an action on their content or account: it reopens the
    case with the appeal's text."""
    with transaction.atomic():
        case = Case.objects.select_for_update().filter(pk=case_id, subject=user).first()
        if case is None or not Notice.objects.filter(user=user, case=case).exists():
            raise ModerationError("There is nothing to appeal here.")
        if case.appealed_at is not None:
            raise ModerationError("You have already appealed this decision.")
        if case.is_open:
            raise ModerationError("This case is still open; a moderator will decide first.")
        now = timezone.now()
        case.appeal_text = text
        case.appealed_at = now
        _reopen(case, now)
        case.version += 1
        case.save()
        audit_record(
            actor=user,
            action="case.appeal",
            target_type="case",
            target_id=case.pk,
            target_name=f"case {case.pk} about {case.subject_name}",
            reason=text,
        )
    return case


def open_refusal_cases() -> list[Case]:
    """A case about each user whose unreviewed content-policy refusals in the window reach the
    threshold and who has no open case about them; the hold on their submissions follows
    from the same count (gallery.selectors.submission_check)."""
    since = timezone.now() - timedelta(hours=settings.MODERATION_REFUSALS_WINDOW_HOURS)
    candidates = (
        Generation.objects.refused_by_policy()
        .filter(created_at__gte=since)
        .values("user_id")
        .annotate(refusals=Count("id"))
        .filter(refusals__gte=settings.MODERATION_REFUSALS_THRESHOLD)
    )
    opened = []
    for row in candidates:
        user_id = row["user_id"]
        if Case.objects.filter(kind=Case.Kind.USER, subject_id=user_id, status="open").exists():
            continue
        refused = refusals_since_review(user_id)
        if refused < settings.MODERATION_REFUSALS_THRESHOLD:
            continue
        user = User.objects.get(pk=user_id)
        last = Generation.objects.of(user_id).refused_by_policy().order_by("-created_at").first()
        try:
            with transaction.atomic():
                case = Case.objects.create(
                    kind=Case.Kind.USER,
                    subject=user,
                    subject_name=user.get_username(),
                    prompt=last.prompt if last else "",
                    report_count=0,
                )
                _audit_case(None, "case.open", case, f"{refused} content-policy refusals")
        except IntegrityError:
            continue  # opened meanwhile by another run
        opened.append(case)
    return opened
