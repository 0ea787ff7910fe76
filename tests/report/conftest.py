"""One scale-up dry run per test session, with its batch record written by `labctl dry-run --report`: the
record is parsed and rendered by the tests beside the journal it was written from."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Tag

from labctl.journal import Journal, Record, RunInfo

LABCTL = Path(sys.executable).parent / "labctl"
PROTOCOLS = Path(__file__).resolve().parents[2] / "protocols"
SCALE_UP = PROTOCOLS / "kmno4-dihydroxylation-scaleup.yaml"
OPERATOR = "Dr. Ada Chemist"


def labctl(*args: object, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(LABCTL), *map(str, args)], capture_output=True, text=True, timeout=timeout, check=False
    )
    assert "Traceback" not in done.stderr + done.stdout
    return done


@dataclass
class Reported:
    """A run's journal and the batch record written from it."""

    journal: Path
    run: RunInfo
    records: list[Record]
    html_path: Path
    stdout: str

    @property
    def html(self) -> str:
        return self.html_path.read_text(encoding="utf-8")

    @property
    def soup(self) -> BeautifulSoup:
        return BeautifulSoup(self.html, "html.parser")

    def of(self, kind: str) -> list[Record]:
        return [r for r in self.records if r.kind == kind]

    def readings(self, t0: float, t1: float) -> list[float]:
        return [r.data["Tr_C"] for r in self.of("reading") if t0 <= r.t_s < t1 and r.data["Tr_C"] is not None]


def read_journal(journal: Path, html: Path, stdout: str = "") -> Reported:
    j = Journal(journal)
    try:
        (run_id,) = j.runs()
        return Reported(journal, j.run(run_id), list(j.records(run_id)), html, stdout)
    finally:
        j.close()


@pytest.fixture(scope="session")
def scale_up(tmp_path_factory: pytest.TempPathFactory) -> Reported:
    folder = tmp_path_factory.mktemp("scale-up")
    journal, html = folder / "journal.sqlite", folder / "batch-record.html"
    done = labctl(
        "dry-run", SCALE_UP, "--journal", journal, "--report", html, "--operator", OPERATOR, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return read_journal(journal, html, done.stdout)


def table(soup: BeautifulSoup, table_id: str) -> list[dict[str, str]]:
    """A table's body rows as {header: cell text}."""
    found = soup.find("table", id=table_id)
    assert isinstance(found, Tag), f"no table #{table_id}"
    rows = found.find_all("tr")
    headers = [th.get_text(" ", strip=True) for th in rows[0].find_all("th")]
    return [
        dict(zip(headers, (td.get_text(" ", strip=True) for td in row.find_all("td")), strict=True))
        for row in rows[1:]
    ]


def text_of(soup: BeautifulSoup, element_id: str) -> str:
    found = soup.find(id=element_id)
    assert isinstance(found, Tag), f"no element #{element_id}"
    return found.get_text(" ", strip=True)


def clock(seconds: float) -> str:
    minutes, s = divmod(round(seconds), 60)
    h, m = divmod(minutes, 60)
    return f"{h}:{m:02d}:{s:02d}"
