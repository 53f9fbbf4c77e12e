"""On-disk cache of per-frame feature vectors and of decoded frame counts.

Layout under the cache directory::

    <cache>/
      <backbone>-<image_size>px-<precision>-<engine>-<model digest[:16]>/   one network
        model.json                    what the folder holds (human readable)
        ab/abcdef....feat             one frame's feature vector (2-hex-digit shards)
        claims/ab/abcdef....claim     leases on frames being computed (see below)
        openvino-<image_size>px/      compiled OpenVINO models (engine "openvino")
      counts/ab/abcdef....count       decoded frame counts of video files

A frame's file name is the digest of its full key: the network setting (the
featurizer's ``_network_setting``: preprocessing version, backbone, exact weights,
model digest, image size, precision, engine, device type, batch size), the frame's
identity (the video file's absolute path, size and modification time plus the frame
index; or, for array videos, a hash of the frame's pixels) and the augmentation
parameters.

Every record is checksummed.  A feature file holds a header (magic, the key digest, the
vector length, a checksum of the payload) then the float32 vector; a count file holds
magic, key digest, count and a checksum of the three.  Reads check all of it; anything
that does not match (truncated, flipped bits, a file copied under the wrong name, an
entry that cannot be read) is counted as corrupt, reads as absent and is recomputed by
the caller, which warns.

Writes go to a temporary file in the same folder that is then renamed over the final
name (:func:`os.replace` is atomic), so concurrent processes that write the same key
never expose a partial file: a reader sees the old complete file, the new complete file,
or none.  Files are created with the permissions the process umask gives (a cache
shared by a group works for every member).  So that concurrent processes (the workers
of a grid search, of a Dask cluster) also *compute* each frame once, a process about to
compute a frame first takes a lease on it (``claims/<xx>/<digest>.claim``,
``skvideo_imb.features._claims``): renewed while its owner computes, expired after
``LEASE_S`` (30) seconds without renewal by the cache filesystem's clock, taken over
at once when its owner died on the same host, and removed only by its owner.  A
temporary file names its writer, so one left by a killed process is removed the next
time a process opens the cache (any other after an hour).

A write that fails (read-only folder, full disk, a path in the way) never fails the
caller: the cache stops writing, remembers the error in ``write_error``, and the caller
warns once.
"""

import hashlib
import json
import os
import shutil
import struct

import numpy as np

from ._claims import Leases, filesystem_now, owner_is_dead, read_regular, temporary_name

__all__ = ["CountStore", "FeatureCache", "frame_digest", "key_digest"]

_MAGIC = b"SVIFEAT1"
_HEADER = struct.Struct("<8s20sI16s")  # magic, key digest, length, payload checksum
_COUNT_MAGIC = b"SVICNT02"
_COUNT = struct.Struct("<8s20sQ")      # magic, key digest, count; then a checksum
_STALE_AFTER_S = 3600
_CLEANED = set()  # cache roots whose stale temporary files this process removed


def key_digest(*parts):
    """A 20-byte digest of a key made of strings, numbers and tuples of them."""
    return hashlib.blake2b(repr(parts).encode(), digest_size=20).digest()


def frame_digest(network_key, frame_identity, augmentation):
    """The key digest of one frame under one augmentation, for one network setting.

    The featurizer names every frame with it, cached or not, so that equal frames are
    computed once within a call and found again across calls and processes.
    """
    return key_digest(network_key, frame_identity, augmentation)


def _checksum(payload):
    return hashlib.blake2b(payload, digest_size=16).digest()


