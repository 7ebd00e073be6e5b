"""A JSON text read as it is used: a window over a binary stream, decoded value by value.

The event import reads a top-level JSON array (or the ``events`` array of an object) element by element, and a
JSON Lines file line by line, so what it holds at once is a window of about :data:`CHUNK` characters plus the
element being decoded, not the file. Standard library only: :meth:`json.JSONDecoder.raw_decode` over the window,
which is refilled (and its consumed part dropped) as needed. Positions in errors are the file's lines and columns.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from typing import IO, Any, Final

CHUNK: Final = 1 << 16
"""Bytes read at a time; the window is dropped up to the current position once it is this far in."""
MAX_VALUE: Final = 16 << 20
"""Characters one streamed element (or one JSON Lines line) may span: a bigger one is refused, never read whole."""

ERR_NOT_UTF8: Final = "the file is not UTF-8 text (undecodable byte at offset {offset}); export it as UTF-8"
ERR_TOO_LONG: Final = "a value longer than {limit:,} characters (or one that never ends)"
_WHITESPACE: Final = " \t\n\r"


class JsonTextError(ValueError):
    """Malformed JSON (or an undecodable byte) at a ``line`` and ``column`` (1-based) of the file."""

    def __init__(self, message: str, line: int, column: int):
        super().__init__(f"{message}: line {line} column {column}")
        self.message, self.line, self.column = message, line, column


def _needs_more(error: json.JSONDecodeError, length: int) -> bool:
    """Whether ``error`` may only say that the window ends inside the value (more text could complete it)."""
    return error.msg.startswith("Unterminated string") or error.pos >= length - 8


class JsonText:
    """A window over the UTF-8 text of ``handle`` (a byte-order mark is dropped)."""

    def __init__(self, handle: IO[bytes]):
        self.handle = handle
        self.decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self.json = json.JSONDecoder()
        self.buffer = ""
        self.pos = 0
        self.eof = False
        self.line = 1
        """The line of ``buffer[0]``."""
        self.column = 0
        """The 0-based column of ``buffer[0]`` in its line."""
        self.offset = 0
        """Bytes read so far."""
        self.broken: JsonTextError | None = None
        """An undecodable byte met by reading: raised when the text before it is used up."""

    # -- the window ------------------------------------------------------------------------------------------
    def where(self, pos: int) -> tuple[int, int]:
        """The (line, 1-based column) of ``buffer[pos]``."""
        newlines = self.buffer.count("\n", 0, pos)
        if newlines:
            return self.line + newlines, pos - self.buffer.rfind("\n", 0, pos)
        return self.line, self.column + pos + 1

    def error(self, message: str, pos: int | None = None) -> JsonTextError:
        line, column = self.where(self.pos if pos is None else pos)
        return JsonTextError(message, line, column)

    def _compact(self) -> None:
        if self.pos >= CHUNK:
            line, column = self.where(self.pos)
            self.buffer, self.line, self.column, self.pos = self.buffer[self.pos:], line, column - 1, 0

    def fill(self, least: int | None = None) -> None:
        """Read at least ``least`` more bytes (a :data:`CHUNK` by default), or to the end. Raises an undecodable
        byte once the text before it is used up."""
        if self.broken is not None:
            raise self.broken
        self._compact()
        parts = [self.buffer]
        wanted = CHUNK if least is None else least
        while wanted > 0 and not self.eof:
            data = self.handle.read(max(CHUNK, wanted))
            try:
                parts.append(self.decoder.decode(data, final=not data))
            except UnicodeDecodeError as error:
                parts.append(data[:max(error.start, 0)].decode("utf-8", "replace").lstrip("\ufeff"))
                self.buffer = "".join(parts)
                self.broken = self.error(ERR_NOT_UTF8.format(offset=self.offset + max(error.start, 0)),
                                         len(self.buffer))
                self.eof = True
                return
            self.offset += len(data)
            self.eof = not data
            wanted -= len(data)
        self.buffer = "".join(parts)

    # -- reading ----------------------------------------------------------------------------------------------
    def peek(self) -> str:
        """The next character that is not whitespace ("" at the end), not consumed."""
        while True:
            while self.pos < len(self.buffer) and self.buffer[self.pos] in _WHITESPACE:
                self.pos += 1
            if self.pos < len(self.buffer):
                return self.buffer[self.pos]
            if self.eof:
                if self.broken is not None:
                    raise self.broken
                return ""
            self.fill()

    def expect(self, characters: str, message: str) -> str:
        character = self.peek()
        if not character or character not in characters:
            raise self.error(message)
        self.pos += 1
        return character

    def value(self, limit: int | None = MAX_VALUE) -> Any:
        """The next JSON value; with a ``limit``, one longer than that many characters is refused."""
        self.peek()
        while True:
            try:
                value, end = self.json.raw_decode(self.buffer, self.pos)
            except json.JSONDecodeError as error:
                if self.eof or not _needs_more(error, len(self.buffer)):
                    if self.broken is not None:
                        raise self.broken from None
                    raise self.error(error.msg, error.pos) from None
            else:
                if end < len(self.buffer) or self.eof:  # a number at the window's end may go on
                    self.pos = end
                    return value
            if limit is not None and len(self.buffer) - self.pos > limit:
                raise self.error(ERR_TOO_LONG.format(limit=limit))
            self.fill(max(CHUNK, len(self.buffer) - self.pos))  # doubling: a long value is decoded a few times

    def elements(self) -> Iterator[Any]:
        """The elements of the array that begins here, one at a time; the text is left after its ``]``."""
        self.expect("[", "Expecting '['")
        if self.peek() == "]":
            self.pos += 1
            return
        while True:
            yield self.value()
            if self.expect(",]", "Expecting ',' delimiter") == "]":
                return

    def member_name(self) -> str:
        if self.peek() != '"':
            raise self.error("Expecting property name enclosed in double quotes")
        name = self.value()
        self.expect(":", "Expecting ':' delimiter")
        return str(name)

    def members(self, *, first: bool) -> Iterator[str]:
        """The names of an object's members, each followed by its value (read it before asking for the next name).
        ``first``: the text is at the object's ``{``, else just after a member's value."""
        if first:
            self.expect("{", "Expecting '{'")
            if self.peek() == "}":
                self.pos += 1
                return
            yield self.member_name()
        while self.expect(",}", "Expecting ',' delimiter") == ",":
            yield self.member_name()

    def end(self) -> None:
        """Only whitespace may follow."""
        if self.peek():
            raise self.error("Extra data")

    def lines(self) -> Iterator[tuple[int, str]]:
        """``(line, text)`` of each line that is not blank, from here on, each at most :data:`MAX_VALUE` long."""
        line = self.where(self.pos)[0]
        searched = 0  # how far past the line's start the window holds no newline
        while True:
            newline = self.buffer.find("\n", self.pos + searched)
            if newline < 0 and not self.eof:
                searched = len(self.buffer) - self.pos
                if searched > MAX_VALUE:
                    raise self.error(ERR_TOO_LONG.format(limit=MAX_VALUE))
                self.fill()
                continue
            searched = 0
            if newline < 0 and self.broken is not None:
                raise self.broken
            stop = len(self.buffer) if newline < 0 else newline + 1
            text = self.buffer[self.pos:stop]
            self.pos = stop
            if text.strip():
                yield line, text
            if newline < 0:
                return
            line += 1
