"""Writes: every change of a generation's, an image's or an export's state goes through here."""

from .claims import Added, Claim, FinishingSlot, LeaseLost, generation_claim, lease_expiry
from .enqueue import enqueue_generation
from .exports import (
    ExportRefused,
    export_build,
    export_start,
    exports_expire,
    exports_expire_holding,
)
from .generations import (
    QuotaExceeded,
    SubmissionRefused,
    TooManyPending,
    generation_cancel,
    generation_release,
    generation_rerun,
    generation_submit,
    generation_submit_once,
)
from .images import (
    favorites_set,
    images_delete_forever,
    images_restore,
    images_share,
    images_trash,
    images_unshare,
    library_image_remove,
    saved_search_delete,
    saved_search_save,
    trash_empty,
    trash_purge,
)
from .pipeline import (
    REVISED_PROMPT_LIMIT,
    clean_text,
    generation_call_api,
    generation_run,
    generation_store_images,
    generations_sweep,
)
from .storing import image_store
from .usage import usage_rebuild

__all__ = [
    "REVISED_PROMPT_LIMIT",
    "Added",
    "Claim",
    "ExportRefused",
    "FinishingSlot",
    "LeaseLost",
    "QuotaExceeded",
    "SubmissionRefused",
    "TooManyPending",
    "clean_text",
    "enqueue_generation",
    "export_build",
    "export_start",
    "exports_expire",
    "exports_expire_holding",
    "favorites_set",
    "generation_call_api",
    "generation_cancel",
    "generation_claim",
    "generation_release",
    "generation_rerun",
    "generation_run",
    "generation_store_images",
    "generation_submit",
    "generation_submit_once",
    "generations_sweep",
    "image_store",
    "images_delete_forever",
    "images_restore",
    "images_share",
    "images_trash",
    "images_unshare",
    "library_image_remove",
    "lease_expiry",
    "saved_search_delete",
    "saved_search_save",
    "trash_empty",
    "trash_purge",
    "usage_rebuild",
]
