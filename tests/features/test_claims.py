"""Leases on frames: owners, expiry on the cache filesystem's clock, atomic takeover."""

import errno
import json
import os
import subprocess
import sys
import threading
import time

import pytest

from skvideo_imb.features import _claims
from skvideo_imb.features._claims import Leases, owner_is_dead, temporary_name

DIGEST = bytes(range(20))


@pytest.fixture
def folder(tmp_path):
    return tmp_path / "claims"


def _plant(leases, content, age=0.0):
    """Write a lease file with ``content`` that was last touched ``age`` seconds ago."""
    path = leases.path(DIGEST)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(content)
    stamp = time.time() - age
    os.utime(path, (stamp, stamp))
    return path


def _dead_pid():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _owner(**changes):
    return json.dumps({"token": "other", **_claims.process_identity(), **changes}).encode()


def test_one_owner_at_a_time_and_only_the_owner_releases(folder):
    a, b = Leases(folder), Leases(folder)
    assert a.acquire(DIGEST) is True and a.holds(DIGEST)
    assert b.acquire(DIGEST) is False           # a live owner in this very process
    b.release(DIGEST)                           # not b's: stays
    assert os.path.exists(a.path(DIGEST))
    a.release(DIGEST)
    assert not os.path.exists(a.path(DIGEST))
    assert b.acquire(DIGEST) is True
    b.release()
    assert not list(folder.rglob("*.claim"))


def test_release_never_removes_another_owners_lease(folder):
    a = Leases(folder)
    assert a.acquire(DIGEST)
    _plant(a, _owner())                         # taken over by someone else meanwhile
    a.release(DIGEST)
    assert json.loads(open(a.path(DIGEST), "rb").read())["token"] == "other"


@pytest.mark.parametrize("content, age, stale", [
    (b"", 0.0, False),                          # being written: a grace period
    (b"", 10.0, True),                          # its writer died before writing
    (b"\x00garbage", 10.0, True),
    (None, 0.0, True),                          # a dead process of this host: at once
    ("elsewhere", 0.0, False),                  # another host: until the lease expires
    ("elsewhere", 60.0, True),
    ("reused pid", 0.0, True),                  # this host's pid, another start time
])
def test_which_leases_are_stale(folder, content, age, stale):
    leases = Leases(folder, lease_s=30, grace_s=5)
    if content is None:
        content = _owner(pid=_dead_pid())
    elif content == "elsewhere":
        content = _owner(host="another-host", boot="x")
    elif content == "reused pid":
        content = _owner(start=1)
    path = _plant(leases, content, age)
    assert leases.acquire(DIGEST) is stale
    assert leases.taken_over == int(stale)
    if stale:  # the file is ours now
        assert json.loads(open(path, "rb").read())["token"] == leases.token
    leases.release()


def test_expiry_is_judged_on_the_cache_filesystems_clock(folder, monkeypatch):
    """A host whose own clock is an hour ahead still sees a fresh lease as fresh."""
    leases = Leases(folder, lease_s=30)
    _plant(leases, _owner(host="another-host", boot="x"), age=0.0)
    monkeypatch.setattr(time, "time", lambda: 1e12)  # this host's clock is far off
    assert leases.acquire(DIGEST) is False


def test_an_owner_renews_its_lease_while_it_computes(folder):
    owner, waiter = Leases(folder, lease_s=0.6), Leases(folder, lease_s=0.6)
    assert owner.acquire(DIGEST)
    path = owner.path(DIGEST)
    with open(path, "rb") as f:  # a remote-looking owner: only expiry can free it
        content = json.loads(f.read())
    time.sleep(1.5)                              # 2.5 leases: renewed meanwhile
    assert os.stat(path).st_mtime > time.time() - 0.6
    assert waiter.acquire(DIGEST) is False and content["token"] == owner.token
    owner.release()
    assert waiter.acquire(DIGEST) is True
    waiter.release()


def test_an_owner_notices_it_lost_its_lease(folder):
    owner = Leases(folder, lease_s=0.3)
    assert owner.acquire(DIGEST)
    os.unlink(owner.path(DIGEST))
    deadline = time.time() + 5
    while owner.lost == 0 and time.time() < deadline:
        time.sleep(0.05)
    assert owner.lost == 1 and not owner.holds(DIGEST)


def test_the_renewer_leaves_a_lease_being_created_alone(folder, monkeypatch):
    """The renewer may wake between marking a lease held and creating its file: it
    must not count that lease lost, or the lease is never released (an orphan that
    makes every other process wait for it to expire)."""
    leases = Leases(folder, lease_s=0.03)        # the renewer wakes every 10 ms
    create = leases._create

    def slow_create(path):
        time.sleep(0.2)                          # the renewer runs meanwhile, many times
        return create(path)

    monkeypatch.setattr(leases, "_create", slow_create)
    assert leases.acquire(DIGEST) is True
    assert leases.holds(DIGEST) and leases.lost == 0
    leases.release()
    assert not list(folder.rglob("*.claim"))


