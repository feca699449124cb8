"""A deliberately small formula evaluator.

Enough for the formulas a finance sheet writer puts in totals rows:
arithmetic (``+ - * / ^ & %``), comparisons, cell and range references (also
``'Other tab'!B2:B9``), and SUM, AVERAGE, MIN, MAX, COUNT, COUNTA, ROUND, ABS,
IF, IFERROR, AND, OR, NOT, CONCATENATE. Anything else raises
:class:`Unsupported`. A formula written through the API that uses anything else
is refused (:func:`unsupported_part`); one typed into the .xlsx by hand shows its
formula text as the cell's value (the formula itself is always stored and
round-trips).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Optional

from .a1 import Rect, parse_cells


class Unsupported(Exception):
    pass


FUNCTIONS = frozenset(
    {"SUM", "AVERAGE", "MIN", "MAX", "COUNT", "COUNTA", "ROUND", "ABS", "IF", "IFERROR", "AND", "OR", "NOT"}
    | {"CONCATENATE"}
)


@dataclass(frozen=True)
class FormulaError:
    code: str  # "#DIV/0!", "#VALUE!", "#REF!", "#N/A"

    def __str__(self) -> str:
        return self.code


@dataclass
class RangeRef:
    sheet: Optional[str]
    rect: Rect


class _Raise(Exception):
    def __init__(self, err: FormulaError):
        self.err = err


_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<str>"(?:[^"]|"")*")
  | (?P<ref>(?:(?:'(?:[^']|'')+'|[A-Za-z_][A-Za-z0-9_.]*)!)?
        (?:\$?[A-Za-z]{1,3}\$?[0-9]+(?::\$?[A-Za-z]{1,3}\$?[0-9]+)?
          |\$?[A-Za-z]{1,3}:\$?[A-Za-z]{1,3}
          |\$?[0-9]+:\$?[0-9]+)(?![A-Za-z0-9_(]))
  | (?P<num>(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)
  | (?P<func>[A-Za-z_][A-Za-z0-9_.]*(?=\s*\())
  | (?P<bool>(?i:TRUE|FALSE)(?![A-Za-z0-9_]))
  | (?P<op><=|>=|<>|[-+*/^&=<>%(),;])
    """,
    re.VERBOSE,
)


def _tokenize(text: str) -> list[tuple[str, str]]:
    pos, out = 0, []
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if not m:
            raise Unsupported(f"cannot read formula at {text[pos:]!r}")
        kind = m.lastgroup
        if kind != "ws":
            out.append((kind, m.group(kind)))
        pos = m.end()
    return out


class Context:
    """What the evaluator needs from the spreadsheet."""

    def __init__(
        self,
        cell_value: Callable[[Optional[str], int, int], Any],
        grid_size: Callable[[Optional[str]], tuple[int, int]],
    ):
        self.cell_value = cell_value
        self.grid_size = grid_size


def _to_number(v: Any) -> float:
    if isinstance(v, FormulaError):
        raise _Raise(v)
    if v is None or v == "":
        return 0.0
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if isinstance(v, (int, float)):
        return float(v)
    try:
        return float(str(v).replace(",", ""))
    except ValueError:
        raise _Raise(FormulaError("#VALUE!")) from None


def _to_text(v: Any) -> str:
    if isinstance(v, FormulaError):
        raise _Raise(v)
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _to_bool(v: Any) -> bool:
    if isinstance(v, FormulaError):
        raise _Raise(v)
    if isinstance(v, str):
        if v.upper() in ("TRUE", "FALSE"):
            return v.upper() == "TRUE"
        raise _Raise(FormulaError("#VALUE!"))
    return bool(_to_number(v))


