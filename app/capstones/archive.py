"""A cohort's latest capstone versions as one ZIP, written while it is sent."""

import zipfile

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.capstones.models import CapstoneFile, Submission, SubmissionVersion
from app.capstones.uploads import safe_filename
from app.seasons.models import Enrollment


class _Drain:
    """An unseekable stream for zipfile: what it writes waits here until the response sends it."""

    def __init__(self):
        self.chunks: list[bytes] = []

    def write(self, data) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.chunks)
        self.chunks.clear()
        return data


def _unique(name: str, used: set[str]) -> str:
    """`name`, or `name (2).ext`, ... so no two entries of a folder collide."""
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    candidate, n = name, 1
    while candidate.casefold() in used:
        n += 1
        candidate = f"{stem} ({n}){dot}{extension}"
    used.add(candidate.casefold())
    return candidate


CHUNK = 1024 * 1024


def cohort_zip_chunks(engine, cohort_id: int):
    """The ZIP, a piece at a time: one file's bytes loaded at once, never the cohort's.

    It runs after the view has returned, wherever the server iterates the response, so it
    needs no Flask context: it reads through a database session of its own.
    """
    with Session(engine) as session:
        yield from _zip_pieces(session, cohort_id)


def _zip_pieces(session: Session, cohort_id: int):
    latest = session.execute(
        select(SubmissionVersion, User.id, User.full_name)
        .join(Submission, Submission.id == SubmissionVersion.submission_id)
        .join(Enrollment, Enrollment.id == Submission.enrollment_id)
        .join(User, User.id == Enrollment.user_id)
        .where(
            Submission.cohort_id == cohort_id,
            SubmissionVersion.number == Submission.versions,
        )
        .order_by(User.full_name, User.id)
    ).all()
    files: dict[int, list] = {}
    if latest:
        for row in session.execute(
            select(CapstoneFile.id, CapstoneFile.version_id, CapstoneFile.filename)
            .where(CapstoneFile.version_id.in_([v.id for v, _, _ in latest]))
            .order_by(CapstoneFile.id)
        ):
            files.setdefault(row.version_id, []).append(row)
    sink = _Drain()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for version, user_id, full_name in latest:
            folder = f"{safe_filename(full_name)} ({user_id})"
            stamp = version.submitted_at.timetuple()[:6]
            used = {"text.txt"}
            text = zipfile.ZipInfo(f"{folder}/text.txt", stamp)
            text.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(text, version.text.encode("utf-8"))
            yield sink.take()
            for stored in files.get(version.id, []):
                data = session.scalar(select(CapstoneFile.data).where(CapstoneFile.id == stored.id))
                info = zipfile.ZipInfo(
                    f"{folder}/{_unique(safe_filename(stored.filename), used)}", stamp
                )
                info.compress_type = zipfile.ZIP_DEFLATED
                with archive.open(info, "w") as entry:
                    for start in range(0, len(data), CHUNK):
                        entry.write(data[start : start + CHUNK])
                        yield sink.take()
                del data
                yield sink.take()
    yield sink.take()