def _atomic_write(path, data):
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    tmp = temporary_name(folder)
    try:
        fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)  # minus the umask
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def remove_stale_temporaries(root, older_than_s=_STALE_AFTER_S):
    """Delete the temporary files and folders under ``root`` of dead writers.

    They are left by processes killed while writing: those of a dead process of this
    host are removed at once, any other once older than ``older_than_s`` seconds (it may
    belong to a writer still running elsewhere).  Returns the number removed.
    """
    cutoff, removed = filesystem_now(root) - older_than_s, 0  # the files' own clock
    for folder, dirs, files in os.walk(root):
        leftovers = [(d, shutil.rmtree) for d in dirs
                     if d.startswith(".tmp-") and d.endswith("-openvino")]
        leftovers += [(f, os.unlink) for f in files
                      if f.startswith(".tmp-") and f.endswith(".part")]
        dirs[:] = [d for d in dirs if not d.startswith(".tmp-")]
        for name, remove in leftovers:
            path = os.path.join(folder, name)
            try:
                if owner_is_dead(name) or os.stat(path).st_mtime < cutoff:
                    remove(path)
                    removed += 1
            except OSError:
                pass
    return removed


def check_cache_folder(root):
    """Create the cache folder if needed; a ``ValueError`` if ``root`` cannot be one."""
    root = os.fspath(root)
    if os.path.exists(root) and not os.path.isdir(root):
        raise ValueError(f"cache={root!r} exists and is not a folder; give the path of a "
                         "folder (created when missing) or cache=None.")
    try:
        os.makedirs(root, exist_ok=True)
    except OSError as exc:
        reason = exc.strerror or exc
        raise ValueError(f"cache={root!r} cannot be created as a folder ({reason}); give "
                         "a writable path or cache=None.") from exc


class CountStore:
    """Decoded frame counts of video files, stored under a cache directory ``root``.

    The part of the cache that belongs to no network: ``counts/<xx>/<digest>.count``,
    keyed by a file's identity (path, size, modification time).  :class:`FeatureCache`
    is one (and more); the featurizer's ``fit`` uses one alone, before its network's
    setting (and so its feature folder) is known.

    Parameters
    ----------
    root : str or path-like
        The cache directory.

    Attributes
    ----------
    n_corrupt : int
        Records found corrupt so far in this process (vectors too, in a
        :class:`FeatureCache`).
    n_corrupt_counts : int
        How many of those were frame counts.
    write_error : OSError or None
        The first write that failed; from then on nothing is written.
    """

    def __init__(self, root):
        self.root = os.fspath(root)
        self.n_corrupt = 0
        self.n_corrupt_counts = 0
        self.write_error = None

    def _write(self, path, data):
        if self.write_error is not None:
            return
        try:
            _atomic_write(path, data)
        except OSError as exc:  # read-only, disk full, a file or folder in the way ...
            self.write_error = exc

    def _read(self, path, limit):
        """The file's first ``limit`` bytes; ``None`` when absent; ``b""`` (corrupt) when
        it is no regular file (a folder, a FIFO, a link) or cannot be read."""
        try:
            return read_regular(path, limit)[0]
        except FileNotFoundError:
            return None
        except OSError:  # a folder, a pipe, a link, unreadable, an I/O error
            return b""

    # -- frame counts -----------------------------------------------------------------

    def _count_path(self, digest):
        hexd = digest.hex()
        return os.path.join(self.root, "counts", hexd[:2], hexd + ".count")

    def get_count(self, identity):
        """The stored frame count of a video file identity, or ``None`` when absent or
        corrupt (counted in ``n_corrupt`` and ``n_corrupt_counts``)."""
        digest = key_digest("count", identity)
        data = self._read(self._count_path(digest), _COUNT.size + 17)
        if data is None:
            return None
        body = data[:_COUNT.size]
        if (len(data) != _COUNT.size + 16 or _checksum(body) != data[_COUNT.size:]
                or _COUNT.unpack(body)[:2] != (_COUNT_MAGIC, digest)
                or _COUNT.unpack(body)[2] < 1):
            self.n_corrupt += 1
            self.n_corrupt_counts += 1
            return None
        return int(_COUNT.unpack(body)[2])

    def put_count(self, identity, count):
        """Store the decoded frame count of a video file identity."""
        digest = key_digest("count", identity)
        body = _COUNT.pack(_COUNT_MAGIC, digest, int(count))
        self._write(self._count_path(digest), body + _checksum(body))


