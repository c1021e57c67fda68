"""Converting a legacy .doc/.xls to .docx/.xlsx with LibreOffice headless, in a cage.

A reader process (``forms.extract.reader_process``) calls :meth:`Converter.convert` for a 97–2003 file
``forms.extract.legacy`` has already looked into (no macros, no password). LibreOffice runs as a child
of the reader, never in the service:

- in a throwaway folder: the file, a fresh profile (``-env:UserInstallation``) whose settings disable
  macros (security level "very high", macro execution off), and the output, all removed afterwards;
- as ``soffice.bin`` itself (not the ``soffice`` script and its ``oosplash`` launcher), so that it is
  one process: started in its own process group, killed with it at the time limit (``timeout_s``) and
  by the kernel when the reader dies (``PR_SET_PDEATHSIG``); a new profile's first start asks for
  one restart (exit 81), which is made within the same time limit;
- with its own limits: address space ``memory_mb`` (never more than the reader's own), output files
  of at most ``MAX_OUTPUT`` bytes, CPU seconds;
- with no network: in a new network namespace of its own (``unshare --net --map-root-user``) where the
  kernel allows unprivileged user namespaces; where it does not, a warning is logged once and the
  conversion runs without it (macros and links still stay off).

Errors are values: the converted bytes, or a ``Problem`` (FORM_UNREADABLE with ``convert_timeout``,
``convert_failed``); ``None`` from :func:`find_soffice` means LibreOffice is not installed.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import resource
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from forms import model
from forms.errors import Code

log = logging.getLogger(__name__)

MAX_OUTPUT = 64 * 1024 * 1024  # a converted 様式1 is tens of KiB
RESTART = 81  # soffice.bin's exit code after it made a new profile: start it again
CONVERT_TIMEOUT, CONVERT_FAILED = "convert_timeout", "convert_failed"
_PR_SET_PDEATHSIG = 1
#: The throwaway profile's settings: macros never run; links to other places are not followed.
_SETTINGS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema">
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="MacroSecurityLevel" \
oor:op="fuse"><value>3</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="DisableMacrosExecution" \
oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop \
oor:name="BlockUntrustedRefererLinks" oor:op="fuse"><value>true</value></prop></item>
</oor:items>
"""


@cache
def find_soffice() -> str | None:
    """LibreOffice's ``soffice.bin`` (or its ``soffice`` launcher when the binary is not beside it);
    None when LibreOffice is not installed."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        return None
    binary = Path(found).resolve().parent / "soffice.bin"
    return str(binary) if binary.is_file() and os.access(binary, os.X_OK) else found


@cache
def network_cage() -> tuple[str, ...]:
    """The command prefix that runs a program without network (a new user and network namespace), or
    () where the kernel refuses it."""
    unshare = shutil.which("unshare")
    if unshare is not None:
        cage = (unshare, "--net", "--map-root-user")
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            if subprocess.run([*cage, "true"], capture_output=True, timeout=10).returncode == 0:
                return cage
    log.warning("no network namespace for LibreOffice (unshare refused): converting without one")
    return ()


def _unreadable(detail: str, **params: object) -> model.Problem:
    return model.problem(Code.FORM_UNREADABLE, None, detail=detail, **params)


@dataclass(frozen=True)
class Converter:
    """LibreOffice headless with a time limit (seconds), an address-space limit (MiB; 0: the reader's)."""

    timeout_s: float = 30.0
    memory_mb: int = 768
    program: str | None = None  # LibreOffice's soffice.bin (``find_soffice``) unless another is named

    def _program(self) -> str | None:
        return self.program or find_soffice()

    def available(self) -> bool:
        return self._program() is not None

    def convert(self, data: bytes, suffix: str, target: str) -> bytes | model.Problem:
        """``data`` (a file ending in ``suffix``, e.g. ``.xls``) converted to ``target`` (``xlsx``)."""
        program = self._program()
        if program is None:
            return _unreadable(CONVERT_FAILED, reason="soffice missing")
        with tempfile.TemporaryDirectory(prefix="forms-soffice-") as tmp:
            folder = Path(tmp)
            source, out, profile = folder / f"form{suffix}", folder / "out", folder / "profile"
            source.write_bytes(data)
            (profile / "user").mkdir(parents=True)
            (profile / "user" / "registrymodifications.xcu").write_text(_SETTINGS, encoding="utf-8")
            argv = [*network_cage(), program, f"-env:UserInstallation={profile.as_uri()}", "--headless",
                    "--invisible", "--nologo", "--norestore", "--nodefault", "--nolockcheck",
                    "--convert-to", target, "--outdir", str(out), str(source)]  # fmt: skip
            deadline = time.monotonic() + self.timeout_s
            for _ in range(2):  # a new profile's first start ends with RESTART
                code = self._run(argv, folder, deadline)
                if code != RESTART:
                    break
            if code is None:
                return _unreadable(CONVERT_TIMEOUT, seconds=self.timeout_s)
            result = out / f"form.{target.partition(':')[0]}"
            if code != 0 or not result.is_file() or result.stat().st_size > MAX_OUTPUT:
                return _unreadable(CONVERT_FAILED, exit=code)
            return result.read_bytes()

    def _run(self, argv: list[str], folder: Path, deadline: float) -> int | None:
        """soffice's exit code, or None when it ran past ``deadline`` (then it is killed, with its group)."""
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(folder), "TMPDIR": str(folder),
               "LANG": "C.UTF-8", "SAL_USE_VCLPLUGIN": "svp"}  # fmt: skip
        proc = subprocess.Popen(
            argv, cwd=folder, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True, preexec_fn=self._limits,
        )  # fmt: skip
        try:
            return proc.wait(timeout=max(deadline - time.monotonic(), 0.01))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return None

    def _limits(self) -> None:
        """In the child before exec: die with the reader, and LibreOffice's own limits."""
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        limits = [(resource.RLIMIT_FSIZE, MAX_OUTPUT), (resource.RLIMIT_CPU, int(self.timeout_s) + 5)]
        if self.memory_mb > 0:
            limits.append((resource.RLIMIT_AS, self.memory_mb << 20))
        for kind, value in limits:
            _soft, hard = resource.getrlimit(kind)
            bound = value if hard == resource.RLIM_INFINITY else min(value, hard)
            with contextlib.suppress(ValueError, OSError):
                resource.setrlimit(kind, (bound, bound))
