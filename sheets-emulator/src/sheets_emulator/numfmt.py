"""Number formats: render a number the way Sheets shows it (FORMATTED_VALUE).

Covers the patterns a finance sheet uses: ``#,##0.00``, ``0%``, ``"$"#,##0.00``,
``[$€]#,##0``, ``0.00E+00``, negative sections (``#,##0;(#,##0)``), thousands
scaling (``#,##0,"K"``), text ``@`` and date/time patterns (``yyyy-mm-dd``,
``M/d/yyyy``, ``h:mm AM/PM``). Dates are serial numbers counted from
1899-12-30, as in Sheets.
"""

from __future__ import annotations

import datetime as _dt
import functools
import math
import re
from decimal import ROUND_HALF_UP, Decimal

EPOCH = _dt.datetime(1899, 12, 30)

# Default patterns Sheets (en_US) uses for a numberFormat given only a type.
DEFAULT_PATTERNS = {
    "TEXT": "@",
    "NUMBER": "#,##0.00",
    "PERCENT": "0.00%",
    "CURRENCY": '"$"#,##0.00',
    "DATE": "M/d/yyyy",
    "TIME": "h:mm:ss am/pm",
    "DATE_TIME": "M/d/yyyy H:mm:ss",
    "SCIENTIFIC": "0.00E+00",
}

_DATE_TOKEN_RE = re.compile(r"(?i)(y+|d+|h+|s+|am/pm|a/p|\[h+\]|\[m+\]|\[s+\])")


def _strip_literals(section: str) -> str:
    """Remove quoted text, escapes and bracketed codes (to look at the tokens)."""
    out = re.sub(r'"[^"]*"', "", section)
    out = re.sub(r"\\.", "", out)
    out = re.sub(r"\[\$[^\]]*\]", "", out)
    out = re.sub(r"\[(?:[a-zA-Z]+|[<>=][^\]]*)\]", "", out)
    out = re.sub(r"[_*].", "", out)
    return out


@functools.lru_cache(maxsize=1024)
def split_sections(pattern: str) -> tuple[str, ...]:
    sections, cur, i, quoted = [], [], 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == '"':
            quoted = not quoted
        elif ch == "\\" and not quoted and i + 1 < len(pattern):
            cur.append(pattern[i : i + 2])
            i += 2
            continue
        elif ch == ";" and not quoted:
            sections.append("".join(cur))
            cur = []
            i += 1
            continue
        cur.append(ch)
        i += 1
    sections.append("".join(cur))
    return tuple(sections)


@functools.lru_cache(maxsize=1024)
def is_date_pattern(pattern: str) -> bool:
    bare = _strip_literals(split_sections(pattern)[0])
    if re.search(r"[0#?]", bare):
        return False
    return bool(_DATE_TOKEN_RE.search(bare) or re.search(r"(?i)m", bare))


@functools.lru_cache(maxsize=1024)
def infer_type(pattern: str) -> str:
    """The numberFormat ``type`` Sheets would report for a pattern."""
    if not pattern or pattern.lower() == "general":
        return "NUMBER"
    if pattern.strip() == "@":
        return "TEXT"
    if is_date_pattern(pattern):
        bare = _strip_literals(split_sections(pattern)[0]).lower()
        has_date = bool(re.search(r"[yd]", bare)) or ("m" in bare and not re.search(r"[hs]", bare))
        has_time = bool(re.search(r"[hs]|am/pm", bare))
        if has_date and has_time:
            return "DATE_TIME"
        return "TIME" if has_time else "DATE"
    bare = _strip_literals(split_sections(pattern)[0])
    if "%" in bare:
        return "PERCENT"
    if re.search(r"[Ee][+-]", bare):
        return "SCIENTIFIC"
    if re.search(r"[$€£¥₹]|\[\$", pattern):
        return "CURRENCY"
    return "NUMBER"


# ---------------------------------------------------------------------------
# automatic ("General") number display


