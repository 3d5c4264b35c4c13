"""A real 6-node Redis Cluster (3 masters, 3 replicas) from this machine's `redis-server`, on this test slot's
ports (tests/slot.py), for the cluster tests and bench/cluster.py. `python -m tests.cluster.redis_cluster up`
starts one by hand (`down` stops it)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis

from tests import slot

ROOT = Path(__file__).resolve().parents[2]
BASE_PORT = 7100  # + the slot's shift; the cluster bus listens 10000 above each
NODES = 6
NODE_TIMEOUT_MS = 1000  # how long a master may be silent before its replica is promoted
READY_SECONDS = 30


@dataclass
class RedisCluster:
    directory: Path = ROOT / ".redis-cluster-test"
    ports: list[int] = field(default_factory=lambda: [slot.port(BASE_PORT) + n for n in range(NODES)])

    @property
    def urls(self) -> list[str]:
        return [f"redis://127.0.0.1:{port}" for port in self.ports]

    @property
    def url(self) -> str:
        """The redis+cluster:// form Parley's REDIS_URL accepts."""
        return "redis+cluster://" + ",".join(f"127.0.0.1:{port}" for port in self.ports)

    def start(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)
        for port in self.ports:
            self.start_node(port)
        for port in self.ports:
            self._wait_for_ping(port)
        addresses = [f"127.0.0.1:{port}" for port in self.ports]
        subprocess.run(
            ["redis-cli", "--cluster", "create", *addresses, "--cluster-replicas", "1", "--cluster-yes"],
            check=True,
            capture_output=True,
            timeout=60,
        )
        self.wait_until_ok()

    def start_node(self, port: int) -> None:
        """Start (or restart, keeping its cluster config file) the node on `port`."""
        node_dir = self.directory / str(port)
        node_dir.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "redis-server",
                "--port", str(port),
                "--bind", "127.0.0.1",
                "--daemonize", "yes",
                "--dir", str(node_dir),
                "--pidfile", str(node_dir / "redis.pid"),
                "--logfile", str(node_dir / "redis.log"),
                "--cluster-enabled", "yes",
                "--cluster-config-file", "nodes.conf",
                "--cluster-node-timeout", str(NODE_TIMEOUT_MS),
                "--save", "",
                "--appendonly", "no",
            ],
            check=True,
            capture_output=True,
            timeout=30,
        )  # fmt: skip

    def stop(self) -> None:
        for port in self.ports:
            pid_file = self.directory / str(port) / "redis.pid"
            if pid_file.exists():
                subprocess.run(
                    ["redis-cli", "-p", str(port), "shutdown", "nosave"], capture_output=True, timeout=10
                )

    def kill(self, port: int) -> None:
        """SIGKILL a node: no goodbye to the cluster, as when a machine dies."""
        pid = int((self.directory / str(port) / "redis.pid").read_text())
        subprocess.run(["kill", "-9", str(pid)], check=True, timeout=10)

    def client(self, port: int) -> redis.Redis:
        return redis.Redis(port=port, socket_timeout=5)

    def live_client(self, *, without: int | None = None) -> redis.Redis:
        """A client of a node that answers (not `without`)."""
        for port in self.ports:
            if port == without:
                continue
            client = self.client(port)
            try:
                client.ping()
            except redis.RedisError:
                continue
            return client
        raise AssertionError("no cluster node answers")

    def masters(self) -> list[int]:
        """The ports of the masters not known to have failed."""
        nodes = self.live_client().execute_command("CLUSTER NODES")
        return sorted(
            int(address.rsplit(":", 1)[1])
            for address, node in nodes.items()
            if "master" in node["flags"] and "fail" not in node["flags"]
        )

    def master_of(self, key: str, *, without: int | None = None) -> int:
        """The port of the master that serves `key`'s slot, as a live node (not `without`) sees it."""
        node = self.live_client(without=without)
        node_slot = int(node.execute_command("CLUSTER KEYSLOT", key))
        for entry in node.execute_command("CLUSTER SLOTS"):
            if int(entry[0]) <= node_slot <= int(entry[1]):
                return int(entry[2][1])
        raise AssertionError(f"no master serves {key}")

    def wait_for_failover(self, key: str, killed: int) -> int:
        """Until a replica serves `key`'s slot in place of the killed master, and the cluster is ok again;
        returns the new master's port."""
        deadline = time.monotonic() + READY_SECONDS
        while (master := self.master_of(key, without=killed)) == killed:
            assert time.monotonic() < deadline, "no replica was promoted"
            time.sleep(0.05)
        self.wait_until_ok(without=killed)
        return master

    def wait_until_ok(self, *, without: int | None = None) -> None:
        """Until every node up (all but `without`) says the cluster is ok (every slot served) and every
        replica has synced with its master: a replica that never has refuses to be promoted ("disconnected
        from master for longer than allowed"), so a master killed before that would stay down."""
        deadline = time.monotonic() + READY_SECONDS
        while not all(self._node_ready(port) for port in self.ports if port != without):
            if time.monotonic() > deadline:
                raise AssertionError("the Redis Cluster did not become ok")
            time.sleep(0.1)

    def _node_ready(self, port: int) -> bool:
        client = self.client(port)
        try:
            cluster_ok = client.execute_command("CLUSTER INFO")["cluster_state"] == "ok"
            replication = client.info("replication")
        except redis.RedisError:
            return False
        synced = replication["role"] == "master" or replication.get("master_link_status") == "up"
        return cluster_ok and synced

    def _wait_for_ping(self, port: int) -> None:
        deadline = time.monotonic() + READY_SECONDS
        while True:
            try:
                if self.client(port).ping():
                    return
            except redis.RedisError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)


if __name__ == "__main__":
    cluster = RedisCluster()
    if sys.argv[1:] == ["up"]:
        cluster.start()
        print(cluster.url)
    else:
        cluster.stop()
