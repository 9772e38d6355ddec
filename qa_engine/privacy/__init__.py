"""PII detection and masking for transcripts, views and exports (see ``docs/privacy.md``)."""

from .checks import id_check_char, is_bank_card, is_id_card, is_landline, is_mobile, luhn_valid
from .detect import CHINESE_DIGITS, PiiKind, PiiSpan, detect_pii
from .mask import KEEP_LAST, MASK_CHAR, apply_mask, mask_result, mask_text

__all__ = [
    "CHINESE_DIGITS",
    "KEEP_LAST",
    "MASK_CHAR",
    "PiiKind",
    "PiiSpan",
    "apply_mask",
    "detect_pii",
    "id_check_char",
    "is_bank_card",
    "is_id_card",
    "is_landline",
    "is_mobile",
    "luhn_valid",
    "mask_result",
    "mask_text",
]