def format_general(value: float) -> str:
    """How Sheets shows a number with no number format."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and abs(value) < 1e15):
        return str(int(value))
    if math.isnan(value) or math.isinf(value):
        return "#NUM!"
    if abs(value) >= 1e15 or (value != 0 and abs(value) < 1e-10):
        mant, exp = f"{value:.5E}".split("E")
        mant = mant.rstrip("0").rstrip(".")
        return f"{mant}E{'+' if int(exp) >= 0 else '-'}{abs(int(exp)):02d}"
    text = f"{round(value, 10):.15g}"
    if "e" in text:
        text = f"{round(value, 10):.10f}".rstrip("0").rstrip(".")
    return text


# ---------------------------------------------------------------------------
# numeric patterns


def _literal_at(section: str, i: int):
    """A quoted string or a backslash-escaped character at `i`: (its text, the index after it); else None."""
    if section[i] == '"':
        j = section.find('"', i + 1)
        j = len(section) if j < 0 else j
        return section[i + 1 : j], j + 1
    if section[i] == "\\" and i + 1 < len(section):
        return section[i + 1], i + 2
    return None


def _bracketed_at(section: str, i: int) -> tuple[str, int]:
    """The ``[...]`` at `i`: (what is inside, the index after it)."""
    j = section.find("]", i)
    j = len(section) if j < 0 else j
    return section[i + 1 : j], j + 1


def _tokenize_numeric(section: str):
    """Yield (kind, text): kind in {'lit', 'ph', 'dot', 'comma', 'pct', 'exp'}."""
    i = 0
    n = len(section)
    while i < n:
        ch = section[i]
        literal = _literal_at(section, i)
        if literal is not None:
            text, i = literal
            yield "lit", text
        elif ch == "[":
            inner, i = _bracketed_at(section, i)
            if inner.startswith("$"):
                yield "lit", inner[1:].split("-")[0]
        elif ch == "_" and i + 1 < n:
            yield "lit", " "
            i += 2
        elif ch == "*" and i + 1 < n:
            i += 2
        elif ch in "0#?":
            yield "ph", ch
            i += 1
        elif ch == ".":
            yield "dot", ch
            i += 1
        elif ch == ",":
            yield "comma", ch
            i += 1
        elif ch == "%":
            yield "pct", ch
            i += 1
        elif ch in "Ee" and i + 1 < n and section[i + 1] in "+-":
            yield "exp", section[i : i + 2]
            i += 2
        elif ch == "@":
            yield "text", ch
            i += 1
        else:
            yield "lit", ch
            i += 1


def _round_half_up(value: float, places: int) -> Decimal:
    q = Decimal(1).scaleb(-places)
    return Decimal(repr(value)).quantize(q, rounding=ROUND_HALF_UP)


def _group(int_digits: str) -> str:
    out = []
    for i, ch in enumerate(reversed(int_digits)):
        if i and i % 3 == 0:
            out.append(",")
        out.append(ch)
    return "".join(reversed(out))


def _format_numeric_section(value: float, section: str) -> str:
    tokens = list(_tokenize_numeric(section))
    if not any(k == "ph" for k, _ in tokens):
        # no digits at all: the section is literal text (e.g. "-" for zero)
        return "".join(t for k, t in tokens if k == "lit" or k in ("pct",))
    first_ph = next(i for i, (k, _) in enumerate(tokens) if k == "ph")
    last_ph = max(i for i, (k, _) in enumerate(tokens) if k == "ph")

    int_ph, dec_ph, exp_ph = [], [], []
    grouping = False
    scale_commas = 0
    seen_dot = seen_exp = False
    for kind, text in tokens[first_ph : last_ph + 1]:
        if kind == "ph":
            (exp_ph if seen_exp else dec_ph if seen_dot else int_ph).append(text)
        elif kind == "dot" and not seen_exp:
            seen_dot = True
        elif kind == "comma" and not seen_dot and not seen_exp:
            grouping = True
        elif kind == "exp":
            seen_exp = True
    # commas right after the last integer placeholder scale by 1000 each
    j = last_ph + 1
    while j < len(tokens) and tokens[j][0] == "comma" and not dec_ph:
        scale_commas += 1
        j += 1
    pct = sum(1 for k, _ in tokens if k == "pct")

    v = abs(value) * (100**pct) / (1000**scale_commas)
    exp_text = ""
    if seen_exp:
        exponent = 0 if v == 0 else math.floor(math.log10(v))
        int_places = max(len(int_ph), 1)
        exponent -= int_places - 1
        mant = v / (10**exponent) if v else 0.0
        d = _round_half_up(mant, len(dec_ph))
        if d >= Decimal(10) ** int_places:
            exponent += 1
            d = _round_half_up(mant / 10, len(dec_ph))
        exp_token = next(t for k, t in tokens if k == "exp")
        sign = "-" if exponent < 0 else ("+" if exp_token[1] == "+" else "")
        exp_text = f"{exp_token[0]}{sign}{abs(exponent):0{max(len(exp_ph), 1)}d}"
    else:
        d = _round_half_up(v, len(dec_ph))
    text = f"{d:f}"
    int_part, _, dec_part = text.partition(".")
    min_int = sum(1 for p in int_ph if p == "0")
    int_part = int_part.lstrip("0")
    if len(int_part) < min_int:
        int_part = "0" * (min_int - len(int_part)) + int_part
    if grouping:
        int_part = _group(int_part)
    if dec_ph:
        min_dec = 0
        for p in dec_ph:
            if p == "0":
                min_dec += 1
            else:
                break
        dec_part = dec_part[: len(dec_ph)]
        trimmed = dec_part.rstrip("0")
        if len(trimmed) < min_dec:
            trimmed = dec_part[:min_dec]
        number = f"{int_part}.{trimmed}"
    elif seen_dot:
        number = f"{int_part}."
    else:
        number = int_part
    number += exp_text

    out = []
    for i, (kind, text) in enumerate(tokens):
        if i == first_ph:
            out.append(number)
        elif first_ph < i <= last_ph:
            continue
        elif kind in ("lit", "pct"):
            out.append(text)
        elif kind == "comma" and i > last_ph:
            continue
        elif kind == "dot" and i > last_ph:
            continue
    return "".join(out)


# ---------------------------------------------------------------------------
# dates


def serial_to_datetime(serial: float) -> _dt.datetime:
    return EPOCH + _dt.timedelta(days=serial)


def datetime_to_serial(value: _dt.datetime | _dt.date | _dt.time) -> float:
    if isinstance(value, _dt.datetime):
        delta = value.replace(tzinfo=None) - EPOCH
    elif isinstance(value, _dt.date):
        delta = _dt.datetime(value.year, value.month, value.day) - EPOCH
    else:
        delta = _dt.timedelta(
            hours=value.hour, minutes=value.minute, seconds=value.second, microseconds=value.microsecond
        )
    serial = delta.days + delta.seconds / 86400 + delta.microseconds / 86400e6
    return int(serial) if float(serial).is_integer() else serial


_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def _date_tokens(section: str):
    i, n = 0, len(section)
    while i < n:
        ch = section[i]
        literal = _literal_at(section, i)
        if literal is not None:
            text, i = literal
            yield "lit", text
            continue
        if ch == "[":
            inner, i = _bracketed_at(section, i)
            if re.fullmatch(r"(?i)h+|m+|s+", inner):
                yield "elapsed", inner.lower()
            continue
        low = section[i : i + 5].lower()
        if low == "am/pm":
            yield "ampm", section[i : i + 5]
            i += 5
            continue
        if section[i : i + 3].lower() == "a/p":
            yield "ap", section[i : i + 3]
            i += 3
            continue
        if ch.lower() in "ydmhs":
            j = i
            while j < n and section[j].lower() == ch.lower():
                j += 1
            yield ch.lower(), section[i:j]
            i = j
            continue
        if ch == "." and i + 1 < n and section[i + 1] == "0":
            j = i + 1
            while j < n and section[j] == "0":
                j += 1
            yield "frac", section[i + 1 : j]
            i = j
            continue
        yield "lit", ch
        i += 1


def _format_date_section(serial: float, section: str) -> str:
    tokens = list(_date_tokens(section))
    has_ampm = any(k in ("ampm", "ap") for k, _ in tokens)
    # resolve m: minutes when right after an hour or right before seconds
    kinds = [k for k, _ in tokens]
    resolved = []
    for idx, (kind, text) in enumerate(tokens):
        if kind == "m":
            prev = next((kinds[j] for j in range(idx - 1, -1, -1) if kinds[j] != "lit"), None)
            nxt = next((kinds[j] for j in range(idx + 1, len(kinds)) if kinds[j] != "lit"), None)
            if prev == "h" or nxt == "s":
                kind = "min"
        resolved.append((kind, text))
    # round to milliseconds to avoid 10:59:59.9999 artefacts
    dt = serial_to_datetime(serial)
    frac_digits = max((len(t) for k, t in resolved if k == "frac"), default=0)
    if frac_digits == 0:
        dt = (dt + _dt.timedelta(milliseconds=500)).replace(microsecond=0)
    out = []
    for kind, text in resolved:
        n = len(text)
        if kind == "lit":
            out.append(text)
        elif kind == "y":
            out.append(f"{dt.year % 100:02d}" if n <= 2 else f"{dt.year:04d}")
        elif kind == "m":
            if n == 1:
                out.append(str(dt.month))
            elif n == 2:
                out.append(f"{dt.month:02d}")
            elif n == 3:
                out.append(_MONTHS[dt.month - 1][:3])
            elif n == 5:
                out.append(_MONTHS[dt.month - 1][0])
            else:
                out.append(_MONTHS[dt.month - 1])
        elif kind == "min":
            out.append(str(dt.minute) if n == 1 else f"{dt.minute:02d}")
        elif kind == "d":
            if n == 1:
                out.append(str(dt.day))
            elif n == 2:
                out.append(f"{dt.day:02d}")
            elif n == 3:
                out.append(_DAYS[dt.weekday()][:3])
            else:
                out.append(_DAYS[dt.weekday()])
        elif kind == "h":
            hour = dt.hour
            if has_ampm and text.islower() or (has_ampm and text == "h"):
                hour = hour % 12 or 12
            elif has_ampm and text.isupper():
                hour = hour  # `H` is always 24-hour in Sheets
            out.append(str(hour) if n == 1 else f"{hour:02d}")
        elif kind == "s":
            out.append(str(dt.second) if n == 1 else f"{dt.second:02d}")
        elif kind == "frac":
            out.append("." + f"{dt.microsecond:06d}"[: len(text)])
        elif kind == "ampm":  # Sheets shows AM/PM in capitals for am/pm too
            out.append("AM" if dt.hour < 12 else "PM")
        elif kind == "ap":
            label = "A" if dt.hour < 12 else "P"
            out.append(label if text[0].isupper() else label.lower())
        elif kind == "elapsed":
            total_seconds = round(serial * 86400)
            if text[0] == "h":
                out.append(str(total_seconds // 3600))
            elif text[0] == "m":
                out.append(str(total_seconds // 60))
            else:
                out.append(str(total_seconds))
    return "".join(out)


# ---------------------------------------------------------------------------


def format_number(value: float, pattern: str | None) -> str:
    """Render ``value`` with a Sheets number-format pattern."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if not pattern or pattern.strip().lower() == "general":
        return format_general(value)
    sections = split_sections(pattern)
    if is_date_pattern(pattern):
        if value < 0:
            return format_general(value)
        try:
            return _format_date_section(float(value), sections[0])
        except (OverflowError, ValueError):
            return format_general(value)
    if pattern.strip() == "@":
        return format_general(value)
    negative = value < 0
    if value == 0 and len(sections) >= 3:
        section = sections[2]
    elif negative and len(sections) >= 2 and sections[1].strip():
        section = sections[1]
    else:
        section = sections[0]
        if negative:
            body = _format_numeric_section(value, section)
            # -0.00 rounds to zero: Sheets shows it without a sign
            if re.fullmatch(r"[^1-9]*", body):
                return body
            return "-" + body
    return _format_numeric_section(value, section)


def format_text(value: str, pattern: str | None) -> str:
    """Text with a pattern: only the 4th section / ``@`` placeholders matter."""
    if not pattern:
        return value
    sections = split_sections(pattern)
    section = sections[3] if len(sections) >= 4 else (sections[0] if "@" in sections[0] else None)
    if section is None:
        return value
    out = []
    for kind, text in _tokenize_numeric(section):
        if kind == "text":
            out.append(value)
        elif kind == "lit":
            out.append(text)
    return "".join(out) if out else value
