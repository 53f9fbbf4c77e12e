"""Leases on frames in a shared cache folder: which process computes a frame, until when.

Processes that share a feature cache (the workers of a grid search, of a Dask cluster,
on one host or many) compute each frame once: before computing a frame, a process takes
a *lease* on it, ``claims/<xx>/<digest>.claim``, and releases it once the vector is
written.  A lease is a small file naming its owner:

``{"token", "host", "boot", "pidns", "pid", "start"}``
    a random token per :class:`Leases` object, the host name, the kernel's boot id, the
    pid namespace, the process id and the process's start time (``/proc``).

* **Taking a lease** writes a temporary file and hard-links it to the lease's name
  (``link`` fails if the name exists: an exclusive create that also works on network
  filesystems where ``O_EXCL`` is unreliable, and the lease is never seen half written).
* **Renewing**: a background thread of the owner touches each held lease every
  ``lease_s / 3`` seconds.  A lease not touched for ``lease_s`` seconds *by the cache
  filesystem's clock* (the modification time of a folder this process just touched
  there) has expired: remote hosts' clocks are never compared.
* **Stale** leases are taken over: an expired one; one whose owner ran on this host
  (same host name, boot id and pid namespace) and is dead (no such pid, or a pid with
  another start time: reuse); an empty or unparsable one older than ``grace_s`` (its
  writer died between creating and writing it).
* **Taking over** is atomic: waiters take a lease over one at a time, under the
  lease's takeover lock (an exclusively created ``<lease>.takeover``, held for
  microseconds); the lock holder judges the lease again, and replaces it only if it is
  still the stale file it judged.  A live lease is never removed.
* **Releasing** removes a lease only if it still holds this object's token.
* Any ``OSError`` (a full disk, a read-only folder) makes :meth:`Leases.acquire`
  answer "compute it yourself" for that frame and is kept in ``error`` for the caller
  to report once; no wait ever depends on a lease that could not be written.  A file
  where a shard folder belongs is garbage in the cache and is replaced by the folder.

Waiting for a frame another process holds is the caller's loop
(:class:`~skvideo_imb.features._scheduler.FrameScheduler`), with a deadline.
"""

import errno
import hashlib
import json
import os
import socket
import stat
import threading
import time
import uuid

__all__ = ["GRACE_S", "LEASE_S", "Leases", "filesystem_now", "process_identity",
           "read_regular", "temporary_name"]

LEASE_S = 30.0
"""Seconds without renewal after which a lease has expired (cache filesystem's clock)."""

GRACE_S = 5.0
"""Seconds an empty or unparsable lease is given to be written before it is stale."""

_MAX_CLAIM_BYTES = 4096


def read_regular(path, limit):
    """The first ``limit`` bytes of a regular file, and its mtime; never blocks.

    Anything else at ``path`` (a FIFO, a device, a folder, a symbolic link) raises an
    ``OSError`` instead of being opened for reading: a named pipe planted in a cache would
    block a plain ``open`` forever, and a link to ``/dev/zero`` would never end.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise IsADirectoryError(errno.EINVAL, "not a regular file", path)
        chunks, left = [], limit
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks), info.st_mtime
    finally:
        os.close(fd)


def filesystem_now(folder):
    """The time by the clock of the filesystem holding ``folder`` (its mtime, just
    touched); this host's clock when the folder cannot be touched."""
    try:
        os.utime(folder)
        return os.stat(folder).st_mtime
    except OSError:
        return time.time()


def _parse_owner(content):
    try:
        owner = json.loads(content) if len(content) <= _MAX_CLAIM_BYTES else None
    except (ValueError, RecursionError):  # garbage, or JSON nested to exhaust the stack
        return None
    return owner if isinstance(owner, dict) and "token" in owner else None


def _boot_id():
    try:
        with open("/proc/sys/kernel/random/boot_id") as f:
            return f.read().strip()
    except OSError:
        return ""


def _pid_namespace():
    try:
        return int(os.stat("/proc/self/ns/pid").st_ino)
    except OSError:
        return 0