class _Parser:
    def __init__(self, tokens, ctx: Context):
        self.tokens = tokens
        self.i = 0
        self.ctx = ctx

    def peek(self, value: str | None = None):
        if self.i >= len(self.tokens):
            return None
        tok = self.tokens[self.i]
        if value is not None and not (tok[0] == "op" and tok[1] == value):
            return None
        return tok

    def take(self):
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def expect(self, value: str):
        if not self.peek(value):
            raise Unsupported(f"expected {value}")
        self.take()

    # grammar ---------------------------------------------------------------
    def expression(self):
        left = self.concat()
        while True:
            tok = self.peek()
            if tok and tok[0] == "op" and tok[1] in ("=", "<>", "<", ">", "<=", ">="):
                self.take()
                right = self.concat()
                left = self._compare(tok[1], self._scalar(left), self._scalar(right))
            else:
                return left

    def concat(self):
        left = self.additive()
        while self.peek("&"):
            self.take()
            right = self.additive()
            left = _to_text(self._scalar(left)) + _to_text(self._scalar(right))
        return left

    def additive(self):
        left = self.term()
        while True:
            tok = self.peek()
            if tok and tok[0] == "op" and tok[1] in "+-" and len(tok[1]) == 1:
                self.take()
                right = self.term()
                a, b = _to_number(self._scalar(left)), _to_number(self._scalar(right))
                left = a + b if tok[1] == "+" else a - b
            else:
                return left

    def term(self):
        left = self.power()
        while True:
            tok = self.peek()
            if tok and tok[0] == "op" and tok[1] in ("*", "/"):
                self.take()
                right = self.power()
                a, b = _to_number(self._scalar(left)), _to_number(self._scalar(right))
                if tok[1] == "*":
                    left = a * b
                else:
                    if b == 0:
                        raise _Raise(FormulaError("#DIV/0!"))
                    left = a / b
            else:
                return left

    def power(self):
        left = self.unary()
        while self.peek("^"):
            self.take()
            right = self.unary()
            left = _to_number(self._scalar(left)) ** _to_number(self._scalar(right))
        return left

    def unary(self):
        tok = self.peek()
        if tok and tok[0] == "op" and tok[1] in ("-", "+"):
            self.take()
            v = _to_number(self._scalar(self.unary()))
            return -v if tok[1] == "-" else v
        return self.postfix()

    def postfix(self):
        v = self.primary()
        while self.peek("%"):
            self.take()
            v = _to_number(self._scalar(v)) / 100
        return v

    def primary(self):
        if self.i >= len(self.tokens):
            raise Unsupported("unexpected end")
        kind, text = self.take()
        if kind == "num":
            return float(text)
        if kind == "str":
            return text[1:-1].replace('""', '"')
        if kind == "bool":
            return text.upper() == "TRUE"
        if kind == "ref":
            return self._ref(text)
        if kind == "func":
            return self._call(text.upper())
        if kind == "op" and text == "(":
            v = self.expression()
            self.expect(")")
            return v
        raise Unsupported(f"unexpected {text}")

    # helpers ---------------------------------------------------------------
    def _ref(self, text: str):
        sheet = None
        if "!" in text:
            sheet, cells = text.rsplit("!", 1)
            if sheet.startswith("'"):
                sheet = sheet[1:-1].replace("''", "'")
        else:
            cells = text
        rect = parse_cells(cells.replace("$", ""))
        if rect.r1 == rect.r0 + 1 and rect.c1 == rect.c0 + 1:
            return self.ctx.cell_value(sheet, rect.r0, rect.c0)
        return RangeRef(sheet, rect)

    def _values(self, ref: RangeRef) -> list:
        rows, cols = self.ctx.grid_size(ref.sheet)
        rect = ref.rect.clipped(rows, cols)
        return [self.ctx.cell_value(ref.sheet, r, c) for r in range(rect.r0, rect.r1) for c in range(rect.c0, rect.c1)]

    def _scalar(self, v):
        if isinstance(v, RangeRef):
            raise _Raise(FormulaError("#VALUE!"))
        return v

    def _args(self) -> list:
        self.expect("(")
        args = []
        if self.peek(")"):
            self.take()
            return args
        while True:
            args.append(self.expression())
            if self.peek(",") or self.peek(";"):
                self.take()
                continue
            self.expect(")")
            return args

    def _flatten(self, args) -> list:
        out = []
        for a in args:
            if isinstance(a, RangeRef):
                out.extend(("range", v) for v in self._values(a))
            else:
                out.append(("arg", a))
        return out

    def _numbers(self, args) -> list[float]:
        nums = []
        for src, v in self._flatten(args):
            if isinstance(v, FormulaError):
                raise _Raise(v)
            if src == "range":
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    nums.append(float(v))
            else:
                nums.append(_to_number(v))
        return nums

    def _call(self, name: str):
        if name == "IFERROR":
            self.expect("(")
            start = self.i
            try:
                value = self._scalar(self.expression())
                if isinstance(value, FormulaError):
                    raise _Raise(value)
                failed = False
            except _Raise:
                failed = True
                self.i = start
                self._skip_argument()
            self.expect(",")
            fallback = self.expression()
            self.expect(")")
            return self._scalar(fallback) if failed else value
        args = self._args()
        if name == "SUM":
            return sum(self._numbers(args))
        if name == "AVERAGE":
            nums = self._numbers(args)
            if not nums:
                raise _Raise(FormulaError("#DIV/0!"))
            return sum(nums) / len(nums)
        if name in ("MIN", "MAX"):
            nums = self._numbers(args)
            return (min if name == "MIN" else max)(nums) if nums else 0.0
        if name == "COUNT":
            return float(
                sum(1 for _, v in self._flatten(args) if isinstance(v, (int, float)) and not isinstance(v, bool))
            )
        if name == "COUNTA":
            return float(sum(1 for _, v in self._flatten(args) if v not in (None, "")))
        if name == "ROUND":
            places = int(_to_number(self._scalar(args[1]))) if len(args) > 1 else 0
            from decimal import ROUND_HALF_UP, Decimal

            value = _to_number(self._scalar(args[0]))
            return float(Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))
        if name == "ABS":
            return abs(_to_number(self._scalar(args[0])))
        if name == "IF":
            cond = _to_bool(self._scalar(args[0]))
            if cond:
                return self._scalar(args[1]) if len(args) > 1 else True
            return self._scalar(args[2]) if len(args) > 2 else False
        if name in ("AND", "OR"):
            vals = [_to_bool(v) for _, v in self._flatten(args) if v not in (None, "")]
            return all(vals) if name == "AND" else any(vals)
        if name == "NOT":
            return not _to_bool(self._scalar(args[0]))
        if name == "CONCATENATE":
            return "".join(_to_text(v) for _, v in self._flatten(args))
        raise Unsupported(name)

    def _skip_argument(self):
        depth = 0
        while self.i < len(self.tokens):
            kind, text = self.tokens[self.i]
            if kind == "op" and text == "(":
                depth += 1
            elif kind == "op" and text == ")":
                if depth == 0:
                    return
                depth -= 1
            elif kind == "op" and text in ",;" and depth == 0:
                return
            self.i += 1

    @staticmethod
    def _compare(op: str, a, b):
        if isinstance(a, FormulaError):
            raise _Raise(a)
        if isinstance(b, FormulaError):
            raise _Raise(b)
        if isinstance(a, str) or isinstance(b, str):
            a, b = _to_text(a).lower(), _to_text(b).lower()
        else:
            a, b = _to_number(a), _to_number(b)
        return {"=": a == b, "<>": a != b, "<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]


def evaluate(formula: str, ctx: Context) -> Any:
    """Value of ``=...``; a FormulaError for #DIV/0! and friends.

    Raises Unsupported for anything this evaluator does not understand.
    """
    text = formula[1:] if formula.startswith("=") else formula
    parser = _Parser(_tokenize(text), ctx)
    try:
        value = parser.expression()
        if parser.i != len(parser.tokens):
            raise Unsupported("trailing tokens")
        if isinstance(value, RangeRef):
            values = parser._values(value)
            value = values[0] if values else None
    except _Raise as exc:
        return exc.err
    except (ValueError, IndexError, OverflowError, ZeroDivisionError) as exc:
        raise Unsupported(str(exc)) from exc
    if value is None:
        return 0.0
    return value


def unsupported_part(formula: str) -> Optional[str]:
    """What in ``formula`` this evaluator cannot compute (a function's name, or what it cannot read),
    or None when it can compute it whatever the cells it refers to hold."""
    text = formula[1:] if formula.startswith("=") else formula
    try:
        tokens = _tokenize(text)
    except Unsupported as exc:
        return str(exc)
    for kind, token in tokens:
        if kind == "func" and token.upper() not in FUNCTIONS:
            return token.upper()
    try:  # every reference empty: what is left to fail is the formula's own shape
        evaluate(formula, Context(lambda *_: None, lambda *_: (10_000_000, 18_278)))
    except Unsupported as exc:
        return str(exc) or "this formula"
    return None