def test_a_stale_lease_is_taken_over_by_exactly_one_waiter(folder):
    for attempt in range(5):
        digest = bytes([attempt]) * 20
        probe = Leases(folder)
        path = probe.path(digest)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(_owner(host="dead-host", boot="x"))
        os.utime(path, (time.time() - 100, time.time() - 100))
        waiters = [Leases(folder, lease_s=30) for _ in range(8)]
        start, results = threading.Barrier(8), [None] * 8

        def take(k):
            start.wait()
            results[k] = waiters[k].acquire(digest)
        threads = [threading.Thread(target=take, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        assert results.count(True) == 1, results
        for w in waiters:
            w.release()
        assert not os.path.exists(path)
        assert not [n for n in os.listdir(os.path.dirname(path)) if n.startswith(".")]


def test_a_file_in_place_of_a_shard_is_replaced_instead_of_hanging(folder):
    leases, other = Leases(folder), Leases(folder)
    folder.mkdir()
    (folder / DIGEST.hex()[:2]).write_bytes(b"in the way")
    assert leases.acquire(DIGEST) is True and leases.error is None
    assert other.acquire(DIGEST) is False        # coordination goes on
    leases.release()


def test_a_folder_that_cannot_hold_leases_degrades_frame_by_frame(folder):
    leases = Leases(folder)
    folder.parent.mkdir(exist_ok=True)
    folder.write_bytes(b"the claims folder is a file")
    assert leases.acquire(DIGEST) is True        # compute it here, do not wait
    assert isinstance(leases.error, OSError)
    assert leases.acquire(bytes(20)) is True


def test_a_full_disk_leaves_no_empty_lease(folder, monkeypatch):
    leases = Leases(folder)

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(os, "link", full)
    assert leases.acquire(DIGEST) is True and leases.error.errno == errno.ENOSPC
    assert not list(folder.rglob("*.claim")) and not list(folder.rglob(".tmp-*"))


def test_temporary_names_tell_a_dead_writer(tmp_path):
    mine = temporary_name(str(tmp_path))
    assert not owner_is_dead(mine)
    parts = os.path.basename(mine).split("-")
    parts[2] = str(_dead_pid())
    assert owner_is_dead("-".join(parts))
    assert not owner_is_dead(".tmp-foreignhost-1-2-abc.part")


def test_sweep_removes_what_dead_processes_left(folder):
    leases = Leases(folder)
    _plant(leases, _owner(pid=_dead_pid()))
    shard = os.path.dirname(leases.path(DIGEST))
    parts = os.path.basename(temporary_name(shard)).split("-")
    parts[2] = str(_dead_pid())
    dead_tmp = os.path.join(shard, "-".join(parts))
    open(dead_tmp, "w").close()
    live_tmp = temporary_name(shard)
    open(live_tmp, "w").close()
    assert leases.sweep() == 2
    assert sorted(os.listdir(shard)) == [os.path.basename(live_tmp)]


def test_leases_travel_to_another_process_as_a_new_owner(folder):
    import pickle
    a = Leases(folder)
    assert a.acquire(DIGEST)
    b = pickle.loads(pickle.dumps(a))
    assert b.token != a.token and not b.holds(DIGEST)
    assert b.acquire(DIGEST) is False
    a.release()


def test_the_renewer_survives_release_and_reacquire_in_quick_succession(folder):
    """A release followed at once by an acquire must not leave a lease unrenewed."""
    leases = Leases(folder, lease_s=30)
    for k in range(200):
        digest = bytes([k % 256]) * 20
        assert leases.acquire(digest)
        thread = leases._renewer[0] if leases._renewer else None
        assert thread is not None and thread.is_alive(), k
        leases.release(digest)
    leases.release()


@pytest.mark.parametrize("plant", ["nested json", "fifo", "future mtime"])
def test_odd_leases_neither_crash_nor_block(folder, plant):
    leases = Leases(folder, lease_s=30, grace_s=5)
    path = leases.path(DIGEST)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if plant == "nested json":
        _plant(leases, b"[" * 3000, age=10)
    elif plant == "fifo":
        os.mkfifo(path)  # a plain open() for reading would block forever
    else:
        _plant(leases, b"", age=-86400)  # touched a day "in the future"
    start = time.monotonic()
    assert leases.acquire(DIGEST) is True
    assert leases.sweep() >= 0
    assert time.monotonic() - start < 5
    leases.release()