def _start_time(pid):
    """The process's start time in clock ticks since boot, or None if it does not exist."""
    try:
        with open(f"/proc/{int(pid)}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return int(fields[19])  # field 22 of proc(5), counted after "(comm)"
    except (OSError, IndexError, ValueError):
        return None


_HOST = {"host": socket.gethostname(), "boot": _boot_id(), "pidns": _pid_namespace()}


def process_identity():
    """This process: host name, boot id, pid namespace, pid and start time.

    Examples
    --------
    >>> import os
    >>> from skvideo_imb.features._claims import process_identity
    >>> process_identity()["pid"] == os.getpid()
    True
    """
    pid = os.getpid()
    if pid not in _OWN_START:  # keyed by pid: a forked child is another process
        _OWN_START[pid] = _start_time(pid)
    return {**_HOST, "pid": pid, "start": _OWN_START[pid]}


_OWN_START = {}  # this process's start time, read once (every cache write names it)
_HOST_KEY = hashlib.blake2b(f"{_HOST['host']}/{_HOST['boot']}/{_HOST['pidns']}".encode(),
                            digest_size=6).hexdigest()


def temporary_name(folder, suffix=".part"):
    """A fresh temporary file name in ``folder`` that says which process writes it.

    ``.tmp-<host key>-<pid>-<start>-<random><suffix>``: a later process on the same host
    can tell that the writer is dead and remove the file at once
    (:func:`owner_is_dead`), instead of waiting an hour for it to be old.
    """
    ident = process_identity()
    return os.path.join(folder, f".tmp-{_HOST_KEY}-{ident['pid']}-{ident['start']}-"
                                f"{uuid.uuid4().hex[:12]}{suffix}")


def owner_is_dead(name):
    """Whether a :func:`temporary_name` belongs to a dead process of this host."""
    parts = os.path.basename(name).split("-")
    if len(parts) < 5 or parts[0] != ".tmp" or parts[1] != _HOST_KEY:
        return False
    try:
        pid, start = int(parts[2]), int(parts[3])
    except ValueError:
        return False
    return _start_time(pid) != start


def _alive_here(owner):
    """True/False when the owner ran on this host (alive or not); None when elsewhere."""
    if any(owner.get(k) != v for k, v in _HOST.items()):
        return None
    try:
        return _start_time(owner["pid"]) == int(owner["start"])
    except (KeyError, TypeError, ValueError):
        return False


class Leases:
    """The leases one process (one transform) takes in one cache folder.

    Parameters
    ----------
    folder : str
        The folder of the lease files (``<setting>/claims``).
    lease_s, grace_s : float
        See :data:`LEASE_S` and :data:`GRACE_S`.

    Attributes
    ----------
    error : OSError or None
        The first error met taking, renewing or releasing a lease.
    lost : int
        Leases of this object that another process removed while it held them.
    taken_over : int
        Stale leases this object took over.

    Notes
    -----
    Thread-safe: a transform's threads may share one object.
    """

    def __init__(self, folder, lease_s=None, grace_s=None):
        self.folder = os.fspath(folder)
        self.lease_s = float(LEASE_S if lease_s is None else lease_s)
        self.grace_s = float(GRACE_S if grace_s is None else grace_s)
        self.error = None
        self.lost = self.taken_over = 0
        self._setup()

    def _setup(self):
        self.token = uuid.uuid4().hex
        self._content = json.dumps({"token": self.token, **process_identity()}).encode()
        # path -> True once the lease file is ours, False while we are creating it (so
        # that an interruption cannot orphan it; the renewer leaves those alone)
        self._held = {}
        self._lock = threading.Lock()
        self._renewer = None   # (thread, its wake-up event) while leases are held
        self._clock = {}  # folder -> (filesystem time, monotonic time) of the last look

    def __getstate__(self):  # a copy in another process is another owner
        return {"folder": self.folder, "lease_s": self.lease_s, "grace_s": self.grace_s,
                "error": None, "lost": 0, "taken_over": 0}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._setup()

    def path(self, digest):
        hexd = digest.hex()
        return os.path.join(self.folder, hexd[:2], hexd + ".claim")

    # ------------------------------------------------------------------ taking
    def acquire(self, digest):
        """True: this process computes ``digest`` (it holds the lease, or leases cannot
        be written here); False: another live owner holds it."""
        path = self.path(digest)
        try:
            self._make_shard(os.path.dirname(path))
            for _ in range(3):
                self._hold(path)  # before creating: an interruption cannot orphan it
                if self._create(path):
                    self._confirm(path)
                    return True
                self._drop(path)
                state, seen = self._judge(path)
                if state == "live":
                    return False
                if state == "stale":
                    self._hold(path)
                    if self._take_over(path, seen):
                        self._confirm(path)
                        self.taken_over += 1
                        return True
                    self._drop(path)
            return False  # contended: another process keeps winning; look again later
        except OSError as exc:  # full disk, read-only, a file where a folder should be
            self._drop(path)
            self._fail(exc)
            return True

    def _make_shard(self, shard):
        try:
            os.makedirs(shard, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            if not os.path.isfile(shard):
                raise
            # a file where the shard folder belongs (nothing this toolkit writes there):
            # garbage in the cache, replaced like a corrupt record
            os.unlink(shard)
            os.makedirs(shard, exist_ok=True)

    def _fail(self, exc):
        with self._lock:
            if self.error is None:
                self.error = exc

    def _create(self, path):
        """Create the lease exclusively, with its content; False if it exists."""
        tmp = temporary_name(os.path.dirname(path))
        try:
            with open(tmp, "xb") as f:
                f.write(self._content)
            try:
                os.link(tmp, path)
            except FileExistsError:
                return False
            except OSError as exc:
                if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP,
                                     errno.EMLINK):
                    raise
                # a filesystem without hard links: exclusive create, then the content
                # (a reader may meet it empty: such a lease has a grace period)
                try:
                    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
                except FileExistsError:
                    return False
                with os.fdopen(fd, "wb") as f:
                    f.write(self._content)
            return True
        finally:
            try:
                os.unlink(tmp)
            except OSError:
                pass

    def _hold(self, path):
        with self._lock:
            self._held.setdefault(path, False)
            if self._renewer is None:  # the renewer clears this itself, under the lock
                wake = threading.Event()
                thread = threading.Thread(target=self._renew, args=(wake,), daemon=True,
                                          name="skvideo_imb-lease-renewer")
                self._renewer = (thread, wake)
                thread.start()

    def _confirm(self, path):
        with self._lock:
            self._held[path] = True

    def _drop(self, path):
        with self._lock:
            self._held.pop(path, None)

    # ------------------------------------------------------------------ judging
    def _read(self, path):
        return read_regular(path, _MAX_CLAIM_BYTES + 1)

    def _judge(self, path):
        """``("absent" | "live" | "stale", content)`` of the lease at ``path``."""
        try:
            content, mtime = self._read(path)
        except FileNotFoundError:
            return "absent", None
        owner = _parse_owner(content)
        age = self.filesystem_now(os.path.dirname(path)) - mtime
        if age < -self.lease_s:  # touched "in the future": no clock of ours renews that
            return "stale", content
        if owner is None:  # empty or unparsable: a writer that died, or one still writing
            return ("stale" if age > self.grace_s else "live"), content
        alive = _alive_here(owner)
        if alive is False:
            return "stale", content
        return ("stale" if age > self.lease_s else "live"), content

    def filesystem_now(self, folder):
        """The cache filesystem's time: the mtime of ``folder`` just touched there."""
        last = self._clock.get(folder)
        now = time.monotonic()
        if last is not None and now - last[1] < 1.0:
            return last[0] + (now - last[1])
        stamp = filesystem_now(folder)
        self._clock[folder] = (stamp, now)
        return stamp

    def _take_over(self, path, seen):
        """Replace the stale lease ``seen`` at ``path`` by ours; True if we hold it now.

        Waiters take over one at a time: each first takes the lease's takeover lock
        (``<lease>.takeover``, created exclusively, held for microseconds), then judges
        the lease again and replaces it only if it is still the stale one it saw.  A
        live lease is never removed, even for an instant.
        """
        lock = path + ".takeover"
        if not self._create(lock):  # another waiter is taking it over (or died doing so)
            self._clear_stale_lock(lock)
            return False
        try:
            state, content = self._judge(path)
            if state == "absent":
                return self._create(path)
            if state != "stale" or content != seen or not self._owns(lock):
                return False  # changed meanwhile, or we stalled and lost the lock
            if not self._remove_if(path, seen):
                return False
            return self._create(path)
        finally:
            self._remove_if(lock, self._content)

    def _owns(self, path):
        try:
            return self._read(path)[0] == self._content
        except OSError:
            return False

    def _remove_if(self, path, content):
        """Remove ``path`` only if it holds ``content``; never remove anything else.

        The file is first renamed to a private name (one process can take a given file
        away), then checked; a file that turns out to be another one is put back.
        """
        private = f"{path}.gone-{self.token}"
        try:
            os.rename(path, private)
        except FileNotFoundError:
            return False
        except OSError:  # a filesystem that cannot rename now (full): check, then unlink
            if self._read(path)[0] != content:
                return False
            os.unlink(path)
            return True
        try:
            if self._read(private)[0] == content:
                return True
            try:
                os.link(private, path)  # someone else's: back where it was
            except FileExistsError:
                pass
            return False
        finally:
            try:
                os.unlink(private)
            except OSError:
                pass

    def _clear_stale_lock(self, lock):
        """Remove a takeover lock whose holder died (or stalled past ``grace_s``)."""
        try:
            content, mtime = self._read(lock)
        except FileNotFoundError:
            return
        owner = _parse_owner(content)
        dead = owner is not None and _alive_here(owner) is False
        age = self.filesystem_now(os.path.dirname(lock)) - mtime
        if not dead and -self.lease_s <= age <= self.grace_s:
            return
        self._remove_if(lock, content)

    # ------------------------------------------------------------------ keeping
    def _renew(self, wake):
        while True:
            wake.wait(self.lease_s / 3)
            with self._lock:
                wake.clear()
                held = [path for path, ours in self._held.items() if ours]
                if not self._held:  # decided under the lock: a new lease starts a new renewer
                    self._renewer = None
                    return
            for path in held:
                try:
                    content, _ = self._read(path)
                    if content != self._content:
                        raise FileNotFoundError(path)
                    os.utime(path)
                except FileNotFoundError:
                    with self._lock:
                        if self._held.get(path):
                            del self._held[path]
                            self.lost += 1
                except OSError as exc:
                    self._fail(exc)

    def holds(self, digest):
        with self._lock:
            return self._held.get(self.path(digest), False)

    def release(self, digest=None):
        """Remove this object's lease on ``digest`` (on every one when None)."""
        with self._lock:
            paths = ([self.path(digest)] if digest is not None else list(self._held))
            paths = [p for p in paths if p in self._held]
            for path in paths:
                del self._held[path]
            if not self._held and self._renewer is not None:
                self._renewer[1].set()  # let it see there is nothing left to renew
        for path in paths:
            try:
                self._remove_if(path, self._content)  # only our own lease
            except OSError as exc:
                self._fail(exc)

    def sweep(self):
        """Remove stale leases and dead processes' temporary files; the number removed.

        Run when a cache folder is opened, so that a killed process leaves nothing
        behind for long.
        """
        removed = 0
        if not os.path.isdir(self.folder):
            return 0
        for shard in sorted(os.listdir(self.folder)):
            shard_path = os.path.join(self.folder, shard)
            if not os.path.isdir(shard_path):
                continue
            for name in os.listdir(shard_path):
                path = os.path.join(shard_path, name)
                try:
                    if name.endswith(".claim"):
                        state, seen = self._judge(path)
                        if state == "stale" and self._remove_if(path, seen):
                            removed += 1  # (no takeover lock: nothing replaces it)
                    elif name.startswith(".tmp-") and owner_is_dead(name):
                        os.unlink(path)
                        removed += 1
                    elif name.endswith(".claim.takeover"):
                        self._clear_stale_lock(path)  # a takeover interrupted by a kill
                        removed += not os.path.exists(path)
                    elif ".gone-" in name and (self.filesystem_now(shard_path)
                                               - os.lstat(path).st_mtime > self.grace_s):
                        os.unlink(path)  # a removal interrupted by a kill
                        removed += 1
                except Exception:  # one odd entry never stops the sweep or the open
                    continue
        return removed