class FeatureCache(CountStore):
    """Per-frame feature vectors of one network setting, stored under ``root``.

    Parameters
    ----------
    root : str or path-like
        The cache directory (created when missing, if possible).
    folder_name : str
        Name of the setting's folder under ``root``.
    n_features : int
        Length of every vector; anything else read back is corrupt.
    description : dict
        Written to ``model.json`` in the setting's folder, for people.

    Attributes
    ----------
    n_corrupt : int
        Records (vectors and counts) found corrupt so far in this process.
    n_corrupt_counts : int
        How many of those were frame counts.
    write_error : OSError or None
        The first write that failed; from then on nothing is written.
    leases : Leases
        The leases on frames this object takes (``claim``/``release``).

    Notes
    -----
    One object serves one transform; its leases are thread-safe, so the threads of
    that transform may share it.
    """

    def __init__(self, root, folder_name, n_features, description=None):
        super().__init__(root)
        self.folder = os.path.join(self.root, folder_name)
        self.n_features = int(n_features)
        self._description = description
        self._described = False
        self.leases = Leases(os.path.join(self.folder, "claims"))
        if self.root not in _CLEANED and os.path.isdir(self.root):
            _CLEANED.add(self.root)
            remove_stale_temporaries(self.root)
            self.leases.sweep()

    # -- frame features ---------------------------------------------------------------

    def _path(self, digest):
        hexd = digest.hex()
        return os.path.join(self.folder, hexd[:2], hexd + ".feat")

    def get(self, digest, count_corrupt=True):
        """The stored vector, or ``None`` when absent or corrupt (counted in ``n_corrupt``
        unless ``count_corrupt`` is false: a second look at the same entry)."""
        data = self._read(self._path(digest), _HEADER.size + 4 * self.n_features + 1)
        if data is None:
            return None
        vector = self._decode(digest, data)
        if vector is None and count_corrupt:
            self.n_corrupt += 1
        return vector

    def _decode(self, digest, data):
        if len(data) != _HEADER.size + 4 * self.n_features:
            return None
        magic, stored_digest, length, checksum = _HEADER.unpack_from(data)
        payload = data[_HEADER.size:]
        if (magic != _MAGIC or stored_digest != digest or length != self.n_features
                or _checksum(payload) != checksum):
            return None
        vector = np.frombuffer(payload, dtype="<f4")
        return vector if np.isfinite(vector).all() else None

    def put(self, digest, vector):
        """Store one vector atomically (overwriting whatever was there)."""
        if not self._described:
            self._describe()
        payload = np.ascontiguousarray(vector, dtype="<f4").tobytes()
        header = _HEADER.pack(_MAGIC, digest, self.n_features, _checksum(payload))
        self._write(self._path(digest), header + payload)

    def _describe(self):
        path = os.path.join(self.folder, "model.json")
        if self._description is not None and not os.path.exists(path):
            text = json.dumps(self._description, indent=2, sort_keys=True, default=str)
            self._write(path, text.encode())
        self._described = True

    # -- claims: who computes a frame -------------------------------------------------

    def claim(self, digest):
        """Whether this process should compute ``digest`` (True), or another process
        holds a live lease on it and its vector will appear (False).

        A stale lease is taken over.  When leases cannot be written (a read-only or full
        cache, a file where a folder should be), every process computes what it needs
        and ``claim_error`` says why.
        """
        if self.write_error is not None:
            return True
        return self.leases.acquire(digest)

    @property
    def claim_error(self):
        """The first error taking or keeping a lease, or None."""
        return self.leases.error

    def release(self, digest=None):
        """Remove this process's lease on ``digest`` (on every frame when None)."""
        self.leases.release(digest)
